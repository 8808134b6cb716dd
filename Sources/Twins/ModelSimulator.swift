/// Simulates subjects of one `CompiledModel`, one at a time, reusing its workspace: make one per
/// worker thread. After the first few subjects (while buffers reach their size) a subject
/// allocates nothing. A copy of a simulator shares its linear-PK work area: give each thread its
/// own simulator from `makeSimulator()` rather than copies of one.
public struct ModelSimulator {
    public let model: CompiledModel
    var parameters = SubjectParameters()
    var events = DosingEventList()
    let propagator: LinearPKPropagator?
    /// The linear system's state (amounts in mg; CE in mg/L; AUC in mg·h/L).
    var linearState: [Double]
    /// The solver's state, when the model has states without a closed form.
    var odeState: [Double]
    var odeSimulation: ODESimulation?
    /// Custom models simulate here instead (nil for built-in models).
    var customSimulation: CustomModelSimulation?

    // State indices, copied out of the layouts so the per-observation code reads plain integers.
    private let linearCentral: Int?, linearAUC: Int?, linearEffect: Int?
    private let odeCentral: Int?, odeAUC: Int?, odeEffect: Int?, dynamicStart: Int
    private let outputKinds: [OutputKind]
    private let effectCompartment: Bool

    init(model: CompiledModel) {
        self.model = model
        linearCentral = model.linearSystem?.central
        linearAUC = model.linearSystem?.auc
        linearEffect = model.linearSystem?.effect
        odeCentral = model.odeLayout?.central
        odeAUC = model.odeLayout?.areaUnderCurve
        odeEffect = model.odeLayout?.effect
        dynamicStart = model.odeLayout?.dynamicStates.lowerBound ?? 0
        outputKinds = model.outputKinds
        effectCompartment = model.configuration.effectCompartment
        parameters.pd = [Double](repeating: 0, count: model.pdCount)
        parameters.twin = [Double](repeating: 0, count: model.twinCount)
        propagator = model.linearSystem.map { LinearPKPropagator(system: $0) }
        linearState = [Double](repeating: 0, count: model.linearSystem?.count ?? 0)
        odeState = [Double](repeating: 0, count: model.odeLayout?.dimension ?? 0)
        odeSimulation = model.odeLayout.map { ODESimulation(model: model, layout: $0) }
        customSimulation = model.custom.map { CustomModelSimulation(model: model, plan: $0) }
    }

