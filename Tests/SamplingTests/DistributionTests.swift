import Foundation
import Testing
import Sampling

/// Monte-Carlo checks with fixed seeds. A moment is accepted within k = 5 standard errors of its
/// closed form (a false alarm once in 1.7 million runs; a bias of 5 SE is caught); goodness of fit
/// by a statistic below its 0.001 critical value (scipy values in Fixtures/distributions.json).
@Suite("Distributions drawn from a RandomStream")
struct DistributionTests {
    static let k = 5.0

    struct Moments {
        var n = 0.0, mean = 0.0, m2 = 0.0
        mutating func add(_ x: Double) { n += 1; let d = x - mean; mean += d / n; m2 += d * (x - mean) }
        var variance: Double { m2 / (n - 1) }
    }

    /// √n·D_n of a sample against a continuous CDF.
    func kolmogorovStatistic(_ sample: [Double], _ cdf: (Double) -> Double) -> Double {
        let x = sample.sorted()
        let n = Double(x.count)
        var d = 0.0
        for (i, v) in x.enumerated() {
            let f = cdf(v)
            d = max(d, Double(i + 1) / n - f, f - Double(i) / n)
        }
        return d * n.squareRoot()
    }

    func critical() throws -> (kolmogorov: Double, chiSquare: [String: Double]) {
        let f = try fixture("distributions.json")
        return (number(f["kolmogorov999"]), (f["chiSquare999"] as! [String: Any]).mapValues { number($0) })
    }

    @Test("Uniform: inside (0, 1); mean ½ and variance 1/12 of 10⁶ draws within 5 SE")
    func uniform() {
        var rng = RandomStream(seed: 1, replicate: 0, subject: 0, stream: .covariates)
        var m = Moments(), lo = 1.0, hi = 0.0
        for _ in 0..<1_000_000 { let u = rng.nextUniform(); m.add(u); lo = min(lo, u); hi = max(hi, u) }
        #expect(lo > 0 && hi < 1)
        #expect(abs(m.mean - 0.5) <= Self.k * (1.0 / 12 / m.n).squareRoot())
        // Var of the sample variance of U(0,1): (μ₄ − σ⁴)/n with μ₄ = 1/80.
        #expect(abs(m.variance - 1.0 / 12) <= Self.k * ((1.0 / 80 - 1.0 / 144) / m.n).squareRoot())
    }

    @Test("Normal: mean 0 and variance 1 of 10⁶ draws within 5 SE; KS of 10⁵ below the 0.001 critical value")
    func normal() throws {
        var rng = RandomStream(seed: 2, replicate: 0, subject: 0, stream: .eta)
        var m = Moments(), sample: [Double] = []
        for i in 0..<1_000_000 { let z = rng.nextNormal(); m.add(z); if i < 100_000 { sample.append(z) } }
        #expect(abs(m.mean) <= Self.k / m.n.squareRoot())
        #expect(abs(m.variance - 1) <= Self.k * (2 / m.n).squareRoot())
        // The reference CDF is written with Foundation's erfc directly, not StandardNormal.cdf.
        #expect(kolmogorovStatistic(sample) { 0.5 * erfc(-$0 / 2.0.squareRoot()) } < (try critical()).kolmogorov)
    }

    @Test("Normal(mean, sd) and log-normal: moments against closed forms within 5 SE")
    func normalAndLogNormal() {
        var rng = RandomStream(seed: 3, replicate: 0, subject: 0, stream: .eta)
        var normal = Moments(), logNormal = Moments()
        let n = 400_000
        for _ in 0..<n { normal.add(rng.nextNormal(mean: 70, sd: 12)) }
        for _ in 0..<n { logNormal.add(rng.nextLogNormal(meanlog: log(88), sdlog: 0.2)) }
        #expect(abs(normal.mean - 70) <= Self.k * 12 / normal.n.squareRoot())
        #expect(abs(normal.variance - 144) <= Self.k * 144 * (2 / normal.n).squareRoot())
        let s2 = 0.04, mean = 88 * exp(s2 / 2), variance = (exp(s2) - 1) * 88 * 88 * exp(s2)
        #expect(abs(logNormal.mean - mean) <= Self.k * (variance / logNormal.n).squareRoot())
    }

    @Test("Exponential(rate 2): mean ½ within 5 SE; KS below the 0.001 critical value")
    func exponential() throws {
        var rng = RandomStream(seed: 4, replicate: 0, subject: 0, stream: .dropout)
        var m = Moments(), sample: [Double] = []
        for _ in 0..<100_000 { let t = rng.nextExponential(rate: 2); m.add(t); sample.append(t) }
        #expect(sample.allSatisfy { $0 > 0 && $0.isFinite })
        #expect(abs(m.mean - 0.5) <= Self.k * 0.5 / m.n.squareRoot())
        #expect(kolmogorovStatistic(sample) { 1 - exp(-2 * $0) } < (try critical()).kolmogorov)
    }

