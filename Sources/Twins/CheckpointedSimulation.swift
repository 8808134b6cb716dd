/// Doses decided while the simulation runs (SPEC §2 dose rules).
///
/// The walk stops at every checkpoint time, before the events at that time act, reads the model
/// outputs there (model values, the state before any dose at that time) and asks `decide` which
/// doses to give at that time; their events join the event list and the walk goes on. Nothing
/// is simulated twice, and a subject without checkpoints costs what `simulate` costs (this is a
/// separate walk: `simulate` itself has no per-step test for checkpoints).
public protocol DoseDecider {
    /// Called once per checkpoint, in time order. `outputs[o]` = output o at `time` before the
    /// events at `time`; append the doses to give at `time` (their `time` must be `time`).
    mutating func decide(checkpoint: Int, time: Double, outputs: [Double], doses: inout [Dose])
    /// Whether `afterDoses` is called (reading the outputs again costs a little per checkpoint).
    var readsOutputsAfterDoses: Bool { get }
    /// Called after the events at a checkpoint's time have acted (a bolus given then is in
    /// `outputs`, as the grid value at that time has it); for decisions about later doses only.
    mutating func afterDoses(checkpoint: Int, time: Double, outputs: [Double])
    /// Called once before the first checkpoint with the pre-dose outputs at t = 0 (the baseline).
    mutating func start(baseline: [Double])
}

extension DoseDecider {
    public var readsOutputsAfterDoses: Bool { false }
    public mutating func afterDoses(checkpoint: Int, time: Double, outputs: [Double]) {}
    public mutating func start(baseline: [Double]) {}
}

extension ModelSimulator {
    /// `simulate` with doses decided at `checkpoints` (ascending, ≥ 0) by `decider`; `doses`
    /// are given regardless (usually none). `treatmentStart` is the first planned dose (the
    /// tumour-growth twin's resistance clock).
    public mutating func simulate<Decider: DoseDecider>(parameters values: [Double], covariates: [Double] = [], doses: [Dose],
                                                       steadyState: SteadyStateRegimen? = nil, treatmentStart: Double,
                                                       checkpoints: [Double], decider: inout Decider, times: [Double],
                                                       outputs: inout [Double], baseline: inout [Double],
                                                       integrals: inout [Double]) throws(SimulationError) {
        if customSimulation != nil {
            try checkBuffers(values: values, times: times, outputs: outputs, baseline: baseline, integrals: integrals)
            try customSimulation!.simulate(values: values, parameters: parameters, covariates: covariates, doses: doses, times: times,
                                           outputs: &outputs, baseline: &baseline, integrals: &integrals, steadyState: steadyState,
                                           checkpoints: checkpoints,
                                           decide: { decider.decide(checkpoint: $0, time: $1, outputs: $2, doses: &$3) },
                                           readsAfterDoses: decider.readsOutputsAfterDoses,
                                           afterDoses: { decider.afterDoses(checkpoint: $0, time: $1, outputs: $2) },
                                           started: { decider.start(baseline: $0) })
            return
        }
        try begin(values: values, doses: doses, treatmentStart: treatmentStart, steadyState: steadyState, times: times,
                  outputs: outputs, baseline: &baseline, integrals: integrals)
        decider.start(baseline: baseline)
        let hasDepot = model.configuration.pk?.absorption == .oral
        var values = [Double](repeating: 0, count: model.outputNames.count)
        var decided: [Dose] = []
        var time = 0.0
        var eventIndex = 0
        var observation = 0
        var checkpoint = 0
        var infusionRate = 0.0
        var activeInfusions = 0
        let readsAfterDoses = decider.readsOutputsAfterDoses
        while observation < times.count || checkpoint < checkpoints.count {
            let firstCheckpoint = checkpoint
            while checkpoint < checkpoints.count, checkpoints[checkpoint] <= time {
                let at = checkpoints[checkpoint]
                for (o, kind) in outputKinds.enumerated() { values[o] = outputValue(kind, ode: odeState, row: 0) }
                decided.removeAll(keepingCapacity: true)
                decider.decide(checkpoint: checkpoint, time: at, outputs: values, doses: &decided)
                for dose in decided {
                    guard dose.time == at else {
                        throw SimulationError(time: at, message: "a dose decided at t = \(at) h must be given then (got \(dose.time) h)")
                    }
                    try events.add(dose, bioavailability: parameters.bioavailability, lagTime: parameters.lagTime, hasDepot: hasDepot)
                }
                checkpoint += 1
            }
            while eventIndex < events.events.count, events.events[eventIndex].time <= time {
                apply(events.events[eventIndex].kind, infusionRate: &infusionRate, activeInfusions: &activeInfusions)
                eventIndex += 1
            }
            if readsAfterDoses, checkpoint > firstCheckpoint {
                for (o, kind) in outputKinds.enumerated() { values[o] = outputValue(kind, ode: odeState, row: 0) }
                for c in firstCheckpoint..<checkpoint { decider.afterDoses(checkpoint: c, time: checkpoints[c], outputs: values) }
            }
            var segmentEnd = eventIndex < events.events.count ? events.events[eventIndex].time : Double.infinity
            if checkpoint < checkpoints.count { segmentEnd = min(segmentEnd, checkpoints[checkpoint]) }
            var last = observation
            while last < times.count, times[last] < segmentEnd { last += 1 }
            try advanceSegment(from: time, to: segmentEnd, observations: observation..<last, times: times,
                               infusionRate: infusionRate, outputs: &outputs, integrals: &integrals)
            observation = last
            time = segmentEnd
        }
    }
}
