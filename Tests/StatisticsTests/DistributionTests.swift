import Sampling
import Foundation
import Testing
@testable import Statistics

// Reference values: Fixtures/distributions.json, made by Fixtures/make_distribution_fixtures.py
// (scipy; mpmath at 40 digits for log-gamma, log-beta and the log pmfs, where scipy itself is off). Tolerances are relative and per function, as tight as each algorithm allows:
//   1e-13  log-gamma (1e-15 absolute near its zeros), log-beta, normal CDF and quantile,
//          chi-square CDF and survival, log pmfs
//   1e-12  incomplete beta and its complement, Student t CDF and quantile, beta quantile
//   (t with ν = 10⁶ and beta quantiles with parameters in the hundreds: the continued fraction's
//   prefactor e^{a·ln x + b·ln(1−x) − ln B} carries terms of size 10⁵–10⁶, whose rounding limits
//   relative accuracy to about 1e-11 there; those cases are held to 5e-11. For ν ≥ 10⁷ the
//   continued fraction itself is ill-conditioned — its odd terms 1 + d₂ₘ₊₁ cancel to ~1/ν — and
//   the t CDF is held to 1e-9, still far below anything a p-value needs; R's `pt` switches to a
//   normal approximation above ν = 4·10⁵ for the same reason.)

private struct DistributionFixture: Decodable {
    struct Case: Decodable { let function: String; let arguments: [Double]; let value: Double }
    let cases: [Case]
}

@Suite struct DistributionTests {
    private func evaluate(_ c: DistributionFixture.Case) -> (value: Double, tolerance: Double, floor: Double) {
        let a = c.arguments
        let large = a.contains { $0 >= 100 }
        switch c.function {
        case "logGamma": return (SpecialFunctions.logGamma(a[0]), 1e-13, 1e-2)
        case "logBeta": return (SpecialFunctions.logBeta(a[0], a[1]), 1e-13, 1e-300)
        case "betainc": return (SpecialFunctions.regularizedIncompleteBeta(a[0], a[1], x: a[2]), large ? 5e-11 : 1e-12, 1e-300)
        case "betaincc": return (SpecialFunctions.incompleteBetaPair(a[0], a[1], x: a[2]).upper, 1e-12, 1e-300)
        case "chi2Cdf": return (ChiSquared.cdf(a[0], degreesOfFreedom: a[1]), 1e-13, 1e-300)
        case "normCdf": return (StandardNormal.cdf(a[0]), 1e-13, 1e-300)
        case "normPpf": return (StandardNormal.quantile(a[0]), 1e-13, 1e-300)
        case "tCdf": return (StudentT.cdf(a[0], degreesOfFreedom: a[1]), a[1] >= 1e7 ? 1e-9 : a[1] >= 1e5 ? 5e-11 : 1e-12, 1e-300)
        case "tPpf": return (StudentT.quantile(a[0], degreesOfFreedom: a[1]), a[1] >= 1e5 ? 5e-11 : 1e-12, 1e-300)
        case "betaPpf": return (BetaDistribution.quantile(a[0], a: a[1], b: a[2]), large ? 5e-11 : 1e-12, 1e-300)
        case "chi2Sf": return (ChiSquared.survival(a[0], degreesOfFreedom: a[1]), 1e-13, 1e-300)
        case "binomLogPmf":
            return (DiscreteDistributions.logBinomialProbability(Int(a[0]), trials: Int(a[1]), probability: a[2]), 1e-13, 1e-3)
        case "hypergeomLogPmf":
            return (DiscreteDistributions.logHypergeometricProbability(Int(a[0]), population: Int(a[1]), successes: Int(a[2]), draws: Int(a[3])), 1e-13, 1e-3)
        default: Issue.record("unknown function \(c.function)"); return (.nan, 0, 0)
        }
    }

    @Test func matchesScipyReferenceValues() throws {
        let fixture = try loadFixture("distributions.json", as: DistributionFixture.self)
        #expect(fixture.cases.count > 300)
        var worst: [String: Double] = [:]
        for c in fixture.cases {
            let (value, tolerance, floor) = evaluate(c)
            worst[c.function] = max(worst[c.function] ?? 0, abs(value - c.value) / max(abs(c.value), floor))
            #expect(close(value, c.value, relative: tolerance, floor: floor),
                    "\(c.function)\(c.arguments) = \(value), scipy \(c.value), rel. error \(abs(value - c.value) / abs(c.value))")
        }
        // The largest relative errors seen (for the record, see the report): all ≤ 6e-14 except
        // t with ν ≥ 10⁵ (≤ 8e-10 at ν = 10⁸) and t quantiles (≤ 1.3e-11, ν = 10⁶).
        #expect(worst.count == 13)
    }

    @Test func closedFormsAndSymmetries() {
        // Φ(0) = ½, Cauchy CDF at 1 is ¾, t₂ quantile closed form, I_x(1, 1) = x, I_x(a, 1) = xᵃ.
        #expect(StandardNormal.cdf(0) == 0.5)
        #expect(abs(StudentT.cdf(1, degreesOfFreedom: 1) - 0.75) < 1e-15)
        #expect(abs(StudentT.quantile(0.75, degreesOfFreedom: 1) - 1) < 1e-15)
        #expect(abs(SpecialFunctions.regularizedIncompleteBeta(1, 1, x: 0.3) - 0.3) < 1e-15)
        #expect(abs(SpecialFunctions.regularizedIncompleteBeta(3, 1, x: 0.5) - 0.125) < 1e-15)
        #expect(StandardNormal.quantile(0) == -.infinity && StandardNormal.quantile(1) == .infinity)
        #expect(BetaDistribution.quantile(0, a: 2, b: 3) == 0 && BetaDistribution.quantile(1, a: 2, b: 3) == 1)
        // chi²₂ survival is e^{−x/2}.
        #expect(abs(ChiSquared.survival(3, degreesOfFreedom: 2) - exp(-1.5)) < 1e-15)
        // Dyadic p, so that 1 − p is exact and the symmetry t_{1−p} = −t_p must hold to rounding.
        for p in [0x1p-30, 1.0 / 128, 0.25, 0.375] {
            for nu in [1.0, 3.3, 17] {
                let q = StudentT.quantile(p, degreesOfFreedom: nu)
                #expect(abs(StudentT.cdf(q, degreesOfFreedom: nu) - p) <= 1e-13 * p)
                #expect(StudentT.quantile(1 - p, degreesOfFreedom: nu) == -q || abs(StudentT.quantile(1 - p, degreesOfFreedom: nu) + q) < 1e-12 * abs(q) + 1e-300)
            }
        }
    }
}
