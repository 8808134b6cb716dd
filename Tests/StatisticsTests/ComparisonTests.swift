import Foundation
import Testing
@testable import Statistics

// Reference values: Fixtures/comparisons.json, made by Fixtures/make_comparison_fixtures.py
// (scipy and statsmodels; the paired Newcombe interval from an independent Python transcription
// of Newcombe 1998 method 10, since neither library implements it). Tolerance: 1e-10 relative
// with a 1e-12 absolute floor (references print ~16 digits; Fisher and binomial sums and t
// quantiles are accurate to ~1e-13 on both sides).

private struct ComparisonFixture: Decodable {
    struct Welch: Decodable { let arm, control: [Double]; let side: String; let alpha, margin, estimate, lower, upper, p, df: Double }
    struct TOST: Decodable { let arm, control: [Double]; let low, upp, alpha, p, lower, upper: Double }
    struct PairedT: Decodable { let arm, control: [Double]; let side: String; let alpha, estimate, lower, upper, p: Double }
    struct Risk: Decodable { let a, n1, c, n2: Int; let side: String; let alpha, estimate, lower, upper, p: Double }
    struct Proportion: Decodable { let x, n: Int; let confidence: Double; let wilson, clopperPearson: [Double] }
    struct PairedRisk: Decodable { let a, b, c, d: Int; let side: String; let alpha, estimate, lower, upper, p: Double }
    struct Multiplicity: Decodable { let p, bonferroni, holm, hochberg: [Double?] }
    struct Power: Decodable { let significant, replicates: Int; let alpha, lower, upper: Double }
    let welch: [Welch]; let tost: [TOST]; let pairedT: [PairedT]; let riskDifference: [Risk]
    let proportions: [Proportion]; let pairedRiskDifference: [PairedRisk]; let multiplicity: [Multiplicity]; let power: [Power]
}

private func alternative(_ side: String) -> Alternative {
    switch side { case "greater": .greater; case "less": .less; default: .twoSided }
}

private func near(_ a: Double?, _ b: Double) -> Bool { close(a, b, relative: 1e-10, floor: 1e-2) }

@Suite struct ComparisonTests {
    fileprivate let fixture: ComparisonFixture
    init() throws { fixture = try loadFixture("comparisons.json", as: ComparisonFixture.self) }

    @Test func welchMatchesScipy() throws {
        #expect(fixture.welch.count == 60)
        for c in fixture.welch {
            let s = try #require(WelchTest.statistics(arm: GroupMoments(c.arm), control: GroupMoments(c.control)))
            #expect(near(s.degreesOfFreedom, c.df))
            let r = EstimateTest.test(s, null: c.margin, alpha: c.alpha, alternative: alternative(c.side))
            #expect(near(r.estimate, c.estimate) && near(r.lower, c.lower) && near(r.upper, c.upper), "\(c.side) \(c.alpha): \(r) vs \(c)")
            #expect(near(r.pValue, c.p), "p \(String(describing: r.pValue)) vs \(c.p) (\(c.side), margin \(c.margin))")
            if c.margin == 0 {
                #expect(WelchTest.compare(arm: c.arm, control: c.control, alpha: c.alpha, alternative: alternative(c.side)) == r)
            }
        }
    }

    @Test func aConstantGroupHasItsValueAsMeanAndNoVariance() {
        // Ten copies of this value sum to a number whose tenth rounds an ulp above it: the mean is
        // held within [min, max], so the group has no variance and Welch is undefined.
        let value = 6.710925924032652
        let group = Array(repeating: value, count: 10)
        #expect(CompensatedSum.of(group) / 10 != value, "the case the rule is for")
        #expect(GroupMoments(group) == GroupMoments(count: 10, mean: value, variance: 0))
        let summary = SampleSummary(group)
        #expect(summary.mean == value && summary.standardDeviation == 0)
        #expect(WelchTest.statistics(arm: GroupMoments(group), control: GroupMoments([0.0, 0, 0])) == nil)
        #expect(PairedTTest.statistics(differences: GroupMoments(group)) == nil)
        // Otherwise the mean is the quotient as before.
        #expect(GroupMoments([1.0, 2, 4]).mean == 7.0 / 3)
    }

