import Sampling
import Foundation

/// Confidence intervals for one binomial proportion x/n.
public enum ProportionInterval {
    /// Wilson's score interval without continuity correction (Wilson 1927, JASA 22:209; method 3
    /// of Newcombe 1998, Stat Med 17:857): (2x + z² ± z·√(z² + 4x(n − x)/n)) / (2(n + z²)),
    /// z the upper (1 − confidence)/2 normal quantile. nil when n = 0.
    public static func wilson(successes x: Int, trials n: Int, confidence: Double) -> (lower: Double, upper: Double)? {
        precondition(x >= 0 && x <= n && confidence > 0 && confidence < 1, "wilson needs 0 ≤ x ≤ n and 0 < confidence < 1")
        guard n > 0 else { return nil }
        let z = -StandardNormal.quantile((1 - confidence) / 2)
        return wilson(successes: x, trials: n, z: z)
    }

    static func wilson(successes x: Int, trials n: Int, z: Double) -> (lower: Double, upper: Double) {
        let nn = Double(n), xx = Double(x), z2 = z * z
        let center = 2 * xx + z2
        let half = z * (z2 + 4 * xx * (nn - xx) / nn).squareRoot()
        let denominator = 2 * (nn + z2)
        // The bounds are exactly 0 and 1 at x = 0 and x = n; say so rather than leave rounding.
        let lower = x == 0 ? 0 : (center - half) / denominator
        let upper = x == n ? 1 : (center + half) / denominator
        return (lower, upper)
    }

    /// The exact Clopper–Pearson interval (Clopper & Pearson 1934, Biometrika 26:404):
    /// lower = B⁻¹(α/2; x, n − x + 1), upper = B⁻¹(1 − α/2; x + 1, n − x) with α = 1 − confidence;
    /// lower = 0 when x = 0 and upper = 1 when x = n. nil when n = 0.
    public static func clopperPearson(successes x: Int, trials n: Int, confidence: Double) -> (lower: Double, upper: Double)? {
        precondition(x >= 0 && x <= n && confidence > 0 && confidence < 1, "clopperPearson needs 0 ≤ x ≤ n and 0 < confidence < 1")
        guard n > 0 else { return nil }
        let tail = (1 - confidence) / 2
        let lower = x == 0 ? 0 : BetaDistribution.quantile(tail, a: Double(x), b: Double(n - x + 1))
        // upper = 1 − B⁻¹(α/2; n − x, x + 1): the same number, with the small tail computed directly.
        let upper = x == n ? 1 : 1 - BetaDistribution.quantile(tail, a: Double(n - x), b: Double(x + 1))
        return (lower, upper)
    }
}
