import Expressions
import Foundation
import Solvers

/// How a `CompiledModel` with a custom model simulates (built once per protocol, immutable).
///
/// The solver's state vector is
///
///     [PK (Michaelis–Menten only): depot?, A1, A2?, A3?, AUC] [CE?] [custom states] [quadratures]
///
/// Linear PK is not integrated: it is advanced exactly by `LinearPKPropagator` (C, AUC and, with
/// KE0, CE and ∫CE, as for built-in models) and C(t) and CE(t) inside the right-hand side are its
/// closed form (`ConcentrationModes`). With Michaelis–Menten PK, CE (with KE0) is a solver state,
/// dCE/dt = KE0·(C − CE). Quadrature states integrate the outputs a mean/auc endpoint needs.
struct CustomModelPlan: Sendable {
    enum Read: Sendable, Equatable { case concentration, areaUnderCurve, effect, state(Int), derived(Int) }
    enum Integrand: Sendable, Equatable { case effect, state(Int), derived(Int) }

    let program: CustomModel
    let linearSystem: LinearPKSystem?
    /// The PK (Michaelis–Menten) and effect-compartment part of the solver's state.
    let pkLayout: ODELayout
    /// Whether the PK part is integrated by the solver (Michaelis–Menten elimination).
    let pkIntegrated: Bool
    let stateStart: Int
    let quadratures: [Integrand]
    let quadratureStart: Int
    let dimension: Int
    /// Per output (`ModelLibrary.outputs(for:)` order): where it is read.
    let reads: [Read]
    /// Per integrated output: where its integral is read.
    let integrals: [CompiledModel.IntegralSource]

    init(configuration: ModelConfiguration, program: CustomModel, integratedOutputs: [String]) throws {
        self.program = program
        if configuration.pd != nil || configuration.twin != nil {
            throw ModelConfigurationError("a custom model cannot be combined with a pd block or a disease twin")
        }
        if configuration.effectCompartment && configuration.pk == nil {
            throw ModelConfigurationError("an effect compartment (KE0) needs a pk block that supplies C")
        }
        if let pk = configuration.pk, !(1...3).contains(pk.compartments) {
            throw ModelConfigurationError("pk compartments must be 1, 2 or 3 (got \(pk.compartments))")
        }
        let pk = configuration.pk
        let linear = pk?.elimination == .linear
        pkIntegrated = pk != nil && !linear
        // With linear PK, CE is a state of the linear system (exact) and the right-hand side reads
        // it in closed form, as the built-in models do (`ConcentrationModes.Curve.effectConcentration`).
        linearSystem = linear ? LinearPKSystem(compartments: pk!.compartments, oral: pk!.absorption == .oral,
                                               effectCompartment: configuration.effectCompartment,
                                               integrateEffect: integratedOutputs.contains("CE")) : nil
        pkLayout = ODELayout(configuration: ModelConfiguration(pk: pk, effectCompartment: configuration.effectCompartment),
                             quadratures: [], linearPK: linear, effectInClosedForm: true)
        stateStart = pkLayout.dimension
        quadratureStart = stateStart + program.states.count

        var reads: [Read] = []
        if pk != nil { reads += [.concentration, .areaUnderCurve] }
        if configuration.effectCompartment { reads.append(.effect) }
        for o in program.outputs {
            switch o.source {
            case let .state(i): reads.append(.state(i))
            case let .derived(j): reads.append(.derived(j))
            }
        }
        self.reads = reads
        let names = ModelLibrary.outputs(for: configuration).map(\.name)

        var integrands: [Integrand] = []
        var sources: [CompiledModel.IntegralSource] = []
        let firstQuadrature = pkLayout.dimension + program.states.count
        func quadrature(_ integrand: Integrand) -> CompiledModel.IntegralSource {
            if let q = integrands.firstIndex(of: integrand) { return .odeState(firstQuadrature + q) }
            integrands.append(integrand)
            return .odeState(firstQuadrature + integrands.count - 1)
        }
        for name in integratedOutputs {
            guard let o = names.firstIndex(of: name) else {
                throw ModelConfigurationError("cannot integrate '\(name)': not an output of this model (outputs: \(names.joined(separator: ", ")))")
            }
            switch reads[o] {
            case .concentration:
                if let system = linearSystem { sources.append(.linearState(system.auc)) }
                else { sources.append(.odeState(pkLayout.areaUnderCurve!)) }
            case .areaUnderCurve: throw ModelConfigurationError("cannot integrate 'AUC': it is itself the integral of C")
            case .effect:
                if let integral = linearSystem?.effectIntegral { sources.append(.linearState(integral)) }
                else { sources.append(quadrature(.effect)) }
            case let .state(i): sources.append(quadrature(.state(i)))
            case let .derived(j): sources.append(quadrature(.derived(j)))
            }
        }
        quadratures = integrands
        integrals = sources
        dimension = firstQuadrature + integrands.count
    }