    @Test("Bernoulli: frequency within 5 SE; p = 0 never, p = 1 always")
    func bernoulli() {
        var rng = RandomStream(seed: 5, replicate: 0, subject: 0, stream: .adherence)
        let n = 200_000.0
        var hits = 0.0
        for _ in 0..<Int(n) where rng.nextBernoulli(0.3) { hits += 1 }
        #expect(abs(hits / n - 0.3) <= Self.k * (0.3 * 0.7 / n).squareRoot())
        #expect((0..<10_000).allSatisfy { _ in !rng.nextBernoulli(0) && rng.nextBernoulli(1) })
    }

    @Test("nextIndex(below:) is uniform: chi-square below its 0.001 critical value for n = 7 and n = 1000")
    func index() throws {
        var rng = RandomStream(seed: 6, replicate: 0, subject: 0, stream: .armPermutation)
        let crit = try critical().chiSquare
        for (bound, df) in [(7, "6"), (1000, "999")] {
            var counts = [Double](repeating: 0, count: bound)
            let draws = 200 * bound
            for _ in 0..<draws { counts[rng.nextIndex(below: bound)] += 1 }
            let expected = Double(draws) / Double(bound)
            let chi2 = counts.reduce(0) { $0 + ($1 - expected) * ($1 - expected) / expected }
            #expect(chi2 < crit[df]!, "bound \(bound): χ² = \(chi2)")
        }
        #expect((0..<100).allSatisfy { _ in rng.nextIndex(below: 1) == 0 })
        // A bound near 2⁶³, where modulo reduction would be badly biased: the result stays in range
        // and both halves occur about equally (within 5 SE).
        let big = Int.max / 3 * 2
        var lowerHalf = 0.0
        for _ in 0..<100_000 { let i = rng.nextIndex(below: big); #expect(i >= 0 && i < big); if i < big / 2 { lowerHalf += 1 } }
        #expect(abs(lowerHalf / 100_000 - 0.5) <= Self.k * 0.5 / 100_000.0.squareRoot())
    }

    @Test("Categorical: chi-square below its 0.001 critical value; zero-probability levels never drawn")
    func categorical() throws {
        var rng = RandomStream(seed: 7, replicate: 0, subject: 0, stream: .covariates)
        let p = [0.5, 0.0, 0.3, 0.2]
        var counts = [Double](repeating: 0, count: 4)
        let n = 100_000.0
        for _ in 0..<Int(n) { counts[rng.nextCategorical(p)] += 1 }
        #expect(counts[1] == 0)
        let chi2 = [0, 2, 3].reduce(0.0) { $0 + pow(counts[$1] - n * p[$1], 2) / (n * p[$1]) }
        #expect(chi2 < (try critical()).chiSquare["2"]!)
        #expect(RandomStream.category(for: 1 - 0x1p-53, probabilities: [0.1, 0.2, 0.3]) == 2)
    }

    @Test("Truncated normal: never outside [a, b]; mean and variance against scipy truncnorm within 5 SE, tails included")
    func truncatedNormal() throws {
        let rows = try fixture("distributions.json")["truncatedNormal"] as! [[String: Any]]
        var rng = RandomStream(seed: 8, replicate: 0, subject: 0, stream: .covariates)
        for row in rows {
            let a = number(row["lower"]), b = number(row["upper"])
            let mean = number(row["mean"]), variance = number(row["variance"])
            var m = Moments()
            for _ in 0..<100_000 {
                let x = rng.nextTruncatedNormal(lower: a, upper: b)
                #expect(x >= a && x <= b, "[\(a), \(b)]: \(x)")
                m.add(x)
            }
            #expect(abs(m.mean - mean) <= Self.k * (variance / m.n).squareRoot(), "[\(a), \(b)]")
            // Excess kurtosis of a truncated normal is at most that of the exponential (6), its
            // limit in a far tail, so SE(sample variance) ≤ σ²·√(8/n).
            #expect(abs(m.variance - variance) <= Self.k * variance * (8 / m.n).squareRoot(), "[\(a), \(b)]")
        }
    }

    @Test("Truncated normal with location and scale stays within its bounds; an empty interval gives NaN")
    func truncatedNormalScaled() {
        var rng = RandomStream(seed: 9, replicate: 0, subject: 0, stream: .covariates)
        for _ in 0..<10_000 {
            let x = rng.nextTruncatedNormal(mean: 58, sd: 10, lower: 18, upper: 60)
            #expect(x >= 18 && x <= 60)
        }
        #expect(rng.nextTruncatedNormal(lower: 2, upper: 1).isNaN)
        #expect(rng.nextTruncatedNormal(lower: 40, upper: 50).isNaN)
        #expect(TruncatedStandardNormal(lower: 40, upper: 50) == nil)
        #expect(TruncatedStandardNormal(lower: .nan, upper: 1) == nil)
    }

    @Test("Truncated quantile is monotone and reaches the bounds (to Φ⁻¹'s 1e-15 relative) at u = 0 and u = 1")
    func truncatedQuantileEnds() {
        let t = TruncatedStandardNormal(lower: 10, upper: 12)!
        #expect(relativeError(t.quantile(0), 10) <= 1e-15)
        #expect(relativeError(t.quantile(1), 12) <= 1e-15)
        var previous = -Double.infinity
        for i in 1..<1000 {
            let x = t.quantile(Double(i) / 1000)
            #expect(x > previous)
            previous = x
        }
    }
}
