import Sampling
import Foundation
import Testing
import LinearAlgebra
@testable import Statistics

// Reference values: Fixtures/models.json, made by Fixtures/make_model_fixtures.py
// (statsmodels OLS for ANCOVA; lifelines KaplanMeierFitter, logrank_test and CoxPHFitter).
// Tolerances: ANCOVA 1e-9 relative (both sides are QR least squares, ~1e-12 apart);
// Kaplan–Meier 1e-14 (products of rationals); log-rank 1e-10; Cox 1e-7 relative against the
// script's fully converged Efron fit (cross-checked there with lifelines, which stops its damped
// Newton iterations early); our stopping rule (SPEC: relative change in ℓ < 1e-9) leaves β within
// ~1e-9 of the optimum, as Newton converges quadratically.

private struct ModelFixture: Decodable {
    struct AncovaArm: Decodable { let estimate, se, lower, upper, lowerOneSided, upperOneSided, p, pGreater, pLess: Double }
    struct Ancova: Decodable { let values, baselines: [Double]; let groups: [Int]; let armCount: Int; let alpha, dfResid: Double; let arms: [AncovaArm] }
    struct Group: Decodable { let eventTimes, survival: [Double]; let median: Double?; let events: Int }
    struct Survival: Decodable {
        let name: String; let times: [Double]; let events, isArm: [Bool]; let groups: [String: Group]
        let logRankChiSquare, logRankP: Double; let coxBeta, coxSE, coxLogLikelihood: Double?
    }
    struct CoxTwo: Decodable { let times: [Double]; let events: [Bool]; let arm, age, beta, se: [Double]; let logLikelihood: Double }
    let ancova: [Ancova]; let survival: [Survival]; let coxTwoCovariates: CoxTwo
}

@Suite struct ModelTests {
    fileprivate let fixture: ModelFixture
    init() throws { fixture = try loadFixture("models.json", as: ModelFixture.self) }

    @Test func ancovaMatchesStatsmodels() throws {
        // The last two: a baseline the groups explain (all 0; constant within each group), left
        // out as R's lm leaves it out; the reference fits value ~ group.
        #expect(fixture.ancova.count == 10)
        for c in fixture.ancova {
            let fits = ANCOVA.fit(values: c.values, baselines: c.baselines, groups: c.groups, armCount: c.armCount)
            let two = ANCOVA.compare(values: c.values, baselines: c.baselines, groups: c.groups, armCount: c.armCount, alpha: c.alpha, alternative: .twoSided)
            let greater = ANCOVA.compare(values: c.values, baselines: c.baselines, groups: c.groups, armCount: c.armCount, alpha: c.alpha, alternative: .greater)
            let less = ANCOVA.compare(values: c.values, baselines: c.baselines, groups: c.groups, armCount: c.armCount, alpha: c.alpha, alternative: .less)
            for (k, ref) in c.arms.enumerated() {
                let f = try #require(fits[k])
                #expect(f.degreesOfFreedom == c.dfResid)
                #expect(close(f.estimate, ref.estimate, relative: 1e-9, floor: 1e-3) && close(f.standardError, ref.se, relative: 1e-9))
                #expect(close(two[k].lower, ref.lower, relative: 1e-9, floor: 1e-3) && close(two[k].upper, ref.upper, relative: 1e-9, floor: 1e-3))
                #expect(close(two[k].pValue, ref.p, relative: 1e-9, floor: 1e-3), "\(two[k]) vs \(ref)")
                #expect(close(greater[k].pValue, ref.pGreater, relative: 1e-9, floor: 1e-3) && close(less[k].pValue, ref.pLess, relative: 1e-9, floor: 1e-3))
                #expect(close(greater[k].lower, ref.lowerOneSided, relative: 1e-9, floor: 1e-3) && close(less[k].upper, ref.upperOneSided, relative: 1e-9, floor: 1e-3))
            }
        }
    }