    /// Derived values needed for the outputs and quadratures: `derived[0..<count]`.
    var derivedForOutputs: Int {
        var n = program.derivedNeededByOutputs
        for q in quadratures { if case let .derived(j) = q { n = max(n, j + 1) } }
        return n
    }
}

/// Raw scratch owned by one simulator: the register file and the per-state infusion rates.
/// A class so that the right-hand side (a value rebuilt per segment) points at it without
/// copying, and so it is freed with its simulator.
final class CustomRegisterFile {
    let registers: UnsafeMutableBufferPointer<Double>
    let stateRates: UnsafeMutableBufferPointer<Double>

    init(registers: Int, states: Int) {
        self.registers = .allocate(capacity: max(1, registers))
        self.registers.initialize(repeating: 0)
        stateRates = .allocate(capacity: max(1, states))
        stateRates.initialize(repeating: 0)
    }

    deinit {
        registers.deallocate()
        stateRates.deallocate()
    }
}

/// The right-hand side of a custom model over one discontinuity-free segment: the PK part
/// (Michaelis–Menten through `TwinDynamics`, or C from the closed form), CE, then the derived
/// values in order and the ODEs, all over the register file, without allocation.
struct CustomDynamics: ODESystem {
    let program: CustomModel
    let layout: CustomRegisterLayout
    let pk: TwinDynamics?
    let modes: ConcentrationModes?
    let segmentStart: Double
    let effect: Int?
    let effectRate: Double
    /// CE from `modes` in closed form (linear PK with an effect compartment: no CE state).
    let closedFormEffect: Bool
    let stateStart: Int
    let quadratures: [CustomModelPlan.Integrand]
    let quadratureStart: Int
    let dimension: Int
    let registers: UnsafeMutableBufferPointer<Double>
    let stateRates: UnsafeMutableBufferPointer<Double>

    @inline(__always)
    func derivatives(t: Double, y: UnsafeBufferPointer<Double>, dydt: UnsafeMutableBufferPointer<Double>) {
        var c = 0.0, ce = 0.0
        if let pk {
            pk.derivatives(t: t, y: y, dydt: dydt)
            c = pk.concentration(t: t, y: y)
        } else if let modes {
            if closedFormEffect {
                (c, ce) = modes.segmentCurve.concentrationAndEffect(at: t - segmentStart)
            } else {
                c = modes.concentration(at: t - segmentStart)
            }
        }
        if let effect {
            ce = y[effect]
            if pk == nil { dydt[effect] = effectRate * (c - ce) }
        }
        let r = registers
        let states = layout.stateCount
        let stateRegister = layout.stateStart
        for i in 0..<states { r[stateRegister + i] = y[stateStart + i] }
        r[layout.time] = t
        r[layout.concentration] = c
        r[layout.effectConcentration] = ce
        let read = UnsafeBufferPointer(r)
        let derivedRegister = layout.derivedStart
        for j in program.derived.indices { r[derivedRegister + j] = program.derived[j].evaluate(read) }
        for i in 0..<states { dydt[stateStart + i] = program.odes[i].evaluate(read) + stateRates[i] }
        for (q, integrand) in quadratures.enumerated() {
            switch integrand {
            case .effect: dydt[quadratureStart + q] = ce
            case let .state(i): dydt[quadratureStart + q] = y[stateStart + i]
            case let .derived(j): dydt[quadratureStart + q] = r[derivedRegister + j]
            }
        }
    }
}