    @Test func welchIsUndefinedOnlyWhenItMustBe() {
        // Fewer than two values in a group, or no variance in either group → no test.
        #expect(WelchTest.statistics(arm: GroupMoments([1.0]), control: GroupMoments([1.0, 2])) == nil)
        #expect(WelchTest.statistics(arm: GroupMoments([3.0, 3]), control: GroupMoments([1.0, 1, 1])) == nil)
        let undefined = WelchTest.compare(arm: [3.0, 3], control: [1.0, 1, 1], alpha: 0.05, alternative: .twoSided)
        #expect(undefined == ComparisonResult(estimate: 2))
        #expect(WelchTest.compare(arm: [], control: [1.0, 2], alpha: 0.05, alternative: .twoSided) == .undefined)
        // One constant group: ν = n − 1 of the other group exactly (here 2).
        let s = WelchTest.statistics(arm: GroupMoments([1.0, 2, 3]), control: GroupMoments([5.0, 5]))
        #expect(s?.degreesOfFreedom == 2)
    }

    @Test func tostMatchesStatsmodels() throws {
        for c in fixture.tost {
            let s = try #require(WelchTest.statistics(arm: GroupMoments(c.arm), control: GroupMoments(c.control)))
            let r = EstimateTest.equivalence(s, lowerMargin: c.low, upperMargin: c.upp, alpha: c.alpha)
            #expect(near(r.pValue, c.p) && near(r.lower, c.lower) && near(r.upper, c.upper), "\(r) vs \(c)")
        }
    }

    @Test func pairedTMatchesScipy() {
        for c in fixture.pairedT {
            let r = PairedTTest.compare(arm: c.arm, control: c.control, alpha: c.alpha, alternative: alternative(c.side))
            #expect(near(r.estimate, c.estimate) && near(r.lower, c.lower) && near(r.upper, c.upper) && near(r.pValue, c.p), "\(r) vs \(c)")
        }
        // Identical differences: no variance, so no interval or p.
        #expect(PairedTTest.compare(arm: [2, 3, 4], control: [1, 2, 3], alpha: 0.05, alternative: .twoSided) == ComparisonResult(estimate: 1))
    }

    @Test func riskDifferenceMatchesStatsmodelsAndScipy() {
        for c in fixture.riskDifference {
            let r = RiskDifference.compare(armEvents: c.a, armTotal: c.n1, controlEvents: c.c, controlTotal: c.n2,
                                           alpha: c.alpha, alternative: alternative(c.side))
            #expect(near(r.estimate, c.estimate) && near(r.lower, c.lower) && near(r.upper, c.upper), "CI \(r) vs \(c)")
            #expect(near(r.pValue, c.p), "Fisher p \(String(describing: r.pValue)) vs \(c.p) for \(c)")
        }
        #expect(RiskDifference.compare(armEvents: 0, armTotal: 0, controlEvents: 1, controlTotal: 3, alpha: 0.05, alternative: .twoSided) == .undefined)
    }

