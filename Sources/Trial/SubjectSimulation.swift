import Expressions
import Foundation
import Population
import Sampling
import Twins

/// A failure while simulating one subject: exit status 1, with everything needed to reproduce it.
public struct SubjectFailure: Error, CustomStringConvertible, Sendable {
    public var replicate: Int
    public var subject: String
    public var time: Double?
    public var message: String
    public var parameters: [(String, Double)]
    /// The subject's covariates (name, value as subjects.csv writes it): with the parameters, what
    /// reproduces the case.
    public var covariates: [(String, String)] = []

    public var description: String {
        var text = "replicate \(replicate), subject \(subject)"
        if let t = time { text += ", t = \(t) h" }
        text += ": \(message)"
        if !parameters.isEmpty {
            text += " (parameters: " + parameters.map { "\($0.0) = \($0.1)" }.joined(separator: ", ") + ")"
        }
        if !covariates.isEmpty {
            text += " (covariates: " + covariates.map { "\($0.0) = \($0.1)" }.joined(separator: ", ") + ")"
        }
        return text
    }
}

/// Per-worker state reused from subject to subject: the model simulator and every buffer, so the
/// hot loop does not allocate.
struct SubjectWorkspace {
    var simulator: ModelSimulator
    var covariates: [Double]
    var parameters: [Double]
    var typical: [Double]
    var etaNormals: [Double]
    var doses: [Dose]
    /// With dose rules: the dosing entry of each of `doses`.
    var doseEntries: [Int] = []
    /// With dose rules: the doses given to the last subject (for tests).
    var givenDoses: [Dose] = []
    var outputs: [Double]
    var baseline: [Double]
    var integrals: [Double]
    var outputRegisters: [Double]
    var endpoints: [EndpointOutcome]
    var adverseEvents: [AdverseEventOutcome]

    init(plan: TrialPlan) {
        simulator = plan.model.makeSimulator()
        // The endpoints read the integrals only at their windows' bounds (`readEndpoints`).
        simulator.integralTimeIndices = Array(Set(plan.endpoints.flatMap { e in
            e.integralIndex == nil ? [] : [e.windowTimeIndices.start, e.windowTimeIndices.end]
        })).sorted()
        covariates = [Double](repeating: 0, count: plan.covariateNames.count)
        parameters = [Double](repeating: 0, count: plan.parameters.count)
        typical = parameters
        etaNormals = [Double](repeating: 0, count: plan.etaParameters.count)
        doses = []
        doses.reserveCapacity(plan.arms.map(\.doses.count).max() ?? 0)
        let outputCount = plan.model.outputNames.count
        outputs = [Double](repeating: 0, count: outputCount * plan.observationTimes.count)
        baseline = [Double](repeating: 0, count: outputCount)
        integrals = [Double](repeating: 0, count: plan.model.integratedOutputs.count * plan.observationTimes.count)
        outputRegisters = [Double](repeating: 0, count: outputCount)
        endpoints = [EndpointOutcome](repeating: EndpointOutcome(), count: plan.endpoints.count)
        adverseEvents = [AdverseEventOutcome](repeating: AdverseEventOutcome(grade: 0, onset: 0), count: plan.adverseEvents.count)
    }
}

extension SubjectWorkspace: GroupedSubject {
    mutating func withSimulation<Result>(_ body: (inout ModelSimulator, [Double], [Dose], inout [Double], inout [Double],
                                                  inout [Double]) -> Result) -> Result {
        body(&simulator, parameters, doses, &outputs, &baseline, &integrals)
    }
}

/// The per-subject record the runner keeps besides the endpoint and AE outcomes in the workspace.
struct SubjectFacts {
    var dropoutTime: Double?
    var dosesTaken: Int
    var lastDose: Double?
    var doseChanges: Int
}