    @Test func ancovaUndefinedCases() throws {
        // Arm 2 has no subjects: left out of the model; arm 1 still estimated.
        let values: [Double] = [1, 2, 4, 3, 5, 6, 8, 7]
        let base: [Double] = [1, 2, 3, 4, 1, 2, 3, 5]
        let groups = [0, 0, 0, 0, 1, 1, 1, 1]
        let fits = ANCOVA.fit(values: values, baselines: base, groups: groups, armCount: 2)
        #expect(fits[0] != nil && fits[1] == nil)
        // A constant baseline is aliased with the intercept: left out, as R's lm leaves it out,
        // so the arm's coefficient is the difference of the group means (exactly 4 here) with
        // the pooled variance on n − 2 df. A baseline that varies within a group is kept.
        let constant = try #require(ANCOVA.fit(values: values, baselines: [Double](repeating: 3, count: 8), groups: groups, armCount: 1)[0])
        #expect(abs(constant.estimate - 4) < 1e-12 && constant.degreesOfFreedom == 6)
        #expect(ANCOVA.baselineIsAliased([0, 0, 0, 0], groups: [0, 0, 1, 1], groupCount: 2))
        #expect(ANCOVA.baselineIsAliased([2, 2, 5, 5], groups: [0, 0, 1, 1], groupCount: 2))
        #expect(!ANCOVA.baselineIsAliased([2, 2, 5, 5.01], groups: [0, 0, 1, 1], groupCount: 2))
        // No control: nil. Exact fit (RSS = 0): nil.
        #expect(ANCOVA.fit(values: values, baselines: base, groups: [Int](repeating: 1, count: 8), armCount: 1) == [nil])
        let exact = zip(base, groups).map { 2 * $0 + Double($1) }
        #expect(ANCOVA.fit(values: exact, baselines: base, groups: groups, armCount: 1) == [nil])
    }