/// A dose of a custom-model subject as the simulator walks it.
struct CustomDosingEvent: Sendable {
    enum Kind: Sendable {
        case depot(amount: Double)
        case central(amount: Double)
        case infusionRate(change: Double)
        case state(Int, amount: Double)
        case stateInfusionRate(Int, change: Double)
    }
    var time: Double
    var kind: Kind
}

/// The custom-model side of a `ModelSimulator` (one per thread): solver, linear propagator,
/// register file and buffers, reused from subject to subject.
struct CustomModelSimulation {
    let plan: CustomModelPlan
    let configuration: ModelConfiguration
    private var integrator: SegmentIntegrator
    private let propagator: LinearPKPropagator?
    private var modes: ConcentrationModes?
    private let scratch: CustomRegisterFile
    private var linearState: [Double]
    private var state: [Double]
    private var observed: [Double] = []
    private var events: [CustomDosingEvent] = []
    private var activeStateInfusions: [Int]
    private var parameters = SubjectParameters()

    init(model: CompiledModel, plan: CustomModelPlan) {
        self.plan = plan
        configuration = model.configuration
        integrator = SegmentIntegrator(dimension: plan.dimension, settings: model.solver)
        propagator = plan.linearSystem.map { LinearPKPropagator(system: $0) }
        modes = plan.linearSystem.map { _ in ConcentrationModes(compartments: model.configuration.pk!.compartments) }
        scratch = CustomRegisterFile(registers: plan.program.layout.count, states: plan.program.states.count)
        linearState = [Double](repeating: 0, count: plan.linearSystem?.count ?? 0)
        state = [Double](repeating: 0, count: plan.dimension)
        activeStateInfusions = [Int](repeating: 0, count: plan.program.states.count)
    }

