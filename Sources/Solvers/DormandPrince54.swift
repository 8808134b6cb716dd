/// The explicit Runge–Kutta pair of Dormand & Prince (1980), order 5 with an embedded order-4
/// error estimate, as implemented in Hairer's `dopri5.f` (Hairer, Nørsett & Wanner, *Solving
/// Ordinary Differential Equations I*, 2nd ed., Springer 1993, §II.4–II.5, Table 5.2).
///
/// Seven stages, the last evaluated at the new solution ("first same as last", FSAL), so an
/// accepted step costs six evaluations of `f`. The continuous extension is Shampine's 4th-order
/// one (`dopri5.f`, `CONTD5`); see ``DenseOutput``.
@usableFromInline enum DormandPrince54 {
    @usableFromInline static let c2 = 0.2, c3 = 0.3, c4 = 0.8, c5 = 8.0 / 9.0
    @usableFromInline static let a21 = 0.2
    @usableFromInline static let a31 = 3.0 / 40.0, a32 = 9.0 / 40.0
    @usableFromInline static let a41 = 44.0 / 45.0, a42 = -56.0 / 15.0, a43 = 32.0 / 9.0
    @usableFromInline static let a51 = 19372.0 / 6561.0, a52 = -25360.0 / 2187.0, a53 = 64448.0 / 6561.0, a54 = -212.0 / 729.0
    @usableFromInline static let a61 = 9017.0 / 3168.0, a62 = -355.0 / 33.0, a63 = 46732.0 / 5247.0, a64 = 49.0 / 176.0
    @usableFromInline static let a65 = -5103.0 / 18656.0
    @usableFromInline static let a71 = 35.0 / 384.0, a73 = 500.0 / 1113.0, a74 = 125.0 / 192.0, a75 = -2187.0 / 6784.0
    @usableFromInline static let a76 = 11.0 / 84.0
    // Differences between the 5th- and 4th-order weights (the error estimate).
    @usableFromInline static let e1 = 71.0 / 57600.0, e3 = -71.0 / 16695.0, e4 = 71.0 / 1920.0, e5 = -17253.0 / 339200.0
    @usableFromInline static let e6 = 22.0 / 525.0, e7 = -1.0 / 40.0
    // Dense output of Shampine (1986), as in `dopri5.f`.
    @usableFromInline static let d1 = -12715105075.0 / 11282082432.0, d3 = 87487479700.0 / 32700410799.0
    @usableFromInline static let d4 = -10690763975.0 / 1880347072.0, d5 = 701980252875.0 / 199316789632.0
    @usableFromInline static let d6 = -1453857185.0 / 822651844.0, d7 = 69997945.0 / 29380423.0

    /// Order of the error estimate plus one, the exponent base of the controller.
    @usableFromInline static let order = 5.0

    // The arithmetic of one component, shared by the workspace loops below and the scalar path
    // (`ScalarDormandPrince`), so both evaluate literally the same expressions in the same order
    // and round identically (Swift does not contract `a * b + c` into a fused multiply-add).

