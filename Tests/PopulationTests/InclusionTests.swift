import Foundation
import Testing
import Population

@Suite("Derived covariates and inclusion")
struct InclusionTests {
    static func adults() throws -> PopulationSpec {
        try makeSpec([
            ("AGE", .normal(mean: 58, sd: 10, lower: 18, upper: 80)),
            ("SEX", .categorical(levels: ["M", "F"], probabilities: [0.55, 0.45])),
            ("WT", .lognormal(meanlog: log(88), sdlog: 0.198, lower: 45, upper: 180)),
            ("HT", .normal(mean: 170, sd: 9, lower: nil, upper: nil)),
        ], correlations: [("WT", "HT", 0.45)],
           derived: [("BMI", "WT / (HT / 100) ^ 2"), ("BMI2", "BMI * 2")],
           inclusion: ["BMI >= 25", "AGE < 70"])
    }

    @Test("Derived covariates equal their formula on the drawn values; every subject satisfies every criterion")
    func derivedAndInclusion() throws {
        let cohort = try CohortSynthesizer(try Self.adults())
        #expect(cohort.registerNames == ["AGE", "SEX", "WT", "HT", "BMI", "BMI2"])
        var values: [Double] = []
        for s in 0..<20_000 {
            try cohort.subject(seed: 31, replicate: 2, subject: s, into: &values)
            let bmi = values[2] / ((values[3] / 100) * (values[3] / 100))
            #expect(values[4] == bmi)
            #expect(values[5] == 2 * bmi)
            #expect(values[4] >= 25 && values[0] < 70)
        }
    }

    @Test("Acceptance rate: P(AGE ≥ 58) = ½ exactly for a symmetric truncation, estimated within 5 SE")
    func acceptanceRateEstimate() throws {
        let spec = try makeSpec([("AGE", .normal(mean: 58, sd: 10, lower: 38, upper: 78))], inclusion: ["AGE >= 58"])
        let draws = 100_000
        let rate = try CohortSynthesizer(spec).acceptanceRate(seed: 32, draws: draws)
        #expect(abs(rate - 0.5) <= 5 * (0.25 / Double(draws)).squareRoot())
    }

    @Test("Fewer than 1 in 1,000 passing is a typed error stating the observed rate (P(Z > 3.7) = 1.08e-4)")
    func acceptanceRateError() throws {
        let spec = try makeSpec([("AGE", .normal(mean: 58, sd: 10, lower: nil, upper: nil))], inclusion: ["AGE > 95"])
        let cohort = try CohortSynthesizer(spec)
        do {
            _ = try cohort.acceptanceRate(seed: 33, draws: 100_000)
            Issue.record("no error")
        } catch {
            guard case let .inclusionRarelySatisfied(rate, accepted, draws, criteria) = error else { Issue.record("\(error)"); return }
            #expect(draws == 100_000 && criteria == ["AGE > 95"])
            #expect(rate == Double(accepted) / 100_000)
            // Binomial(10⁵, 1.078e-4): mean 10.8, sd 3.3.
            #expect(accepted >= 1 && accepted < 100)
            #expect(error.description.contains("acceptance rate \(rate)"))
        }
    }

    @Test("A subject that never satisfies the criteria stops at the attempt cap with a typed error")
    func attemptCap() throws {
        let spec = try makeSpec([("AGE", .uniform(lower: 18, upper: 80))], inclusion: ["AGE > 200"])
        var values: [Double] = []
        #expect(throws: PopulationError.inclusionAttemptsExhausted(replicate: 1, subject: 4, attempts: CohortSynthesizer.maximumAttemptsPerSubject)) {
            try CohortSynthesizer(spec).subject(seed: 1, replicate: 1, subject: 4, into: &values)
        }
    }

    @Test("A derived covariate that is not finite is a typed error naming it and its inputs")
    func nonFiniteDerived() throws {
        let spec = try makeSpec([("HT", .normal(mean: 170, sd: 9, lower: 150, upper: 190))], derived: [("BAD", "log(HT - 500)")])
        var values: [Double] = []
        do {
            try CohortSynthesizer(spec).subject(seed: 1, replicate: 0, subject: 0, into: &values)
            Issue.record("no error")
        } catch {
            guard case let .nonFiniteDerivedCovariate(name, formula, inputs) = error else { Issue.record("\(error)"); return }
            #expect(name == "BAD" && formula == "log(HT - 500)" && inputs.hasPrefix("HT = "))
        }
    }

    /// SPEC §3: criteria are enforced by resampling. A derived covariate that is not finite for a
    /// candidate the criteria reject (LX = log(X) with X > 0, or a criterion on LX itself) is
    /// drawn again; for one they accept it is still the error above.
    @Test("A derived covariate that is not finite only for rejected candidates is no error")
    func nonFiniteDerivedOfRejectedCandidates() throws {
        for criterion in ["X > 0", "LX > -100"] {
            let spec = try makeSpec([("X", .normal(mean: 1, sd: 1, lower: nil, upper: nil))], derived: [("LX", "log(X)")], inclusion: [criterion])
            let synthesizer = try CohortSynthesizer(spec)
            var values: [Double] = []
            for s in 0..<200 {
                try synthesizer.subject(seed: 3, replicate: 1, subject: s, into: &values)
                #expect(values[0] > 0 && values[1] == Foundation.log(values[0]))
            }
        }
        let unrelated = try makeSpec([("X", .normal(mean: 1, sd: 1, lower: nil, upper: nil))], derived: [("LX", "log(X)")], inclusion: ["X < 100"])
        var values: [Double] = []
        #expect(throws: PopulationError.self) {
            for s in 0..<200 { try CohortSynthesizer(unrelated).subject(seed: 3, replicate: 1, subject: s, into: &values) }
        }
    }

    /// The same for a cohort table: a row the criteria leave out is never drawn, so its derived
    /// value does not matter; a kept row's does, named with its line.
    @Test("A cohort table row left out by the criteria may have a derived value that is not finite")
    func nonFiniteDerivedOfExcludedRows() throws {
        var spec = try makeSpec([("X", .uniform(lower: 0, upper: 1))], derived: [("LX", "log(X)")], inclusion: ["X > 0"])
        spec.table = CohortTable(columns: ["X"], levels: [nil], rows: [[2], [-1], [3]], sampling: .bootstrap, path: "c.csv", rowLines: [2, 3, 4])
        #expect(try CohortSynthesizer(spec).tableRowCount == 2)
        spec.inclusion = []
        #expect(throws: PopulationError.nonFiniteDerivedCovariate(name: "LX", formula: "log(X)", inputs: "line 3: X = -1.0")) {
            _ = try CohortSynthesizer(spec)
        }
    }
}
