import Sampling
import Foundation

/// Wald-type tests of an estimate θ̂ with standard error s against a null value, on a t
/// (ν degrees of freedom) or standard normal reference: superiority, non-inferiority (a margin as
/// the null) and equivalence (TOST, Schuirmann 1987, J Pharmacokinet Biopharm 15:657).
public enum EstimateTest {
    /// The upper quantile of the reference distribution at probability 1 − tail.
    static func criticalValue(upperTail tail: Double, degreesOfFreedom nu: Double?) -> Double {
        if let nu { return -StudentT.quantile(tail, degreesOfFreedom: nu) }
        return -StandardNormal.quantile(tail)
    }

    /// P(T ≤ x) on the reference distribution.
    static func cdf(_ x: Double, degreesOfFreedom nu: Double?) -> Double {
        if let nu { return StudentT.cdf(x, degreesOfFreedom: nu) }
        return StandardNormal.cdf(x)
    }

    /// The interval θ̂ ± q·s with q the upper (1 − level)/2 quantile of the reference distribution.
    public static func interval(_ e: EstimateWithStandardError, confidence level: Double) -> (lower: Double, upper: Double) {
        precondition(level > 0 && level < 1, "confidence level must lie in (0, 1)")
        let q = criticalValue(upperTail: (1 - level) / 2, degreesOfFreedom: e.degreesOfFreedom)
        return (e.estimate - q * e.standardError, e.estimate + q * e.standardError)
    }

    /// The p-value of T = (θ̂ − null)/s: two-sided 2·P(T ≥ |t|); `greater` P(T ≥ t) (H₁: θ > null);
    /// `less` P(T ≤ t) (H₁: θ < null).
    public static func pValue(_ e: EstimateWithStandardError, null: Double = 0, alternative: Alternative) -> Double {
        let t = (e.estimate - null) / e.standardError
        switch alternative {
        case .twoSided: return min(1, 2 * cdf(-abs(t), degreesOfFreedom: e.degreesOfFreedom))
        case .greater: return cdf(-t, degreesOfFreedom: e.degreesOfFreedom)
        case .less: return cdf(t, degreesOfFreedom: e.degreesOfFreedom)
        }
    }

    /// Superiority (null 0) or non-inferiority (null = the margin, `alternative` the favourable
    /// side) test: estimate θ̂, the interval at `alternative.intervalConfidence(alpha:)`, and the
    /// p-value against `null`. Example: a QTc margin of 10 ms with lower = better is
    /// `test(e, null: 10, alpha: 0.05, alternative: .less)`; non-inferiority holds when p < alpha,
    /// equivalently when the 90% interval's upper bound is below 10.
    public static func test(_ e: EstimateWithStandardError, null: Double = 0, alpha: Double, alternative: Alternative) -> ComparisonResult {
        let (lo, hi) = interval(e, confidence: alternative.intervalConfidence(alpha: alpha))
        return ComparisonResult(estimate: e.estimate, lower: lo, upper: hi,
                                pValue: pValue(e, null: null, alternative: alternative))
    }

    /// Two one-sided tests of equivalence within (lowerMargin, upperMargin): P = max(P(H₀: θ ≤ L),
    /// P(H₀: θ ≥ U)), interval at 1 − 2·alpha. Equivalence is shown when P < alpha, i.e. when the
    /// interval lies inside (L, U). Under a log scale pass ln L, ln U and the log-scale estimate.
    public static func equivalence(_ e: EstimateWithStandardError, lowerMargin: Double, upperMargin: Double, alpha: Double) -> ComparisonResult {
        precondition(lowerMargin < upperMargin, "equivalence needs lowerMargin < upperMargin")
        let (lo, hi) = interval(e, confidence: 1 - 2 * alpha)
        let pLower = pValue(e, null: lowerMargin, alternative: .greater)
        let pUpper = pValue(e, null: upperMargin, alternative: .less)
        return ComparisonResult(estimate: e.estimate, lower: lo, upper: hi, pValue: max(pLower, pUpper))
    }
}
