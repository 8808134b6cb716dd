/// The continuous extension of the last accepted step, evaluated at `θ = (τ − t)/h ∈ [0, 1]`:
///
/// `u(θ) = d₀ + θ·(d₁ + (1−θ)·(d₂ + θ·(d₃ + (1−θ)·d₄)))`
///
/// This is Hairer's `CONTD5` form for Dormand–Prince (4th-order continuous extension due to
/// Shampine 1986; Hairer, Nørsett & Wanner, *Solving ODEs I*, 2nd ed., §II.6, and `dopri5.f`),
/// and it also holds Rodas4's 3rd-order interpolant
/// `u(θ) = (1−θ)·y₀ + θ·(y₁ + (1−θ)·(k₁′ + θ·k₂′))` (Hairer & Wanner, *Solving ODEs II*,
/// §VI.4, and `rodas.f`) with `d₀ = y₀`, `d₁ = y₁ − y₀`, `d₂ = k₁′`, `d₃ = k₂′`, `d₄ = 0`.
@usableFromInline enum DenseOutput {
    @inlinable static func evaluate(_ w: StepWorkspace, theta: Double, into out: UnsafeMutablePointer<Double>) {
        let theta1 = 1 - theta
        for i in 0..<w.n {
            out[i] = value(w.dense0[i], w.dense1[i], w.dense2[i], w.dense3[i], w.dense4[i], theta: theta, theta1: theta1)
        }
    }

    /// One component of `u(θ)`, `theta1 = 1 − θ` (shared with the scalar path, so the same
    /// rounding).
    @inlinable @inline(__always)
    static func value(_ d0: Double, _ d1: Double, _ d2: Double, _ d3: Double, _ d4: Double, theta: Double, theta1: Double) -> Double {
        d0 + theta * (d1 + theta1 * (d2 + theta * (d3 + theta1 * d4)))
    }
}