extension TrialPlan {
    /// Simulates one subject of one replicate in one arm and fills `space.endpoints`,
    /// `space.adverseEvents` and `space.outputs` (the time course).
    ///
    /// `patient` keys every random stream: in a parallel design it is the subject number, in a
    /// matched design the patient number shared by all arms (common random numbers, SPEC §2).
    func simulateSubject(replicate: Int, patient: Int, arm: Int,
                         cohort: CohortReplicate, space: inout SubjectWorkspace) throws -> SubjectFacts {
        let prepared = try prepareSubject(replicate: replicate, patient: patient, arm: arm, cohort: cohort, space: &space)
        var facts = SubjectFacts(dropoutTime: prepared.dropoutTime, dosesTaken: space.doses.count, lastDose: prepared.lastDose, doseChanges: 0)
        do {
            if prepared.hasRules {
                var rules = try doseRuleDecider(arm: arms[arm], dropoutTime: prepared.dropoutTime, space: space)
                let checkpoints = rules.checkpoints
                try space.simulator.simulate(parameters: space.parameters, covariates: space.covariates, doses: [], steadyState: prepared.steadyState,
                                             treatmentStart: space.doses.first?.time ?? 0, checkpoints: checkpoints, decider: &rules,
                                             times: observationTimes, outputs: &space.outputs, baseline: &space.baseline, integrals: &space.integrals)
                facts.doseChanges = rules.changes
                facts.dosesTaken = rules.given
                facts.lastDose = rules.lastDose
                space.givenDoses = rules.log
            } else {
                try space.simulator.simulate(parameters: space.parameters, covariates: space.covariates, doses: space.doses, steadyState: prepared.steadyState,
                                             times: observationTimes, outputs: &space.outputs, baseline: &space.baseline, integrals: &space.integrals)
            }
        } catch let error as SimulationError {
            throw failure(replicate, patient: patient, arm: arm, error.time, error.message, space)
        }

        try readEndpoints(replicate: replicate, patient: patient, arm: arm, dropoutTime: prepared.dropoutTime, space: &space)
        gradeAdverseEvents(dropoutTime: prepared.dropoutTime, space: &space)
        return facts
    }

    /// How many subjects `simulateSubjectGroup` simulates at most: the lanes of one walk.
    static var subjectGroupSize: Int { ModelSimulator.groupSize }

    /// Up to `subjectGroupSize` consecutive subjects simulated together
    /// (`ModelSimulator.simulateGroup`: in the lanes of one walk), each with exactly
    /// `simulateSubject`'s results. Subject i of the group is `subject(i)`, in `spaces[i]`.
    ///
    /// Returns how many leading subjects were simulated, their facts in `facts`. The group ends
    /// before the first subject that cannot join it — dose rules, a steady state, a failure while
    /// preparing it, events at other times than the first subject's (adherence, dropout, lag
    /// times) — or whose endpoints fail; 0 when the first subject cannot be simulated this way.
    /// The caller simulates the next subject one by one, which reports any failure in subject
    /// order.
    func simulateSubjectGroup(replicate: Int, count: Int, subject: (Int) -> (patient: Int, arm: Int), cohort: CohortReplicate,
                              spaces: inout [SubjectWorkspace], facts: inout [SubjectFacts]) -> Int {
        facts.removeAll(keepingCapacity: true)
        for i in 0..<count {
            let (patient, arm) = subject(i)
            guard let prepared = try? prepareSubject(replicate: replicate, patient: patient, arm: arm, cohort: cohort, space: &spaces[i]),
                  !prepared.hasRules, prepared.steadyState == nil else { break }
            facts.append(SubjectFacts(dropoutTime: prepared.dropoutTime, dosesTaken: spaces[i].doses.count, lastDose: prepared.lastDose,
                                      doseChanges: 0))
        }
        let prepared = facts.count
        guard prepared > 0 else { return 0 }
        let walked = spaces.withUnsafeMutableBufferPointer { spaces in
            ModelSimulator.simulateGroup(UnsafeMutableBufferPointer(rebasing: spaces[..<prepared]), times: observationTimes)
        }
        for i in 0..<walked {
            let (patient, arm) = subject(i)
            do {
                try readEndpoints(replicate: replicate, patient: patient, arm: arm, dropoutTime: facts[i].dropoutTime, space: &spaces[i])
            } catch {
                return i
            }
            gradeAdverseEvents(dropoutTime: facts[i].dropoutTime, space: &spaces[i])
        }
        return walked
    }

    /// What `prepareSubject` found besides what it wrote to the workspace.
    struct SubjectPreparation {
        var dropoutTime: Double?
        var lastDose: Double?
        var steadyState: SteadyStateRegimen?
        var hasRules: Bool
    }