    /// Simulates one subject (see `ModelSimulator.simulate`); `parameters` are already unpacked
    /// and checked, `values` is the parameter vector, `covariates` the population registers.
    ///
    /// With `checkpoints` (ascending), the walk stops at each before the events at that time,
    /// reads the outputs and lets `decide` add doses at that time (dose rules; see
    /// `ModelSimulator.simulate(…checkpoints:decider:…)`).
    mutating func simulate(values: [Double], parameters p: SubjectParameters, covariates: [Double], doses: [Dose], times: [Double],
                           outputs: inout [Double], baseline: inout [Double], integrals: inout [Double],
                           steadyState: SteadyStateRegimen? = nil, checkpoints: [Double] = [],
                           decide: (_ checkpoint: Int, _ time: Double, _ outputs: [Double], _ doses: inout [Dose]) -> Void = { _, _, _, _ in },
                           readsAfterDoses: Bool = false,
                           afterDoses: (_ checkpoint: Int, _ time: Double, _ outputs: [Double]) -> Void = { _, _, _ in },
                           started: (_ baseline: [Double]) -> Void = { _ in }) throws(SimulationError) {
        let layout = plan.program.layout
        guard covariates.count >= layout.covariateCount else {
            throw SimulationError(time: 0, message: "the custom model reads \(layout.covariateCount) covariates; \(covariates.count) were given")
        }
        parameters = p
        let r = scratch.registers
        for i in 0..<layout.parameterCount { r[i] = values[i] }
        for i in 0..<layout.covariateCount { r[layout.covariateStart + i] = covariates[i] }
        for i in 0..<plan.program.states.count { scratch.stateRates[i] = 0; activeStateInfusions[i] = 0 }
        try buildEvents(doses)

        for i in state.indices { state[i] = 0 }
        for i in linearState.indices { linearState[i] = 0 }
        for (i, initial) in plan.program.initial.enumerated() {
            let v = initial.evaluate(UnsafeBufferPointer(r))
            guard v.isFinite else {
                throw SimulationError(time: 0, message: "the initial value of state \(plan.program.states[i]) (\(initial.source)) is \(v)")
            }
            state[plan.stateStart + i] = v
        }
        propagator?.setRates(p.linearRates)
        modes?.setRates(p.linearRates)
        integrator.stepHint = nil
        state.withUnsafeBufferPointer { y in
            for (o, value) in observationValues(time: 0, row: y).enumerated() { baseline[o] = value }
        }
        started(baseline)
        if let steadyState { try installSteadyState(steadyState) }

        var time = 0.0, eventIndex = 0, observation = 0, checkpoint = 0
        var infusionRate = 0.0, activeInfusions = 0
        var decided: [Dose] = []
        while observation < times.count || checkpoint < checkpoints.count {
            let firstCheckpoint = checkpoint
            while checkpoint < checkpoints.count, checkpoints[checkpoint] <= time {
                let at = checkpoints[checkpoint]
                let values = state.withUnsafeBufferPointer { y in Array(observationValues(time: at, row: y)) }
                decided.removeAll(keepingCapacity: true)
                decide(checkpoint, at, values, &decided)
                let first = events.count
                for dose in decided {
                    guard dose.time == at else {
                        throw SimulationError(time: at, message: "a dose decided at t = \(at) h must be given then (got \(dose.time) h)")
                    }
                    try appendEvents(dose)
                }
                // Stable insertion of the new events (all at or after `at`, so after the
                // processed ones).
                for i in first..<events.count {
                    var j = i
                    let moving = events[i]
                    while j > 0, events[j - 1].time > moving.time { events[j] = events[j - 1]; j -= 1 }
                    events[j] = moving
                }
                checkpoint += 1
            }
            while eventIndex < events.count, events[eventIndex].time <= time {
                apply(events[eventIndex], infusionRate: &infusionRate, activeInfusions: &activeInfusions)
                eventIndex += 1
            }
            if readsAfterDoses, checkpoint > firstCheckpoint {
                let values = state.withUnsafeBufferPointer { y in Array(observationValues(time: time, row: y)) }
                for c in firstCheckpoint..<checkpoint { afterDoses(c, checkpoints[c], values) }
            }
            var end = eventIndex < events.count ? events[eventIndex].time : Double.infinity
            if checkpoint < checkpoints.count { end = min(end, checkpoints[checkpoint]) }
            var last = observation
            while last < times.count, times[last] < end { last += 1 }
            try advanceSegment(from: time, to: end, observations: observation..<last, times: times, infusionRate: infusionRate,
                               outputs: &outputs, integrals: &integrals)
            observation = last
            time = end
        }
    }

    /// Expands the doses: untargeted ones into the PK block (oral: depot at time + TLAG, times
    /// F), or without one into `doses_into`; targeted ones into their state.
    private mutating func buildEvents(_ doses: [Dose]) throws(SimulationError) {
        events.removeAll(keepingCapacity: true)
        for dose in doses { try appendEvents(dose) }
        // Stable insertion sort (nearly sorted: only infusion ends and lagged doses move).
        for i in events.indices.dropFirst() {
            var j = i
            let moving = events[i]
            while j > 0, events[j - 1].time > moving.time { events[j] = events[j - 1]; j -= 1 }
            events[j] = moving
        }
    }

    @inline(__always)
    private mutating func apply(_ event: CustomDosingEvent, infusionRate: inout Double, activeInfusions: inout Int) {
        switch event.kind {
        case let .depot(amount):
            if let d = plan.linearSystem?.depot { linearState[d] += amount } else if let d = plan.pkLayout.depot { state[d] += amount }
        case let .central(amount):
            if let c = plan.linearSystem?.central { linearState[c] += amount } else if let c = plan.pkLayout.central { state[c] += amount }
        case let .infusionRate(change):
            infusionRate += change
            activeInfusions += change > 0 ? 1 : -1
            // Rates cancel exactly only in exact arithmetic: reset when none runs.
            if activeInfusions == 0 { infusionRate = 0 }
        case let .state(i, amount):
            state[plan.stateStart + i] += amount
        case let .stateInfusionRate(i, change):
            scratch.stateRates[i] += change
            activeStateInfusions[i] += change > 0 ? 1 : -1
            if activeStateInfusions[i] == 0 { scratch.stateRates[i] = 0 }
        }
    }

