import Expressions
import TrialProtocol
import Twins

/// One subject's dose rules while the simulation runs (SPEC §2 "Steady state and dose rules").
///
/// The candidates are the arm's scheduled doses the subject takes (adherence and dropout already
/// applied, so a held or stopped dose is not also "missed"). At every checkpoint — a candidate
/// dose time or a rule's evaluation time — the rules due then run in protocol order on the model
/// values at that time (before any dose at it), then each candidate at that time is given at its
/// entry's current amount, unless dosing has stopped or a hold's condition holds (a hold whose
/// condition no longer holds at a dose time is released and that dose is given). An `on_ae` rule
/// that did not fire before the doses is tried again on the values after them (`afterDoses`).
struct DoseRuleDecider: DoseDecider {
    let rules: [DoseRule]
    let ruleTimes: [[Double]]
    let adverseEvents: [AdverseEventPlan]
    let candidates: [Dose]
    let candidateEntries: [Int]
    /// Candidate and rule times, ascending, without repeats.
    let checkpoints: [Double]

    /// The current amount (mg) of each dosing entry.
    private(set) var amounts: [Double]
    private var nextCandidate = 0
    private var nextTime: [Int]
    private var fired: [Bool]
    /// Per AE term, its grade at t = 0 before any dose (`start`; 0 until then): an `on_ae` rule
    /// fires on the AE as adverse_events.csv has it, treatment-emergent (SPEC §5: a grade above
    /// the baseline grade), so a subject whose values are at the rule's grade before any dose
    /// does not trigger it until they worsen.
    private var baselineGrades: [Int] = []
    private(set) var hold: CompiledExpression?
    private(set) var stopped = false
    /// Firings that changed an amount or the hold or stop state.
    private(set) var changes = 0
    private(set) var given = 0
    private(set) var lastDose: Double?
    /// Every dose given, in order (for tests and diagnostics).
    private(set) var log: [Dose] = []

    init(rules: [DoseRule], ruleTimes: [[Double]], adverseEvents: [AdverseEventPlan], candidates: [Dose], candidateEntries: [Int],
         amounts: [Double], dropoutTime: Double?) {
        self.rules = rules
        self.adverseEvents = adverseEvents
        self.candidates = candidates
        self.candidateEntries = candidateEntries
        self.amounts = amounts
        // Rules act only while the subject is in the trial.
        let times = ruleTimes.map { list in list.filter { t in dropoutTime.map { t < $0 } ?? true } }
        self.ruleTimes = times
        checkpoints = Array(Set(times.flatMap { $0 } + candidates.map(\.time))).sorted()
        nextTime = [Int](repeating: 0, count: rules.count)
        fired = [Bool](repeating: false, count: rules.count)
    }

    mutating func decide(checkpoint: Int, time: Double, outputs: [Double], doses: inout [Dose]) {
        for r in rules.indices where !stopped {
            var p = nextTime[r]
            let times = ruleTimes[r]
            while p < times.count, times[p] < time { p += 1 }
            nextTime[r] = p
            guard p < times.count, times[p] == time else { continue }
            switch rules[r].trigger {
            case let .schedule(_, condition):
                if let condition, condition.evaluate(outputs) == 0 { continue }
            case let .adverseEvent(term, grade):
                if fired[r] || !reaches(term: term, grade: grade, outputs: outputs) { continue }
                fired[r] = true
            }
            if apply(rules[r].action) { changes += 1 }
        }
        while nextCandidate < candidates.count, candidates[nextCandidate].time <= time {
            let candidate = candidates[nextCandidate]
            let entry = candidateEntries[nextCandidate]
            nextCandidate += 1
            if stopped { continue }
            if let condition = hold {
                if condition.evaluate(outputs) != 0 { continue }
                hold = nil
            }
            let dose = Dose(time: time, amount: amounts[entry], route: candidate.route, target: candidate.target)
            doses.append(dose)
            log.append(dose)
            given += 1
            lastDose = dose.amount
        }
    }

    /// An `on_ae` rule also looks at the values after the doses at its evaluation time: the AE
    /// table grades a grid value with a bolus given at that time in it, so a grade reached only
    /// through that bolus (a concentration peak) is an AE reaching the grade at that assessed
    /// time too. The rule then fires after that dose, for the later doses (the dose already
    /// given stays as it was); without this it would never fire although adverse_events.csv
    /// records the grade.
    var readsOutputsAfterDoses: Bool {
        rules.contains { if case .adverseEvent = $0.trigger { return true } else { return false } }
    }

    mutating func afterDoses(checkpoint: Int, time: Double, outputs: [Double]) {
        for r in rules.indices where !stopped {
            guard case let .adverseEvent(term, grade) = rules[r].trigger, !fired[r] else { continue }
            let p = nextTime[r]
            guard p < ruleTimes[r].count, ruleTimes[r][p] == time else { continue }
            if !reaches(term: term, grade: grade, outputs: outputs) { continue }
            fired[r] = true
            if apply(rules[r].action) { changes += 1 }
        }
    }

    mutating func start(baseline: [Double]) {
        baselineGrades = adverseEvents.map { $0.definition.grade(outputs: baseline) }
    }

    /// Whether AE `term` is at `grade` or above on `outputs` as a treatment-emergent event: above
    /// its baseline grade too.
    private func reaches(term: Int, grade: Int, outputs: [Double]) -> Bool {
        let g = adverseEvents[term].definition.grade(outputs: outputs)
        return g >= grade && g > (term < baselineGrades.count ? baselineGrades[term] : 0)
    }

    /// Applies one firing; true when it changed an amount or the hold or stop state. Adjusted
    /// amounts are bounded by `min`/`max` and never negative.
    mutating func apply(_ action: DoseRuleAction) -> Bool {
        var changed = false
        if let adjustment = action.adjustment {
            for e in amounts.indices {
                let current = amounts[e]
                var value: Double
                switch adjustment {
                case let .scale(factor): value = current * factor
                case let .add(mg): value = current + mg
                case let .set(mg): value = mg
                }
                if let lower = action.minimum { value = Swift.max(value, lower) }
                if let upper = action.maximum { value = Swift.min(value, upper) }
                value = Swift.max(value, 0)
                if value != current {
                    amounts[e] = value
                    changed = true
                }
            }
        }
        if let condition = action.hold {
            if hold == nil { changed = true }
            hold = condition
        }
        if action.resume, hold != nil {
            hold = nil
            changed = true
        }
        if action.stop, !stopped {
            stopped = true
            changed = true
        }
        return changed
    }
}

extension TrialPlan {
    /// The rule state of one subject of `arm`, its candidates being `space.doses`.
    func doseRuleDecider(arm: ArmPlan, dropoutTime: Double?, space: SubjectWorkspace) throws -> DoseRuleDecider {
        let amounts = arm.entryAmounts.map { $0.milligrams(covariates: space.covariates) }
        return DoseRuleDecider(rules: arm.rules, ruleTimes: arm.ruleTimes, adverseEvents: adverseEvents, candidates: space.doses,
                               candidateEntries: space.doseEntries, amounts: amounts, dropoutTime: dropoutTime)
    }
}
