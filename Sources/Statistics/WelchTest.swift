import Foundation

/// Welch's two-sample t test of mean(arm) − mean(control) with unequal variances (Welch 1947,
/// Biometrika 34:28): s² = v₁/n₁ + v₂/n₂ and Welch–Satterthwaite degrees of freedom
/// ν = s⁴ / ((v₁/n₁)²/(n₁ − 1) + (v₂/n₂)²/(n₂ − 1)); matches R's `t.test(var.equal = FALSE)`.
public enum WelchTest {
    /// The estimate with its standard error and ν; nil when either group has fewer than two values
    /// or both variances are 0 (SPEC §6). One constant group is fine: ν then comes from the other.
    public static func statistics(arm: GroupMoments, control: GroupMoments) -> EstimateWithStandardError? {
        guard arm.count >= 2, control.count >= 2 else { return nil }
        let a = arm.variance / Double(arm.count), c = control.variance / Double(control.count)
        let se2 = a + c
        guard se2 > 0, se2.isFinite else { return nil }
        let df = se2 * se2 / (a * a / Double(arm.count - 1) + c * c / Double(control.count - 1))
        return EstimateWithStandardError(estimate: arm.mean - control.mean, standardError: se2.squareRoot(), degreesOfFreedom: df)
    }

    /// Estimate, interval (1 − alpha two-sided, 1 − 2·alpha for a one-sided test) and p-value.
    /// When the test is undefined the estimate is still the mean difference if both groups have a
    /// value, and the interval and p-value are nil.
    public static func compare(arm: GroupMoments, control: GroupMoments, alpha: Double, alternative: Alternative) -> ComparisonResult {
        guard let s = statistics(arm: arm, control: control) else {
            return ComparisonResult(estimate: arm.count > 0 && control.count > 0 ? arm.mean - control.mean : nil)
        }
        return EstimateTest.test(s, alpha: alpha, alternative: alternative)
    }

    /// Convenience over raw values.
    public static func compare(arm: [Double], control: [Double], alpha: Double, alternative: Alternative) -> ComparisonResult {
        compare(arm: GroupMoments(arm), control: GroupMoments(control), alpha: alpha, alternative: alternative)
    }
}
