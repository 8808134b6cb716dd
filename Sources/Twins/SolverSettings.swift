/// The protocol's `solver:` block (SPEC §2): tolerances and method of the ODE solver used for the
/// states that have no closed form. Linear PK never uses them (it is advanced exactly).
public struct SolverSettings: Sendable, Equatable {
    public enum Method: String, Sendable, CaseIterable {
        /// Start non-stiff, switch to the stiff solver when stiffness is detected.
        case auto
        /// Dormand–Prince 5(4) throughout.
        case nonstiff
        /// The Rosenbrock stiff solver throughout.
        case stiff
    }

    public var rtol: Double
    public var atol: Double
    public var method: Method

    public init(rtol: Double = 1e-6, atol: Double = 1e-9, method: Method = .auto) {
        self.rtol = rtol
        self.atol = atol
        self.method = method
    }
}
