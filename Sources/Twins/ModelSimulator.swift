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
    /// peripheral, AUC) and every integral read from AUC — which `walkOralTwoCompartment` steps
    /// without the transition matrix's structural zeros.
    public let oralTwoCompartment: Bool

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
        try checkPhysicalParameters()
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

    func checkPhysicalParameters() throws(SimulationError) {
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

    /// The whole course of `oralTwoCompartment` (the loop of `simulate` and `walkObservations`,
    /// same events, steps and outputs) with the state in registers, for subjects without
    /// infusions whose transition matrices have the structure of that system: Φ's depot row is
    /// (φ₀₀, 0, 0, 0), the central and peripheral rows do not read AUC (φ₁₃ = φ₂₃ = 0) and AUC
    /// carries over (φ₃₃ = 1). Returns false, with the state as `begin` left it, when a matrix
    /// lacks that structure or the state became non-finite; `simulate` then walks the general way.
    ///
    /// Exactly `LinearPKPropagator.step`'s numbers, with fewer operations on the loop-carried
    /// chain (which bounds the general walk's speed): `step` computes each row as
    /// (((0 + φᵢ₀x₀) + φᵢ₁x₁) + φᵢ₂x₂) + φᵢ₃x₃ (γ·R is 0 without infusion). A partial sum that starts
    /// from +0 is never −0 under round-to-nearest (a sum is −0 only when both terms are), and
    /// adding a zero to a value that is not −0 returns it unchanged; a term with a coefficient
    /// that is exactly 0 is a zero as long as the state is finite, so leaving it out changes no
    /// bit; 1·x₃ is x₃. A non-finite state stays non-finite (every row keeps its diagonal term and
    /// doses only add), so checking it once at the end catches the case where the dropped terms
    /// would have made NaNs.
    private mutating func walkOralTwoCompartmentCourse(times: [Double], outputs: inout [Double], integrals: inout [Double]) -> Bool {
        guard let propagator, odeSimulation == nil, linearState.count == 4 else { return false }
        let eventList = events.events
        for event in eventList { if case .infusionRate = event.kind { return false } }
        let state = OralTwoCompartmentState(x0: linearState[0], x12: SIMD2(linearState[1], linearState[2]), x3: linearState[3])
        let volume = parameters.centralVolume, integralCount = plainPKIntegrals?.count ?? 0
        let final = times.withUnsafeBufferPointer { t in
            outputs.withUnsafeMutableBufferPointer { out in
                integrals.withUnsafeMutableBufferPointer { integ in
                    eventList.withUnsafeBufferPointer { events -> OralTwoCompartmentState? in
                        var lane = OralTwoCompartmentLane(state: state, propagator: propagator, events: events, volume: volume,
                                                          outputs: out.baseAddress!, integrals: integ.baseAddress,
                                                          integralCount: integralCount, timeCount: t.count)
                        return Self.walkOralTwoCompartment(&lane, times: t) ? lane.state : nil
                    }
                }
            }
        }
        guard let final, final.x0.isFinite, final.x12[0].isFinite, final.x12[1].isFinite, final.x3.isFinite else { return false }
        linearState[0] = final.x0; linearState[1] = final.x12[0]; linearState[2] = final.x12[1]; linearState[3] = final.x3
        return true
    }

    /// Simulates two subjects of the same oral 2-compartment model together: `begin` for each,
    /// then one walk with subject `a` in lane 0 and `b` in lane 1 of every SIMD2 operation (each
    /// lane's arithmetic is `walkOralTwoCompartment`'s, in the same order, so each subject gets
    /// exactly the numbers `simulate` gives it). The two lanes hide each other's latencies, the
    /// walk's bound for one subject.
    ///
    /// Returns false — and nothing in either buffer may be used — when the pair cannot be walked
    /// together (another model shape, a steady state, infusions, events at different times or of
    /// different kinds, a transition matrix without the structure, a non-finite state) or when
    /// `begin` fails for either; the caller then runs `simulate` for each, which reports errors.
    public static func simulatePair(_ a: inout ModelSimulator, parameters pa: [Double], doses da: [Dose], outputs oa: inout [Double],
                                    baseline ba: inout [Double], integrals ia: inout [Double],
                                    _ b: inout ModelSimulator, parameters pb: [Double], doses db: [Dose], outputs ob: inout [Double],
                                    baseline bb: inout [Double], integrals ib: inout [Double], times: [Double]) -> Bool {
        guard a.oralTwoCompartment, b.oralTwoCompartment, a.odeSimulation == nil, b.odeSimulation == nil,
              a.customSimulation == nil, b.customSimulation == nil,
              a.linearState.count == 4, b.linearState.count == 4, da.count == db.count,
              let propagatorA = a.propagator, let propagatorB = b.propagator else { return false }
        do {
            try a.begin(values: pa, doses: da, treatmentStart: da.first?.time ?? 0, steadyState: nil, times: times,
                        outputs: oa, baseline: &ba, integrals: ia)
            try b.begin(values: pb, doses: db, treatmentStart: db.first?.time ?? 0, steadyState: nil, times: times,
                        outputs: ob, baseline: &bb, integrals: ib)
        } catch {
            return false
        }
        let eventsA = a.events.events, eventsB = b.events.events
        guard eventsA.count == eventsB.count else { return false }
        for (ea, eb) in zip(eventsA, eventsB) {
            guard ea.time == eb.time else { return false }
            switch (ea.kind, eb.kind) {
            case (.depot, .depot), (.central, .central): continue
            default: return false
            }
        }
        let integralCount = a.plainPKIntegrals?.count ?? 0
        guard integralCount == (b.plainPKIntegrals?.count ?? 0) else { return false }
        let state = OralTwoCompartmentPairState(
            x0: SIMD2(a.linearState[0], b.linearState[0]), x1: SIMD2(a.linearState[1], b.linearState[1]),
            x2: SIMD2(a.linearState[2], b.linearState[2]), x3: SIMD2(a.linearState[3], b.linearState[3]))
        let volume = SIMD2(a.parameters.centralVolume, b.parameters.centralVolume)
        let walked = times.withUnsafeBufferPointer { t in
            oa.withUnsafeMutableBufferPointer { outA in
                ob.withUnsafeMutableBufferPointer { outB in
                    ia.withUnsafeMutableBufferPointer { intA in
                        ib.withUnsafeMutableBufferPointer { intB in
                            eventsA.withUnsafeBufferPointer { evA in
                                eventsB.withUnsafeBufferPointer { evB -> OralTwoCompartmentPairState? in
                                    var lanes = OralTwoCompartmentLanePair(
                                        state: state, propagators: (propagatorA, propagatorB), events: (evA, evB), volume: volume,
                                        outputs: (outA.baseAddress!, outB.baseAddress!), integrals: (intA.baseAddress, intB.baseAddress),
                                        integralCount: integralCount, timeCount: t.count)
                                    return walkOralTwoCompartment(&lanes, times: t) ? lanes.state : nil
                                }
                            }
                        }
                    }
                }
            }
        }
        guard let state = walked else { return false }
        let finite = state.x0.x.isFinite && state.x0.y.isFinite && state.x1.x.isFinite && state.x1.y.isFinite
            && state.x2.x.isFinite && state.x2.y.isFinite && state.x3.x.isFinite && state.x3.y.isFinite
        guard finite else { return false }
        a.linearState[0] = state.x0.x; a.linearState[1] = state.x1.x; a.linearState[2] = state.x2.x; a.linearState[3] = state.x3.x
        b.linearState[0] = state.x0.y; b.linearState[1] = state.x1.y; b.linearState[2] = state.x2.y; b.linearState[3] = state.x3.y
        return true
    }

    /// The walk of `walkOralTwoCompartmentCourse` and `simulatePair` (the loop of `simulate` and
    /// `walkObservations`: the same events, steps and outputs) over raw memory, for one subject or
    /// two in lanes. Everything it updates is in local values (no captured variables, so no
    /// exclusivity checks in the loop). False when an event or a matrix does not fit.
    private static func walkOralTwoCompartment<Lanes: OralTwoCompartmentLanes>(_ lanes: inout Lanes,
                                                                               times t: UnsafeBufferPointer<Double>) -> Bool {
        let count = t.count
        var cachedLength = -1.0
        // `advance`: nothing for a length ≤ 0; Φ looked up when the length changes.
        @inline(__always) func advance(_ length: Double) -> Bool {
            guard length > 0 else { return true }
            if length != cachedLength {
                guard lanes.load(length: length) else { return false }
                cachedLength = length
            }
            lanes.step()
            return true
        }
        var time = 0.0
        var eventIndex = 0
        var observation = 0
        let eventCount = lanes.eventCount
        while observation < count {
            while eventIndex < eventCount, lanes.eventTime(eventIndex) <= time {
                guard lanes.apply(event: eventIndex) else { return false }
                eventIndex += 1
            }
            let segmentEnd = eventIndex < eventCount ? lanes.eventTime(eventIndex) : Double.infinity
            while observation < count, t[observation] < segmentEnd {
                let k = observation
                guard advance(t[k] - time) else { return false }
                time = t[k]
                lanes.write(k)
                observation += 1
            }
            if segmentEnd.isFinite, !advance(segmentEnd - time) { return false }
            time = segmentEnd
        }
        return true
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

/// The state of `ModelSimulator.walkOralTwoCompartmentCourse`: depot, (central, peripheral), AUC.
struct OralTwoCompartmentState {
    var x0: Double
    /// The central and peripheral amounts side by side (lane-wise IEEE arithmetic: the same
    /// roundings as two scalar rows).
    var x12: SIMD2<Double>
    var x3: Double
}

/// One transition matrix of the oral 2-compartment system, as the rows that are not structural
/// zeros (see `ModelSimulator.walkOralTwoCompartmentCourse`).
struct OralTwoCompartmentStep {
    var p0 = 0.0, p12 = 0.0, p13 = 0.0, p14 = 0.0
    var q0 = SIMD2<Double>(), q1 = SIMD2<Double>(), q2 = SIMD2<Double>()

    init() {}

    /// Φ for `length` from the propagator's cache; nil when it is not finite or lacks the structure.
    @inline(never)
    init?(propagator: LinearPKPropagator, length: Double) {
        guard let transition = propagator.transitionPointers(for: length) else { return nil }
        let p = transition.phi
        guard p[1] == 0, p[2] == 0, p[3] == 0, p[7] == 0, p[11] == 0, p[15] == 1 else { return nil }
        p0 = p[0]; p12 = p[12]; p13 = p[13]; p14 = p[14]
        q0 = SIMD2(p[4], p[8]); q1 = SIMD2(p[5], p[9]); q2 = SIMD2(p[6], p[10])
    }

    /// x ← Φ·x, row by row as `LinearPKPropagator.step` sums them, without the zero terms.
    @inline(__always)
    func apply(_ x: inout OralTwoCompartmentState) {
        let y0 = 0 + p0 * x.x0
        let y12 = SIMD2<Double>() + q0 * x.x0 + q1 * x.x12[0] + q2 * x.x12[1]
        let y3 = 0 + p12 * x.x0 + p13 * x.x12[0] + p14 * x.x12[1] + x.x3
        x = OralTwoCompartmentState(x0: y0, x12: y12, x3: y3)
    }
}

/// Two subjects' states side by side (lane 0: the first subject).
struct OralTwoCompartmentPairState {
    var x0: SIMD2<Double>, x1: SIMD2<Double>, x2: SIMD2<Double>, x3: SIMD2<Double>
}

/// Two subjects' transition matrices, entry by entry in the lanes (`OralTwoCompartmentStep`).
struct OralTwoCompartmentPairStep {
    var p0 = SIMD2<Double>(), p4 = SIMD2<Double>(), p5 = SIMD2<Double>(), p6 = SIMD2<Double>()
    var p8 = SIMD2<Double>(), p9 = SIMD2<Double>(), p10 = SIMD2<Double>()
    var p12 = SIMD2<Double>(), p13 = SIMD2<Double>(), p14 = SIMD2<Double>()

    init() {}

    @inline(never)
    init?(propagators: (LinearPKPropagator, LinearPKPropagator), length: Double) {
        guard let a = OralTwoCompartmentStep(propagator: propagators.0, length: length),
              let b = OralTwoCompartmentStep(propagator: propagators.1, length: length) else { return nil }
        p0 = SIMD2(a.p0, b.p0)
        p4 = SIMD2(a.q0.x, b.q0.x); p8 = SIMD2(a.q0.y, b.q0.y)
        p5 = SIMD2(a.q1.x, b.q1.x); p9 = SIMD2(a.q1.y, b.q1.y)
        p6 = SIMD2(a.q2.x, b.q2.x); p10 = SIMD2(a.q2.y, b.q2.y)
        p12 = SIMD2(a.p12, b.p12); p13 = SIMD2(a.p13, b.p13); p14 = SIMD2(a.p14, b.p14)
    }

    /// `OralTwoCompartmentStep.apply` in each lane.
    @inline(__always)
    func apply(_ x: inout OralTwoCompartmentPairState) {
        let zero = SIMD2<Double>()
        let x0 = x.x0, x1 = x.x1, x2 = x.x2
        x.x0 = zero + p0 * x0
        x.x1 = zero + p4 * x0 + p5 * x1 + p6 * x2
        x.x2 = zero + p8 * x0 + p9 * x1 + p10 * x2
        x.x3 = zero + p12 * x0 + p13 * x1 + p14 * x2 + x.x3
    }
}

/// The subjects one walk of the oral 2-compartment course advances together
/// (`ModelSimulator.walkOralTwoCompartment`): one subject, or two in SIMD2 lanes.
protocol OralTwoCompartmentLanes {
    var eventCount: Int { get }
    func eventTime(_ index: Int) -> Double
    /// Adds event `index`'s amounts; false for an infusion or events of different kinds.
    mutating func apply(event index: Int) -> Bool
    /// Φ for `length`; false when it is not finite or lacks the structure.
    mutating func load(length: Double) -> Bool
    /// x ← Φ·x.
    mutating func step()
    /// C, AUC and the integrals at observation `k`.
    func write(_ k: Int)
}

/// One subject's walk: its state, transition matrix, events and output buffers.
struct OralTwoCompartmentLane: OralTwoCompartmentLanes {
    var state: OralTwoCompartmentState
    var matrix = OralTwoCompartmentStep()
    let propagator: LinearPKPropagator
    let events: UnsafeBufferPointer<DosingEvent>
    let volume: Double
    let concentration: UnsafeMutablePointer<Double>, area: UnsafeMutablePointer<Double>
    let integrals: UnsafeMutablePointer<Double>?
    let integralCount: Int, timeCount: Int

    init(state: OralTwoCompartmentState, propagator: LinearPKPropagator, events: UnsafeBufferPointer<DosingEvent>, volume: Double,
         outputs: UnsafeMutablePointer<Double>, integrals: UnsafeMutablePointer<Double>?, integralCount: Int, timeCount: Int) {
        self.state = state
        self.propagator = propagator
        self.events = events
        self.volume = volume
        concentration = outputs
        area = outputs + timeCount
        self.integrals = integrals
        self.integralCount = integralCount
        self.timeCount = timeCount
    }

    var eventCount: Int { events.count }
    @inline(__always) func eventTime(_ index: Int) -> Double { events[index].time }

    @inline(__always) mutating func apply(event index: Int) -> Bool {
        switch events[index].kind {
        case let .depot(amount): state.x0 += amount
        case let .central(amount): state.x12[0] += amount
        case .infusionRate: return false
        }
        return true
    }

    mutating func load(length: Double) -> Bool {
        guard let loaded = OralTwoCompartmentStep(propagator: propagator, length: length) else { return false }
        matrix = loaded
        return true
    }

    @inline(__always) mutating func step() { matrix.apply(&state) }

    @inline(__always) func write(_ k: Int) {
        concentration[k] = state.x12[0] / volume
        area[k] = state.x3
        for j in 0..<integralCount { integrals![j * timeCount + k] = state.x3 }
    }
}

/// Two subjects' walk, the first in lane 0 and the second in lane 1 (same event and grid times).
struct OralTwoCompartmentLanePair: OralTwoCompartmentLanes {
    var state: OralTwoCompartmentPairState
    var matrix = OralTwoCompartmentPairStep()
    let propagators: (LinearPKPropagator, LinearPKPropagator)
    let events: (UnsafeBufferPointer<DosingEvent>, UnsafeBufferPointer<DosingEvent>)
    let volume: SIMD2<Double>
    let concentration: (UnsafeMutablePointer<Double>, UnsafeMutablePointer<Double>)
    let area: (UnsafeMutablePointer<Double>, UnsafeMutablePointer<Double>)
    let integrals: (UnsafeMutablePointer<Double>?, UnsafeMutablePointer<Double>?)
    let integralCount: Int, timeCount: Int

    init(state: OralTwoCompartmentPairState, propagators: (LinearPKPropagator, LinearPKPropagator),
         events: (UnsafeBufferPointer<DosingEvent>, UnsafeBufferPointer<DosingEvent>), volume: SIMD2<Double>,
         outputs: (UnsafeMutablePointer<Double>, UnsafeMutablePointer<Double>),
         integrals: (UnsafeMutablePointer<Double>?, UnsafeMutablePointer<Double>?), integralCount: Int, timeCount: Int) {
        self.state = state
        self.propagators = propagators
        self.events = events
        self.volume = volume
        concentration = outputs
        area = (outputs.0 + timeCount, outputs.1 + timeCount)
        self.integrals = integrals
        self.integralCount = integralCount
        self.timeCount = timeCount
    }

    var eventCount: Int { events.0.count }
    @inline(__always) func eventTime(_ index: Int) -> Double { events.0[index].time }

    @inline(__always) mutating func apply(event index: Int) -> Bool {
        switch (events.0[index].kind, events.1[index].kind) {
        case let (.depot(amountA), .depot(amountB)): state.x0 += SIMD2(amountA, amountB)
        case let (.central(amountA), .central(amountB)): state.x1 += SIMD2(amountA, amountB)
        default: return false
        }
        return true
    }

    mutating func load(length: Double) -> Bool {
        guard let loaded = OralTwoCompartmentPairStep(propagators: propagators, length: length) else { return false }
        matrix = loaded
        return true
    }

    @inline(__always) mutating func step() { matrix.apply(&state) }

    @inline(__always) func write(_ k: Int) {
        let c = state.x1 / volume
        concentration.0[k] = c.x; concentration.1[k] = c.y
        area.0[k] = state.x3.x; area.1[k] = state.x3.y
        for j in 0..<integralCount {
            integrals.0![j * timeCount + k] = state.x3.x
            integrals.1![j * timeCount + k] = state.x3.y
        }
    }
}
