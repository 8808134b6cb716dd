/// Count, mean and sample variance (divisor n − 1) of one group, computed without allocating:
/// the inputs of Welch's test and of other two-group comparisons of means.
public struct GroupMoments: Sendable, Equatable {
    public var count: Int
    /// 0 when `count` = 0.
    public var mean: Double
    /// Divisor n − 1; 0 when `count` < 2.
    public var variance: Double

    public init(count: Int, mean: Double, variance: Double) {
        self.count = count; self.mean = mean; self.variance = variance
    }

    /// Two-pass, compensated (`CompensatedSum`) moments of `values`; the mean held within the
    /// values' range (`meanWithinRange`), so a constant group has variance exactly 0.
    public init<C: Collection>(_ values: C) where C.Element == Double {
        count = values.count
        guard count > 0 else { mean = 0; variance = 0; return }
        var s = CompensatedSum()
        var minimum = Double.infinity, maximum = -Double.infinity
        for v in values {
            s.add(v)
            minimum = Swift.min(minimum, v)
            maximum = Swift.max(maximum, v)
        }
        mean = s.mean(count: count, minimum: minimum, maximum: maximum)
        guard count > 1 else { variance = 0; return }
        var ss = CompensatedSum()
        for v in values { ss.add((v - mean) * (v - mean)) }
        variance = ss.value / Double(count - 1)
    }
}