    @Test func kaplanMeierMatchesLifelines() throws {
        for s in fixture.survival {
            for (label, wantArm) in [("arm", true), ("control", false)] {
                let ref = try #require(s.groups[label])
                let idx = s.times.indices.filter { s.isArm[$0] == wantArm }
                let curve = KaplanMeier.estimate(times: idx.map { s.times[$0] }, events: idx.map { s.events[$0] })
                #expect(curve.times == ref.eventTimes, "\(s.name) \(label)")
                #expect(curve.events == ref.events && curve.subjects == idx.count)
                #expect(curve.survival.count == ref.survival.count)
                for (a, b) in zip(curve.survival, ref.survival) { #expect(close(a, b, relative: 1e-14, floor: 1e-3), "\(s.name) \(label)") }
                #expect(curve.median == ref.median, "\(s.name) \(label): median \(String(describing: curve.median)) vs \(String(describing: ref.median))")
            }
        }
    }

    @Test func kaplanMeierMedianRules() {
        // Ŝ = ½ exactly from t = 2 until the event at 7 → median (2 + 7)/2 (R's survival package).
        #expect(KaplanMeier.estimate(times: [1, 2, 5, 7], events: [true, true, false, true]).median == 4.5)
        // Ŝ = ½ with no later event → the start of the stretch.
        #expect(KaplanMeier.estimate(times: [1, 2, 5, 7], events: [true, true, false, false]).median == 2)
        // Ŝ drops from ¾ to ¼ at t = 2 → 2. Never below ½ → nil. No subjects → nil.
        #expect(KaplanMeier.estimate(times: [1, 2, 2, 3], events: [true, true, true, true]).median == 2)
        // Ŝ: ⅞, ⅝ (two events at 3 among 7), then ⅝·¾ = 15/32 at 9 (one of four) → 9.
        #expect(KaplanMeier.estimate(times: [1, 3, 3, 4, 9, 9, 9, 9], events: [true, true, true, false, false, true, false, false]).median == 9)
        #expect(KaplanMeier.estimate(times: [1, 5, 6], events: [true, false, false]).median == nil)
        #expect(KaplanMeier.estimate(times: [], events: []).median == nil)
        // Tolerance: Ŝ = (1 − 1/3)·(1 − 1/4)… products that should be ½ but round off still count as ½.
        let c = KaplanMeier.estimate(times: [1, 2, 3, 4, 5, 6], events: [true, true, true, false, true, true])
        #expect(c.survival[2] == 0.5 || abs(c.survival[2] - 0.5) < 1e-15)
        #expect(c.median == 4)   // (3 + 5)/2
    }

    @Test func logRankMatchesLifelines() {
        for s in fixture.survival {
            let test = LogRankTest(times: s.times, events: s.events, isArm: s.isArm)
            #expect(close(test.chiSquare, s.logRankChiSquare, relative: 1e-10), "\(s.name)")
            #expect(close(test.pValue(alternative: .twoSided), s.logRankP, relative: 1e-10), "\(s.name)")
            // One-sided p-values split the two-sided one: p₊ + p₋ = 1 and min = p₂/2.
            let g = test.pValue(alternative: .greater)!, l = test.pValue(alternative: .less)!
            #expect(abs(g + l - 1) < 1e-14)
            #expect(close(2 * min(g, l), s.logRankP, relative: 1e-10))
            #expect((g < l) == (test.observedArm > test.expectedArm))
        }
        let none = LogRankTest(times: [1, 2, 3], events: [false, false, false], isArm: [true, false, true])
        #expect(none.chiSquare == nil && none.pValue(alternative: .twoSided) == nil)
    }

    @Test func coxMatchesLifelines() throws {
        for s in fixture.survival {
            let r = CoxProportionalHazards.compare(times: s.times, events: s.events, isArm: s.isArm, alpha: 0.05, alternative: .twoSided)
            guard let beta = s.coxBeta, let se = s.coxSE, let ll = s.coxLogLikelihood else {
                #expect(r == .undefined, "\(s.name): a group without events has no hazard ratio")
                continue
            }
            let x = Matrix(rows: s.times.count, columns: 1, columnMajor: s.isArm.map { $0 ? 1 : 0 })
            let fit = try #require(CoxProportionalHazards.fit(times: s.times, events: s.events, covariates: x))
            #expect(fit.converged)
            #expect(close(fit.coefficients[0], beta, relative: 1e-7, floor: 1e-3), "\(s.name) β \(fit.coefficients[0]) vs \(beta)")
            #expect(close(fit.standardError(0), se, relative: 1e-7), "\(s.name) se")
            #expect(close(fit.logLikelihood, ll, relative: 1e-9), "\(s.name) ℓ \(fit.logLikelihood) vs \(ll)")
            let z = -StandardNormal.quantile(0.025)
            #expect(close(r.estimate, exp(beta), relative: 1e-7))
            #expect(close(r.lower, exp(beta - z * se), relative: 1e-7) && close(r.upper, exp(beta + z * se), relative: 1e-7))
            #expect(close(r.pValue, 2 * StandardNormal.cdf(-abs(beta / se)), relative: 1e-7))
        }
    }

    @Test func coxWithTwoCovariatesMatchesLifelines() throws {
        let c = fixture.coxTwoCovariates
        let x = Matrix(rows: c.times.count, columns: 2, columnMajor: c.arm + c.age)
        let fit = try #require(CoxProportionalHazards.fit(times: c.times, events: c.events, covariates: x))
        #expect(fit.converged && fit.iterations <= 20)
        for j in 0..<2 {
            #expect(close(fit.coefficients[j], c.beta[j], relative: 1e-7), "β\(j) \(fit.coefficients[j]) vs \(c.beta[j])")
            #expect(close(fit.standardError(j), c.se[j], relative: 1e-7), "se\(j)")
        }
        #expect(close(fit.logLikelihood, c.logLikelihood, relative: 1e-9))
    }

    @Test func coxClosedFormWithoutTies() throws {
        // Arm events at t = 1 and 3, control events at 2 and 4, u = e^β:
        // ℓ(β) = [β − ln(2u + 2)] + [0 − ln(u + 2)] + [β − ln(u + 1)] + [0 − ln 1], so
        // ℓ′ = 2 − 2u/(u + 1) − u/(u + 2) = 0 ⇔ −u² + u + 4 = 0 ⇔ u = (1 + √17)/2.
        let x = Matrix(rows: 4, columns: 1, columnMajor: [1, 0, 1, 0])
        let fit = try #require(CoxProportionalHazards.fit(times: [1, 2, 3, 4], events: [true, true, true, true], covariates: x))
        #expect(abs(fit.coefficients[0] - log((1 + 17.0.squareRoot()) / 2)) < 1e-8)
        #expect(fit.converged)
    }
}

extension ModelTests {
    @Test func coxOnAGroupWithoutEventsIsUndefinedAndDoesNotConverge() throws {
        // Monotone likelihood: β̂ → −∞. The one-indicator convenience refuses; the general fit
        // either loses positive-definiteness of the information on the way (nil) or runs away.
        let times: [Double] = [1, 2, 3, 4, 5, 6], events = [false, false, false, true, true, true]
        let isArm = [true, true, true, false, false, false]
        #expect(CoxProportionalHazards.compare(times: times, events: events, isArm: isArm, alpha: 0.05, alternative: .twoSided) == .undefined)
        let x = Matrix(rows: 6, columns: 1, columnMajor: isArm.map { $0 ? 1 : 0 })
        let fit = CoxProportionalHazards.fit(times: times, events: events, covariates: x)
        #expect(fit == nil || fit?.converged == false || fit!.coefficients[0] < -15)
        #expect(CoxProportionalHazards.fit(times: [1, 2], events: [false, false], covariates: Matrix(rows: 2, columns: 1, columnMajor: [1, 0])) == nil)
    }
}
