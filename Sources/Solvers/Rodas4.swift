import LinearAlgebra

/// Rodas4, the stiffly accurate, L-stable Rosenbrock method of order 4 (embedded order 3) of
/// Hairer & Wanner, *Solving Ordinary Differential Equations II*, 2nd ed., Springer 1996,
/// §VI.4, Table 4.2 (coefficients as in Hairer's `rodas.f`, `COERO` with `METH = 1`).
///
/// In the transformed variables uᵢ of `rodas.f`, with `W = I/(γh) − J`, `J = ∂f/∂y(t₀, y₀)`:
///
///     W·uᵢ = f(t₀ + cᵢh, y₀ + Σⱼ<ᵢ aᵢⱼ uⱼ) + Σⱼ<ᵢ (cᵢⱼ/h)·uⱼ + h·dᵢ·∂f/∂t(t₀, y₀)
///
/// Stages 5 and 6 sit at `t₀ + h`; the embedded solution is `y₀ + Σ a₅ⱼuⱼ + u₅`, the solution
/// adds `u₆`, and `u₆` itself is the error estimate. One Jacobian and one LU per step (reused
/// when a step is rejected, since `(t₀, y₀)` has not changed). The 3rd-order dense output is
/// `(1−θ)y₀ + θ(y₁ + (1−θ)(k₁′ + θk₂′))` with `k₁′ = Σ h₂ⱼuⱼ`, `k₂′ = Σ h₃ⱼuⱼ` (`rodas.f`,
/// `CONTRO`).
@usableFromInline enum Rodas4 {
    @usableFromInline static let gamma = 0.25
    @usableFromInline static let c2 = 0.386, c3 = 0.21, c4 = 0.63
    @usableFromInline static let a21 = 1.544
    @usableFromInline static let a31 = 0.9466785280815826, a32 = 0.2557011698983284
    @usableFromInline static let a41 = 3.314825187068521, a42 = 2.896124015972201, a43 = 0.9986419139977817
    @usableFromInline static let a51 = 1.221224509226641, a52 = 6.019134481288629, a53 = 12.53708332932087, a54 = -0.6878860361058950
    @usableFromInline static let c21 = -5.6688
    @usableFromInline static let c31 = -2.430093356833875, c32 = -0.2063599157091915
    @usableFromInline static let c41 = -0.1073529058151375, c42 = -9.594562251023355, c43 = -20.47028614809616
    @usableFromInline static let c51 = 7.496443313967647, c52 = -10.24680431464352, c53 = -33.99990352819905, c54 = 11.70890893206160
    @usableFromInline static let c61 = 8.083246795921522, c62 = -7.981132988064893, c63 = -31.52159432874371
    @usableFromInline static let c64 = 16.31930543123136, c65 = -6.058818238834054
    @usableFromInline static let d1 = 0.25, d2 = -0.1043, d3 = 0.1035, d4 = -0.03620000000000023
    @usableFromInline static let h21 = 10.12623508344586, h22 = -7.487995877610167, h23 = -34.80091861555747
    @usableFromInline static let h24 = -7.992771707568823, h25 = 1.025137723295662
    @usableFromInline static let h31 = -0.6762803392801253, h32 = 6.087714651680015, h33 = 16.43084320892478
    @usableFromInline static let h34 = 24.76722511418386, h35 = -6.594389125716872

    /// Exponent base of the controller: the embedded method has order 3, so `err^(1/4)`.
    @usableFromInline static let order = 4.0

    @usableFromInline enum TrialOutcome {
        /// The weighted RMS error estimate (NaN when a stage or the solution is not finite).
        case completed(error: Double)
        /// `W` has an exactly zero pivot: retry with a smaller step.
        case singularMatrix
    }

