/// Work counters of an ``ODESolver``, accumulated over calls until ``ODESolver/resetStatistics()``.
public struct SolverStatistics: Sendable, Equatable {
    public var acceptedSteps = 0
    public var rejectedSteps = 0
    /// Evaluations of `f`, including those for finite-difference Jacobians.
    public var derivativeEvaluations = 0
    /// Jacobians formed (analytic or by finite differences).
    public var jacobianEvaluations = 0
    /// LU factorizations of the Rosenbrock matrix.
    public var factorizations = 0
    /// Intervals in which ``IntegrationMethod/auto`` switched from Dormand–Prince to Rodas4.
    public var stiffSwitches = 0

    public init() {}
}