    /// Everything before the simulation: covariates, parameters, dropout, the doses taken (into
    /// `space`) and the steady-state regimen.
    func prepareSubject(replicate: Int, patient: Int, arm: Int,
                        cohort: CohortReplicate, space: inout SubjectWorkspace) throws -> SubjectPreparation {
        // Covariates: the patient's own stream (PopulationSpec register layout).
        try cohort.subject(patient, into: &space.covariates)

        // Individual parameters: typical · covariate effects · exp(η).
        var etaStream = RandomStream(seed: seed, replicate: replicate, subject: patient, stream: .eta)
        for i in space.etaNormals.indices { space.etaNormals[i] = etaStream.nextNormal() }
        // The plans are read in place: copies would retain and release their arrays and
        // expressions (shared by every worker) for every subject.
        parameters.withUnsafeBufferPointer { plans in typicalByArm.withUnsafeBufferPointer { typicals in
            for i in plans.indices {
                var theta = typicals[arm * plans.count + i].value(covariates: space.covariates)
                if !plans[i].covariateEffects.isEmpty {
                    theta = plans[i].applyingCovariateEffects(theta, covariates: space.covariates)
                }
                space.typical[i] = theta
                space.parameters[i] = theta
            }
            // η = L·z for the parameters with variability (Ω = L·Lᵀ).
            for (row, parameterIndex) in etaParameters.enumerated() {
                var eta = 0.0
                for col in 0...row { eta += etaCholesky[row, col] * space.etaNormals[col] }
                let theta = space.typical[parameterIndex]
                switch plans[parameterIndex].scale {
                case .logNormal, .signed:
                    space.parameters[parameterIndex] = theta * Foundation.exp(eta)
                case .logit:
                    let clamped = Swift.min(Swift.max(theta, 1e-300), 1 - 1e-16)
                    let logit = Foundation.log(clamped / (1 - clamped)) + eta
                    space.parameters[parameterIndex] = theta <= 0 ? 0 : (theta >= 1 ? 1 : 1 / (1 + Foundation.exp(-logit)))
                }
            }
        } }
        for (i, value) in space.parameters.enumerated() where !value.isFinite {
            throw failure(replicate, patient: patient, arm: arm, 0, "parameter \(parameters[i].name) is not finite (\(value))", space)
        }
        // A typical value from covariates (an expression, covariate effects) outside its scale's
        // range would otherwise be simulated as it is (an EC50 < 0, a bioavailability of 1.8).
        for i in parametersFromCovariates {
            if let range = parameters[i].typicalValueProblem(space.typical[i]) {
                throw failure(replicate, patient: patient, arm: arm, 0,
                              "parameter \(parameters[i].name) has the typical value \(space.typical[i]) from this subject's covariates; it must be \(range)", space)
            }
        }

        // Dropout and adherence: their own streams, drawn whether or not they are used, so that
        // adding a dose never shifts another draw.
        var dropoutTime: Double?
        if let hazard = definition.dropoutHazard, hazard > 0 {
            var dropoutStream = RandomStream(seed: seed, replicate: replicate, subject: patient, stream: .dropout)
            let t = dropoutStream.nextExponential(rate: hazard)
            if t < duration { dropoutTime = t }
        }
        var adherenceStream = RandomStream(seed: seed, replicate: replicate, subject: patient, stream: .adherence)
        space.doses.removeAll(keepingCapacity: true)
        var lastDose: Double?
        let adherence = definition.adherence
        let hasRules = !arms[arm].rules.isEmpty
        if hasRules { space.doseEntries.removeAll(keepingCapacity: true) }
        // Every dose taken, at fixed amounts (`ArmPlan.fixedDoses`, checked when planned): the
        // list in one copy, as the loop below would build it dose by dose.
        let takesAll = adherence >= 1 && dropoutTime == nil && !hasRules
        let copied = takesAll && arms.withUnsafeBufferPointer { armPlans in
            guard let fixed = armPlans[arm].fixedDoses else { return false }
            space.doses.append(contentsOf: fixed)
            lastDose = fixed.last?.amount
            return true
        }
        // The schedule is read in place too (each dose holds an amount that may be an expression).
        if !copied { arms.withUnsafeBufferPointer { armPlans in armPlans[arm].doses.withUnsafeBufferPointer { schedule in
            for scheduled in schedule.indices {
                let taken = adherence >= 1 || adherenceStream.nextUniform() < adherence
                let time = schedule[scheduled].time
                if let d = dropoutTime, time >= d { continue }
                if !taken { continue }
                let amount = schedule[scheduled].amount.milligrams(covariates: space.covariates)
                space.doses.append(Dose(time: time, amount: amount, route: schedule[scheduled].route, target: schedule[scheduled].target))
                if hasRules { space.doseEntries.append(schedule[scheduled].entry) }
                lastDose = amount
            }
        } } }
        for dose in space.doses where !copied && !(dose.amount.isFinite && dose.amount >= 0) {
            throw failure(replicate, patient: patient, arm: arm, dose.time, "dose amount \(dose.amount) mg is not a finite, non-negative number", space)
        }
        var steadyState: SteadyStateRegimen?
        if let ss = arms[arm].steadyState {
            let amount = arms[arm].entryAmounts[ss.entry].milligrams(covariates: space.covariates)
            guard amount.isFinite && amount >= 0 else {
                throw failure(replicate, patient: patient, arm: arm, 0, "dose amount \(amount) mg is not a finite, non-negative number", space)
            }
            steadyState = SteadyStateRegimen(dose: Dose(time: 0, amount: amount, route: ss.route, target: ss.target), interval: ss.interval)
        }
        return SubjectPreparation(dropoutTime: dropoutTime, lastDose: lastDose, steadyState: steadyState, hasRules: hasRules)
    }

