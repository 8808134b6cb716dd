import Expressions
import Foundation
import LinearAlgebra
import Population
import TrialProtocol
import Twins

/// A validated protocol resolved for execution: times turned into grid indices where SPEC reads
/// the grid, dosing expanded into per-arm schedules, Ω factored, the model compiled, the cohort
/// synthesizer built. Immutable and shared by all workers.
///
/// Building a plan performs every check that needs more than the file itself (correlation
/// matrices positive definite, inclusion acceptance rate, model construction), so a plan that
/// exists can run; its errors are input errors (exit status 2) and nothing has been written.
public struct TrialPlan: Sendable {
    public let definition: ProtocolDefinition
    public var protocolID: String { definition.id }
    public var seed: UInt64
    public var replicates: Int
    /// Per replicate, all arms together (matched: patients, each simulated in every arm).
    public var subjects: Int { definition.subjects }
    public var design: ProtocolDefinition.Design { definition.design }

    public let cohort: CohortSynthesizer
    /// Names of the covariate registers (population covariates, then derived ones).
    public let covariateNames: [String]
    /// Level names of categorical registers (nil for numeric ones), for subjects.csv.
    public let covariateLevels: [[String]?]

    /// Grid step Δ (h); grid points k = 0 … gridCount − 1 at t_k = k·Δ.
    public var gridStep: Double { definition.observe }
    public var gridCount: Int { definition.gridCount }
    public var duration: Double { definition.duration }

    public let model: CompiledModel
    public let parameters: [ParameterPlan]
    /// Indices (into `parameters`) of the parameters with between-subject variability, and the
    /// lower Cholesky factor of their Ω (SDs and correlations from the protocol).
    public let etaParameters: [Int]
    public let etaCholesky: Matrix
    /// Residual error per model output (nil: none).
    public let residual: [ResidualError?]

    public let arms: [ArmPlan]
    /// Per arm, each parameter's typical value (the arm's override or the model's), arm-major:
    /// `typicalByArm[arm · parameters.count + i]`.
    public let typicalByArm: [ParameterValue]
    /// The parameters whose typical value may differ from subject to subject (an expression over
    /// covariates in some arm, or covariate effects): the only ones `prepareSubject` checks
    /// against their scale's range (constants were checked when the protocol was read).
    let parametersFromCovariates: [Int]
    /// Subjects per arm in each replicate and the first subject index of each arm (parallel
    /// design; subjects are numbered in arm order).
    public let armSizes: [Int]
    public let armStart: [Int]

    /// USUBJID (SPEC §6): `<protocol>-<replicate>-<subject number>`, the number 1-based and
    /// zero-padded to the width of `subjects` (in a matched design, the patient's number).
    public func subjectLabel(replicate: Int, patient: Int) -> String {
        var bytes: [UInt8] = []
        appendSubjectLabel(replicate: replicate, patient: patient, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `subjectLabel`'s UTF-8 bytes appended to `bytes`, without building strings (the runner
    /// writes one per subject row).
    public func appendSubjectLabel(replicate: Int, patient: Int, to bytes: inout [UInt8]) {
        var id = protocolID
        id.withUTF8 { bytes.append(contentsOf: $0) }
        bytes.append(UInt8(ascii: "-"))
        Self.appendDigits(replicate, width: 1, to: &bytes)
        bytes.append(UInt8(ascii: "-"))
        Self.appendDigits(patient + 1, width: Self.digitCount(subjects), to: &bytes)
    }

    private static func digitCount(_ value: Int) -> Int {
        var count = 1, rest = value
        while rest >= 10 { rest /= 10; count += 1 }
        return count
    }

    /// A non-negative integer in decimal, zero-padded on the left to `width` digits.
    private static func appendDigits(_ value: Int, width: Int, to bytes: inout [UInt8]) {
        precondition(value >= 0, "subject labels hold non-negative numbers")
        let count = Swift.max(width, digitCount(value))
        let start = bytes.count
        bytes.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: count))
        var rest = value, position = start + count - 1
        while rest > 0 {
            bytes[position] = UInt8(ascii: "0") + UInt8(rest % 10)
            rest /= 10
            position -= 1
        }
    }

