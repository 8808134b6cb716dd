import Foundation
import Testing
import Population

@Suite("Gaussian copula and correlation validation")
struct CopulaTests {
    @Test("Spearman's ρ_s of correlated, truncated covariates matches (6/π)·asin(ρ/2) (Moran's finite-n expectation) within 5 SE")
    func spearmanMatchesCopula() throws {
        let spec = try makeSpec([
            ("AGE", .normal(mean: 58, sd: 10, lower: 18, upper: 80)),
            ("WT", .lognormal(meanlog: log(88), sdlog: 0.198, lower: 45, upper: 180)),
            ("HT", .normal(mean: 170, sd: 9, lower: nil, upper: nil)),
            ("EGFR", .uniform(lower: 15, upper: 120)),
        ], correlations: [("WT", "HT", 0.45), ("AGE", "EGFR", -0.4)])
        let cohort = try CohortSynthesizer(spec)
        let batches = 20, batchSize = 2000
        var values: [Double] = []
        var columns = [[Double]](repeating: [], count: 4)
        for s in 0..<(batches * batchSize) {
            try cohort.subject(seed: 21, replicate: 0, subject: s, into: &values)
            for c in 0..<4 { columns[c].append(values[c]) }
        }
        for (a, b, rho) in [(1, 2, 0.45), (0, 3, -0.4), (0, 1, 0.0)] {
            // Moran (1948): E[r_s] = 6/(π(n+1))·(asin ρ + (n − 2)·asin(ρ/2)) for bivariate normal ranks.
            func expected(_ n: Double) -> Double { 6 / (Double.pi * (n + 1)) * (asin(rho) + (n - 2) * asin(rho / 2)) }
            let whole = spearman(columns[a], columns[b])
            // Standard error of the whole-sample estimate from the spread of batch estimates.
            var spread = Moments()
            for k in 0..<batches {
                let range = (k * batchSize)..<((k + 1) * batchSize)
                spread.add(spearman(Array(columns[a][range]), Array(columns[b][range])))
            }
            let se = spread.variance.squareRoot() / Double(batches).squareRoot()
            #expect(abs(whole - expected(Double(batches * batchSize))) <= 5 * se, "pair \(a), \(b): \(whole)")
        }
        #expect(abs(6 / Double.pi * asin(0.45 / 2) - 0.4333) < 1e-3)   // the target is far from 0: the test has power
    }

    @Test("A correlation matrix that is not positive definite names the covariates of the failing leading minor, and only them")
    func notPositiveDefinite() throws {
        let spec = try makeSpec([
            ("A", .normal(mean: 0, sd: 1, lower: nil, upper: nil)),
            ("D", .normal(mean: 0, sd: 1, lower: nil, upper: nil)),
            ("SEX", .categorical(levels: ["M", "F"], probabilities: [0.5, 0.5])),
            ("B", .normal(mean: 0, sd: 1, lower: nil, upper: nil)),
            ("C", .uniform(lower: 0, upper: 1)),
            ("E", .normal(mean: 0, sd: 1, lower: nil, upper: nil)),
        ], correlations: [("A", "B", 0.9), ("B", "C", 0.9), ("A", "C", -0.9), ("D", "E", 0.3)])
        #expect(throws: PopulationError.correlationsNotPositiveDefinite(covariates: ["A", "B", "C"])) {
            try CohortSynthesizer(spec)
        }
        do { _ = try CohortSynthesizer(spec) } catch {
            #expect(error.description.contains("A, B, C"))
        }
    }

    @Test("Invalid correlation entries are typed errors: categorical covariate, |ρ| ≥ 1, self-correlation, conflicting duplicates")
    func invalidCorrelations() throws {
        let covariates: [(String, CovariateDistribution)] = [
            ("WT", .normal(mean: 70, sd: 10, lower: nil, upper: nil)),
            ("HT", .normal(mean: 170, sd: 9, lower: nil, upper: nil)),
            ("SEX", .categorical(levels: ["M", "F"], probabilities: [0.5, 0.5])),
        ]
        for correlations in [[("WT", "SEX", 0.3)], [("WT", "HT", 1.0)], [("WT", "WT", 0.5)], [("WT", "HT", 0.3), ("HT", "WT", 0.4)]] {
            let spec = try makeSpec(covariates, correlations: correlations)
            #expect(throws: PopulationError.self) { try CohortSynthesizer(spec) }
            do { _ = try CohortSynthesizer(spec) } catch {
                guard case .invalidCorrelation = error else { Issue.record("unexpected \(error)"); continue }
            }
        }
        // The same pair twice with the same value is accepted.
        _ = try CohortSynthesizer(try makeSpec(covariates, correlations: [("WT", "HT", 0.3), ("HT", "WT", 0.3)]))
    }

    @Test("Invalid distributions are typed errors naming the covariate")
    func invalidDistributions() throws {
        let bad: [CovariateDistribution] = [
            .normal(mean: 0, sd: 0, lower: nil, upper: nil),
            .normal(mean: 0, sd: 1, lower: 2, upper: 1),
            .normal(mean: 0, sd: 1, lower: 50, upper: 60),        // no representable probability
            .lognormal(meanlog: 0, sdlog: -1, lower: nil, upper: nil),
            .lognormal(meanlog: 0, sdlog: 1, lower: nil, upper: -1),
            .uniform(lower: 3, upper: 3),
            .categorical(levels: ["M", "F"], probabilities: [0.5, 0.6]),
            .categorical(levels: ["M"], probabilities: [0.5, 0.5]),
        ]
        for distribution in bad {
            let spec = try makeSpec([("X", distribution)])
            do {
                _ = try CohortSynthesizer(spec)
                Issue.record("accepted \(distribution)")
            } catch {
                guard case let .invalidDistribution(covariate, _) = error else { Issue.record("unexpected \(error)"); continue }
                #expect(covariate == "X")
            }
        }
    }
}
