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
/// `less`: P(X ≤ a).
///
/// While every table's count C(events, k)·C(total − events, n1 − k) and their sum stay below 2⁵³
/// (trials of up to about 50 subjects), they are exact integers and the p-value is their ratio
/// rounded once: correctly rounded, so a p-value that is exactly alpha / m (1/30 with alpha 0.1
/// and a Bonferroni factor 3) is not a few ulps below it, and SIGNIFICANT (P_ADJ < alpha) does
/// not depend on rounding. Larger tables: probabilities formed in log space relative to the
/// observed table (~1e-14 relative), so they neither underflow nor overflow.
public enum FisherExactTest {
    public static func pValue(armEvents a: Int, armTotal n1: Int, controlEvents c: Int, controlTotal n2: Int,
                              alternative: Alternative) -> Double {
        precondition(a >= 0 && a <= n1 && c >= 0 && c <= n2, "events must lie in 0…total")
        let total = n1 + n2, events = a + c
        let lo = max(0, n1 - (total - events)), hi = min(n1, events)
        if lo == hi { return 1 }
        if let exact = exactPValue(a: a, n1: n1, total: total, events: events, range: lo...hi, alternative: alternative) { return exact }
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

    /// The p-value from the tables' exact counts, or nil when a count or their sum reaches 2⁵³.
    static func exactPValue(a: Int, n1: Int, total: Int, events: Int, range: ClosedRange<Int>, alternative: Alternative) -> Double? {
        let limit: UInt64 = 1 << 53
        var counts: [UInt64] = []
        var all: UInt64 = 0
        for k in range {
            guard let x = DiscreteDistributions.exactBinomialCoefficient(events, k),
                  let y = DiscreteDistributions.exactBinomialCoefficient(total - events, n1 - k) else { return nil }
            let (w, overflow) = x.multipliedReportingOverflow(by: y)
            guard !overflow, w < limit else { return nil }
            all += w
            guard all < limit else { return nil }
            counts.append(w)
        }
        let selected = DiscreteDistributions.selectedCount(counts, first: range.lowerBound, observed: a, alternative: alternative)
        return Double(selected) / Double(all)
    }
}