    /// The arm of subject index `subject` (parallel design).
    @inline(__always) public func arm(ofSubject subject: Int) -> Int {
        var a = armStart.count - 1
        while a > 0 && armStart[a] > subject { a -= 1 }
        return a
    }

    public let endpoints: [EndpointPlan]
    public let adverseEvents: [AdverseEventPlan]
    public var analysis: AnalysisPlan? { definition.analysis }
    public let output: OutputPlan

    /// Observation times given to the simulator: the grid, plus every window bound of a mean/auc
    /// endpoint that is not a grid point. `gridTimeIndex[k]` is where grid point k sits in it.
    public let observationTimes: [Double]
    public let gridTimeIndex: [Int]

    /// The time of grid point k, computed as k·Δ (never by repeated addition; SPEC §4).
    @inline(__always) public func gridTime(_ k: Int) -> Double { Double(k) * gridStep }

    /// "The grid point at or before x": k = ⌊x/Δ + 1e-9⌋ (SPEC §4).
    public func gridIndex(atOrBefore x: Double) -> Int {
        Swift.min(gridCount - 1, Swift.max(0, Int((x / gridStep + 1e-9).rounded(.down))))
    }

    /// `x`, or the grid time k·Δ when `x` lies within 1e-9 grid steps of it (the tolerance of
    /// SPEC §4's grid rule): a time that coincides with a grid time is that grid time. `50 min`
    /// on a `10 min` grid is grid point 5 although 50/60 and 5·(10/60) differ in the last bit, so
    /// a dose there is in the value read there, as SPEC §4 requires, and a window bound there
    /// adds no observation time of its own.
    public static func coinciding(_ x: Double, gridStep step: Double) -> Double {
        let k = (x / step).rounded()
        return Swift.abs(x / step - k) <= 1e-9 ? k * step : x
    }

