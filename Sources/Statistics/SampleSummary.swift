import Foundation

/// Descriptive statistics of one group (efficacy.csv's N, MEAN, SD, MEDIAN, Q1, Q3, MIN, MAX).
public struct SampleSummary: Sendable, Equatable {
    public var count: Int
    /// nil when `count` = 0.
    public var mean: Double?
    /// Standard deviation with divisor n − 1; nil when `count` < 2.
    public var standardDeviation: Double?
    /// Type-7 quantiles (`SampleQuantile`); nil when `count` = 0.
    public var median: Double?
    public var firstQuartile: Double?
    public var thirdQuartile: Double?
    public var minimum: Double?
    public var maximum: Double?

    /// Summarizes values already sorted ascending (no NaN). The mean is a compensated sum
    /// divided by n, held within [MIN, MAX] (`meanWithinRange`: a constant group has its value
    /// as mean and SD 0); the SD is two-pass (Σ(x − x̄)², compensated), so neither depends on
    /// anything but the values and their order.
    public init(sorted: [Double]) {
        count = sorted.count
        guard count > 0 else { return }
        let m = meanWithinRange(sum: CompensatedSum.of(sorted), count: count, minimum: sorted[0], maximum: sorted[count - 1])
        mean = m
        if count >= 2 {
            var ss = CompensatedSum()
            for x in sorted { ss.add((x - m) * (x - m)) }
            standardDeviation = (ss.value / Double(count - 1)).squareRoot()
        }
        median = SampleQuantile.type7(sorted: sorted, probability: 0.5)
        firstQuartile = SampleQuantile.type7(sorted: sorted, probability: 0.25)
        thirdQuartile = SampleQuantile.type7(sorted: sorted, probability: 0.75)
        minimum = sorted.first
        maximum = sorted.last
    }

    /// Summarizes values in any order (sorts a copy, as `sorted()` would: `AscendingDoubles`).
    public init(_ values: [Double]) {
        self.init(sorted: AscendingDoubles.sorted(values))
    }
}
