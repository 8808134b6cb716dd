import Foundation
import Testing
import Population

/// Marginals of synthetic cohorts against scipy (Fixtures/marginals.json) or closed forms.
/// Tolerance: k = 5 Monte-Carlo standard errors (mean: s/√n; variance: s²·√(8/n), valid for
/// excess kurtosis ≤ 6; quantile: √(p(1 − p)/n)/f(x_p)).
@Suite("Covariate marginals")
struct MarginalTests {
    static let k = 5.0
    static let n = 100_000

    func draw(_ spec: PopulationSpec, seed: UInt64 = 11) throws -> [[Double]] {
        let cohort = try CohortSynthesizer(spec)
        var values: [Double] = []
        var columns = [[Double]](repeating: [], count: cohort.registerCount)
        for s in 0..<Self.n {
            try cohort.subject(seed: seed, replicate: 0, subject: s, into: &values)
            for (c, v) in values.enumerated() { columns[c].append(v) }
        }
        return columns
    }

    func check(_ sample: [Double], against entry: [String: Any], lower: Double, upper: Double, _ name: String) {
        #expect(sample.allSatisfy { $0 >= lower && $0 <= upper }, "\(name) outside [\(lower), \(upper)]")
        var m = Moments()
        for x in sample { m.add(x) }
        let mean = number(entry["mean"]), variance = number(entry["variance"])
        #expect(abs(m.mean - mean) <= Self.k * (variance / m.n).squareRoot(), "\(name) mean \(m.mean) vs \(mean)")
        #expect(abs(m.variance - variance) <= Self.k * variance * (8 / m.n).squareRoot(), "\(name) variance \(m.variance) vs \(variance)")
        let sorted = sample.sorted()
        for q in entry["quantiles"] as! [[String: Any]] {
            let p = number(q["p"]), x = number(q["x"]), f = number(q["density"])
            let se = (p * (1 - p) / Double(sample.count)).squareRoot() / f
            #expect(abs(quantile(sorted, p) - x) <= Self.k * se, "\(name) quantile \(p)")
        }
    }

    @Test("Truncated normal, truncated lognormal (median/cv), one-sided and far-tail truncation: bounds, moments and quartiles against scipy")
    func truncatedMarginals() throws {
        let f = try fixture("marginals.json")
        let sdlog = log(1 + 0.2 * 0.2).squareRoot()
        let spec = try makeSpec([
            ("AGE", .normal(mean: 58, sd: 10, lower: 18, upper: 80)),
            ("WT", .lognormal(meanlog: log(88), sdlog: sdlog, lower: 45, upper: 180)),
            ("EGFR", .normal(mean: 85, sd: 20, lower: 15, upper: nil)),
            ("EXTREME", .normal(mean: 0, sd: 1, lower: 6, upper: 7)),
        ])
        let columns = try draw(spec)
        check(columns[0], against: f["AGE"] as! [String: Any], lower: 18, upper: 80, "AGE")
        check(columns[1], against: f["WT"] as! [String: Any], lower: 45, upper: 180, "WT")
        check(columns[2], against: f["EGFR"] as! [String: Any], lower: 15, upper: .infinity, "EGFR")
        check(columns[3], against: f["EXTREME"] as! [String: Any], lower: 6, upper: 7, "EXTREME")
    }

    @Test("Truncated normal mean equals μ + σ(φ(α) − φ(β))/(Φ(β) − Φ(α)) within 5 SE (formula written with erfc here)")
    func truncatedNormalMeanFormula() throws {
        let (mean, sd, a, b) = (170.0, 9.0, 160.0, 200.0)
        let columns = try draw(try makeSpec([("HT", .normal(mean: mean, sd: sd, lower: a, upper: b))]), seed: 12)
        let alpha = (a - mean) / sd, beta = (b - mean) / sd
        func phi(_ x: Double) -> Double { exp(-x * x / 2) / (2 * Double.pi).squareRoot() }
        func bigPhi(_ x: Double) -> Double { 0.5 * erfc(-x / 2.0.squareRoot()) }
        let z = bigPhi(beta) - bigPhi(alpha)
        let expected = mean + sd * (phi(alpha) - phi(beta)) / z
        let variance = sd * sd * (1 + (alpha * phi(alpha) - beta * phi(beta)) / z - pow((phi(alpha) - phi(beta)) / z, 2))
        var m = Moments()
        for x in columns[0] { #expect(x >= a && x <= b); m.add(x) }
        #expect(abs(m.mean - expected) <= Self.k * (variance / m.n).squareRoot())
    }

    @Test("Untruncated normal, lognormal (meanlog/sdlog) and uniform: moments and median against closed forms")
    func untruncatedMarginals() throws {
        let spec = try makeSpec([
            ("HT", .normal(mean: 170, sd: 9, lower: nil, upper: nil)),
            ("CRP", .lognormal(meanlog: 1, sdlog: 0.5, lower: nil, upper: nil)),
            ("HBA1C", .uniform(lower: 7, upper: 10.5)),
        ])
        let columns = try draw(spec, seed: 13)
        let n = Double(Self.n)
        var ht = Moments(), crp = Moments(), hba1c = Moments()
        columns[0].forEach { ht.add($0) }
        columns[1].forEach { crp.add($0) }
        columns[2].forEach { hba1c.add($0) }
        #expect(abs(ht.mean - 170) <= Self.k * 9 / n.squareRoot())
        #expect(abs(ht.variance - 81) <= Self.k * 81 * (2 / n).squareRoot())
        let crpMean = exp(1 + 0.125), crpVariance = (exp(0.25) - 1) * exp(2 + 0.25)
        #expect(abs(crp.mean - crpMean) <= Self.k * (crpVariance / n).squareRoot())
        // Median e^1; density of the lognormal there: 1/(e·0.5·√(2π)).
        let medianSE = 0.5 / n.squareRoot() / (1 / (exp(1) * 0.5 * (2 * Double.pi).squareRoot()))
        #expect(abs(quantile(columns[1].sorted(), 0.5) - exp(1)) <= Self.k * medianSE)
        #expect(columns[2].allSatisfy { $0 >= 7 && $0 <= 10.5 })
        #expect(abs(hba1c.mean - 8.75) <= Self.k * (3.5 * 3.5 / 12 / n).squareRoot())
        #expect(abs(hba1c.variance - 3.5 * 3.5 / 12) <= Self.k * ((pow(3.5, 4) / 80 - pow(3.5, 4) / 144) / n).squareRoot())
    }

    @Test("Categorical: level indices in range, frequencies within 5 SE of the probabilities")
    func categorical() throws {
        let spec = try makeSpec([("SEX", .categorical(levels: ["M", "F"], probabilities: [0.55, 0.45])),
                                 ("RACE", .categorical(levels: ["A", "B", "C"], probabilities: [0.2, 0.5, 0.3]))])
        let columns = try draw(spec, seed: 14)
        let n = Double(Self.n)
        #expect(columns[0].allSatisfy { $0 == 0 || $0 == 1 })
        #expect(abs(Double(columns[0].filter { $0 == 1 }.count) / n - 0.45) <= Self.k * (0.45 * 0.55 / n).squareRoot())
        for (level, p) in [(0.0, 0.2), (1.0, 0.5), (2.0, 0.3)] {
            #expect(abs(Double(columns[1].filter { $0 == level }.count) / n - p) <= Self.k * (p * (1 - p) / n).squareRoot())
        }
        let cohort = try CohortSynthesizer(spec)
        #expect(cohort.levels(ofRegister: 1) == ["A", "B", "C"])
    }
}