    /// The argument of stage 2.
    @inlinable @inline(__always) static func stage2(_ y: Double, _ h: Double, _ k1: Double) -> Double {
        y + h * a21 * k1
    }
    /// The argument of stage 3.
    @inlinable @inline(__always) static func stage3(_ y: Double, _ h: Double, _ k1: Double, _ k2: Double) -> Double {
        y + h * (a31 * k1 + a32 * k2)
    }
    /// The argument of stage 4.
    @inlinable @inline(__always) static func stage4(_ y: Double, _ h: Double, _ k1: Double, _ k2: Double, _ k3: Double) -> Double {
        y + h * (a41 * k1 + a42 * k2 + a43 * k3)
    }
    /// The argument of stage 5.
    @inlinable @inline(__always)
    static func stage5(_ y: Double, _ h: Double, _ k1: Double, _ k2: Double, _ k3: Double, _ k4: Double) -> Double {
        y + h * (a51 * k1 + a52 * k2 + a53 * k3 + a54 * k4)
    }
    /// The argument of stage 6 (Hairer's `YSTI`).
    @inlinable @inline(__always)
    static func stage6(_ y: Double, _ h: Double, _ k1: Double, _ k2: Double, _ k3: Double, _ k4: Double, _ k5: Double) -> Double {
        y + h * (a61 * k1 + a62 * k2 + a63 * k3 + a64 * k4 + a65 * k5)
    }
    /// The 5th-order solution (also the argument of stage 7).
    @inlinable @inline(__always)
    static func solution(_ y: Double, _ h: Double, _ k1: Double, _ k3: Double, _ k4: Double, _ k5: Double, _ k6: Double) -> Double {
        y + h * (a71 * k1 + a73 * k3 + a74 * k4 + a75 * k5 + a76 * k6)
    }
    /// The component's error estimate divided by its weight `atol + rtol·max(|y|, |yNew|)`.
    @inlinable @inline(__always)
    static func weightedError(_ h: Double, _ k1: Double, _ k3: Double, _ k4: Double, _ k5: Double, _ k6: Double, _ k7: Double,
                              y: Double, yNew: Double, rtol: Double, atol: Double) -> Double {
        let e = h * (e1 * k1 + e3 * k3 + e4 * k4 + e5 * k5 + e6 * k6 + e7 * k7)
        let scale = atol + rtol * max(abs(y), abs(yNew))
        return e / scale
    }
    /// The dense-output coefficients d₀…d₄ of one component (see ``DenseOutput``).
    @inlinable @inline(__always)
    static func denseCoefficients(y: Double, yNew: Double, h: Double, _ k1: Double, _ k3: Double, _ k4: Double, _ k5: Double,
                                  _ k6: Double, _ k7: Double) -> (Double, Double, Double, Double, Double) {
        let yDiff = yNew - y
        let bSpline = h * k1 - yDiff
        return (y, yDiff, bSpline, yDiff - h * k7 - bSpline, h * (d1 * k1 + d3 * k3 + d4 * k4 + d5 * k5 + d6 * k6 + d7 * k7))
    }

    /// One trial step from `(t, w.y)` with `w.f0 = f(t, y)`. Leaves the 5th-order solution in
    /// `w.yNew`, `f(t + h, yNew)` in `w.k7`, and the 6th stage argument in `w.stage` (Hairer's
    /// `YSTI`, used by the stiffness test). Returns the weighted RMS error, or NaN when a stage
    /// or the solution is not finite.
    @inlinable static func attemptStep<System: ODESystem>(_ system: System, _ w: StepWorkspace, t: Double, h: Double,
                                               rtol: Double, atol: Double) -> Double {
        let n = w.n
        let y = w.y, k1 = w.f0, k2 = w.k2, k3 = w.k3, k4 = w.k4, k5 = w.k5, k6 = w.k6, k7 = w.k7
        let s = w.stage, yNew = w.yNew
        for i in 0..<n { s[i] = stage2(y[i], h, k1[i]) }
        w.evaluate(system, t: t + c2 * h, at: s, into: k2)
        for i in 0..<n { s[i] = stage3(y[i], h, k1[i], k2[i]) }
        w.evaluate(system, t: t + c3 * h, at: s, into: k3)
        for i in 0..<n { s[i] = stage4(y[i], h, k1[i], k2[i], k3[i]) }
        w.evaluate(system, t: t + c4 * h, at: s, into: k4)
        for i in 0..<n { s[i] = stage5(y[i], h, k1[i], k2[i], k3[i], k4[i]) }
        w.evaluate(system, t: t + c5 * h, at: s, into: k5)
        for i in 0..<n { s[i] = stage6(y[i], h, k1[i], k2[i], k3[i], k4[i], k5[i]) }
        w.evaluate(system, t: t + h, at: s, into: k6)
        for i in 0..<n { yNew[i] = solution(y[i], h, k1[i], k3[i], k4[i], k5[i], k6[i]) }
        w.evaluate(system, t: t + h, at: yNew, into: k7)
        var sum = 0.0
        for i in 0..<n {
            let r = weightedError(h, k1[i], k3[i], k4[i], k5[i], k6[i], k7[i], y: y[i], yNew: yNew[i], rtol: rtol, atol: atol)
            sum += r * r
            if !yNew[i].isFinite || !k7[i].isFinite { return .nan }
        }
        return (sum / Double(n)).squareRoot()
    }

    /// Fills the dense-output coefficients for the step just accepted (before `y` is replaced).
    @inlinable static func prepareDenseOutput(_ w: StepWorkspace, h: Double) {
        for i in 0..<w.n {
            (w.dense0[i], w.dense1[i], w.dense2[i], w.dense3[i], w.dense4[i]) =
                denseCoefficients(y: w.y[i], yNew: w.yNew[i], h: h, w.f0[i], w.k3[i], w.k4[i], w.k5[i], w.k6[i], w.k7[i])
        }
    }
}
