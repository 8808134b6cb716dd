import CPKWalk

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
    let outputKinds: [OutputKind]
    private let effectCompartment: Bool
    /// Set when the outputs are exactly C and AUC of linear PK without a solver (the common
    /// case, written without per-output dispatch): the linear states the integrals read.
    private let plainPKIntegrals: [Int]?
    /// Set for the plain-PK shape of a 2-compartment oral model — states (depot, central,
    /// peripheral, AUC) and every integral read from AUC — which the C kernel `cpkwalk_walk`
    /// steps without the transition matrix's structural zeros, alone or in a group
    /// (`simulateGroup`).
    public let oralTwoCompartment: Bool
    /// For tests: the oral 2-compartment walk runs its baseline code (SSE2 on x86-64) even where
    /// the AVX2 code would run. Both must give the same bits.
    var portableWalk = false
    /// The observation-time indices at which the caller reads `integrals` (ascending), or nil for
    /// all. The oral 2-compartment walk then writes the integrals only there (its integral rows
    /// are copies of the AUC row: for W1 a 5 KB copy per subject, of which the endpoints read two
    /// values); other walks write every entry. Entries elsewhere are not to be read.
    public var integralTimeIndices: [Int]?

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
        let linearIntegrals = model.integralSources.compactMap { source -> Int? in
            if case let .linearState(i) = source { return i } else { return nil }
        }
        plainPKIntegrals = model.outputKinds == [.concentration, .areaUnderCurve] && model.odeLayout == nil
            && model.linearSystem != nil && linearIntegrals.count == model.integralSources.count ? linearIntegrals : nil
        if let system = model.linearSystem, let integrals = plainPKIntegrals {
            oralTwoCompartment = system.count == 4 && system.depot == 0 && system.central == 1 && system.peripherals == [2]
                && system.effect == nil && system.auc == 3 && integrals.allSatisfy { $0 == 3 }
        } else {
            oralTwoCompartment = false
        }
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
    ///   - steadyState: a repeated regimen the subject is at steady state of at t = 0 (SPEC §2
    ///     `steady_state`; see `SteadyStateRegimen`); the baseline stays drug-free.
    /// - Throws: `SimulationError` for invalid parameters or doses, a solver failure, or a
    ///   state that leaves its domain (or no steady state).
    public mutating func simulate(parameters values: [Double], covariates: [Double] = [], doses: [Dose], steadyState: SteadyStateRegimen? = nil,
                                  times: [Double], outputs: inout [Double], baseline: inout [Double], integrals: inout [Double]) throws(SimulationError) {
        if customSimulation != nil {
            try checkBuffers(values: values, times: times, outputs: outputs, baseline: baseline, integrals: integrals)
            try customSimulation!.simulate(values: values, parameters: parameters, covariates: covariates, doses: doses, times: times,
                                           outputs: &outputs, baseline: &baseline, integrals: &integrals, steadyState: steadyState)
            return
        }
        try begin(values: values, doses: doses, treatmentStart: doses.first?.time ?? 0, steadyState: steadyState, times: times,
                  outputs: outputs, baseline: &baseline, integrals: integrals)
        if oralTwoCompartment, walkOralTwoCompartmentCourse(times: times, outputs: &outputs, integrals: &integrals) { return }

        var time = 0.0
        var eventIndex = 0
        var observation = 0
        var infusionRate = 0.0
        var activeInfusions = 0
        let eventList = events.events
        while observation < times.count {
            // Discontinuities at the current time act before anything is read at it.
            while eventIndex < eventList.count, eventList[eventIndex].time <= time {
                apply(eventList[eventIndex].kind, infusionRate: &infusionRate, activeInfusions: &activeInfusions)
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

    /// Checks the inputs and buffers and unpacks the parameters (custom models too).
    mutating func checkBuffers(values: [Double], times: [Double], outputs: [Double], baseline: [Double], integrals: [Double]) throws(SimulationError) {
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
        // (Static, on the parts it reads: as a method of the simulator, a ~3 KB copy of it was
        // made for every subject.)
        try Self.checkPhysicalParameters(parameters, configuration: model.configuration)
    }

    /// Everything before the walk of a built-in model: the checks, the event list of `doses`, the
    /// drug-free state and the baseline, then the steady state if asked for.
    mutating func begin(values: [Double], doses: [Dose], treatmentStart: Double, steadyState: SteadyStateRegimen?, times: [Double],
                        outputs: [Double], baseline: inout [Double], integrals: [Double]) throws(SimulationError) {
        try checkBuffers(values: values, times: times, outputs: outputs, baseline: baseline, integrals: integrals)
        try events.build(doses: doses, bioavailability: parameters.bioavailability, lagTime: parameters.lagTime,
                         hasDepot: model.configuration.pk?.absorption == .oral)

        for i in linearState.indices { linearState[i] = 0 }
        propagator?.setRates(parameters.linearRates)
        if odeSimulation != nil {
            odeSimulation!.start(parameters: parameters, state: &odeState)
            odeSimulation!.treatmentStart = treatmentStart
        }
        for (o, kind) in outputKinds.enumerated() { baseline[o] = outputValue(kind, ode: odeState, row: 0) }
        if let steadyState { try installSteadyState(steadyState) }
    }

    static func checkPhysicalParameters(_ p: SubjectParameters, configuration: ModelConfiguration) throws(SimulationError) {
        guard let pk = configuration.pk else { return }
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
        if configuration.effectCompartment { try nonNegative(p.effectRate, "KE0") }
    }

    /// Applies one dosing event at the current time: an amount into the depot or the central
    /// compartment, or a change of the total infusion rate. The rate is reset to exactly 0 when
    /// no infusion runs, because rates added and removed cancel exactly only in exact arithmetic.
    mutating func apply(_ kind: DosingEvent.Kind, infusionRate: inout Double, activeInfusions: inout Int) {
        switch kind {
        case let .depot(amount): addToDepot(amount)
        case let .central(amount): addToCentral(amount)
        case let .infusionRate(change):
            infusionRate += change
            activeInfusions += change > 0 ? 1 : -1
            if activeInfusions == 0 { infusionRate = 0 }
        }
    }

    mutating func addToDepot(_ amount: Double) {
        if let system = model.linearSystem, let depot = system.depot { linearState[depot] += amount }
        if let layout = model.odeLayout, let depot = layout.depot { odeState[depot] += amount }
    }

    mutating func addToCentral(_ amount: Double) {
        if let system = model.linearSystem { linearState[system.central] += amount }
        if let layout = model.odeLayout, let central = layout.central { odeState[central] += amount }
    }

    /// Advances from `start` to `end` (the next discontinuity, or ∞ after the last one) and
    /// writes the observations whose times lie in [start, end).
    mutating func advanceSegment(from start: Double, to end: Double, observations: Range<Int>, times: [Double],
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
        try walkObservations(from: start, to: end, observations: observations, times: times,
                             infusionRate: infusionRate, outputs: &outputs, integrals: &integrals)
    }

    /// The segment's observation loop: advances the linear state from observation to observation
    /// (and on to `end`) and writes each observation's outputs and integrals. Over raw pointers,
    /// with the transition matrix looked up only when the step length changes; the same
    /// arithmetic as `LinearPKPropagator.advance` and
    /// `outputValue` (which still computes the baseline), so the same numbers.
    private mutating func walkObservations(from start: Double, to end: Double, observations: Range<Int>, times: [Double],
                                           infusionRate: Double, outputs: inout [Double], integrals: inout [Double]) throws(SimulationError) {
        let propagator = self.propagator
        let ode = odeSimulation == nil ? odeState : odeSimulation!.observedStates
        let odeCount = odeState.count
        let kinds = outputKinds
        let sources = model.integralSources
        let volume = parameters.centralVolume
        let pd = parameters.pd, twin = parameters.twin
        let linearCentral = self.linearCentral, odeCentral = self.odeCentral
        let linearEffect = self.linearEffect, odeEffect = self.odeEffect
        let linearAUC = self.linearAUC, odeAUC = self.odeAUC
        let effectCompartment = self.effectCompartment, dynamicStart = self.dynamicStart
        let count = times.count
        let linearSources = plainPKIntegrals ?? []
        let plainPK = plainPKIntegrals != nil
        var failedAt: Double?
        linearState.withUnsafeMutableBufferPointer { xb in
            outputs.withUnsafeMutableBufferPointer { out in
                integrals.withUnsafeMutableBufferPointer { integ in
                    ode.withUnsafeBufferPointer { odeRows in
                        times.withUnsafeBufferPointer { t in
                            kinds.withUnsafeBufferPointer { kinds in
                                let x = xb.baseAddress  // nil only without a linear system, then never read
                                let n = xb.count
                                var cachedLength = -1.0
                                var phi: UnsafePointer<Double>?, gamma: UnsafePointer<Double>?
                                // Advances x by `length` (the `advanceLinear` rule: nothing when ≤ 0).
                                func advance(_ length: Double, at time: Double) -> Bool {
                                    guard length > 0, let propagator else { return true }
                                    if length != cachedLength || phi == nil {
                                        guard let transition = propagator.transitionPointers(for: length) else { return false }
                                        phi = transition.phi; gamma = transition.gamma
                                        cachedLength = length
                                    }
                                    LinearPKPropagator.step(x!, count: n, phi: phi!, gamma: gamma!, infusionRate: infusionRate)
                                    return true
                                }
                                var time = start
                                if plainPK, n == 4, let propagator {
                                    // The common W1 shape (depot, central, peripheral, AUC): the state stays in
                                    // registers from step to step (`LinearPKPropagator.step`'s arithmetic); the
                                    // copy in memory is only written for the outputs.
                                    let x = x!
                                    var x0 = x[0], x1 = x[1], x2 = x[2], x3 = x[3]
                                    let r = infusionRate
                                    let central = linearCentral!, auc = linearAUC!
                                    for k in observations {
                                        let length = t[k] - time
                                        if length > 0 {
                                            if length != cachedLength || phi == nil {
                                                guard let transition = propagator.transitionPointers(for: length) else {
                                                    failedAt = time; return
                                                }
                                                phi = transition.phi; gamma = transition.gamma
                                                cachedLength = length
                                            }
                                            let p = phi!, g = gamma!
                                            let s0 = r == 0 ? 0 : g[0] * r, s1 = r == 0 ? 0 : g[1] * r
                                            let s2 = r == 0 ? 0 : g[2] * r, s3 = r == 0 ? 0 : g[3] * r
                                            let y0 = s0 + p[0] * x0 + p[1] * x1 + p[2] * x2 + p[3] * x3
                                            let y1 = s1 + p[4] * x0 + p[5] * x1 + p[6] * x2 + p[7] * x3
                                            let y2 = s2 + p[8] * x0 + p[9] * x1 + p[10] * x2 + p[11] * x3
                                            let y3 = s3 + p[12] * x0 + p[13] * x1 + p[14] * x2 + p[15] * x3
                                            x0 = y0; x1 = y1; x2 = y2; x3 = y3
                                            x[0] = x0; x[1] = x1; x[2] = x2; x[3] = x3
                                        }
                                        time = t[k]
                                        out[k] = x[central] / volume
                                        out[count + k] = x[auc]
                                        for j in 0..<linearSources.count { integ[j * count + k] = x[linearSources[j]] }
                                    }
                                    if end.isFinite, !advance(end - time, at: time) { failedAt = time }
                                    return
                                }
                                for k in observations {
                                    guard advance(t[k] - time, at: time) else { failedAt = time; return }
                                    time = t[k]
                                    let base = (k - observations.lowerBound) * odeCount
                                    // `outputValue`, with the state read through pointers.
                                    var concentration = 0.0
                                    if let c = linearCentral {
                                        concentration = x![c] / volume
                                    } else if let c = odeCentral {
                                        concentration = odeRows[base + c] / volume
                                    }
                                    if plainPK {
                                        // Outputs C and AUC of linear PK, no solver: `outputValue`'s two cases.
                                        out[k] = concentration
                                        out[count + k] = x![linearAUC!]
                                        for j in 0..<linearSources.count { integ[j * count + k] = x![linearSources[j]] }
                                        continue
                                    }
                                    for o in 0..<kinds.count {
                                        let value: Double
                                        switch kinds[o] {
                                        case .concentration: value = concentration
                                        case .areaUnderCurve:
                                            if let auc = linearAUC { value = x![auc] } else if let auc = odeAUC { value = odeRows[base + auc] } else { value = 0 }
                                        default:
                                            var effectConcentration = 0.0
                                            if let e = linearEffect {
                                                effectConcentration = x![e]
                                            } else if let e = odeEffect {
                                                effectConcentration = odeRows[base + e]
                                            }
                                            let driver = effectCompartment ? effectConcentration : concentration
                                            let s = base + dynamicStart
                                            switch kinds[o] {
                                            case .effectConcentration: value = effectConcentration
                                            case .effect: value = AlgebraicEffects.emax(driver, pd)
                                            case .correctedQT: value = AlgebraicEffects.correctedQT(driver, twin)
                                            case .correctedQTChange: value = AlgebraicEffects.correctedQT(driver, twin) - twin[0]
                                            case .response, .tumourSize, .glucose: value = odeRows[s]
                                            case .neutrophils: value = odeRows[s + 4]
                                            case .glycatedHaemoglobin: value = odeRows[s + 1]
                                            case .concentration, .areaUnderCurve: value = 0  // handled above
                                            }
                                        }
                                        out[o * count + k] = value
                                    }
                                    for (j, source) in sources.enumerated() {
                                        switch source {
                                        case let .linearState(i): integ[j * count + k] = x![i]
                                        case let .odeState(i): integ[j * count + k] = odeRows[base + i]
                                        case let .correctedQT(i, change):
                                            integ[j * count + k] = change ? twin[1] * x![i] : twin[0] * t[k] + twin[1] * x![i]
                                        }
                                    }
                                }
                                if end.isFinite, !advance(end - time, at: time) { failedAt = time }
                            }
                        }
                    }
                }
            }
        }
        if let time = failedAt {
            throw SimulationError(time: time, message: "the linear PK transition matrix is not finite")
        }
    }

    /// One output at the current linear state and the solver state in row `row` of `ode`.
    @inline(__always)
    mutating func outputValue(_ kind: OutputKind, ode: [Double], row: Int) -> Double {
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

// MARK: - The oral 2-compartment walk

/// A subject of `ModelSimulator.simulateGroup`: its simulator and `simulate`'s arguments.
public protocol GroupedSubject {
    /// Calls `body` with the simulator, the parameters, the doses and the outputs, baseline and
    /// integrals buffers, as `ModelSimulator.simulate` takes them.
    mutating func withSimulation<Result>(_ body: (_ simulator: inout ModelSimulator, _ parameters: [Double], _ doses: [Dose],
                                                  _ outputs: inout [Double], _ baseline: inout [Double],
                                                  _ integrals: inout [Double]) -> Result) -> Result
}

extension ModelSimulator {
    /// How many subjects `simulateGroup` walks together.
    public static let groupSize = Int(CPKWALK_LANES)

    /// Simulates up to `groupSize` subjects of the same oral 2-compartment model together:
    /// `begin` for each, then one walk (the C kernel `cpkwalk_walk`) with one subject in each
    /// lane of its vector operations. Each lane's arithmetic is the single walk's, so each
    /// subject gets exactly what `simulate` gives it; the lanes hide each other's latencies, the
    /// walk's bound for one subject.
    ///
    /// The group is the subjects from the first up to, not including, the first that cannot join
    /// it: another model shape, a failing `begin`, infusions, events at other times or of other
    /// kinds than the first subject's. Returns how many subjects it simulated; their outputs,
    /// baselines and integrals are final. 0 when the first subject cannot be walked this way or
    /// the walk fails (a transition matrix without the structure, a non-finite state): then
    /// nothing in any buffer may be used, and the caller runs `simulate`, which reports errors.
    public static func simulateGroup<Subject: GroupedSubject>(_ subjects: UnsafeMutableBufferPointer<Subject>, times: [Double]) -> Int {
        precondition(subjects.count <= groupSize, "at most \(groupSize) subjects walk together")
        func begin(_ i: Int) -> Bool {
            subjects[i].withSimulation { simulator, parameters, doses, outputs, baseline, integrals in
                guard simulator.oralTwoCompartment, simulator.customSimulation == nil else { return false }
                do {
                    try simulator.begin(values: parameters, doses: doses, treatmentStart: doses.first?.time ?? 0, steadyState: nil,
                                        times: times, outputs: outputs, baseline: &baseline, integrals: integrals)
                } catch {
                    return false
                }
                return true
            }
        }
        guard !subjects.isEmpty, begin(0) else { return 0 }
        // The first subject sets the events, the number of integrals and the kernel's code.
        let (eventCount, integralCount, portable, integralTimes) = subjects[0].withSimulation { simulator, _, _, _, _, _ in
            (simulator.events.events.count, simulator.plainPKIntegrals?.count ?? 0, simulator.portableWalk, simulator.integralTimeIndices)
        }
        return withUnsafeTemporaryAllocation(of: cpkwalk_event.self, capacity: eventCount) { events in
            events.initialize(repeating: cpkwalk_event())
            return withUnsafeTemporaryAllocation(of: cpkwalk_lane.self, capacity: subjects.count) { lanes in
                lanes.initialize(repeating: cpkwalk_lane())
                var joined = 0
                while joined < subjects.count, joined == 0 || begin(joined), subjects[joined].withSimulation({ simulator, _, _, _, _, _ in
                    simulator.joinOralTwoCompartmentWalk(lane: joined, events: events, integralCount: integralCount, into: &lanes[joined])
                }) {
                    joined += 1
                }
                let count = joined
                // Binds the output rows of subjects i… (nested, so each stays bound for the whole
                // walk), then walks.
                func walk(from i: Int) -> Bool {
                    guard i < count else {
                        return walkOralTwoCompartment(lanes: lanes.baseAddress!, count: count, events: events, integralCount: integralCount,
                                                      integralTimes: integralTimes, times: times, portable: portable)
                    }
                    return subjects[i].withSimulation { _, _, _, outputs, _, integrals in
                        outputs.withUnsafeMutableBufferPointer { outputs in
                            integrals.withUnsafeMutableBufferPointer { integrals in
                                lanes[i].bind(outputs: outputs, integrals: integrals)
                                return walk(from: i + 1)
                            }
                        }
                    }
                }
                guard count > 0, walk(from: 0) else { return 0 }
                for i in 0..<count {
                    subjects[i].withSimulation { simulator, _, _, _, _, _ in simulator.takeState(of: lanes[i]) }
                }
                return count
            }
        }
    }

    /// `simulate`'s walk of an `oralTwoCompartment` subject after `begin`: `simulateGroup`'s walk
    /// with this subject alone. False, with the state as `begin` left it, when the subject cannot
    /// be walked this way (see `simulateGroup`); `simulate` then walks the general way.
    private mutating func walkOralTwoCompartmentCourse(times: [Double], outputs: inout [Double], integrals: inout [Double]) -> Bool {
        let integralCount = plainPKIntegrals?.count ?? 0
        return withUnsafeTemporaryAllocation(of: cpkwalk_event.self, capacity: events.events.count) { table in
            table.initialize(repeating: cpkwalk_event())
            var lane = cpkwalk_lane()
            guard joinOralTwoCompartmentWalk(lane: 0, events: table, integralCount: integralCount, into: &lane) else { return false }
            let walked = outputs.withUnsafeMutableBufferPointer { outputs in
                integrals.withUnsafeMutableBufferPointer { integrals in
                    lane.bind(outputs: outputs, integrals: integrals)
                    return Self.walkOralTwoCompartment(lanes: &lane, count: 1, events: table, integralCount: integralCount,
                                                       integralTimes: integralTimeIndices, times: times, portable: portableWalk)
                }
            }
            guard walked else { return false }
            takeState(of: lane)
            return true
        }
    }

    /// Adds this subject, after `begin`, to a walk as lane `lane`: its amounts into `table` (lane 0
    /// also sets the events' times and kinds, which later lanes must match) and its state, volume
    /// and propagator into `descriptor`. False when it cannot join: another model shape,
    /// infusions, other events or another number of integrals than lane 0's.
    private func joinOralTwoCompartmentWalk(lane: Int, events table: UnsafeMutableBufferPointer<cpkwalk_event>, integralCount: Int,
                                            into descriptor: inout cpkwalk_lane) -> Bool {
        guard oralTwoCompartment, customSimulation == nil, let propagator, plainPKIntegrals?.count == integralCount,
              events.events.count == table.count else { return false }
        for (e, event) in events.events.enumerated() {
            let central: Int32, amount: Double
            switch event.kind {
            case let .depot(value): (central, amount) = (0, value)
            case let .central(value): (central, amount) = (1, value)
            case .infusionRate: return false
            }
            if lane == 0 {
                table[e].time = event.time
                table[e].central = central
            } else if table[e].time != event.time || table[e].central != central {
                return false
            }
            table[e].setAmount(amount, lane: lane)
        }
        descriptor = cpkwalk_lane(state: (linearState[0], linearState[1], linearState[2], linearState[3]), volume: parameters.centralVolume,
                                  source: UnsafeRawPointer(Unmanaged.passUnretained(propagator).toOpaque()),
                                  outputs: nil, integrals: nil)
        return true
    }

    /// The state after the walk, from its lane.
    private mutating func takeState(of lane: cpkwalk_lane) {
        linearState[0] = lane.state.0
        linearState[1] = lane.state.1
        linearState[2] = lane.state.2
        linearState[3] = lane.state.3
    }

    /// Runs `cpkwalk_walk` over `count` lanes bound to their output rows; `integralTimes` as
    /// `integralTimeIndices`, `portable` as `portableWalk`. The kernel looks Φ up through
    /// `oralTwoCompartmentTransition`.
    private static func walkOralTwoCompartment(lanes: UnsafeMutablePointer<cpkwalk_lane>, count: Int,
                                               events: UnsafeMutableBufferPointer<cpkwalk_event>, integralCount: Int,
                                               integralTimes: [Int]?, times: [Double], portable: Bool) -> Bool {
        times.withUnsafeBufferPointer { t in
            // (`integralTimes` nil: every entry; else `integralTimeCount` indices there.)
            func walk(_ integralTimes: UnsafePointer<Int>?, _ integralTimeCount: Int) -> Bool {
                var course = cpkwalk_course(times: t.baseAddress, time_count: t.count, events: UnsafePointer(events.baseAddress),
                                            event_count: events.count, integral_count: integralCount,
                                            integral_times: integralTimes, integral_time_count: integralTimeCount,
                                            transition: { source, length in
                                                ModelSimulator.oralTwoCompartmentTransition(
                                                    Unmanaged<LinearPKPropagator>.fromOpaque(source!).takeUnretainedValue(), length: length)
                                            })
                return cpkwalk_walk(&course, lanes, Int32(count), portable ? 1 : 0) == 1
            }
            guard let integralTimes else { return walk(nil, 0) }
            precondition(integralTimes.allSatisfy { $0 >= 0 && $0 < t.count }, "integral time index out of range")
            if integralTimes.isEmpty {
                var none = 0
                return withUnsafePointer(to: &none) { walk($0, 0) }
            }
            return integralTimes.withUnsafeBufferPointer { walk($0.baseAddress!, $0.count) }
        }
    }

    /// Φ(length) (row-major 4×4) from the propagator's cache when it has the structure the walk
    /// relies on (see `cpkwalk.c`): depot row (φ₀₀, 0, 0, 0), φ₁₃ = φ₂₃ = 0 (the central and
    /// peripheral rows do not read AUC) and φ₃₃ = 1 (AUC carries over). Nil when it is not finite
    /// or lacks the structure. Valid until the propagator's next lookup.
    static func oralTwoCompartmentTransition(_ propagator: LinearPKPropagator, length: Double) -> UnsafePointer<Double>? {
        guard let p = propagator.transitionPointers(for: length)?.phi,
              p[1] == 0, p[2] == 0, p[3] == 0, p[7] == 0, p[11] == 0, p[15] == 1 else { return nil }
        return p
    }
}

extension cpkwalk_event {
    /// Sets lane `lane`'s amount (the C array is a tuple in Swift).
    mutating func setAmount(_ value: Double, lane: Int) {
        withUnsafeMutableBytes(of: &amount) { $0.storeBytes(of: value, toByteOffset: lane * MemoryLayout<Double>.stride, as: Double.self) }
    }
}

extension cpkwalk_lane {
    /// Points the lane at its subject's outputs (rows C and AUC) and integrals.
    mutating func bind(outputs: UnsafeMutableBufferPointer<Double>, integrals: UnsafeMutableBufferPointer<Double>) {
        self.outputs = outputs.baseAddress
        self.integrals = integrals.baseAddress
    }
}
