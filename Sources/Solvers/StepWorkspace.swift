/// Views into one preallocated block of `Double`s that a single integration call works in.
///
/// The block belongs to an ``ODESolver`` and is reused across calls, so the stepping loop never
/// allocates. Pointers are valid only for the duration of one `integrate` call.
@usableFromInline struct StepWorkspace {
    @usableFromInline let n: Int
    /// The accepted state at the current time.
    @usableFromInline var y: UnsafeMutablePointer<Double>
    /// The candidate state at the end of the trial step.
    @usableFromInline var yNew: UnsafeMutablePointer<Double>
    /// A stage argument.
    @usableFromInline var stage: UnsafeMutablePointer<Double>
    /// `f(t, y)` at the current accepted point (FSAL for Dormand–Prince, first stage for Rodas).
    @usableFromInline var f0: UnsafeMutablePointer<Double>
    /// Stage derivatives (Dormand–Prince k₂…k₇) or transformed stage values (Rodas u₁…u₆).
    @usableFromInline var k2, k3, k4, k5, k6, k7: UnsafeMutablePointer<Double>
    /// Dense-output coefficients of the last accepted step (see ``DenseOutput``).
    @usableFromInline var dense0, dense1, dense2, dense3, dense4: UnsafeMutablePointer<Double>
    /// The interpolated state handed to output callbacks.
    @usableFromInline var output: UnsafeMutablePointer<Double>
    /// Rodas: `∂f/∂t` (finite differences) and a scratch evaluation of `f`.
    @usableFromInline var timeDerivative: UnsafeMutablePointer<Double>
    @usableFromInline var scratch: UnsafeMutablePointer<Double>
    /// The Jacobian, `n × n` column-major.
    @usableFromInline var jacobian: UnsafeMutablePointer<Double>

    /// The number of `Double`s a workspace of dimension `n` needs.
    @inlinable static func size(dimension n: Int) -> Int { 18 * n + n * n }

    @inlinable init(base: UnsafeMutablePointer<Double>, dimension n: Int) {
        self.n = n
        var next = base
        func take(_ count: Int) -> UnsafeMutablePointer<Double> {
            defer { next += count }
            return next
        }
        y = take(n); yNew = take(n); stage = take(n); f0 = take(n)
        k2 = take(n); k3 = take(n); k4 = take(n); k5 = take(n); k6 = take(n); k7 = take(n)
        dense0 = take(n); dense1 = take(n); dense2 = take(n); dense3 = take(n); dense4 = take(n)
        output = take(n); timeDerivative = take(n); scratch = take(n)
        jacobian = take(n * n)
    }

    @inlinable func evaluate<System: ODESystem>(_ system: System, t: Double, at y: UnsafeMutablePointer<Double>,
                                     into dydt: UnsafeMutablePointer<Double>) {
        system.derivatives(t: t, y: UnsafeBufferPointer(start: y, count: n),
                           dydt: UnsafeMutableBufferPointer(start: dydt, count: n))
    }

    @inlinable func allFinite(_ v: UnsafeMutablePointer<Double>) -> Bool {
        for i in 0..<n where !v[i].isFinite { return false }
        return true
    }

    /// The weighted RMS norm of `e` with weights `atol + rtol·max(|y|, |yNew|)`.
    @inlinable func errorNorm(_ e: UnsafeMutablePointer<Double>, rtol: Double, atol: Double) -> Double {
        var sum = 0.0
        for i in 0..<n {
            let scale = atol + rtol * max(abs(y[i]), abs(yNew[i]))
            let r = e[i] / scale
            sum += r * r
        }
        return (sum / Double(n)).squareRoot()
    }
}