    @Test func proportionIntervalsMatchStatsmodels() throws {
        for c in fixture.proportions {
            let w = try #require(ProportionInterval.wilson(successes: c.x, trials: c.n, confidence: c.confidence))
            let cp = try #require(ProportionInterval.clopperPearson(successes: c.x, trials: c.n, confidence: c.confidence))
            #expect(abs(w.lower - c.wilson[0]) < 1e-12 && abs(w.upper - c.wilson[1]) < 1e-12, "Wilson \(w) vs \(c)")
            #expect(abs(cp.lower - c.clopperPearson[0]) < 1e-12 && abs(cp.upper - c.clopperPearson[1]) < 1e-12, "CP \(cp) vs \(c)")
            if c.x == 0 { #expect(cp.lower == 0 && w.lower == 0) }
            if c.x == c.n { #expect(cp.upper == 1 && w.upper == 1) }
        }
        #expect(ProportionInterval.clopperPearson(successes: 0, trials: 0, confidence: 0.95) == nil)
        // x = 0: the upper bound is 1 − (α/2)^{1/n} in closed form.
        let cp = ProportionInterval.clopperPearson(successes: 0, trials: 10, confidence: 0.95)!
        #expect(abs(cp.upper - (1 - pow(0.025, 0.1))) < 1e-15)
    }

    @Test func pairedRiskDifferenceMatchesTheFormulasAndBinomialTest() {
        for c in fixture.pairedRiskDifference {
            let r = PairedRiskDifference.compare(a: c.a, b: c.b, c: c.c, d: c.d, alpha: c.alpha, alternative: alternative(c.side))
            #expect(near(r.estimate, c.estimate) && near(r.lower, c.lower) && near(r.upper, c.upper), "\(r) vs \(c)")
            #expect(near(r.pValue, c.p), "McNemar p \(String(describing: r.pValue)) vs \(c.p) for \(c)")
        }
        #expect(PairedRiskDifference.mcNemarPValue(b: 0, c: 0, alternative: .twoSided) == 1)
        // Exact closed form: b = 0, c = 5 → two-sided p = 2·(½)⁵.
        #expect(PairedRiskDifference.mcNemarPValue(b: 0, c: 5, alternative: .twoSided) == 0.0625)
        #expect(PairedRiskDifference.compare(a: 0, b: 0, c: 0, d: 0, alpha: 0.05, alternative: .twoSided) == .undefined)
        // b = 1, c = 9: outcomes 0, 1, 9, 10 of Binomial(10, ½) are no more likely than 1, so
        // p = (1 + 10 + 10 + 1)/2¹⁰ exactly; one-sided P(X ≤ 1) = 11/2¹⁰.
        #expect(PairedRiskDifference.mcNemarPValue(b: 1, c: 9, alternative: .twoSided) == 22.0 / 1024)
        #expect(PairedRiskDifference.mcNemarPValue(b: 1, c: 9, alternative: .less) == 11.0 / 1024)
        #expect(PairedRiskDifference.mcNemarPValue(b: 1, c: 9, alternative: .greater) == 1023.0 / 1024)
    }

    /// Small tables' p-values are ratios of exact counts, correctly rounded: a p-value equal to
    /// alpha / m is not a few ulps below it, so Bonferroni's m·p is alpha and not significant.
    @Test func fisherPValuesOfSmallTablesAreCorrectlyRounded() {
        // 3/3 events against 1/7: margins 4 events of 10, 3 drawn. C(4,k)·C(6,3−k) for k = 0…3 is
        // 20, 60, 36, 4 (sum 120 = C(10,3)); only k = 3 is no more likely than the observed table.
        #expect(FisherExactTest.pValue(armEvents: 3, armTotal: 3, controlEvents: 1, controlTotal: 7, alternative: .twoSided) == 1.0 / 30)
        #expect(FisherExactTest.pValue(armEvents: 3, armTotal: 3, controlEvents: 1, controlTotal: 7, alternative: .greater) == 1.0 / 30)
        #expect(FisherExactTest.pValue(armEvents: 3, armTotal: 3, controlEvents: 1, controlTotal: 7, alternative: .less) == 1)
        // k = 1 (60) and k = 2 (36): the observed k = 2 and the less likely 0, 2, 3 → 60/120.
        #expect(FisherExactTest.pValue(armEvents: 2, armTotal: 3, controlEvents: 2, controlTotal: 7, alternative: .twoSided) == 0.5)
        let adjusted = MultiplicityAdjustment.bonferroni.adjust([1.0 / 30, 1.0 / 30, 1.0 / 30])
        #expect(adjusted == [0.1, 0.1, 0.1])
        // Exact binomial coefficients, and nil past UInt64.
        #expect(DiscreteDistributions.exactBinomialCoefficient(10, 3) == 120)
        #expect(DiscreteDistributions.exactBinomialCoefficient(67, 33) == 14_226_520_737_620_288_370)
        #expect(DiscreteDistributions.exactBinomialCoefficient(68, 34) == nil)
        #expect(DiscreteDistributions.exactBinomialCoefficient(5, 6) == 0)
        // Larger tables take the log-space path and still agree with the exact sum: Python's
        // float(Fraction(Σ selected C(65,k)·C(135,100−k), C(200,100))) = 0.034143802314768816.
        let big = FisherExactTest.pValue(armEvents: 40, armTotal: 100, controlEvents: 25, controlTotal: 100, alternative: .twoSided)
        #expect(abs(big - 0.034143802314768816) <= 1e-13 * 0.034143802314768816)
    }

    @Test func multiplicityMatchesStatsmodels() {
        for c in fixture.multiplicity {
            for (method, expected) in [(MultiplicityAdjustment.bonferroni, c.bonferroni), (.holm, c.holm), (.hochberg, c.hochberg)] {
                let adjusted = method.adjust(c.p)
                #expect(adjusted.count == expected.count)
                for (x, y) in zip(adjusted, expected) {
                    if let y { #expect(close(x, y, relative: 1e-14, floor: 1e-3), "\(method) \(c.p)") } else { #expect(x == nil) }
                }
            }
            #expect(MultiplicityAdjustment.none.adjust(c.p) == c.p)
        }
    }

    @Test func powerIntervalsMatchStatsmodels() {
        for c in fixture.power {
            let p = PowerEstimate(significant: c.significant, replicates: c.replicates, alpha: c.alpha)
            #expect(p.power == Double(c.significant) / Double(c.replicates))
            #expect(abs(p.lower! - c.lower) < 1e-12 && abs(p.upper! - c.upper) < 1e-12, "\(p) vs \(c)")
        }
        #expect(PowerEstimate(significant: 0, replicates: 0, alpha: 0.05).power == nil)
    }
}

extension ComparisonTests {
    @Test func intervalsMirrorWhenArmAndControlSwap() throws {
        // Swapping arm and control negates the difference, so (L, U) must become (−U, −L), and the
        // one-sided p-values must exchange directions.
        for (a, b, c, d) in [(12, 9, 2, 21), (3, 15, 2, 1), (0, 4, 1, 9)] {
            let x = try #require(PairedRiskDifference.newcombeInterval(a: a, b: b, c: c, d: d, confidence: 0.95))
            let y = try #require(PairedRiskDifference.newcombeInterval(a: a, b: c, c: b, d: d, confidence: 0.95))
            #expect(abs(x.lower + y.upper) < 1e-15 && abs(x.upper + y.lower) < 1e-15)
            let g = PairedRiskDifference.mcNemarPValue(b: b, c: c, alternative: .greater)
            #expect(abs(g - PairedRiskDifference.mcNemarPValue(b: c, c: b, alternative: .less)) <= 1e-14 * g)
        }
        for (a, n1, c, n2) in [(5, 20, 2, 20), (0, 15, 3, 15), (120, 500, 95, 510)] {
            let x = try #require(RiskDifference.newcombeInterval(armEvents: a, armTotal: n1, controlEvents: c, controlTotal: n2, confidence: 0.9))
            let y = try #require(RiskDifference.newcombeInterval(armEvents: c, armTotal: n2, controlEvents: a, controlTotal: n1, confidence: 0.9))
            #expect(abs(x.lower + y.upper) < 1e-15 && abs(x.upper + y.lower) < 1e-15)
            let g = FisherExactTest.pValue(armEvents: a, armTotal: n1, controlEvents: c, controlTotal: n2, alternative: .greater)
            let l = FisherExactTest.pValue(armEvents: c, armTotal: n2, controlEvents: a, controlTotal: n1, alternative: .less)
            #expect(abs(g - l) <= 1e-14 * g)
        }
    }

    @Test func oneSidedIntervalsAreTheTwoSidedOneAtTwiceAlpha() throws {
        let arm: [Double] = [5.1, 6.3, 4.8, 7.7, 6.0], control: [Double] = [4.0, 4.4, 5.9, 3.8]
        let one = WelchTest.compare(arm: arm, control: control, alpha: 0.05, alternative: .greater)
        let two = WelchTest.compare(arm: arm, control: control, alpha: 0.10, alternative: .twoSided)
        #expect(one.lower == two.lower && one.upper == two.upper)
        // The one-sided p in the observed direction is half the two-sided p.
        #expect(abs(2 * one.pValue! - two.pValue!) < 1e-15)
    }
}
