import Sampling
import Foundation

/// Student's t distribution with real degrees of freedom ν > 0 (Welch's ν is fractional).
public enum StudentT {
    /// P(T ≤ t). The smaller tail is ½·I_x(ν/2, ½) with x = ν/(ν + t²) (Abramowitz & Stegun
    /// 26.7.1), x and 1 − x formed without cancellation, so both tails keep relative precision:
    /// about 1e-13 for ν ≤ 10³, 5e-11 up to ν = 10⁶ and 1e-9 beyond (where the incomplete-beta
    /// continued fraction becomes ill-conditioned; R's `pt` uses a normal approximation there).
    public static func cdf(_ t: Double, degreesOfFreedom nu: Double) -> Double {
        precondition(nu > 0 && !t.isNaN, "StudentT.cdf needs ν > 0 and a number t")
        if t.isInfinite { return t < 0 ? 0 : 1 }
        let tail = smallerTail(t, nu)
        return t < 0 ? tail : 1 - tail
    }

    /// P(T > t), with relative precision in the upper tail.
    public static func survival(_ t: Double, degreesOfFreedom nu: Double) -> Double {
        cdf(-t, degreesOfFreedom: nu)
    }

    /// ½·I_{ν/(ν+t²)}(ν/2, ½) = P(T > |t|).
    private static func smallerTail(_ t: Double, _ nu: Double) -> Double {
        let t2 = t * t
        let x: Double, y: Double
        if t2 < nu {
            let ratio = t2 / nu
            x = 1 / (1 + ratio); y = ratio / (1 + ratio)
        } else {
            let ratio = nu / t2
            x = ratio / (1 + ratio); y = 1 / (1 + ratio)
        }
        return 0.5 * SpecialFunctions.regularizedIncompleteBeta(nu / 2, 0.5, x: x, complement: y)
    }

    /// The density Γ((ν+1)/2)/(√(νπ)Γ(ν/2))·(1 + t²/ν)^{−(ν+1)/2}.
    public static func density(_ t: Double, degreesOfFreedom nu: Double) -> Double {
        let logNorm = -0.5 * log(nu) - SpecialFunctions.logBeta(nu / 2, 0.5)
        return exp(logNorm - 0.5 * (nu + 1) * log1p(t * t / nu))
    }

    /// The quantile t_p(ν) for 0 < p < 1 (−∞ at 0, +∞ at 1).
    ///
    /// Closed forms for ν = 1 (Cauchy) and ν = 2; otherwise Hill's approximation (Algorithm 396,
    /// Comm. ACM 13:617, 1970, as in R's `qt`) refined by Halley steps on the tail probability
    /// until the relative step is below 1e-15, with bisection as a safeguard.
    public static func quantile(_ p: Double, degreesOfFreedom nu: Double) -> Double {
        precondition(nu > 0 && p >= 0 && p <= 1, "StudentT.quantile needs ν > 0 and 0 ≤ p ≤ 1")
        if p == 0 { return -.infinity }
        if p == 1 { return .infinity }
        if p == 0.5 { return 0 }
        let lower = p < 0.5
        let tail = lower ? p : 1 - p          // P(T > q) for the positive quantile q
        let q = upperQuantile(tail: tail, nu)
        return lower ? -q : q
    }

    /// The q > 0 with P(T > q) = tail, 0 < tail < ½.
    private static func upperQuantile(tail: Double, _ nu: Double) -> Double {
        if nu == 1 { return 1 / tan(Double.pi * tail) }
        if nu == 2 { return (1 - 2 * tail) / (2 * tail * (1 - tail)).squareRoot() }
        var q = hillApproximation(tail: tail, nu)
        if !q.isFinite || q <= 0 { q = 1 }
        // Halley refinement; P(T > q) is decreasing in q.
        var lo = 0.0, hi = Double.infinity
        for _ in 0..<200 {
            let f = smallerTail(q, nu) - tail
            if f > 0 { lo = max(lo, q) } else { hi = min(hi, q) }
            let dens = density(q, degreesOfFreedom: nu)
            var next: Double
            if dens > 0 {
                let x = f / dens
                next = q + x * (1 + x * q * (nu + 1) / (2 * (q * q + nu)))
            } else {
                next = .nan
            }
            if !(next > lo && next < hi) || !next.isFinite {
                next = hi.isFinite ? 0.5 * (lo + hi) : max(2 * q, lo * 2 + 1)
            }
            if abs(next - q) <= 1e-15 * abs(next) { return next }
            if f == 0 { return q }
            q = next
        }
        return q
    }

    private static func hillApproximation(tail: Double, _ nu: Double) -> Double {
        let twoSided = 2 * tail
        let a = 1 / (nu - 0.5)
        let b = 48 / (a * a)
        var c = ((20700 * a / b - 98) * a - 16) * a + 96.36
        let d = ((94.5 / (b + c) - 3) / b + 1) * (a * Double.pi / 2).squareRoot() * nu
        var y = pow(d * twoSided, 2 / nu)
        if (nu < 2.1 && twoSided > 0.5) || y > 0.05 + a {
            let x = StandardNormal.quantile(0.5 * twoSided)
            y = x * x
            if nu < 5 { c += 0.3 * (nu - 4.5) * (x + 0.6) }
            c = (((0.05 * d * x - 5) * x - 7) * x - 2) * x + b + c
            y = (((((0.4 * y + 6.3) * y + 36) * y + 94.5) / c - y - 3) / b + 1) * x
            y = expm1(a * y * y)
            return (nu * y).squareRoot()
        }
        if y < 1e-300 { return exp((log(d) + log(twoSided)) / nu * -1) * nu.squareRoot() }
        y = ((1 / (((nu + 6) / (nu * y) - 0.089 * d - 0.822) * (nu + 2) * 3) + 0.5 / (nu + 4)) * y - 1)
            * (nu + 1) / (nu + 2) + 1 / y
        return (nu * y).squareRoot()
    }
}