    /// Simulates one subject.
    ///
    /// - Parameters:
    ///   - parameters: the subject's values in `model.parameterNames` order (covariates and η
    ///     already applied).
    ///   - covariates: the subject's covariate registers (`PopulationSpec.allNames` order); read
    ///     by custom models only.
    ///   - doses: sorted by time, t ≥ 0. Oral doses enter the depot at `time + TLAG` times F;
    ///     bolus doses enter the central compartment; infusions run at amount/duration into it.
    ///   - times: observation times, ascending, ≥ 0.
    ///   - outputs: `outputs[o * times.count + k]` = output o at `times[k]`; a dose at exactly
    ///     `times[k]` is included (a bolus is added before the value is read).
    ///   - baseline: `baseline[o]` = output o at t = 0 before any dose.
    ///   - integrals: `integrals[j * times.count + k]` = ∫₀^{times[k]} of `integratedOutputs[j]`
    ///     (exact for C and, with linear PK, CE; to solver tolerance otherwise).
    /// - Throws: `SimulationError` for invalid parameters or doses, a solver failure, or a
    ///   state that leaves its domain.
    public mutating func simulate(parameters values: [Double], covariates: [Double] = [], doses: [Dose], times: [Double],
                                  outputs: inout [Double], baseline: inout [Double], integrals: inout [Double]) throws(SimulationError) {
        let outputCount = model.outputNames.count
        guard values.count == model.parameterNames.count else {
            throw SimulationError(time: 0, message: "expected \(model.parameterNames.count) parameters (\(model.parameterNames.joined(separator: ", "))), got \(values.count)")
        }
        guard outputs.count >= outputCount * times.count, baseline.count >= outputCount,
              integrals.count >= model.integratedOutputs.count * times.count else {
            throw SimulationError(time: 0, message: "output buffers are smaller than outputs × times")
        }
        for (name, value) in zip(model.parameterNames, values) where !value.isFinite {
            throw SimulationError(time: 0, message: "parameter \(name) = \(value) is not finite")
        }
        model.slots.unpack(values, into: &parameters)
        try checkPhysicalParameters()
        if customSimulation != nil {
            try customSimulation!.simulate(values: values, parameters: parameters, covariates: covariates, doses: doses, times: times,
                                           outputs: &outputs, baseline: &baseline, integrals: &integrals)
            return
        }
        try events.build(doses: doses, bioavailability: parameters.bioavailability, lagTime: parameters.lagTime,
                         hasDepot: model.configuration.pk?.absorption == .oral)

        for i in linearState.indices { linearState[i] = 0 }
        propagator?.setRates(parameters.linearRates)
        if odeSimulation != nil {
            odeSimulation!.start(parameters: parameters, state: &odeState)
            odeSimulation!.treatmentStart = doses.first?.time ?? 0
        }
        for (o, kind) in outputKinds.enumerated() { baseline[o] = outputValue(kind, ode: odeState, row: 0) }

        var time = 0.0
        var eventIndex = 0
        var observation = 0
        var infusionRate = 0.0
        var activeInfusions = 0
        let eventList = events.events
        while observation < times.count {
            // Discontinuities at the current time act before anything is read at it.
            while eventIndex < eventList.count, eventList[eventIndex].time <= time {
                switch eventList[eventIndex].kind {
                case let .depot(amount): addToDepot(amount)
                case let .central(amount): addToCentral(amount)
                case let .infusionRate(change):
                    infusionRate += change
                    activeInfusions += change > 0 ? 1 : -1
                    // Rates cancel exactly only in exact arithmetic: reset when none runs.
                    if activeInfusions == 0 { infusionRate = 0 }
                }
                eventIndex += 1
            }
            let segmentEnd = eventIndex < eventList.count ? eventList[eventIndex].time : Double.infinity
            var last = observation
            while last < times.count, times[last] < segmentEnd { last += 1 }
            try advanceSegment(from: time, to: segmentEnd, observations: observation..<last, times: times,
                               infusionRate: infusionRate, outputs: &outputs, integrals: &integrals)
            observation = last
            time = segmentEnd
        }
    }

    private func checkPhysicalParameters() throws(SimulationError) {
        guard let pk = model.configuration.pk else { return }
        let p = parameters
        func positive(_ value: Double, _ name: String) throws(SimulationError) {
            guard value > 0 else { throw SimulationError(time: 0, message: "\(name) = \(value) must be positive") }
        }
        func nonNegative(_ value: Double, _ name: String) throws(SimulationError) {
            guard value >= 0 else { throw SimulationError(time: 0, message: "\(name) = \(value) must not be negative") }
        }
        try positive(p.centralVolume, "V1")
        if pk.elimination == .linear { try nonNegative(p.clearance, "CL") } else {
            try nonNegative(p.maximumEliminationRate, "VMAX")
            try positive(p.michaelisConstant, "KM")
        }
        for k in 0..<(pk.compartments - 1) {
            try nonNegative(p.intercompartmentalClearance[k], k == 0 ? "Q" : "Q3")
            try positive(p.peripheralVolume[k], k == 0 ? "V2" : "V3")
        }
        if pk.absorption == .oral {
            try nonNegative(p.absorptionRate, "KA")
            try nonNegative(p.bioavailability, "F")
            try nonNegative(p.lagTime, "TLAG")
        }
        if model.configuration.effectCompartment { try nonNegative(p.effectRate, "KE0") }
    }

    private mutating func addToDepot(_ amount: Double) {
        if let system = model.linearSystem, let depot = system.depot { linearState[depot] += amount }
        if let layout = model.odeLayout, let depot = layout.depot { odeState[depot] += amount }
    }

    private mutating func addToCentral(_ amount: Double) {
        if let system = model.linearSystem { linearState[system.central] += amount }
        if let layout = model.odeLayout, let central = layout.central { odeState[central] += amount }
    }