    /// The failure of one subject, naming it with its arm (a matched design's USUBJID is the same
    /// in every arm). Built only when thrown, so the per-subject path formats no text.
    func failure(_ replicate: Int, patient: Int, arm: Int, _ time: Double?, _ message: String, _ space: SubjectWorkspace) -> SubjectFailure {
        SubjectFailure(replicate: replicate, subject: "\(subjectLabel(replicate: replicate, patient: patient)) in arm \(arms[arm].name)",
                       time: time, message: message,
                       parameters: zip(parameters.map(\.name), space.parameters).map { ($0, $1) },
                       covariates: zip(covariateNames, space.covariates).enumerated().map { i, pair in
                           (pair.0, registerText(pair.1, levels: covariateLevels[i]))
                       })
    }

    /// Model value of output `o` at observation-time index `i`.
    @inline(__always) func modelValue(_ space: SubjectWorkspace, _ o: Int, _ i: Int) -> Double {
        space.outputs[o * observationTimes.count + i]
    }

    /// SPEC §6 "Assessments": BASE, AVAL, CHG, PCHG, responder, or time-to-event per endpoint.
    private func readEndpoints(replicate: Int, patient: Int, arm: Int, dropoutTime: Double?, space: inout SubjectWorkspace) throws {
        let timeCount = observationTimes.count
        // Each plan is read in place: copying it (or its definition) would retain and release
        // its strings and arrays — shared by every worker — for every subject.
        try endpoints.withUnsafeBufferPointer { plans in
            for e in plans.indices {
                let endpoint = plans.baseAddress! + e
                var outcome = EndpointOutcome()
                let o = endpoint.pointee.definition.variable
                if endpoint.pointee.definition.kind == .timeToEvent, let rule = endpoint.pointee.definition.event {
                    let o = rule.variable
                    let baseValue = space.baseline[o]
                    var nadir = baseValue
                    var eventTime: Double?
                    var lastAssessed = 0.0
                    for k in endpoint.pointee.assessments {
                        let t = gridTime(k)
                        if let d = dropoutTime, !(t < d) { break }
                        let v = modelValue(space, o, gridTimeIndex[k])
                        let reference: Double?
                        switch rule.relativeTo {
                        case nil: reference = nil
                        case .baseline?: reference = baseValue
                        case .nadir?: reference = nadir
                        }
                        let threshold = reference.map { rule.value * $0 } ?? rule.value
                        var holds = rule.op.holds(v, threshold)
                        if holds, let minimum = rule.minimumChange {
                            holds = Swift.abs(v - (reference ?? baseValue)) >= minimum
                        }
                        lastAssessed = t
                        if holds { eventTime = t; break }
                        nadir = Swift.min(nadir, v)
                    }
                    outcome.value = eventTime ?? lastAssessed
                    outcome.analysed = outcome.value
                    outcome.censored = eventTime == nil ? 1 : 0
                } else {
                    let missing = dropoutTime.map { $0 < endpoint.pointee.assessedAt } ?? false
                    var base: Double?
                    var aval: Double?
                    switch endpoint.pointee.definition.summary {
                    case .at:
                        let k = endpoint.pointee.readGridIndex
                        base = measured(replicate: replicate, patient: patient, output: o, block: 0, model: space.baseline[o])
                        if !missing {
                            aval = measured(replicate: replicate, patient: patient, output: o, block: UInt64(k) + 1,
                                            model: modelValue(space, o, gridTimeIndex[k]))
                        }
                    case .max, .min:
                        base = space.baseline[o]
                        if !missing {
                            // `modelValue` over the window, through pointers.
                            let isMax = endpoint.pointee.definition.summary == .max
                            let row = o * timeCount
                            let window = endpoint.pointee.windowGrid
                            aval = space.outputs.withUnsafeBufferPointer { values in
                                gridTimeIndex.withUnsafeBufferPointer { timeIndex in
                                    Self.extreme(values.baseAddress! + row, at: timeIndex, window, isMax: isMax)
                                }
                            }
                        }
                    case .mean, .auc:
                        let j = endpoint.pointee.integralIndex!
                        let a = space.integrals[j * timeCount + endpoint.pointee.windowTimeIndices.start]
                        let b = space.integrals[j * timeCount + endpoint.pointee.windowTimeIndices.end]
                        if endpoint.pointee.definition.summary == .mean {
                            base = space.baseline[o]
                            if !missing { aval = (b - a) / endpoint.pointee.windowSpan }
                        } else if !missing {
                            aval = b - a
                        }
                    }
                    outcome.base = base
                    outcome.value = aval
                    if let b = base, let v = aval {
                        outcome.change = v - b
                        if b != 0 { outcome.percentChange = 100 * (v - b) / b }
                    }
                    var analysed: Double?
                    switch endpoint.pointee.definition.measure {
                    case .value: analysed = outcome.value
                    case .change: analysed = outcome.change
                    case .percentChange: analysed = outcome.percentChange
                    }
                    if let rule = endpoint.pointee.definition.responder {
                        if let x = analysed { outcome.responder = rule.op.holds(x, rule.value) ? 1 : 0 }
                        else if missing && rule.missing == .failure { outcome.responder = 0 }
                    }
                    if endpoint.pointee.definition.scale == .log, let x = analysed {
                        guard x > 0 else {
                            throw failure(replicate, patient: patient, arm: arm, nil,
                                          "endpoint \(endpoint.pointee.definition.id) has scale: log but its analysed value is \(x) (must be > 0)", space)
                        }
                    }
                    if let x = analysed, !x.isFinite {
                        throw failure(replicate, patient: patient, arm: arm, nil, "endpoint \(endpoint.pointee.definition.id) is not finite (\(x))", space)
                    }
                    outcome.analysed = analysed
                }
                space.endpoints[e] = outcome
            }
        }
    }

