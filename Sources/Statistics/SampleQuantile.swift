/// Sample quantiles by linear interpolation between order statistics: Hyndman & Fan (1996,
/// Am Stat 50:361) type 7, the default of R's `quantile` and numpy's `percentile`.
public enum SampleQuantile {
    /// The type-7 quantile of `sorted` (ascending, no NaN) at probability 0 ≤ p ≤ 1:
    /// with h = (n − 1)·p, x₍⌊h⌋₎ + (h − ⌊h⌋)·(x₍⌊h⌋+1₎ − x₍⌊h⌋₎) (0-based order statistics).
    /// nil for an empty array.
    public static func type7(sorted: [Double], probability p: Double) -> Double? {
        precondition(p >= 0 && p <= 1, "probability must lie in [0, 1]")
        let n = sorted.count
        if n == 0 { return nil }
        let h = Double(n - 1) * p
        let lo = Int(h.rounded(.down))
        if lo >= n - 1 { return sorted[n - 1] }
        let fraction = h - Double(lo)
        if fraction == 0 { return sorted[lo] }
        return sorted[lo] + fraction * (sorted[lo + 1] - sorted[lo])
    }
}
