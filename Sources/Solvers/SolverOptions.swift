/// Tolerances and limits of an ``ODESolver`` (the protocol's `solver:` block, SPEC §2).
///
/// The local error of every step is controlled in the weighted root-mean-square norm
/// `‖e‖ = √( (1/n) Σᵢ (eᵢ / (atol + rtol·max(|yᵢ|, |ŷᵢ|)))² ) ≤ 1`, where `y` and `ŷ` are the
/// states at the start and end of the step. The global error is typically 1–100 times `rtol`.
public struct SolverOptions: Sendable, Equatable {
    /// Relative tolerance (default 1e-6).
    public var rtol: Double
    /// Absolute tolerance, in the units of the states (default 1e-9).
    public var atol: Double
    /// The method (default ``IntegrationMethod/auto``).
    public var method: IntegrationMethod
    /// Attempted steps (accepted and rejected) allowed in one call to `integrate`; more is
    /// ``ODEError/tooManySteps(t:state:steps:)``.
    public var maximumStepsPerInterval: Int
    /// A step size below this (or below the resolution of `t`) is
    /// ``ODEError/stepSizeUnderflow(t:state:stepSize:)``.
    public var minimumStepSize: Double
    /// An upper bound on the step size (default ∞; the interval length bounds it anyway).
    public var maximumStepSize: Double
    /// When set, error control is off and every step has this size (the last one is shortened
    /// or stretched by up to 1 % to land on the end of the interval). Meant for convergence
    /// studies; with ``IntegrationMethod/auto`` the nonstiff method is used without switching.
    public var fixedStepSize: Double?

    public init(rtol: Double = 1e-6, atol: Double = 1e-9, method: IntegrationMethod = .auto,
                maximumStepsPerInterval: Int = 1_000_000, minimumStepSize: Double = 0,
                maximumStepSize: Double = .infinity, fixedStepSize: Double? = nil) {
        self.rtol = rtol
        self.atol = atol
        self.method = method
        self.maximumStepsPerInterval = maximumStepsPerInterval
        self.minimumStepSize = minimumStepSize
        self.maximumStepSize = maximumStepSize
        self.fixedStepSize = fixedStepSize
    }
}
