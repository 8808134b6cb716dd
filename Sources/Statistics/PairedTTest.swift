import Foundation

/// The paired t test: the mean of the within-patient differences arm − control, standard error
/// sd/√n, t on n − 1 degrees of freedom (R's `t.test(paired = TRUE)`).
public enum PairedTTest {
    /// nil when fewer than two pairs or when every difference is the same (sd = 0).
    public static func statistics(differences: GroupMoments) -> EstimateWithStandardError? {
        guard differences.count >= 2, differences.variance > 0 else { return nil }
        return EstimateWithStandardError(estimate: differences.mean,
                                         standardError: (differences.variance / Double(differences.count)).squareRoot(),
                                         degreesOfFreedom: Double(differences.count - 1))
    }

    /// `arm[i]` and `control[i]` are the same patient's values (pairs with a missing value are left
    /// out by the caller). Estimate nil only with no pairs; interval and p nil when undefined.
    public static func compare(arm: [Double], control: [Double], alpha: Double, alternative: Alternative) -> ComparisonResult {
        precondition(arm.count == control.count, "paired values must come in pairs")
        let d = GroupMoments(zip(arm, control).lazy.map { $0 - $1 })
        guard let s = statistics(differences: d) else {
            return ComparisonResult(estimate: d.count > 0 ? d.mean : nil)
        }
        return EstimateTest.test(s, alpha: alpha, alternative: alternative)
    }
}
