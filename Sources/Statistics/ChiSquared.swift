import Sampling
import Foundation

/// The chi-square distribution with k > 0 degrees of freedom.
public enum ChiSquared {
    /// P(X > x) = Q(k/2, x/2). For k = 1 it is 2·Φ(−√x), which keeps relative precision far into
    /// the tail; otherwise the regularized upper incomplete gamma function.
    public static func survival(_ x: Double, degreesOfFreedom k: Double) -> Double {
        precondition(k > 0 && !x.isNaN, "ChiSquared.survival needs k > 0 and a number x")
        if x <= 0 { return 1 }
        if k == 1 { return 2 * StandardNormal.cdf(-x.squareRoot()) }
        return SpecialFunctions.regularizedIncompleteGamma(k / 2, x: x / 2).upper
    }

    /// P(X ≤ x).
    public static func cdf(_ x: Double, degreesOfFreedom k: Double) -> Double {
        precondition(k > 0 && !x.isNaN, "ChiSquared.cdf needs k > 0 and a number x")
        if x <= 0 { return 0 }
        return SpecialFunctions.regularizedIncompleteGamma(k / 2, x: x / 2).lower
    }
}
