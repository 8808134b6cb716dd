import Foundation

/// The beta distribution Beta(a, b), a, b > 0: CDF and quantile (the latter gives exact
/// Clopper–Pearson intervals).
public enum BetaDistribution {
    /// P(X ≤ x) = I_x(a, b).
    public static func cdf(_ x: Double, a: Double, b: Double) -> Double {
        precondition(a > 0 && b > 0, "BetaDistribution needs a, b > 0")
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        return SpecialFunctions.regularizedIncompleteBeta(a, b, x: x)
    }

    /// The x in [0, 1] with I_x(a, b) = p.
    ///
    /// Starting value from Abramowitz & Stegun 26.5.22 (a, b ≥ 1) or from the two tail power laws
    /// (otherwise), then Halley steps (Press et al., Numerical Recipes 3rd ed. §6.14 `invbetai`)
    /// on whichever of I_x(a, b) = p or I_{1−x}(b, a) = 1 − p has the smaller target, to a relative
    /// step of 1e-15, inside a bisection bracket that guarantees convergence.
    public static func quantile(_ p: Double, a: Double, b: Double) -> Double {
        precondition(a > 0 && b > 0 && p >= 0 && p <= 1, "BetaDistribution.quantile needs a, b > 0 and 0 ≤ p ≤ 1")
        if p == 0 { return 0 }
        if p == 1 { return 1 }
        if p > 0.5 { return 1 - lowerQuantile(1 - p, a: b, b: a) }
        return lowerQuantile(p, a: a, b: b)
    }

    private static func lowerQuantile(_ p: Double, a: Double, b: Double) -> Double {
        let a1 = a - 1, b1 = b - 1
        var x: Double
        if a >= 1 && b >= 1 {
            let pp = p < 0.5 ? p : 1 - p
            let t = (-2 * log(pp)).squareRoot()
            var z = (2.30753 + t * 0.27061) / (1 + t * (0.99229 + t * 0.04481)) - t
            if p >= 0.5 { z = -z }
            let al = (z * z - 3) / 6
            let h = 2 / (1 / (2 * a - 1) + 1 / (2 * b - 1))
            let w = (z * (al + h).squareRoot() / h) - (1 / (2 * b - 1) - 1 / (2 * a - 1)) * (al + 5.0 / 6 - 2 / (3 * h))
            x = a / (a + b * exp(2 * w))
        } else {
            let lna = log(a / (a + b)), lnb = log(b / (a + b))
            let t = exp(a * lna) / a, u = exp(b * lnb) / b
            let w = t + u
            x = p < t / w ? pow(a * w * p, 1 / a) : 1 - pow(b * w * (1 - p), 1 / b)
        }
        let logB = SpecialFunctions.logBeta(a, b)
        var lo = 0.0, hi = 1.0
        if !(x > 0 && x < 1) { x = 0.5 }
        for _ in 0..<300 {
            let f = SpecialFunctions.regularizedIncompleteBeta(a, b, x: x) - p
            if f < 0 { lo = x } else if f > 0 { hi = x } else { return x }
            let density = exp(a1 * log(x) + b1 * log1p(-x) - logB)
            // Halley step (Numerical Recipes `invbetai`); bisect when it is unusable or leaves the bracket.
            var next = 0.5 * (lo + hi)
            if density > 0 && density.isFinite {
                let u = f / density
                let halley = x - u / (1 - 0.5 * min(1, u * (a1 / x - b1 / (1 - x))))
                if halley > lo && halley < hi { next = halley }
            }
            if abs(next - x) <= 1e-15 * next || hi - lo <= 1e-16 * hi { return next }
            x = next
        }
        return x
    }
}