    /// One trial step from `(t, w.y)`; expects `w.f0 = f(t, y)`, the Jacobian in `w.jacobian`
    /// and (for non-autonomous systems) `∂f/∂t` in `w.timeDerivative`. Leaves the solution in
    /// `w.yNew` and u₁…u₅ in `w.k2`…`w.k6` for the dense output.
    @inlinable static func attemptStep<System: ODESystem>(_ system: System, _ w: StepWorkspace, _ linear: inout RosenbrockLinearSolver,
                                               t: Double, h: Double, rtol: Double, atol: Double) -> TrialOutcome {
        guard linear.factor(w, diagonal: 1 / (gamma * h)) else { return .singularMatrix }
        let n = w.n
        let y = w.y, f0 = w.f0, fx = w.timeDerivative, s = w.stage, ak = w.scratch, yNew = w.yNew
        let u1 = w.k2, u2 = w.k3, u3 = w.k4, u4 = w.k5, u5 = w.k6, u6 = w.k7
        let hasTime = !system.isAutonomous
        let hc21 = c21 / h, hc31 = c31 / h, hc32 = c32 / h, hc41 = c41 / h, hc42 = c42 / h, hc43 = c43 / h
        let hc51 = c51 / h, hc52 = c52 / h, hc53 = c53 / h, hc54 = c54 / h
        let hc61 = c61 / h, hc62 = c62 / h, hc63 = c63 / h, hc64 = c64 / h, hc65 = c65 / h
        let hd1 = h * d1, hd2 = h * d2, hd3 = h * d3, hd4 = h * d4

        for i in 0..<n { u1[i] = f0[i] + (hasTime ? hd1 * fx[i] : 0) }
        linear.solve(u1)

        for i in 0..<n { s[i] = y[i] + a21 * u1[i] }
        w.evaluate(system, t: t + c2 * h, at: s, into: ak)
        for i in 0..<n { u2[i] = ak[i] + hc21 * u1[i] + (hasTime ? hd2 * fx[i] : 0) }
        linear.solve(u2)

        for i in 0..<n { s[i] = y[i] + a31 * u1[i] + a32 * u2[i] }
        w.evaluate(system, t: t + c3 * h, at: s, into: ak)
        for i in 0..<n { u3[i] = ak[i] + hc31 * u1[i] + hc32 * u2[i] + (hasTime ? hd3 * fx[i] : 0) }
        linear.solve(u3)

        for i in 0..<n { s[i] = y[i] + a41 * u1[i] + a42 * u2[i] + a43 * u3[i] }
        w.evaluate(system, t: t + c4 * h, at: s, into: ak)
        for i in 0..<n { u4[i] = ak[i] + hc41 * u1[i] + hc42 * u2[i] + hc43 * u3[i] + (hasTime ? hd4 * fx[i] : 0) }
        linear.solve(u4)

        for i in 0..<n { s[i] = y[i] + a51 * u1[i] + a52 * u2[i] + a53 * u3[i] + a54 * u4[i] }
        w.evaluate(system, t: t + h, at: s, into: ak)
        for i in 0..<n { u5[i] = ak[i] + hc51 * u1[i] + hc52 * u2[i] + hc53 * u3[i] + hc54 * u4[i] }
        linear.solve(u5)

        for i in 0..<n { s[i] += u5[i] }
        w.evaluate(system, t: t + h, at: s, into: ak)
        for i in 0..<n { u6[i] = ak[i] + hc61 * u1[i] + hc62 * u2[i] + hc63 * u3[i] + hc64 * u4[i] + hc65 * u5[i] }
        linear.solve(u6)

        for i in 0..<n {
            yNew[i] = s[i] + u6[i]
            if !yNew[i].isFinite { return .completed(error: .nan) }
        }
        return .completed(error: w.errorNorm(u6, rtol: rtol, atol: atol))
    }

    /// Fills the dense-output coefficients for the step just accepted (before `y` is replaced).
    @inlinable static func prepareDenseOutput(_ w: StepWorkspace) {
        let u1 = w.k2, u2 = w.k3, u3 = w.k4, u4 = w.k5, u5 = w.k6
        for i in 0..<w.n {
            w.dense0[i] = w.y[i]
            w.dense1[i] = w.yNew[i] - w.y[i]
            w.dense2[i] = h21 * u1[i] + h22 * u2[i] + h23 * u3[i] + h24 * u4[i] + h25 * u5[i]
            w.dense3[i] = h31 * u1[i] + h32 * u2[i] + h33 * u3[i] + h34 * u4[i] + h35 * u5[i]
            w.dense4[i] = 0
        }
    }
}
