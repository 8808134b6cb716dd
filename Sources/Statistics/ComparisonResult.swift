/// The direction of a test. Estimates are always arm − control (or arm/control for ratios), and
/// `greater` / `less` refer to that difference: `greater` tests H₁: arm − control > null.
public enum Alternative: Sendable, Equatable, Hashable {
    case twoSided
    /// H₁: the arm's value exceeds the control's (difference > null, ratio > null).
    case greater
    /// H₁: the arm's value is below the control's.
    case less

    /// The confidence level of the reported interval for a nominal alpha (SPEC §6 Intervals):
    /// two-sided 1 − alpha, or, for a one-sided test, the two-sided 1 − 2·alpha interval whose
    /// bound on the tested side is the one-sided 1 − alpha bound.
    public func intervalConfidence(alpha: Double) -> Double {
        self == .twoSided ? 1 - alpha : 1 - 2 * alpha
    }
}

/// One comparison of an arm with the control (a row of comparisons.csv before P_ADJ).
/// A field is nil when it is undefined (SPEC §5: too few values, no variance, no events).
public struct ComparisonResult: Sendable, Equatable {
    public var estimate: Double?
    public var lower: Double?
    public var upper: Double?
    public var pValue: Double?

    public init(estimate: Double? = nil, lower: Double? = nil, upper: Double? = nil, pValue: Double? = nil) {
        self.estimate = estimate; self.lower = lower; self.upper = upper; self.pValue = pValue
    }

    /// Every field nil.
    public static let undefined = ComparisonResult()
}

/// An estimate with its standard error and the degrees of freedom of its reference distribution
/// (nil: standard normal). What Welch, paired t and ANCOVA produce before a test is chosen, so
/// that the same estimate can be tested for superiority, non-inferiority or equivalence.
public struct EstimateWithStandardError: Sendable, Equatable {
    public var estimate: Double
    /// > 0 and finite.
    public var standardError: Double
    /// > 0 for a t reference; nil for a z (normal) reference.
    public var degreesOfFreedom: Double?

    public init(estimate: Double, standardError: Double, degreesOfFreedom: Double?) {
        self.estimate = estimate; self.standardError = standardError; self.degreesOfFreedom = degreesOfFreedom
    }
}
