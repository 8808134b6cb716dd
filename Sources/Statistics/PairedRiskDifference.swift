import Sampling
import Foundation

/// The difference of two paired proportions (each patient observed in the arm and in the
/// control), with Newcombe's paired hybrid score interval and the exact McNemar p-value
/// (SPEC §2 `PAIRED_RISK_DIFF`).
///
///                      control event   control none
///     arm event              a               b
///     arm none               c               d
///
/// n = a + b + c + d, p₁ = (a + b)/n (arm), p₂ = (a + c)/n (control), D = (b − c)/n.
public enum PairedRiskDifference {
    /// Newcombe 1998 (Stat Med 17:2635) method 10: Wilson intervals (l₁, u₁), (l₂, u₂) for p₁, p₂,
    ///     lower = D − √((p₁ − l₁)² − 2φ̂(p₁ − l₁)(u₂ − p₂) + (u₂ − p₂)²),
    ///     upper = D + √((p₂ − l₂)² − 2φ̂(p₂ − l₂)(u₁ − p₁) + (u₁ − p₁)²),
    /// φ̂ = (ad − bc)/√((a+b)(c+d)(a+c)(b+d)), with the numerator replaced by max(ad − bc − n/2, 0)
    /// when ad > bc, and φ̂ = 0 when a margin is 0 (as worked in Altman, Machin, Bryant & Gardner,
    /// Statistics with Confidence, 2nd ed. 2000, ch. 6). nil when n = 0.
    public static func newcombeInterval(a: Int, b: Int, c: Int, d: Int, confidence: Double) -> (lower: Double, upper: Double)? {
        precondition(a >= 0 && b >= 0 && c >= 0 && d >= 0, "cell counts must be non-negative")
        let n = a + b + c + d
        guard n > 0 else { return nil }
        let z = -StandardNormal.quantile((1 - confidence) / 2)
        let nn = Double(n)
        let p1 = Double(a + b) / nn, p2 = Double(a + c) / nn
        let (l1, u1) = ProportionInterval.wilson(successes: a + b, trials: n, z: z)
        let (l2, u2) = ProportionInterval.wilson(successes: a + c, trials: n, z: z)
        let margins = Double(a + b) * Double(c + d) * Double(a + c) * Double(b + d)
        var phi = 0.0
        if margins > 0 {
            let ad = Double(a) * Double(d), bc = Double(b) * Double(c)
            let numerator = ad > bc ? max(ad - bc - nn / 2, 0) : ad - bc
            phi = numerator / margins.squareRoot()
        }
        let dl1 = p1 - l1, du1 = u1 - p1, dl2 = p2 - l2, du2 = u2 - p2
        let delta = max(0, dl1 * dl1 - 2 * phi * dl1 * du2 + du2 * du2).squareRoot()
        let epsilon = max(0, du1 * du1 - 2 * phi * du1 * dl2 + dl2 * dl2).squareRoot()
        let diff = Double(b - c) / nn
        return (diff - delta, diff + epsilon)
    }

    /// The exact McNemar test: under H₀ the b discordant pairs favouring the arm are
    /// Binomial(b + c, ½). Two-sided: the sum of the probabilities of outcomes no more likely than
    /// b (relative tolerance 1e-7, as R's `binom.test`), 1 when there are no discordant pairs;
    /// `greater` (arm rate higher): P(X ≥ b); `less`: P(X ≤ b).
    public static func mcNemarPValue(b: Int, c: Int, alternative: Alternative) -> Double {
        precondition(b >= 0 && c >= 0, "counts must be non-negative")
        let m = b + c
        if m == 0 { return 1 }
        if m <= 63 {
            // Exactly: the outcomes' counts C(m, k) (all below 2⁶⁴ for m ≤ 63) over 2^m; the sum
            // rounded once to a double and scaled by a power of two, so the p-value is correctly
            // rounded (as for Fisher's test, an exact tie with alpha stays a tie).
            let counts = (0...m).map { DiscreteDistributions.exactBinomialCoefficient(m, $0)! }
            let selected = DiscreteDistributions.selectedCount(counts, first: 0, observed: b, alternative: alternative)
            return min(1, Double(selected) * Foundation.pow(2, -Double(m)))
        }
        let observed = DiscreteDistributions.logBinomialProbability(b, trials: m, probability: 0.5)
        var selected = CompensatedSum()
        for k in 0...m {
            let logP = DiscreteDistributions.logBinomialProbability(k, trials: m, probability: 0.5)
            let include: Bool
            switch alternative {
            case .twoSided: include = logP <= observed + log1p(1e-7)
            case .greater: include = k >= b
            case .less: include = k <= b
            }
            if include { selected.add(exp(logP)) }
        }
        return min(1, selected.value)
    }

    /// Estimate D = (b − c)/n, Newcombe's paired interval at `alternative.intervalConfidence(alpha:)`
    /// and the exact McNemar p. Everything nil when n = 0.
    public static func compare(a: Int, b: Int, c: Int, d: Int, alpha: Double, alternative: Alternative) -> ComparisonResult {
        guard let ci = newcombeInterval(a: a, b: b, c: c, d: d, confidence: alternative.intervalConfidence(alpha: alpha)) else {
            return .undefined
        }
        let n = Double(a + b + c + d)
        return ComparisonResult(estimate: Double(b - c) / n, lower: ci.lower, upper: ci.upper,
                                pValue: mcNemarPValue(b: b, c: c, alternative: alternative))
    }
}