    public init(_ definition: ProtocolDefinition) throws {
        self.definition = definition
        seed = definition.seed
        replicates = definition.replicates

        let synthesizer = try CohortSynthesizer(definition.population)
        if definition.population.table == nil, !definition.population.inclusion.isEmpty {
            // SPEC §3: fewer than 1 in 1,000 candidates passing is an input error. (The draws
            // also meet a derived covariate that is not finite, as below.)
            _ = try synthesizer.acceptanceRate(seed: definition.seed)
        } else if definition.population.table == nil, !definition.population.derived.isEmpty {
            // A derived covariate that is not finite for some candidates is an input error found
            // in 10,000 of them (a few milliseconds) before any subject is simulated, at its
            // place in the file, as `vtrial cohort` finds it: not a failure part-way through
            // the run. (One that is not finite only for rarer candidates still stops the run
            // at the subject that has it.)
            _ = try synthesizer.acceptanceRate(seed: definition.seed, draws: 10_000)
        }
        cohort = synthesizer
        covariateNames = synthesizer.registerNames
        covariateLevels = synthesizer.registerNames.indices.map { synthesizer.levels(ofRegister: $0) }

        // Grid and extra observation times (window bounds of integrated summaries).
        let grid = (0..<definition.gridCount).map { Double($0) * definition.observe }
        var extra = Set<Double>()
        var integrated: [String] = []
        let modelDefinition = definition.model
        let onGrid = { (x: Double) in Self.coinciding(x, gridStep: definition.observe) }
        for e in definition.endpoints where e.kind == .continuous && (e.summary == .mean || e.summary == .auc) {
            for bound in [onGrid(e.window.lowerBound), onGrid(e.window.upperBound)] where !grid.contains(bound) { extra.insert(bound) }
            let name = modelDefinition.outputs[e.variable].name
            if !integrated.contains(name) { integrated.append(name) }
        }
        let times = (grid + extra).sorted()
        observationTimes = times
        var index = [Int](repeating: 0, count: grid.count)
        var j = 0
        for (k, t) in grid.enumerated() {
            while times[j] != t { j += 1 }
            index[k] = j
        }
        gridTimeIndex = index

        let solver = modelDefinition.solver
        model = try CompiledModel(configuration: modelDefinition.configuration,
                                  solver: SolverSettings(rtol: solver.relativeTolerance, atol: solver.absoluteTolerance,
                                                         method: SolverSettings.Method(rawValue: solver.method.rawValue) ?? .auto),
                                  integratedOutputs: integrated)

        // Parameters: typical value, covariate effects, variability scale.
        parameters = modelDefinition.parameters.enumerated().map { i, p in
            ParameterPlan(name: p.name, typical: p.value, scale: p.definition.scale,
                          covariateEffects: modelDefinition.covariateEffects.filter { $0.parameter == i },
                          hasVariability: p.variability > 0, positive: p.definition.positive)
        }
        let withEta = modelDefinition.parameters.indices.filter { modelDefinition.parameters[$0].variability > 0 }
        etaParameters = withEta
        var omega = Matrix(rows: withEta.count, columns: withEta.count)
        for (a, i) in withEta.enumerated() {
            let sd = modelDefinition.parameters[i].variability
            omega[a, a] = sd * sd
        }
        for c in modelDefinition.etaCorrelations {
            guard let a = withEta.firstIndex(of: c.first), let b = withEta.firstIndex(of: c.second) else { continue }
            let v = c.rho * modelDefinition.parameters[c.first].variability * modelDefinition.parameters[c.second].variability
            omega[a, b] = v; omega[b, a] = v
        }
        do {
            etaCholesky = try choleskyLower(omega)
        } catch LinearAlgebraError.notPositiveDefinite(let order) {
            let names = withEta.prefix(order).map { modelDefinition.parameters[$0].name }
            throw PlanError("the variability correlations are not positive definite (check the correlations among \(names.joined(separator: ", ")))")
        }
        var residuals = [ResidualError?](repeating: nil, count: modelDefinition.outputs.count)
        for r in modelDefinition.residuals { residuals[r.output] = r }
        residual = residuals

        let gridStepValue = definition.observe
        let lastGrid = definition.gridCount - 1
        func gridIndexOf(_ x: Double) -> Int { Swift.min(lastGrid, Swift.max(0, Int((x / gridStepValue + 1e-9).rounded(.down)))) }
        func assessments(_ schedule: AssessmentSchedule?) -> [Int] {
            var ks: [Int]
            switch schedule {
            case nil: ks = Array(1...Swift.max(1, lastGrid))
            case let .every(step)?:
                ks = []
                var n = 1
                while Double(n) * step <= definition.duration + 1e-9 * step { ks.append(gridIndexOf(Double(n) * step)); n += 1 }
            case let .at(list)?: ks = list.map(gridIndexOf)
            }
            return Array(Set(ks.filter { $0 > 0 && $0 <= lastGrid })).sorted()
        }
        // Rule evaluation times: `every` on the grid like an assessment schedule, `on_ae` at the
        // AE's own assessed times (SPEC §2, §4).
        func ruleTimes(_ rule: DoseRule) -> [Double] {
            let ks: [Int]
            switch rule.trigger {
            case let .schedule(every, _): ks = assessments(.every(every))
            case let .adverseEvent(term, _): ks = assessments(definition.adverseEvents[term].assessment)
            }
            return ks.map { Double($0) * gridStepValue }
        }
        arms = try definition.arms.map { try ArmPlan(arm: $0, model: modelDefinition, gridStep: gridStepValue, ruleTimes: ruleTimes) }
        let parameterPlans = parameters
        let typicals = arms.flatMap { arm in parameterPlans.indices.map { arm.parameterOverrides[$0] ?? parameterPlans[$0].typical } }
        typicalByArm = typicals
        let armCount = arms.count
        parametersFromCovariates = parameterPlans.indices.filter { i in
            !parameterPlans[i].covariateEffects.isEmpty || (0..<armCount).contains { typicals[$0 * parameterPlans.count + i].constant == nil }
        }
        // A cohort table's rows are all known: each one's typical values (before η) are checked
        // now, as the run checks each subject drawn from it, so that `vtrial check` and the run
        // refuse the protocol at the row rather than part-way through the run.
        let armNames = arms.map(\.name)
        let varying = parametersFromCovariates
        try synthesizer.forEachTableRow { place, registers in
            for (a, armName) in armNames.enumerated() {
                for i in varying {
                    let plan = parameterPlans[i]
                    let theta = plan.applyingCovariateEffects(typicals[a * parameterPlans.count + i].value(covariates: registers), covariates: registers)
                    let problem = theta.isFinite ? plan.typicalValueProblem(theta).map { "must be \($0)" } : "is not finite"
                    guard let problem else { continue }
                    let covariates = synthesizer.describe(registers, count: registers.count)
                    throw PlanError("the typical value of \(plan.name) for this cohort row (arm \(armName)) is \(theta) and \(problem) (\(covariates))", place: place)
                }
            }
        }
        armSizes = definition.allocation
        var start: [Int] = []
        var next = 0
        for size in armSizes {
            start.append(next)
            next += size
        }
        armStart = start

        endpoints = definition.endpoints.map { e in
            let first = Swift.max(0, Int((e.window.lowerBound / gridStepValue - 1e-9).rounded(.up)))
            let last = gridIndexOf(e.window.upperBound)
            let readK = e.summary == .at ? gridIndexOf(e.at ?? e.window.upperBound) : last
            let start = times.firstIndex(of: onGrid(e.window.lowerBound)) ?? 0
            let end = times.firstIndex(of: onGrid(e.window.upperBound)) ?? 0
            return EndpointPlan(definition: e,
                                readGridIndex: readK,
                                assessedAt: e.summary == .at ? Double(readK) * gridStepValue : e.window.upperBound,
                                windowGrid: first...Swift.max(first, last),
                                windowTimeIndices: (start, end),
                                windowSpan: times[end] - times[start],
                                integralIndex: integrated.firstIndex(of: modelDefinition.outputs[e.variable].name),
                                assessments: e.kind == .timeToEvent ? assessments(e.assessment) : [])
        }
        adverseEvents = definition.adverseEvents.map { AdverseEventPlan(definition: $0, assessments: assessments($0.assessment)) }

        let timecourse = definition.output.timecourse
        // Grid time 0, then the times an `assess: { every }` schedule reads (the grid point at or
        // before each multiple): every m-th grid time when `every` is m grid steps.
        output = OutputPlan(subjects: definition.output.subjects,
                            timecourseOutputs: timecourse.variables,
                            timecourseGrid: [0] + assessments(.every(timecourse.every)),
                            timecourseSubjects: timecourse.subjects)
    }

