import Foundation

/// Probability mass functions of the binomial and hypergeometric distributions, in log space so
/// that tables with thousands of subjects neither underflow nor overflow.
public enum DiscreteDistributions {
    /// ln P(X = k) for X ~ Binomial(n, p): ln C(n, k) + k·ln p + (n − k)·ln(1 − p).
    /// −∞ outside the support (k < 0, k > n, or a zero-probability outcome at p = 0 or 1).
    public static func logBinomialProbability(_ k: Int, trials n: Int, probability p: Double) -> Double {
        precondition(n >= 0 && p >= 0 && p <= 1, "binomial needs n ≥ 0 and 0 ≤ p ≤ 1")
        if k < 0 || k > n { return -.infinity }
        if p == 0 { return k == 0 ? 0 : -.infinity }
        if p == 1 { return k == n ? 0 : -.infinity }
        return SpecialFunctions.logBinomialCoefficient(n, k) + Double(k) * log(p) + Double(n - k) * log1p(-p)
    }

    /// ln P(X = k) for X ~ Hypergeometric: k successes in `draws` drawn without replacement from a
    /// population of `population` items of which `successes` are successes:
    /// ln C(K, k) + ln C(N − K, n − k) − ln C(N, n). −∞ outside the support.
    public static func logHypergeometricProbability(_ k: Int, population: Int, successes: Int, draws: Int) -> Double {
        precondition(population >= 0 && successes >= 0 && successes <= population && draws >= 0 && draws <= population,
                     "hypergeometric needs 0 ≤ K ≤ N and 0 ≤ n ≤ N")
        if k < max(0, draws - (population - successes)) || k > min(draws, successes) { return -.infinity }
        return SpecialFunctions.logBinomialCoefficient(successes, k)
            + SpecialFunctions.logBinomialCoefficient(population - successes, draws - k)
            - SpecialFunctions.logBinomialCoefficient(population, draws)
    }

    /// The binomial coefficient C(n, k) exactly, or nil when it exceeds `UInt64.max` (0 for k
    /// outside 0…n). Built as C(n, i + 1) = C(n, i)·(n − i)/(i + 1), each division exact, the
    /// product held at full width.
    public static func exactBinomialCoefficient(_ n: Int, _ k: Int) -> UInt64? {
        guard k >= 0, k <= n else { return 0 }
        let k = Swift.min(k, n - k)
        var c: UInt64 = 1
        for i in 0..<k {
            let product = c.multipliedFullWidth(by: UInt64(n - i))
            let divisor = UInt64(i + 1)
            guard product.high < divisor else { return nil }
            c = divisor.dividingFullWidth(product).quotient
        }
        return c
    }

    /// The exact counts of the outcomes an exact test selects, summed: `weights[k]` is how many
    /// ways outcome `first + k` arises under H₀ (integers), `observed` the observed outcome.
    /// Two-sided: the outcomes no more likely than the observed one (relative tolerance 1e-7, as
    /// R's `fisher.test` and `binom.test`); `greater`: those ≥ observed; `less`: those ≤ it.
    static func selectedCount(_ weights: [UInt64], first: Int, observed: Int, alternative: Alternative) -> UInt64 {
        let bound = Double(weights[observed - first]) * (1 + 1e-7)
        var selected: UInt64 = 0
        for (i, w) in weights.enumerated() {
            let k = first + i
            switch alternative {
            case .twoSided: if Double(w) <= bound { selected += w }
            case .greater: if k >= observed { selected += w }
            case .less: if k <= observed { selected += w }
            }
        }
        return selected
    }
}
