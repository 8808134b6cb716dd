import Foundation

/// Fisher's exact test of a 2×2 table, conditional on both margins (hypergeometric null).
///
///              event   no event
///     arm        a        b
///     control    c        d
///
/// Two-sided: the sum of the probabilities of all tables no more likely than the observed one,
/// with relative tolerance 1e-7 (P(k) ≤ P(a)·(1 + 1e-7)), exactly as R's `fisher.test` and
/// scipy's `fisher_exact`. One-sided `greater` (arm rate higher, odds ratio > 1): P(X ≥ a);
/// `less`: P(X ≤ a). Probabilities are formed in log space relative to the most likely table,
/// so large tables neither underflow nor overflow.
public enum FisherExactTest {
    public static func pValue(armEvents a: Int, armTotal n1: Int, controlEvents c: Int, controlTotal n2: Int,
                              alternative: Alternative) -> Double {
        precondition(a >= 0 && a <= n1 && c >= 0 && c <= n2, "events must lie in 0…total")
        let total = n1 + n2, events = a + c
        let lo = max(0, n1 - (total - events)), hi = min(n1, events)
        if lo == hi { return 1 }
        func logP(_ k: Int) -> Double {
            DiscreteDistributions.logHypergeometricProbability(k, population: total, successes: events, draws: n1)
        }
        let observed = logP(a)
        var all = CompensatedSum(), selected = CompensatedSum()
        let threshold = 1 + 1e-7
        for k in lo...hi {
            let r = exp(logP(k) - observed)   // P(k)/P(a); ≤ 1/P(a) so no overflow for plausible tables
            all.add(r)
            switch alternative {
            case .twoSided: if r <= threshold { selected.add(r) }
            case .greater: if k >= a { selected.add(r) }
            case .less: if k <= a { selected.add(r) }
            }
        }
        return min(1, selected.value / all.value)
    }
}