    /// A rough cost of the run for `vtrial check`: its size, the memory of the time courses and
    /// one replicate's outcomes, and a run-time estimate from per-subject costs measured by
    /// `make bench` on a 2-core machine (release build, session 4: about 0.02 µs per subject and
    /// observation time for closed-form models, 0.45 µs when states are integrated numerically,
    /// everything included). It is an order of magnitude, not a promise: solver effort varies with the model.
    public func costEstimate(threads: Int) -> String {
        let units = Double(replicates) * Double(subjects) * Double(design == .matched ? arms.count : 1)
        // Time courses kept per arm: all of them, or for a streamed arm (TimecourseStreaming) its
        // prefix and about a quarter of the rest (what the capture keeps of W1 and W2).
        let streaming = TimecourseStreaming.standard
        let kept = arms.indices.reduce(0.0) { total, arm in
            let count = Swift.min(output.timecourseSubjects, design == .matched ? subjects : armSizes[arm])
            return total + (streaming.streams(count: count) ? Double(streaming.prefix) + 0.25 * Double(count - streaming.prefix)
                                                            : Double(count))
        }
        let timecourseValues = kept * Double(output.timecourseOutputs.count) * Double(output.timecourseGrid.count)
        let megabytes = (timecourseValues * 8 + Double(subjects) * Double(Swift.max(1, endpoints.count)) * 40) / 1_048_576
        let perPoint = model.integratesNumerically ? 0.45e-6 : 0.02e-6
        let seconds = units * Double(observationTimes.count) * perPoint / Double(Swift.max(1, Swift.min(threads, 2)))
        let time = seconds < 60 ? "\(Int(seconds.rounded(.up))) s" : seconds < 3600 ? "\(Int((seconds / 60).rounded(.up))) min"
            : String(format: "%.1f h", seconds / 3600)
        return "Run size: \(Int(units)) simulated subjects × \(observationTimes.count) observation times; "
            + "about \(Int(megabytes.rounded(.up))) MiB for time courses and one replicate's outcomes; "
            + "roughly \(time) on \(threads) thread\(threads == 1 ? "" : "s") (release build; an order of magnitude)."
    }
}