    /// Advances from `start` to `end` (the next discontinuity, or ∞ after the last one) and
    /// writes the observations whose times lie in [start, end).
    private mutating func advanceSegment(from start: Double, to end: Double, observations: Range<Int>, times: [Double],
                                         infusionRate: Double, outputs: inout [Double], integrals: inout [Double]) throws(SimulationError) {
        if var ode = odeSimulation {
            // C(t) in the solver's right-hand side starts from the linear state at `start`, so
            // the solver runs before the linear state moves on. Moved out and back to keep its
            // work arrays uniquely referenced.
            odeSimulation = nil
            defer { odeSimulation = ode }
            let stop = end.isFinite ? end : (observations.isEmpty ? start : max(start, times[observations.upperBound - 1]))
            try ode.integrateSegment(from: start, to: stop, state: &odeState, linearState: linearState,
                                     infusionRate: infusionRate, observations: observations, times: times,
                                     parameters: parameters)
        }
        var time = start
        for k in observations {
            try advanceLinear(by: times[k] - time, infusionRate: infusionRate, at: time)
            time = times[k]
            writeObservation(k, row: k - observations.lowerBound, count: times.count, outputs: &outputs, integrals: &integrals)
        }
        if end.isFinite { try advanceLinear(by: end - time, infusionRate: infusionRate, at: time) }
    }

    private mutating func advanceLinear(by length: Double, infusionRate: Double, at time: Double) throws(SimulationError) {
        guard length > 0, let propagator else { return }
        guard propagator.advance(&linearState, by: length, infusionRate: infusionRate) else {
            throw SimulationError(time: time, message: "the linear PK transition matrix is not finite")
        }
    }

    /// Writes the outputs and integrals of observation k; the solver's state there is row `row`
    /// of the segment's observed states.
    // `mutating` only so that `self` is passed by address: a non-mutating call from the mutating
    // walk would copy the whole simulator (and retain every array in it) per observation.
    private mutating func writeObservation(_ k: Int, row: Int, count: Int, outputs: inout [Double], integrals: inout [Double]) {
        let ode = odeSimulation == nil ? odeState : odeSimulation!.observedStates
        for (o, kind) in outputKinds.enumerated() {
            outputs[o * count + k] = outputValue(kind, ode: ode, row: row)
        }
        let n = odeState.count
        for (j, source) in model.integralSources.enumerated() {
            switch source {
            case let .linearState(i): integrals[j * count + k] = linearState[i]
            case let .odeState(i): integrals[j * count + k] = ode[row * n + i]
            }
        }
    }

    /// One output at the current linear state and the solver state in row `row` of `ode`.
    @inline(__always)
    private mutating func outputValue(_ kind: OutputKind, ode: [Double], row: Int) -> Double {
        let base = row * odeState.count
        var concentration = 0.0
        if let central = linearCentral {
            concentration = linearState[central] / parameters.centralVolume
        } else if let central = odeCentral {
            concentration = ode[base + central] / parameters.centralVolume
        }
        var effectConcentration = 0.0
        if let e = linearEffect {
            effectConcentration = linearState[e]
        } else if let e = odeEffect {
            effectConcentration = ode[base + e]
        }
        let driver = effectCompartment ? effectConcentration : concentration
        let s = base + dynamicStart
        switch kind {
        case .concentration: return concentration
        case .areaUnderCurve:
            if let auc = linearAUC { return linearState[auc] }
            if let auc = odeAUC { return ode[base + auc] }
            return 0
        case .effectConcentration: return effectConcentration
        case .effect: return AlgebraicEffects.emax(driver, parameters.pd)
        case .correctedQT: return AlgebraicEffects.correctedQT(driver, parameters.twin)
        case .correctedQTChange: return AlgebraicEffects.correctedQT(driver, parameters.twin) - parameters.twin[0]
        case .response, .tumourSize, .glucose: return ode[s]
        case .neutrophils: return ode[s + 4]
        case .glycatedHaemoglobin: return ode[s + 1]
        }
    }
}
