import Foundation

/// A reusable ODE integrator for one system size: the algorithm's settings plus all of its work
/// arrays, preallocated once. Each thread owns its own solver and calls ``integrate(_:from:to:state:outputTimes:initialStepSize:onOutput:)``
/// once per discontinuity-free interval; the stepping loop does not allocate (the one
/// exception is the LU factorization of the stiff method, see ``IntegrationMethod/stiff``).
///
/// The problem (an ``ODESystem`` and its state), the algorithm (``SolverOptions``) and the
/// solution (the state written back and the values passed to `onOutput`) are kept apart, as in
/// SciML's DifferentialEquations.jl.
///
/// - Nonstiff: Dormand–Prince 5(4) with FSAL, Hairer's PI step-size control (β = 0.04,
///   exponent 0.2 − 0.75β, safety 0.9, step ratio in [0.2, 10]) and Shampine's 4th-order dense
///   output, as in `dopri5.f` (Hairer, Nørsett & Wanner, *Solving ODEs I*, §II.4–6).
/// - Stiff: Rodas4 (Hairer & Wanner, *Solving ODEs II*, §VI.4) with the step-size control of
///   `rodas.f` (safety 0.9, ratio in [0.2, 6], Gustafsson's predictive controller) and its
///   3rd-order dense output.
/// - Initial step: Hairer's heuristic (`HINIT` of `dopri5.f`) unless a hint is passed.
/// - One state: a ``ScalarODESystem`` is stepped with its Dormand–Prince stages in plain values
///   and one evaluation of its time-dependent part for the two stages at `t + h`; the results
///   are the general method's, bit for bit.
///
/// Output times are read from the continuous extension of each accepted step: steps are never
/// shortened to hit them. The last step lands exactly on the end of the interval, so the state
/// returned there is the solver's own solution, not an interpolant.
///
/// ```swift
/// var solver = ODESolver(dimension: 2, options: SolverOptions(rtol: 1e-6, atol: 1e-9))
/// var y = [100.0, 0.0]                      // dose in the depot
/// let grid = [0.5, 1, 2, 4, 8, 12, 24.0]
/// var concentrations: [Double] = []
/// try solver.integrate(OneCompartmentOral(ka: 1.2, ke: 0.1), from: 0, to: 24, state: &y,
///                      outputTimes: grid) { t, state in concentrations.append(state[1] / 30) }
/// y[0] += 100                               // next dose at t = 24: restart from the new state
/// try solver.integrate(OneCompartmentOral(ka: 1.2, ke: 0.1), from: 24, to: 48, state: &y,
///                      outputTimes: [], initialStepSize: solver.stepSizeHint) { _, _ in }
/// ```
public struct ODESolver: Sendable {
    /// The number of states of the systems this solver integrates.
    public let dimension: Int
    public var options: SolverOptions
    /// Work counters, accumulated over calls.
    public private(set) var statistics = SolverStatistics()
    /// The size of the last accepted step (the final step of an interval may have been
    /// shortened to land on its end).
    public private(set) var lastAcceptedStepSize: Double?
    /// The step size the controller proposed after the last accepted step, before any
    /// shortening to the interval end: a bound for the next interval's first step
    /// (`initialStepSize`).
    public private(set) var stepSizeHint: Double?
    /// Whether the last call used the stiff method for at least one step.
    public private(set) var lastIntervalUsedStiffMethod = false

    @usableFromInline var storage: [Double]
    @usableFromInline var linearSolver: RosenbrockLinearSolver

    /// A solver for systems of `dimension` states, with its work arrays allocated.
    public init(dimension: Int, options: SolverOptions = SolverOptions()) {
        self.dimension = max(dimension, 0)
        self.options = options
        storage = [Double](repeating: 0, count: max(1, StepWorkspace.size(dimension: max(dimension, 0))))
        linearSolver = RosenbrockLinearSolver(dimension: max(dimension, 0))
    }

    /// Sets the work counters to zero.
    public mutating func resetStatistics() { statistics = SolverStatistics() }

