import Foundation

/// Log-gamma, log-beta and the regularized incomplete beta and gamma functions, the building
/// blocks of every distribution function in this module.
///
/// All arguments are real and positive where the mathematics requires it (documented per
/// function); the functions are total on that domain and return finite values there.
public enum SpecialFunctions {
    private static let halfLogTwoPi = 0.918_938_533_204_672_741_780_329_736_406 // ½·ln(2π)

    /// The remainder of Stirling's formula, δ(x) = ln Γ(x) − [(x − ½)·ln x − x + ½·ln(2π)], for x ≥ 10.
    ///
    /// Asymptotic series δ(x) = Σₖ B₂ₖ / (2k(2k − 1)·x²ᵏ⁻¹) (Abramowitz & Stegun 6.1.40). Eight
    /// terms leave an error below 1e-17 for x ≥ 10, because the terms keep decreasing until k ≈ πx.
    /// Used on its own (rather than inside ln Γ) where large ln Γ values would cancel (`logBeta`).
    public static func stirlingCorrection(_ x: Double) -> Double {
        precondition(x >= 10, "stirlingCorrection needs x ≥ 10")
        let r = 1 / x, r2 = r * r
        // B₂ₖ / (2k(2k − 1)) for k = 1…8: 1/12, −1/360, 1/1260, −1/1680, 1/1188, −691/360360, 1/156, −3617/122400.
        var s = -3617.0 / 122_400
        s = s * r2 + 1.0 / 156
        s = s * r2 - 691.0 / 360_360
        s = s * r2 + 1.0 / 1188
        s = s * r2 - 1.0 / 1680
        s = s * r2 + 1.0 / 1260
        s = s * r2 - 1.0 / 360
        s = s * r2 + 1.0 / 12
        return s * r
    }

    /// ln Γ(x) for x > 0.
    ///
    /// For x < 10 the Lanczos approximation with g = 671/128 and 14 coefficients (Press et al.,
    /// Numerical Recipes 3rd ed. 2007, §6.1 `gammln`), absolute error ≲ 2e-15; for x ≥ 10 Stirling's
    /// series with `stirlingCorrection`, relative error ≲ 1e-15. Near its zeros x = 1 and x = 2 the
    /// error is absolute, not relative.
    public static func logGamma(_ x: Double) -> Double {
        precondition(x > 0, "logGamma needs x > 0")
        if x >= 10 {
            return (x - 0.5) * log(x) - x + halfLogTwoPi + stirlingCorrection(x)
        }
        var y = x
        let tmp0 = x + 5.242_187_5
        let tmp = (x + 0.5) * log(tmp0) - tmp0
        var ser = 0.999_999_999_999_997_092
        for c in lanczosCoefficients { y += 1; ser += c / y }
        return tmp + log(2.506_628_274_631_000_5 * ser / x)
    }

    private static let lanczosCoefficients: [Double] = [57.156_235_665_862_923_5, -59.597_960_355_475_491_2, 14.136_097_974_741_747_1,
                             -0.491_913_816_097_620_199, 0.339_946_499_848_118_887e-4, 0.465_236_289_270_485_756e-4,
                             -0.983_744_753_048_795_646e-4, 0.158_088_703_224_912_494e-3, -0.210_264_441_724_104_883e-3,
                             0.217_439_618_115_212_643e-3, -0.164_318_106_536_763_890e-3, 0.844_182_239_838_527_433e-4,
                             -0.261_908_384_015_814_087e-4, 0.368_991_826_595_316_234e-5]

    /// ln B(a, b) = ln Γ(a) + ln Γ(b) − ln Γ(a + b) for a, b > 0.
    ///
    /// When an argument is ≥ 10 the large ln Γ terms are cancelled analytically before rounding,
    /// as in R's `lbeta` (nmath/lbeta.c), so the result keeps full relative precision even for
    /// B(5·10⁵, ½) (Student t with 10⁶ degrees of freedom).
    public static func logBeta(_ a: Double, _ b: Double) -> Double {
        precondition(a > 0 && b > 0, "logBeta needs a, b > 0")
        let p = min(a, b), q = max(a, b)
        if p >= 10 {
            let corr = stirlingCorrection(p) + stirlingCorrection(q) - stirlingCorrection(p + q)
            return -0.5 * log(q) + halfLogTwoPi + corr + (p - 0.5) * log(p / (p + q)) + q * log1p(-p / (p + q))
        }
        if q >= 10 {
            let corr = stirlingCorrection(q) - stirlingCorrection(p + q)
            return logGamma(p) + corr + p - p * log(p + q) + (q - 0.5) * log1p(-p / (p + q))
        }
        return logGamma(p) + logGamma(q) - logGamma(p + q)
    }

    /// ln C(n, k) = ln n! − ln k! − ln (n − k)! for integers 0 ≤ k ≤ n, through `logBeta`:
    /// C(n, k) = 1 / ((n + 1)·B(k + 1, n − k + 1)).
    public static func logBinomialCoefficient(_ n: Int, _ k: Int) -> Double {
        precondition(k >= 0 && k <= n, "logBinomialCoefficient needs 0 ≤ k ≤ n")
        if k == 0 || k == n { return 0 }
        return -log(Double(n + 1)) - logBeta(Double(k + 1), Double(n - k + 1))
    }