/// An input problem found while planning (beyond what the file decoder checks).
public struct PlanError: Error, CustomStringConvertible, Sendable {
    public var description: String
    /// Where in an input file the problem lies, when it has a place (a cohort table's row).
    public var place: SourcePlace?
    public init(_ description: String, place: SourcePlace? = nil) {
        self.description = description
        self.place = place
    }
}

/// How one model parameter of one subject is formed (SPEC §4 "Variability"):
/// typical · covariate effects · exp(η) (logit scale for [0, 1] parameters).
public struct ParameterPlan: Sendable {
    public var name: String
    public var typical: ParameterValue
    public var scale: ParameterScale
    public var covariateEffects: [CovariateEffect]
    public var hasVariability: Bool
    /// The model is undefined at 0 (`ParameterDefinition.positive`).
    public var positive = false

    /// `theta` times the covariate effects of `covariates` (SPEC §4), in their order.
    @inline(__always) func applyingCovariateEffects(_ theta: Double, covariates: [Double]) -> Double {
        var theta = theta
        for effect in covariateEffects {
            let c = covariates[effect.covariate]
            switch effect.kind {
            case let .power(exponent, reference): theta *= Foundation.pow(c / reference, exponent)
            case let .categorical(multipliers): theta *= multipliers[Int(c)]
            }
        }
        return theta
    }

    /// What a subject's typical value θ (after its covariates, before η) must be, or nil when it is
    /// admitted: the rule of constants (`ParameterDefinition.typicalValueRequirement`).
    func typicalValueProblem(_ theta: Double) -> String? {
        scale.typicalValueRequirement(theta, hasVariability: hasVariability, positive: positive)
    }
}

public struct ArmPlan: Sendable {
    public var name: String
    /// Every scheduled dose, sorted by time (stable: protocol order at equal times).
    public var doses: [ScheduledDose]
    /// `doses` as every subject takes them, when every amount is a fixed, finite, non-negative
    /// number of mg (nil otherwise): a subject who takes every dose gets this list copied in one
    /// piece instead of dose by dose (`prepareSubject`).
    public var fixedDoses: [Dose]?
    /// Per parameter index: a replacement typical value for this arm.
    public var parameterOverrides: [Int: ParameterValue]
    /// The amount of each dosing entry (`ScheduledDose.entry` indexes it).
    public var entryAmounts: [DoseAmount]
    /// The regimen the subject starts at steady state of (SPEC §2 `steady_state`).
    public var steadyState: SteadyStatePlan?
    /// Dose rules in protocol order, with each rule's evaluation times (h, ascending, > 0).
    public var rules: [DoseRule]
    public var ruleTimes: [[Double]]