    /// SPEC §2 `steady_state` for a custom model: repeats the dosing interval from the initial
    /// state (as `ModelSimulator`'s ODE path does) until no state that is not a running integral
    /// changes by more than 1e-9 relative; then the still-pending events of the prior doses join
    /// the event list (an infusion running at t = 0 restarts there) and the integrals restart at 0.
    private mutating func installSteadyState(_ regimen: SteadyStateRegimen) throws(SimulationError) {
        let tau = regimen.interval
        guard tau.isFinite, tau > 0, regimen.dose.time == 0 else {
            throw SimulationError(time: 0, message: "steady state needs a regimen starting at t = 0 with a positive interval")
        }
        let realEvents = events
        events.removeAll(keepingCapacity: true)
        try appendEvents(regimen.dose)
        let doseEvents = events.sorted { $0.time < $1.time }
        events = realEvents
        var integrators = Array(plan.quadratureStart..<plan.dimension)
        if plan.pkIntegrated, let auc = plan.pkLayout.areaUnderCurve { integrators.append(auc) }
        let linearAUC = plan.linearSystem?.auc, linearEffectIntegral = plan.linearSystem?.effectIntegral
        var pending: [CustomDosingEvent] = []
        var infusionRate = 0.0, activeInfusions = 0
        let noTimes: [Double] = []
        var noOutputs: [Double] = [], noIntegrals: [Double] = []
        var previousState = state, previousLinear = linearState
        var converged = false
        let settled = SteadyStateRegimen.firstComparableInterval(lastEvent: doseEvents.last?.time ?? 0, interval: tau)
        for k in 0..<SteadyStateRegimen.maximumIntervals {
            let start = Double(k) * tau, end = Double(k + 1) * tau
            for event in doseEvents {
                var j = pending.count
                pending.append(CustomDosingEvent(time: start + event.time, kind: event.kind))
                while j > 0, pending[j - 1].time > start + event.time { pending.swapAt(j, j - 1); j -= 1 }
            }
            integrator.stepHint = nil
            var time = start
            while time < end {
                var used = 0
                while used < pending.count, pending[used].time <= time {
                    apply(pending[used], infusionRate: &infusionRate, activeInfusions: &activeInfusions)
                    used += 1
                }
                pending.removeFirst(used)
                let segmentEnd = min(end, pending.first?.time ?? end)
                try advanceSegment(from: time, to: segmentEnd, observations: 0..<0, times: noTimes, infusionRate: infusionRate,
                                   outputs: &noOutputs, integrals: &noIntegrals)
                time = segmentEnd
            }
            for i in integrators { state[i] = 0 }
            if let linearAUC { linearState[linearAUC] = 0 }
            if let linearEffectIntegral { linearState[linearEffectIntegral] = 0 }
            if k >= settled, Self.unchanged(state, previousState), Self.unchanged(linearState, previousLinear) {
                for event in pending {
                    switch event.kind {
                    case let .infusionRate(change) where change < 0:
                        insertEvent(CustomDosingEvent(time: 0, kind: .infusionRate(change: -change)))
                    case let .stateInfusionRate(i, change) where change < 0:
                        insertEvent(CustomDosingEvent(time: 0, kind: .stateInfusionRate(i, change: -change)))
                    default: break
                    }
                    insertEvent(CustomDosingEvent(time: event.time - end, kind: event.kind))
                }
                converged = true
                break
            }
            previousState = state
            previousLinear = linearState
        }
        guard converged else {
            throw SimulationError(time: 0, message: "no steady state: the state still changes by more than 1e-9 (relative) per dosing interval after \(SteadyStateRegimen.maximumIntervals) intervals")
        }
        // The real walk starts with no infusion running: running ones restart from the events at 0.
        for i in 0..<plan.program.states.count { scratch.stateRates[i] = 0; activeStateInfusions[i] = 0 }
        integrator.stepHint = nil
    }