    /// Integrates `system` from `t0` to `t1 ≥ t0` (an interval without discontinuities),
    /// replacing `state` (the state at `t0`) with the state at `t1`.
    ///
    /// - Parameters:
    ///   - outputTimes: nondecreasing times in `[t0, t1]`; for each, `onOutput(τ, y(τ))` is
    ///     called in order, with `y(τ)` from the dense output (the exact step-end state when
    ///     `τ` is `t1`, the initial state when `τ` is `t0`). The buffer is valid only during the
    ///     call. Times are checked as they are reached: one out of order or outside the
    ///     interval throws ``ODEError/invalidOutputTime(_:)``.
    ///   - initialStepSize: a bound for the first trial step (e.g. ``stepSizeHint`` after a
    ///     restart): the first step is the smaller of it and Hairer's heuristic from the state at
    ///   `t0` (one extra evaluation of `f`), since after a discontinuity (a dose) the solution may
    ///     change faster than at the end of the previous interval; `nil`: Hairer's heuristic alone.
    ///     (`SolverOptions.fixedStepSize` fixes every step.)
    /// - Throws: ``ODEError``; on an integration failure `state` keeps its value at `t0`, and
    ///   the error carries the time and state reached.
    @inlinable
    public mutating func integrate<System: ODESystem, Times: Sequence<Double>>(
        _ system: System, from t0: Double, to t1: Double, state: inout [Double],
        outputTimes: Times, initialStepSize: Double? = nil,
        onOutput: (_ t: Double, _ state: UnsafeBufferPointer<Double>) -> Void
    ) throws(ODEError) {
        try integrate(system, from: t0, to: t1, state: &state, outputTimes: outputTimes, initialStepSize: initialStepSize,
                      stepper: WorkspaceDormandPrince<System>.self, onOutput: onOutput)
    }

    /// Integrates a one-state system with the Dormand–Prince stages in plain values and one
    /// evaluation of the forcing for the two stages at `t + h` (see ``ScalarODESystem``). The
    /// same steps, outputs, statistics and errors, bit for bit, as the general method with
    /// `derivatives(t:y:dydt:)`; only faster.
    @inlinable
    public mutating func integrate<System: ScalarODESystem, Times: Sequence<Double>>(
        _ system: System, from t0: Double, to t1: Double, state: inout [Double],
        outputTimes: Times, initialStepSize: Double? = nil,
        onOutput: (_ t: Double, _ state: UnsafeBufferPointer<Double>) -> Void
    ) throws(ODEError) {
        try integrate(system, from: t0, to: t1, state: &state, outputTimes: outputTimes, initialStepSize: initialStepSize,
                      stepper: ScalarDormandPrince<System>.self, onOutput: onOutput)
    }

    @inlinable
    mutating func integrate<System: ODESystem, Times: Sequence<Double>, Stepper: DormandPrinceStepper>(
        _ system: System, from t0: Double, to t1: Double, state: inout [Double],
        outputTimes: Times, initialStepSize: Double?, stepper: Stepper.Type,
        onOutput: (_ t: Double, _ state: UnsafeBufferPointer<Double>) -> Void
    ) throws(ODEError) where Stepper.System == System {
        guard system.dimension == dimension else { throw .dimensionMismatch(expected: dimension, actual: system.dimension) }
        guard state.count == dimension else { throw .dimensionMismatch(expected: dimension, actual: state.count) }
        guard t0.isFinite, t1.isFinite, t1 >= t0 else { throw .invalidInterval(from: t0, to: t1) }
        for value in state where !value.isFinite { throw .nonFiniteState(t: t0, state: state) }

        var run = IntervalIntegration(options: options, t0: t0, t1: t1, initialStepSize: initialStepSize)
        let failure: ODEError? = storage.withUnsafeMutableBufferPointer { buffer in
            let workspace = StepWorkspace(base: buffer.baseAddress!, dimension: dimension)
            do throws(ODEError) {
                try run.integrate(system, workspace, &linearSolver, state: &state, outputTimes: outputTimes, stepper: stepper,
                                  onOutput: onOutput)
                return nil
            } catch {
                return error
            }
        }
        record(run)
        if let failure { throw failure }
    }

    /// Folds one call's counters and step sizes into the solver's (also after a failure).
    @usableFromInline
    mutating func record(_ run: IntervalIntegration) {
        statistics.acceptedSteps += run.statistics.acceptedSteps
        statistics.rejectedSteps += run.statistics.rejectedSteps
        statistics.derivativeEvaluations += run.statistics.derivativeEvaluations
        statistics.jacobianEvaluations += run.statistics.jacobianEvaluations
        statistics.factorizations += run.statistics.factorizations
        statistics.stiffSwitches += run.statistics.stiffSwitches
        lastIntervalUsedStiffMethod = run.usedStiffMethod
        if let h = run.lastAcceptedStepSize { lastAcceptedStepSize = h }
        if let h = run.stepSizeHint { stepSizeHint = h }
    }

    /// Integrates `system` from `t0` to `t1` without intermediate outputs; see
    /// ``integrate(_:from:to:state:outputTimes:initialStepSize:onOutput:)``.
    @inlinable
    public mutating func integrate<System: ODESystem>(
        _ system: System, from t0: Double, to t1: Double, state: inout [Double], initialStepSize: Double? = nil
    ) throws(ODEError) {
        try integrate(system, from: t0, to: t1, state: &state, outputTimes: EmptyCollection<Double>(),
                      initialStepSize: initialStepSize) { _, _ in }
    }
}
