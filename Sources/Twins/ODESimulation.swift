import Solvers

/// The solver side of a `ModelSimulator`: owns the `ODESolver` (with its work arrays) and the
/// closed-form concentration, and integrates one discontinuity-free segment at a time, restarting
/// at every dose and infusion start/stop (SPEC §4). The states at the segment's observation
/// times are read from the solver's dense output into `observedStates` (row per observation), so
/// steps are never shortened to hit the grid.
struct ODESimulation {
    let layout: ODELayout
    let dynamics: TwinDynamics.Dynamics
    let linearSystem: LinearPKSystem?
    private var integrator: SegmentIntegrator
    private var modes: ConcentrationModes?
    /// Row r holds the state at the segment's r-th observation.
    private(set) var observedStates: [Double] = []
    var treatmentStart = 0.0

    init(model: CompiledModel, layout: ODELayout) {
        self.layout = layout
        linearSystem = model.linearSystem
        integrator = SegmentIntegrator(dimension: layout.dimension, settings: model.solver)
        modes = model.linearSystem.map { _ in ConcentrationModes(compartments: model.configuration.pk!.compartments) }
        if let pd = model.configuration.pd, pd != .emax {
            dynamics = .idr(pd)
        } else {
            switch model.configuration.twin {
            case "oncology.tgi": dynamics = .tumourGrowth
            case "oncology.myelosuppression": dynamics = .myelosuppression
            case "diabetes.t2d": dynamics = .glucose
            default: dynamics = .none
            }
        }
    }

    /// The drug-free initial state: PK empty, R(0) = KIN/KOUT, TS(0) = TS0, the myelosuppression
    /// chain at CIRC0, FPG0 and HBA1C0, quadratures 0.
    mutating func start(parameters p: SubjectParameters, state: inout [Double]) {
        for i in state.indices { state[i] = 0 }
        let s = layout.dynamicStates
        switch dynamics {
        case .none: break
        case .idr: state[s.lowerBound] = p.pd[0] / p.pd[1]
        case .tumourGrowth: state[s.lowerBound] = p.twin[0]
        case .myelosuppression: for i in s { state[i] = p.twin[0] }
        case .glucose: state[s.lowerBound] = p.twin[0]; state[s.lowerBound + 1] = p.twin[1]
        }
        modes?.setRates(p.linearRates)
        integrator.stepHint = nil
    }

    /// Forgets the step size carried from the last segment (the steady-state iteration makes each
    /// interval a function of its starting state alone).
    mutating func resetStepHint() { integrator.stepHint = nil }

    /// Integrates from `start` to `end`, writing the states at `times[observations]` (all in
    /// [start, end]) to `observedStates`, and leaving the state at `end` in `state`.
    mutating func integrateSegment(from start: Double, to end: Double, state: inout [Double], linearState: [Double],
                                   infusionRate: Double, observations: Range<Int>, times: [Double],
                                   parameters: SubjectParameters) throws(SimulationError) {
        let n = layout.dimension
        if observedStates.count < observations.count * n {
            observedStates = [Double](repeating: 0, count: observations.count * n)
        }
        if let system = linearSystem, modes != nil {
            let depot = system.depot.map { linearState[$0] } ?? 0
            modes!.setSegment(depot: depot, amounts: { i in linearState[i == 0 ? system.central : system.peripherals[i - 1]] },
                              infusionRate: infusionRate, effect: system.effect.map { linearState[$0] } ?? 0)
        }
        var rows: [Double] = []
        swap(&rows, &observedStates)
        defer { swap(&rows, &observedStates) }
        if let idr = TwinDynamics.closedFormIDR(layout: layout, dynamics: dynamics, parameters: parameters, modes: modes,
                                                segmentStart: start, closedFormEffect: linearSystem?.effect != nil) {
            try integrator.integrate(idr, from: start, to: end, state: &state, times: times, observations: observations, into: &rows)
            return
        }
        let system = TwinDynamics(layout: layout, dynamics: dynamics, parameters: parameters, modes: modes,
                                  segmentStart: start, infusionRate: linearSystem == nil ? infusionRate : 0,
                                  treatmentStart: treatmentStart, closedFormEffect: linearSystem?.effect != nil)
        try integrator.integrate(system, from: start, to: end, state: &state, times: times, observations: observations, into: &rows)
        if case .myelosuppression = dynamics {
            try checkDomain(rows, count: observations.count, times: times, first: observations.lowerBound)
            try checkDomain(state, count: 1, times: [end], first: 0)
        }
    }

    /// Friberg's states are amounts of cells: a non-positive one is a numerical failure (SPEC §4).
    /// For the myelosuppression model only.
    private func checkDomain(_ rows: [Double], count: Int, times: [Double], first: Int) throws(SimulationError) {
        let n = layout.dimension
        for row in 0..<count {
            for i in layout.dynamicStates where !(rows[row * n + i] > 0) {
                throw SimulationError(time: times[first + row],
                                      message: "myelosuppression state \(["P", "T1", "T2", "T3", "N"][i - layout.dynamicStates.lowerBound]) = \(rows[row * n + i]) is not positive")
            }
        }
    }
}
