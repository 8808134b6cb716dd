/// A right-hand side of one state, `y′ = f(t, y)`, written as `derivative(forcing(at: t), y:)`:
/// the part that depends on `t` alone (e.g. a closed-form drug concentration driving a
/// response) apart from the cheap remainder.
///
/// ``ODESolver`` integrates such a system with the state and the Dormand–Prince stages in
/// plain values instead of its work arrays, and evaluates the forcing once for stages 6 and 7,
/// which sit at the same time `t + h`. The results are the same, bit for bit, as for any
/// ``ODESystem`` whose `derivatives(t:y:dydt:)` computes `derivative(forcing(at: t), y: y[0])`
/// (the default implementation here): the same operations run in the same order, and the
/// forcing depends on `t` only.
///
/// ```swift
/// /// R′ = kin·(1 − C(t)/(1 + C(t))) − kout·R with C(t) = 3·e^{−t/10}.
/// struct Inhibited: ScalarODESystem {
///     var kin = 10.0, kout = 0.1
///     func forcing(at t: Double) -> Double { let c = 3 * exp(-t / 10); return c / (1 + c) }
///     func derivative(_ fraction: Double, y: Double) -> Double { kin * (1 - fraction) - kout * y }
/// }
/// ```
public protocol ScalarODESystem: ODESystem {
    /// What `f` reads that depends on the time alone.
    associatedtype Forcing

    /// The time-dependent part of `f` at `t`.
    func forcing(at t: Double) -> Forcing

    /// `f(t, y)` given `forcing(at: t)`.
    func derivative(_ forcing: Forcing, y: Double) -> Double
}

extension ScalarODESystem {
    public var dimension: Int { 1 }

    @inlinable
    public func derivatives(t: Double, y: UnsafeBufferPointer<Double>, dydt: UnsafeMutableBufferPointer<Double>) {
        dydt[0] = derivative(forcing(at: t), y: y[0])
    }
}
