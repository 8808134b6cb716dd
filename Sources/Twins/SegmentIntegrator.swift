import Solvers

/// The ODE solver as the twins use it: one discontinuity-free segment at a time (between doses and
/// infusion starts and stops, SPEC §4), with the states at the segment's observation times read
/// from the dense output into a row-per-observation buffer, so steps are never shortened to hit
/// the grid. The step size the controller proposed at the end of a segment starts the next one.
/// Shared by the built-in ODE models (`ODESimulation`) and custom models (`CustomModelSimulation`).
struct SegmentIntegrator {
    private var solver: ODESolver
    /// The starting step of the next segment (nil: Hairer's initial-step heuristic).
    var stepHint: Double?

    init(dimension: Int, settings: SolverSettings) {
        let method: IntegrationMethod
        switch settings.method {
        case .auto: method = .auto
        case .nonstiff: method = .nonstiff
        case .stiff: method = .stiff
        }
        solver = ODESolver(dimension: dimension, options: SolverOptions(rtol: settings.rtol, atol: settings.atol, method: method))
    }

    /// Integrates `system` from `start` to `end` (the state at `end` left in `state`), writing the
    /// state at each of `times[observations]` (all in [start, end]) as a row of `rows`. A segment
    /// of zero length copies the state into every row.
    mutating func integrate<System: ODESystem>(_ system: System, from start: Double, to end: Double, state: inout [Double],
                                               times: [Double], observations: Range<Int>,
                                               into rows: inout [Double]) throws(SimulationError) {
        try integrate(from: start, to: end, state: &state, times: times, observations: observations, into: &rows) {
            solver, state, outputTimes, hint, onOutput throws(ODEError) in
            try solver.integrate(system, from: start, to: end, state: &state, outputTimes: outputTimes, initialStepSize: hint,
                                 onOutput: onOutput)
        }
    }

    /// The same for a one-state system, on the solver's scalar path (bit-identical results,
    /// see ``ScalarODESystem``).
    mutating func integrate<System: ScalarODESystem>(_ system: System, from start: Double, to end: Double, state: inout [Double],
                                                     times: [Double], observations: Range<Int>,
                                                     into rows: inout [Double]) throws(SimulationError) {
        try integrate(from: start, to: end, state: &state, times: times, observations: observations, into: &rows) {
            solver, state, outputTimes, hint, onOutput throws(ODEError) in
            try solver.integrate(system, from: start, to: end, state: &state, outputTimes: outputTimes, initialStepSize: hint,
                                 onOutput: onOutput)
        }
    }

    /// The segment around one call of the solver (`run`).
    @inline(__always)
    private mutating func integrate(
        from start: Double, to end: Double, state: inout [Double], times: [Double], observations: Range<Int>,
        into rows: inout [Double],
        run: (inout ODESolver, inout [Double], ArraySlice<Double>, Double?,
              (_ t: Double, _ state: UnsafeBufferPointer<Double>) -> Void) throws(ODEError) -> Void
    ) throws(SimulationError) {
        let n = state.count
        guard end > start else {
            for row in 0..<observations.count { for i in 0..<n { rows[row * n + i] = state[i] } }
            return
        }
        var row = 0
        do throws(ODEError) {
            // The solver calls back once per observation, so `row` stays below `observations.count`.
            try rows.withUnsafeMutableBufferPointer { (rows) throws(ODEError) in
                try run(&solver, &state, times[observations], stepHint) { _, y in
                    for i in 0..<n { rows[row * n + i] = y[i] }
                    row += 1
                }
            }
        } catch {
            throw SimulationError(time: error.time ?? start, message: "ODE solver failed: \(error)")
        }
        stepHint = solver.stepSizeHint
    }
}