    /// The first value of `window` (grid indices into `timeIndex`) followed by every later one
    /// that is strictly greater (`isMax`) or smaller: the window's maximum or minimum as the
    /// sequential scan finds it, NaNs after the first value skipped. `timeIndex` increases
    /// strictly, as `gridTimeIndex` does.
    ///
    /// Scanned in eight lanes, each starting from the first value, so the comparisons do not wait
    /// on one another. The lanes find the same extreme value; only which of several equal values
    /// wins can differ, which matters for the bits only between −0 and +0 — a zero result is
    /// therefore rescanned sequentially, as is a first value that is NaN.
    @inline(__always)
    static func extreme(_ values: UnsafePointer<Double>, at timeIndex: UnsafeBufferPointer<Int>, _ window: ClosedRange<Int>,
                        isMax: Bool) -> Double {
        let first = values[timeIndex[window.lowerBound]]
        func sequential() -> Double {
            var best = first
            for k in window {
                let v = values[timeIndex[k]]
                if isMax { if v > best { best = v } } else if v < best { best = v }
            }
            return best
        }
        if first.isNaN { return sequential() }
        let lower = window.lowerBound, end = window.upperBound
        // Eight lanes, each the extreme of the values it saw (all starting from `first`), then
        // the rest one by one, then the lanes. The grid's time indices increase strictly
        // (TrialPlan), so a window whose first and last indices are as far apart as its grid
        // points is contiguous: its values are loaded eight at a time.
        var lanes = SIMD8(repeating: first)
        let blocks = (end &- lower &+ 1) / 8
        var k = lower &+ blocks &* 8
        if timeIndex[end] &- timeIndex[lower] == end &- lower {
            let run = UnsafeRawPointer(values + timeIndex[lower])
            let size = MemoryLayout<SIMD8<Double>>.size
            if isMax {
                for b in 0..<blocks { let v = run.loadUnaligned(fromByteOffset: b &* size, as: SIMD8<Double>.self); lanes.replace(with: v, where: v .> lanes) }
            } else {
                for b in 0..<blocks { let v = run.loadUnaligned(fromByteOffset: b &* size, as: SIMD8<Double>.self); lanes.replace(with: v, where: v .< lanes) }
            }
        } else {
            for b in 0..<blocks {
                var v = SIMD8<Double>()
                for l in 0..<8 { v[l] = values[timeIndex[lower &+ b &* 8 &+ l]] }
                if isMax { lanes.replace(with: v, where: v .> lanes) } else { lanes.replace(with: v, where: v .< lanes) }
            }
        }
        var b0 = lanes[0]
        if isMax {
            while k <= end { let v = values[timeIndex[k]]; b0 = v > b0 ? v : b0; k &+= 1 }
            for l in 1..<8 where lanes[l] > b0 { b0 = lanes[l] }
        } else {
            while k <= end { let v = values[timeIndex[k]]; b0 = v < b0 ? v : b0; k &+= 1 }
            for l in 1..<8 where lanes[l] < b0 { b0 = lanes[l] }
        }
        return b0 == 0 ? sequential() : b0
    }