    private static func unchanged(_ a: [Double], _ b: [Double]) -> Bool {
        for i in a.indices where !(abs(a[i] - b[i]) <= SteadyStateRegimen.relativeChange * max(abs(a[i]), abs(b[i]))) { return false }
        return true
    }

    private mutating func insertEvent(_ event: CustomDosingEvent) {
        var j = events.count
        events.append(event)
        while j > 0, events[j - 1].time > event.time { events[j] = events[j - 1]; j -= 1 }
        events[j] = event
    }

    /// Appends the events of one dose (unsorted).
    private mutating func appendEvents(_ dose: Dose) throws(SimulationError) {
        let pk = configuration.pk
        guard dose.time.isFinite, dose.amount.isFinite, dose.time >= 0, dose.amount >= 0 else {
            throw SimulationError(time: dose.time, message: "invalid dose (time \(dose.time) h, amount \(dose.amount) mg): times and amounts must be finite and non-negative")
        }
        if case let .infusion(duration) = dose.route, !(duration.isFinite && duration >= 0) {
            throw SimulationError(time: dose.time, message: "infusion duration \(duration) h must be finite and non-negative")
        }
        if let target = dose.target ?? (pk == nil ? plan.program.dosesInto : nil) {
            guard target >= 0 && target < plan.program.states.count else {
                throw SimulationError(time: dose.time, message: "dose target \(target) is not a state of the custom model")
            }
            if case let .infusion(duration) = dose.route, duration > 0 {
                let rate = dose.amount / duration
                events.append(CustomDosingEvent(time: dose.time, kind: .stateInfusionRate(target, change: rate)))
                events.append(CustomDosingEvent(time: dose.time + duration, kind: .stateInfusionRate(target, change: -rate)))
            } else {
                events.append(CustomDosingEvent(time: dose.time, kind: .state(target, amount: dose.amount)))
            }
            return
        }
        guard let pk else {
            throw SimulationError(time: dose.time, message: "a dose without `into` on a custom model without a pk block or `doses_into`")
        }
        switch dose.route {
        case .oral:
            guard pk.absorption == .oral else {
                throw SimulationError(time: dose.time, message: "oral dose on a model without first-order absorption (pk absorption must be oral)")
            }
            events.append(CustomDosingEvent(time: dose.time + parameters.lagTime, kind: .depot(amount: dose.amount * parameters.bioavailability)))
        case .bolus:
            events.append(CustomDosingEvent(time: dose.time, kind: .central(amount: dose.amount)))
        case let .infusion(duration):
            if duration == 0 {
                events.append(CustomDosingEvent(time: dose.time, kind: .central(amount: dose.amount)))
            } else {
                events.append(CustomDosingEvent(time: dose.time, kind: .infusionRate(change: dose.amount / duration)))
                events.append(CustomDosingEvent(time: dose.time + duration, kind: .infusionRate(change: -dose.amount / duration)))
            }
        }
    }

