import Foundation

/// The standard normal distribution N(0, 1): density, CDF with relative precision deep into both
/// tails, and quantile.
public enum StandardNormal {
    private static let inverseSqrtTwoPi = 0.398_942_280_401_432_677_939_946_059_934

    /// φ(x) = e^{−x²/2}/√(2π). x² is split as xs² + (x − xs)(x + xs) with xs = x rounded to 1/16,
    /// so e^{−x²/2} keeps full relative precision for large |x| (the device of Cody's ANORM, as
    /// used in R's `pnorm`).
    public static func density(_ x: Double) -> Double {
        let ax = abs(x)
        if ax < 5 { return inverseSqrtTwoPi * exp(-0.5 * x * x) }
        let xs = (ax * 16).rounded(.down) / 16
        let del = (ax - xs) * (ax + xs)
        return inverseSqrtTwoPi * exp(-0.5 * xs * xs) * exp(-0.5 * del)
    }

    /// Φ(x) = P(Z ≤ x), with relative precision ≈ 1e-14 down to Φ ≈ 1e-308.
    ///
    /// For −3 < x: ½·erfc(−x/√2) (libm erfc). For x ≤ −3: φ(x)·R(|x|) with Mills' ratio R from its
    /// continued fraction R(x) = 1/(x + 1/(x + 2/(x + 3/(x + …)))) (Abramowitz & Stegun 26.2.14),
    /// evaluated by the modified Lentz method; this avoids the error that rounding x/√2 would
    /// amplify by 2z² inside erfc.
    public static func cdf(_ x: Double) -> Double {
        if x.isNaN { preconditionFailure("StandardNormal.cdf of NaN") }
        if x > -3 { return 0.5 * erfc(-x / 2.0.squareRoot()) }
        if x < -38.5 { return 0 }
        return density(x) * millsRatio(-x)
    }

    /// 1 − Φ(x) = Φ(−x), with the same relative precision in the upper tail.
    public static func survival(_ x: Double) -> Double { cdf(-x) }

    private static func millsRatio(_ x: Double) -> Double {
        let tiny = 1e-300
        // b0 = 0, a1 = 1, b_k = x, a_{k+1} = k.
        var f = tiny, c = f, d = 0.0
        var k = 0
        while k < 5000 {
            let a = k == 0 ? 1.0 : Double(k)
            d = x + a * d; if abs(d) < tiny { d = tiny }
            c = x + a / c; if abs(c) < tiny { c = tiny }
            d = 1 / d
            let del = c * d
            f *= del
            if abs(del - 1) < 1e-16 { break }
            k += 1
        }
        return f
    }

    /// The quantile Φ⁻¹(p) for 0 < p < 1 (−∞ at 0, +∞ at 1).
    ///
    /// Wichura's algorithm AS 241 `PPND16` (Applied Statistics 37:477, 1988), relative accuracy
    /// about 1e-16, followed by one Newton step on `cdf` in the far tails (p < 1e-290) where the
    /// rational approximation was not fitted.
    public static func quantile(_ p: Double) -> Double {
        precondition(p >= 0 && p <= 1, "StandardNormal.quantile needs 0 ≤ p ≤ 1")
        if p == 0 { return -.infinity }
        if p == 1 { return .infinity }
        let q = p - 0.5
        if abs(q) <= 0.425 {
            let r = 0.180625 - q * q
            let num = (((((((r * 2509.0809287301226727 + 33430.575583588128105) * r + 67265.770927008700853) * r
                + 45921.953931549871457) * r + 13731.693765509461125) * r + 1971.5909503065514427) * r
                + 133.14166789178437745) * r + 3.387132872796366608)
            let den = (((((((r * 5226.495278852545925 + 28729.085735721942674) * r + 39307.89580009271061) * r
                + 21213.794301586595867) * r + 5394.1960214247511077) * r + 687.1870074920579083) * r
                + 42.313330701600911252) * r + 1)
            return q * num / den
        }
        var r = q < 0 ? p : 1 - p
        let tail = r
        r = (-log(r)).squareRoot()
        var value: Double
        if r <= 5 {
            r -= 1.6
            let num = (((((((r * 7.7454501427834140764e-4 + 0.0227238449892691845833) * r + 0.24178072517745061177) * r
                + 1.27045825245236838258) * r + 3.64784832476320460504) * r + 5.7694972214606914055) * r
                + 4.6303378461565452959) * r + 1.42343711074968357734)
            let den = (((((((r * 1.05075007164441684324e-9 + 5.475938084995344946e-4) * r + 0.0151986665636164571966) * r
                + 0.14810397642748007459) * r + 0.68976733498510000455) * r + 1.6763848301838038494) * r
                + 2.05319162663775882187) * r + 1)
            value = num / den
        } else {
            r -= 5
            let num = (((((((r * 2.01033439929228813265e-7 + 2.71155556874348757815e-5) * r + 0.0012426609473880784386) * r
                + 0.026532189526576123093) * r + 0.29656057182850489123) * r + 1.7848265399172913358) * r
                + 5.4637849111641143699) * r + 6.6579046435011037772)
            let den = (((((((r * 2.04426310338993978564e-15 + 1.4215117583164458887e-7) * r + 1.8463183175100546818e-5) * r
                + 7.868691311456132591e-4) * r + 0.0148753612908506148525) * r + 0.13692988092273580531) * r
                + 0.59983220655588793769) * r + 1)
            value = num / den
        }
        if tail < 1e-290 {
            // Newton on the lower tail: x ← x − (Φ(x) − p)/φ(x), in relative form.
            let x = -value
            let phi = density(x)
            if phi > 0 { value = -(x - (cdf(x) - tail) / phi) }
        }
        return q < 0 ? -value : value
    }
}