    /// Dose times that coincide with a grid time are that grid time (`TrialPlan.coinciding`).
    init(arm: ArmDefinition, model: ModelDefinition, gridStep: Double, ruleTimes: (DoseRule) -> [Double]) throws {
        name = arm.name
        var list: [ScheduledDose] = []
        var steady: SteadyStatePlan?
        for (e, entry) in arm.dosing.enumerated() {
            var target: Int?
            if let into = entry.into {
                guard let state = model.configuration.custom?.stateIndex(into) else {
                    throw PlanError("arm '\(arm.name)': dosing `into: \(into)` names no state of the custom model")
                }
                target = state
            }
            let route: Twins.DoseRoute
            switch entry.route {
            case .oral: route = .oral
            case .ivBolus: route = .bolus
            case let .infusion(duration): route = .infusion(duration: duration)
            }
            if entry.steadyState {
                guard let interval = entry.interval, entry.explicitTimes == nil else {
                    throw PlanError("arm '\(arm.name)': steady_state needs a repeated regimen (`every` and `doses`)")
                }
                guard steady == nil else { throw PlanError("arm '\(arm.name)': only one dosing entry can start at steady state") }
                guard entry.start == 0 else {
                    throw PlanError("arm '\(arm.name)': a steady_state regimen starts at 0 h (the subject arrives at steady state); got start \(entry.start) h")
                }
                steady = SteadyStatePlan(entry: e, interval: interval, route: route, target: target)
            }
            for t in entry.times {
                list.append(ScheduledDose(time: TrialPlan.coinciding(t, gridStep: gridStep), amount: entry.amount, route: route,
                                          target: target, entry: e))
            }
        }
        doses = list.enumerated().sorted { ($0.element.time, $0.offset) < ($1.element.time, $1.offset) }.map(\.element)
        fixedDoses = doses.allSatisfy { dose in
            if case let .fixed(mg) = dose.amount { return mg.isFinite && mg >= 0 }
            return false
        } ? doses.map { Dose(time: $0.time, amount: $0.amount.milligrams(covariates: []), route: $0.route, target: $0.target) } : nil
        var overrides: [Int: ParameterValue] = [:]
        for o in arm.parameterOverrides { overrides[o.parameter] = o.value }
        parameterOverrides = overrides
        entryAmounts = arm.dosing.map(\.amount)
        steadyState = steady
        rules = arm.rules
        self.ruleTimes = arm.rules.map(ruleTimes)
    }
}

/// A dosing entry the subject is at steady state of when the trial starts.
public struct SteadyStatePlan: Sendable {
    /// Index of the dosing entry (its amount is `ArmPlan.entryAmounts[entry]`).
    public var entry: Int
    public var interval: Double
    public var route: Twins.DoseRoute
    public var target: Int?
}

public struct ScheduledDose: Sendable {
    public var time: Double
    /// mg, possibly per subject (mg/kg, mg/m², expressions).
    public var amount: DoseAmount
    public var route: Twins.DoseRoute
    /// The custom-model state the dose enters (`into`); nil: the PK block or `doses_into`.
    public var target: Int?
    /// The dosing entry it comes from (index into the arm's `dosing`).
    public var entry: Int
}

/// An endpoint with the grid indices and observation-time indices it reads.
public struct EndpointPlan: Sendable {
    public let definition: EndpointDefinition
    /// The grid point read by `summary: at`; for summaries, the last grid point of the window.
    public let readGridIndex: Int
    /// The time (h) a subject must not have dropped out before for the endpoint to be assessed
    /// (SPEC §5, §6 "Dropout"): the grid time read by `summary: at`; for a summary, the window's
    /// end, which may lie between grid times.
    public let assessedAt: Double
    /// The grid points k with window start ≤ t_k ≤ window end (max/min read these).
    public let windowGrid: ClosedRange<Int>
    /// Indices in `observationTimes` of the window bounds (mean/auc integrate between them).
    public let windowTimeIndices: (start: Int, end: Int)
    /// The time between those two observation times (h): a mean's divisor.
    public let windowSpan: Double
    /// Index of the endpoint's variable among the simulator's integrated outputs (mean/auc).
    public let integralIndex: Int?
    /// Time-to-event: assessed grid indices (> 0), ascending.
    public let assessments: [Int]

    public var id: String { definition.id }
    public var output: Int { definition.variable }
    public var betterHigher: Bool { definition.better == .higher }
    public var logScale: Bool { definition.scale == .log }
}

public struct AdverseEventPlan: Sendable {
    public let definition: AdverseEventDefinition
    /// Assessed grid indices (> 0), ascending.
    public let assessments: [Int]
    public var term: String { definition.term }
}

public struct OutputPlan: Sendable {
    public var subjects: OutputOptions.SubjectFiles
    /// Model outputs written to timecourse.csv, in model order.
    public var timecourseOutputs: [Int]
    /// Grid indices written to timecourse.csv.
    public var timecourseGrid: [Int]
    /// The first this-many subjects of each arm (replicate 1) enter the time-course percentiles.
    public var timecourseSubjects: Int
}
