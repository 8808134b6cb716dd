/// The right-hand side of an initial-value problem `y′ = f(t, y)`, `y ∈ ℝⁿ`.
///
/// Conform a concrete model type and pass it to ``ODESolver/integrate(_:from:to:state:outputTimes:initialStepSize:onOutput:)``.
/// The solver is generic over the system, so calls are specialised and inlined: no existential
/// box or dynamic dispatch sits in the hot loop. Implementations must not allocate in
/// ``derivatives(t:y:dydt:)``; they read `y` and write all `n` elements of `dydt`.
///
/// ```swift
/// /// One-compartment PK with first-order absorption: depot → central, elimination CL/V.
/// struct OneCompartmentOral: ODESystem {
///     var ka: Double, ke: Double
///     var dimension: Int { 2 }
///     var isAutonomous: Bool { true }
///     func derivatives(t: Double, y: UnsafeBufferPointer<Double>, dydt: UnsafeMutableBufferPointer<Double>) {
///         dydt[0] = -ka * y[0]
///         dydt[1] = ka * y[0] - ke * y[1]
///     }
/// }
/// ```
public protocol ODESystem {
    /// The number of states `n` (the length of `y`).
    var dimension: Int { get }

    /// Writes `f(t, y)` into `dydt` (both of length ``dimension``).
    func derivatives(t: Double, y: UnsafeBufferPointer<Double>, dydt: UnsafeMutableBufferPointer<Double>)

    /// Writes the Jacobian `∂f/∂y` at `(t, y)` into `jacobian`, column-major (`∂fᵢ/∂yⱼ` at
    /// `i + j·n`), and returns `true`; or returns `false` without writing when no analytic
    /// Jacobian is available, in which case the stiff solver uses forward differences.
    ///
    /// The default implementation returns `false`.
    func jacobian(t: Double, y: UnsafeBufferPointer<Double>, into jacobian: UnsafeMutableBufferPointer<Double>) -> Bool

    /// `true` when `f` does not depend on `t` explicitly. The stiff solver then skips the
    /// finite-difference estimate of `∂f/∂t` (one evaluation of `f` per step). Default `false`.
    var isAutonomous: Bool { get }
}

extension ODESystem {
    public func jacobian(t: Double, y: UnsafeBufferPointer<Double>, into jacobian: UnsafeMutableBufferPointer<Double>) -> Bool {
        false
    }

    public var isAutonomous: Bool { false }
}
