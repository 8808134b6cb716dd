import Foundation
import Sampling

/// A continuous marginal distribution, ready to turn a standard normal copula coordinate z into a
/// covariate value: x = F⁻¹(F(a) + Φ(z)·(F(b) − F(a))) for F truncated to [a, b].
///
/// Exact truncation, never clipping. With correlations the truncation acts on the marginal: z is
/// the correlated Gaussian coordinate, so the copula (rank dependence) is exactly the Gaussian
/// one with the given ρ, while the Pearson correlation of the truncated, transformed values differs
/// from ρ.
struct CovariateMarginal: Sendable {
    enum Shape: Sendable {
        /// x = location + scale·z (normal), or exp(location + scale·z) (lognormal).
        case normal(location: Double, scale: Double, truncation: TruncatedStandardNormal?, exponentiate: Bool)
        /// x = lower + (upper − lower)·Φ(z).
        case uniform(lower: Double, upper: Double)
    }
    let shape: Shape
    let lower: Double
    let upper: Double

    /// Validates the distribution; `nil` bounds mean unbounded.
    init(name: String, _ distribution: CovariateDistribution) throws(PopulationError) {
        func fail(_ reason: String) -> PopulationError { .invalidDistribution(covariate: name, reason: reason) }
        switch distribution {
        case let .normal(mean, sd, lower, upper), let .lognormal(mean, sd, lower, upper):
            let isLog: Bool = { if case .lognormal = distribution { return true } else { return false } }()
            let (meanName, sdName) = isLog ? ("meanlog", "sdlog") : ("mean", "sd")
            guard mean.isFinite else { throw fail("\(meanName) must be finite, got \(mean)") }
            guard sd.isFinite, sd > 0 else { throw fail("\(sdName) must be positive and finite, got \(sd)") }
            let a = lower ?? -.infinity, b = upper ?? .infinity
            guard !a.isNaN, !b.isNaN, a < b else { throw fail("min (\(a)) must be below max (\(b))") }
            if isLog, b <= 0 { throw fail("a lognormal covariate is positive, but max is \(b)") }
            self.lower = isLog ? Swift.max(a, 0) : a
            self.upper = b
            var truncation: TruncatedStandardNormal?
            if a > (isLog ? 0 : -.infinity) || b < .infinity {
                // Standardise the bounds (on the log scale for a lognormal: monotone, so exact).
                let standardLower = isLog ? (a > 0 ? (Foundation.log(a) - mean) / sd : -.infinity) : (a - mean) / sd
                let standardUpper = isLog ? (Foundation.log(b) - mean) / sd : (b - mean) / sd
                guard let t = TruncatedStandardNormal(lower: standardLower, upper: standardUpper) else {
                    throw fail("the interval [\(a), \(b)] holds no probability of the distribution (it lies beyond "
                        + "±38 standard deviations): widen it or move the \(meanName)")
                }
                truncation = t
            }
            shape = .normal(location: mean, scale: sd, truncation: truncation, exponentiate: isLog)
        case let .uniform(lower, upper):
            guard lower.isFinite, upper.isFinite, lower < upper else {
                throw fail("uniform needs finite min < max, got [\(lower), \(upper)]")
            }
            self.lower = lower
            self.upper = upper
            shape = .uniform(lower: lower, upper: upper)
        case .categorical:
            throw fail("a categorical covariate has no continuous marginal")
        }
    }

    /// The covariate value at copula coordinate z.
    @inline(__always)
    func value(at z: Double) -> Double {
        switch shape {
        case let .normal(location, scale, truncation, exponentiate):
            var standard = z
            if let truncation {
                // Φ(z) and 1 − Φ(z): the smaller by erfc (accurate when tiny), the other by subtraction.
                let (u, complement): (Double, Double)
                if z <= 0 { let p = StandardNormal.cdf(z); (u, complement) = (p, 1 - p) }
                else { let q = StandardNormal.upperTail(z); (u, complement) = (1 - q, q) }
                standard = truncation.quantile(u, complement: complement)
            }
            let y = location + scale * standard
            let x = exponentiate ? Foundation.exp(y) : y
            // Only rounding can carry x past a bound here (the standardised point lies inside).
            return Swift.min(Swift.max(x, lower), upper)
        case let .uniform(lower, upper):
            // Measure from the nearer end so u and 1 − u keep their relative accuracy.
            if z <= 0 { return lower + (upper - lower) * StandardNormal.cdf(z) }
            return upper - (upper - lower) * StandardNormal.upperTail(z)
        }
    }
}