    private mutating func advanceSegment(from start: Double, to end: Double, observations: Range<Int>, times: [Double],
                                         infusionRate: Double, outputs: inout [Double], integrals: inout [Double]) throws(SimulationError) {
        let n = plan.dimension
        if observed.count < observations.count * n { observed = [Double](repeating: 0, count: observations.count * n) }
        if let system = plan.linearSystem, modes != nil {
            let depot = system.depot.map { linearState[$0] } ?? 0
            let amounts = linearState
            modes!.setSegment(depot: depot, amounts: { i in amounts[i == 0 ? system.central : system.peripherals[i - 1]] },
                              infusionRate: infusionRate, effect: system.effect.map { amounts[$0] } ?? 0)
        }
        let stop = end.isFinite ? end : (observations.isEmpty ? start : max(start, times[observations.upperBound - 1]))
        var rows: [Double] = []
        swap(&rows, &observed)
        defer { swap(&rows, &observed) }
        let pkDynamics: TwinDynamics? = plan.pkIntegrated
            ? TwinDynamics(layout: plan.pkLayout, dynamics: .none, parameters: parameters, modes: nil, segmentStart: start,
                           infusionRate: infusionRate, treatmentStart: 0, closedFormEffect: false)
            : nil
        let system = CustomDynamics(program: plan.program, layout: plan.program.layout, pk: pkDynamics,
                                    modes: plan.pkIntegrated ? nil : modes, segmentStart: start, effect: plan.pkLayout.effect,
                                    effectRate: parameters.effectRate, closedFormEffect: plan.linearSystem?.effect != nil,
                                    stateStart: plan.stateStart, quadratures: plan.quadratures,
                                    quadratureStart: plan.quadratureStart, dimension: n, registers: scratch.registers,
                                    stateRates: scratch.stateRates)
        try integrator.integrate(system, from: start, to: stop, state: &state, times: times, observations: observations, into: &rows)

        var time = start
        let count = times.count
        for k in observations {
            try advanceLinear(by: times[k] - time, infusionRate: infusionRate, at: time)
            time = times[k]
            let base = (k - observations.lowerBound) * n
            rows.withUnsafeBufferPointer { all in
                let row = UnsafeBufferPointer(rebasing: all[base..<(base + n)])
                for (o, value) in observationValues(time: time, row: row).enumerated() { outputs[o * count + k] = value }
                for (j, source) in plan.integrals.enumerated() {
                    switch source {
                    case let .linearState(i): integrals[j * count + k] = linearState[i]
                    case let .odeState(i): integrals[j * count + k] = row[i]
                    case .correctedQT: preconditionFailure("a custom model has no built-in QTc outputs")
                    }
                }
            }
        }
        if end.isFinite { try advanceLinear(by: end - time, infusionRate: infusionRate, at: time) }
    }

    private mutating func advanceLinear(by length: Double, infusionRate: Double, at time: Double) throws(SimulationError) {
        guard length > 0, let propagator else { return }
        guard propagator.advance(&linearState, by: length, infusionRate: infusionRate) else {
            throw SimulationError(time: time, message: "the linear PK transition matrix is not finite")
        }
    }

    /// The outputs at `time` with the solver state `row` and the current linear state.
    private func observationValues(time: Double, row: UnsafeBufferPointer<Double>) -> OutputValues {
        var c = 0.0, auc = 0.0, ce = 0.0
        if let system = plan.linearSystem {
            c = linearState[system.central] / parameters.centralVolume
            auc = linearState[system.auc]
        } else if let central = plan.pkLayout.central {
            c = row[central] / parameters.centralVolume
            auc = row[plan.pkLayout.areaUnderCurve!]
        }
        if let e = plan.pkLayout.effect { ce = row[e] } else if let e = plan.linearSystem?.effect { ce = linearState[e] }
        let layout = plan.program.layout
        let r = scratch.registers
        for i in 0..<layout.stateCount { r[layout.stateStart + i] = row[plan.stateStart + i] }
        r[layout.time] = time
        r[layout.concentration] = c
        r[layout.effectConcentration] = ce
        let read = UnsafeBufferPointer(r)
        for j in 0..<plan.derivedForOutputs { r[layout.derivedStart + j] = plan.program.derived[j].evaluate(read) }
        return OutputValues(plan: plan, row: row, registers: read, concentration: c, areaUnderCurve: auc, effect: ce)
    }

    /// The outputs in order, read without building an array.
    struct OutputValues: Sequence, IteratorProtocol {
        let plan: CustomModelPlan
        let row: UnsafeBufferPointer<Double>
        let registers: UnsafeBufferPointer<Double>
        let concentration: Double, areaUnderCurve: Double, effect: Double
        var index = 0

        mutating func next() -> Double? {
            guard index < plan.reads.count else { return nil }
            defer { index += 1 }
            switch plan.reads[index] {
            case .concentration: return concentration
            case .areaUnderCurve: return areaUnderCurve
            case .effect: return effect
            case let .state(i): return row[plan.stateStart + i]
            case let .derived(j): return registers[plan.program.layout.derivedStart + j]
            }
        }
    }
}
