import Sampling
import Foundation

/// The difference of two independent proportions, p(arm) − p(control), with Newcombe's hybrid
/// score interval and Fisher's exact p-value (SPEC §5 `RISK_DIFF`).
public enum RiskDifference {
    /// Newcombe's method 10 (Newcombe 1998, Stat Med 17:873): with Wilson intervals (l₁, u₁) for
    /// p₁ = a/n₁ and (l₂, u₂) for p₂ = c/n₂ (no continuity correction) at the same level,
    /// lower = D − √((p₁ − l₁)² + (u₂ − p₂)²), upper = D + √((u₁ − p₁)² + (p₂ − l₂)²), D = p₁ − p₂.
    /// nil when either group is empty.
    public static func newcombeInterval(armEvents a: Int, armTotal n1: Int, controlEvents c: Int, controlTotal n2: Int,
                                        confidence: Double) -> (lower: Double, upper: Double)? {
        guard n1 > 0, n2 > 0 else { return nil }
        let z = -StandardNormal.quantile((1 - confidence) / 2)
        let p1 = Double(a) / Double(n1), p2 = Double(c) / Double(n2)
        let (l1, u1) = ProportionInterval.wilson(successes: a, trials: n1, z: z)
        let (l2, u2) = ProportionInterval.wilson(successes: c, trials: n2, z: z)
        let d = p1 - p2
        let delta = ((p1 - l1) * (p1 - l1) + (u2 - p2) * (u2 - p2)).squareRoot()
        let epsilon = ((u1 - p1) * (u1 - p1) + (p2 - l2) * (p2 - l2)).squareRoot()
        return (d - delta, d + epsilon)
    }

    /// Estimate p₁ − p₂, the Newcombe interval at `alternative.intervalConfidence(alpha:)` and the
    /// Fisher exact p-value in the direction of `alternative` (`greater`: the arm's rate is higher).
    /// Everything nil when either group is empty; a table with no events at all has estimate 0 and
    /// p = 1.
    public static func compare(armEvents a: Int, armTotal n1: Int, controlEvents c: Int, controlTotal n2: Int,
                               alpha: Double, alternative: Alternative) -> ComparisonResult {
        precondition(a >= 0 && a <= n1 && c >= 0 && c <= n2, "events must lie in 0…total")
        guard n1 > 0, n2 > 0,
              let ci = newcombeInterval(armEvents: a, armTotal: n1, controlEvents: c, controlTotal: n2,
                                        confidence: alternative.intervalConfidence(alpha: alpha))
        else { return .undefined }
        let p = FisherExactTest.pValue(armEvents: a, armTotal: n1, controlEvents: c, controlTotal: n2, alternative: alternative)
        return ComparisonResult(estimate: Double(a) / Double(n1) - Double(c) / Double(n2), lower: ci.lower, upper: ci.upper, pValue: p)
    }
}