    /// The regularized incomplete beta function I_x(a, b) for a, b > 0 and 0 ≤ x ≤ 1.
    ///
    /// Continued fraction (Abramowitz & Stegun 26.5.8) evaluated by the modified Lentz method
    /// (Press et al., Numerical Recipes 3rd ed. §6.4 `betacf`), on I_x(a, b) directly when
    /// x < (a + 1)/(a + b + 2) and on 1 − I_{1−x}(b, a) otherwise, where the fraction converges in
    /// O(√max(a, b)) terms. The prefactor xᵃ(1 − x)ᵇ/B(a, b) is formed in logs with `logBeta`.
    ///
    /// `complement` is 1 − x when the caller knows it more accurately than `1 - x` can be rounded
    /// (e.g. t²/(ν + t²) for the Student t); it defaults to 1 − x.
    public static func regularizedIncompleteBeta(_ a: Double, _ b: Double, x: Double, complement: Double? = nil) -> Double {
        precondition(a > 0 && b > 0 && x >= 0 && x <= 1, "regularizedIncompleteBeta needs a, b > 0 and 0 ≤ x ≤ 1")
        let y = complement ?? (1 - x)
        if x == 0 { return 0 }
        if y == 0 { return 1 }
        let logX = x < 0.5 ? log(x) : log1p(-y)
        let logY = y < 0.5 ? log(y) : log1p(-x)
        let logFront = a * logX + b * logY - logBeta(a, b)
        if x < (a + 1) / (a + b + 2) {
            return exp(logFront) * betaContinuedFraction(a, b, x) / a
        }
        return 1 - exp(logFront) * betaContinuedFraction(b, a, y) / b
    }

    /// I_x(a, b) and its complement 1 − I_x(a, b), each computed on the side where it is small, so
    /// both keep relative precision.
    public static func incompleteBetaPair(_ a: Double, _ b: Double, x: Double, complement: Double? = nil) -> (lower: Double, upper: Double) {
        precondition(a > 0 && b > 0 && x >= 0 && x <= 1, "incompleteBetaPair needs a, b > 0 and 0 ≤ x ≤ 1")
        let y = complement ?? (1 - x)
        if x == 0 { return (0, 1) }
        if y == 0 { return (1, 0) }
        let logX = x < 0.5 ? log(x) : log1p(-y)
        let logY = y < 0.5 ? log(y) : log1p(-x)
        let front = exp(a * logX + b * logY - logBeta(a, b))
        if x < (a + 1) / (a + b + 2) {
            let lower = front * betaContinuedFraction(a, b, x) / a
            return (lower, 1 - lower)
        }
        let upper = front * betaContinuedFraction(b, a, y) / b
        return (1 - upper, upper)
    }

    private static func betaContinuedFraction(_ a: Double, _ b: Double, _ x: Double) -> Double {
        let tiny = 1e-300, eps = 1e-16
        let qab = a + b, qap = a + 1, qam = a - 1
        var c = 1.0
        var d = 1 - qab * x / qap
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        var h = d
        var m = 1
        while m <= 100_000 {
            let mm = Double(m), m2 = 2 * mm
            var aa = mm * (b - mm) * x / ((qam + m2) * (a + m2))
            d = 1 + aa * d; if abs(d) < tiny { d = tiny }
            c = 1 + aa / c; if abs(c) < tiny { c = tiny }
            d = 1 / d
            h *= d * c
            aa = -(a + mm) * (qab + mm) * x / ((a + m2) * (qap + m2))
            d = 1 + aa * d; if abs(d) < tiny { d = tiny }
            c = 1 + aa / c; if abs(c) < tiny { c = tiny }
            d = 1 / d
            let del = d * c
            h *= del
            if abs(del - 1) <= eps { break }
            m += 1
        }
        return h
    }

    /// The regularized incomplete gamma functions P(a, x) = γ(a, x)/Γ(a) and Q(a, x) = 1 − P(a, x)
    /// for a > 0, x ≥ 0, each computed on the side where it is small.
    ///
    /// Series for x < a + 1, Legendre's continued fraction (modified Lentz) otherwise (Press et
    /// al., Numerical Recipes 3rd ed. §6.2 `gser`/`gcf`); prefactor e⁻ˣxᵃ/Γ(a) in logs.
    public static func regularizedIncompleteGamma(_ a: Double, x: Double) -> (lower: Double, upper: Double) {
        precondition(a > 0 && x >= 0, "regularizedIncompleteGamma needs a > 0 and x ≥ 0")
        if x == 0 { return (0, 1) }
        if x.isInfinite { return (1, 0) }
        let logFront = -x + a * log(x) - logGamma(a)
        if x < a + 1 {
            var ap = a, del = 1 / a, sum = del
            for _ in 0..<100_000 {
                ap += 1
                del *= x / ap
                sum += del
                if abs(del) < abs(sum) * 1e-17 { break }
            }
            let lower = sum * exp(logFront)
            return (lower, 1 - lower)
        }
        let tiny = 1e-300
        var b = x + 1 - a, c = 1 / tiny, d = 1 / b, h = d
        var i = 1.0
        while i < 100_000 {
            let an = -i * (i - a)
            b += 2
            d = an * d + b; if abs(d) < tiny { d = tiny }
            c = b + an / c; if abs(c) < tiny { c = tiny }
            d = 1 / d
            let del = d * c
            h *= del
            if abs(del - 1) <= 1e-16 { break }
            i += 1
        }
        let upper = exp(logFront) * h
        return (1 - upper, upper)
    }
}
