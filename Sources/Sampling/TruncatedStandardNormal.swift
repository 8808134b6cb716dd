/// The standard normal truncated to [lower, upper], sampled by its inverse CDF:
///
///   x = Φ⁻¹(Φ(a) + u·(Φ(b) − Φ(a))),   u ~ U(0, 1),
///
/// which is exact (no clipping, no rejection) and consumes exactly one uniform. To keep full
/// relative accuracy in the tails, the target probability is formed on whichever side of the
/// median it falls: when Φ(a) + u·(Φ(b) − Φ(a)) > ½ the point is recomputed as an upper-tail
/// probability Q(b) + (1 − u)·(Q(a) − Q(b)) and x = −Φ⁻¹(that). For a > 0 every point is on the
/// upper side, so truncation far in the right tail (a = 10: Q(a) ≈ 7.6e−24) is as accurate as in
/// the left. The result is finally kept inside [a, b] against the last-bit rounding of Φ⁻¹.
///
/// Precompute once per distribution (four `erfc` calls) and reuse: `quantile` costs one Φ⁻¹.
public struct TruncatedStandardNormal: Sendable, Equatable {
    public let lower: Double
    public let upper: Double
    @usableFromInline let lowerCDF: Double, upperCDF: Double
    @usableFromInline let lowerTail: Double, upperTail: Double
    /// P(a ≤ Z ≤ b), computed without cancellation on either side.
    public let probability: Double

    /// `nil` when lower ≥ upper, a bound is NaN, or the interval holds no probability a double can
    /// represent (beyond about ±38.4, where Φ underflows).
    public init?(lower: Double, upper: Double) {
        guard lower < upper else { return nil }
        self.lower = lower
        self.upper = upper
        lowerCDF = StandardNormal.cdf(lower)
        upperCDF = StandardNormal.cdf(upper)
        lowerTail = StandardNormal.upperTail(lower)
        upperTail = StandardNormal.upperTail(upper)
        if upper <= 0 { probability = upperCDF - lowerCDF }
        else if lower >= 0 { probability = lowerTail - upperTail }
        else { probability = 1 - lowerCDF - upperTail }
        guard probability > 0 else { return nil }
    }

    /// The quantile at u, given also its complement 1 − u (pass both when 1 − u is known more
    /// accurately than by subtraction, e.g. u = Φ(z) and 1 − u = Q(z) from a copula).
    @inlinable
    public func quantile(_ u: Double, complement: Double) -> Double {
        let fromBelow = lowerCDF + u * (upperCDF - lowerCDF)
        let x: Double
        if fromBelow <= 0.5 {
            x = StandardNormal.quantile(fromBelow)
        } else {
            x = StandardNormal.quantile(upperTail: upperTail + complement * (lowerTail - upperTail))
        }
        return Swift.min(Swift.max(x, lower), upper)
    }

    /// The quantile at u.
    @inlinable
    public func quantile(_ u: Double) -> Double { quantile(u, complement: 1 - u) }
}