    /// A measured value (SPEC §4 residual error): y·(1 + ε₁·proportional) + ε₂·additive, with
    /// ε drawn from a stream keyed by the output and read at a block fixed by the grid point
    /// (block 0: the baseline), so endpoints reading the same point share one measurement and the
    /// draws do not depend on which endpoints exist.
    @inline(__always)
    private func measured(replicate: Int, patient: Int, output: Int, block: UInt64, model y: Double) -> Double {
        guard let error = residual[output] else { return y }
        var stream = RandomStream(seed: seed, replicate: replicate, subject: patient,
                                  streamNumber: StreamID.residualNumber(output: output), startingBlock: block)
        let e1 = stream.nextNormal()
        let e2 = stream.nextNormal()
        return y * (1 + e1 * error.proportional) + e2 * error.additive
    }

    /// SPEC §5: treatment-emergent adverse events from the model values at assessed times.
    private func gradeAdverseEvents(dropoutTime: Double?, space: inout SubjectWorkspace) {
        for (a, event) in adverseEvents.enumerated() {
            let baseGrade = grade(event, space: &space, observation: nil)
            var worst = baseGrade
            var onset = 0.0
            for k in event.assessments {
                let t = gridTime(k)
                if let d = dropoutTime, !(t < d) { break }
                let g = grade(event, space: &space, observation: gridTimeIndex[k])
                if g > worst {
                    if worst == baseGrade { onset = t }
                    worst = g
                }
            }
            space.adverseEvents[a] = AdverseEventOutcome(grade: worst > baseGrade ? worst : 0, onset: onset)
        }
    }

    /// The grade at one observation (nil: the pre-dose baseline): the highest grade whose
    /// condition holds on the model values (grades are nested, SPEC §2).
    @inline(__always)
    private func grade(_ event: AdverseEventPlan, space: inout SubjectWorkspace, observation: Int?) -> Int {
        for o in space.outputRegisters.indices {
            space.outputRegisters[o] = observation.map { modelValue(space, o, $0) } ?? space.baseline[o]
        }
        return event.definition.grade(outputs: space.outputRegisters)
    }
}
