import Foundation
import Testing
import Population

@Suite("CSV cohorts: as-is and bootstrap")
struct CohortTableTests {
    /// Rows sorted by AGE (the case a file order must not confound): row i has AGE 20 + i, WT 60 + i
    /// and SEX index i mod 2.
    static func table(rows: Int, sampling: CohortTable.Sampling, inclusion: [String] = []) throws -> PopulationSpec {
        let columns = ["AGE", "WT", "SEX"]
        let derived = try DerivedCovariate(name: "WT2", formula: compile("WT * 2", names: columns))
        let registers = columns + ["WT2"]
        var criteria: [InclusionCriterion] = []
        for text in inclusion { criteria.append(InclusionCriterion(text: text, condition: try compile(text, names: registers))) }
        var values: [[Double]] = []
        for i in 0..<rows {
            let row: [Double] = [Double(20 + i), Double(60 + i), Double(i % 2)]
            values.append(row)
        }
        let levels: [[String]?] = [nil, nil, ["M", "F"]]
        let table = CohortTable(columns: columns, levels: levels, rows: values, sampling: sampling)
        return PopulationSpec(name: "csv", covariates: [], derived: [derived], inclusion: criteria, table: table)
    }

    @Test("as-is: subjects 0..<rows get every row exactly once, derived covariates filled, beyond the last row a typed error")
    func asIsIsPermutation() throws {
        let cohort = try CohortSynthesizer(try Self.table(rows: 50, sampling: .asIs))
        #expect(cohort.tableRowCount == 50)
        #expect(cohort.registerNames == ["AGE", "WT", "SEX", "WT2"])
        #expect(cohort.levels(ofRegister: 2) == ["M", "F"] && cohort.levels(ofRegister: 0) == nil)
        let replicate = cohort.replicate(seed: 51, replicate: 0)
        var values: [Double] = [], ages: [Double] = []
        for s in 0..<50 {
            try replicate.subject(s, into: &values)
            #expect(values[3] == values[1] * 2 && values[1] == values[0] + 40)
            ages.append(values[0])
            var direct: [Double] = []
            try cohort.subject(seed: 51, replicate: 0, subject: s, into: &direct)
            #expect(direct == values)
        }
        #expect(ages.sorted() == (0..<50).map { Double(20 + $0) })
        #expect(ages != ages.sorted())   // identity has probability 1/50!
        #expect(throws: PopulationError.subjectBeyondCohortTable(subject: 50, rows: 50)) { try replicate.subject(50, into: &values) }
    }

    @Test("as-is: the permutation depends on (seed, replicate) only and is uniform: row 0 lands first in 1/5 of replicates within 5 SE")
    func asIsPermutationIsUniform() throws {
        let cohort = try CohortSynthesizer(try Self.table(rows: 5, sampling: .asIs))
        #expect(cohort.replicate(seed: 52, replicate: 1).rowOrder == cohort.replicate(seed: 52, replicate: 1).rowOrder)
        #expect(cohort.replicate(seed: 52, replicate: 1).rowOrder != cohort.replicate(seed: 52, replicate: 2).rowOrder
             || cohort.replicate(seed: 52, replicate: 1).rowOrder != cohort.replicate(seed: 52, replicate: 3).rowOrder)
        let n = 20_000
        var firstIsRowZero = [Double](repeating: 0, count: 5)
        for r in 0..<n {
            let order = cohort.replicate(seed: 52, replicate: r).rowOrder!
            #expect(order.sorted() == [0, 1, 2, 3, 4])
            firstIsRowZero[order.firstIndex(of: 0)!] += 1
        }
        for count in firstIsRowZero {
            #expect(abs(count / Double(n) - 0.2) <= 5 * (0.2 * 0.8 / Double(n)).squareRoot())
        }
    }

    @Test("bootstrap: every subject is a row of the table (one that meets the inclusion criteria); all eligible rows occur")
    func bootstrapDrawsRows() throws {
        let cohort = try CohortSynthesizer(try Self.table(rows: 10, sampling: .bootstrap, inclusion: ["AGE >= 23"]))
        #expect(cohort.tableRowCount == 7)
        #expect(try cohort.acceptanceRate(seed: 0) == 0.7)
        var values: [Double] = []
        var seen = Set<Double>()
        for s in 0..<5_000 {
            try cohort.subject(seed: 53, replicate: 0, subject: s, into: &values)
            #expect(values[0] >= 23 && values[0] <= 29 && values[0] == values[0].rounded())
            #expect(values[1] == values[0] + 40 && values[2] == Double(Int(values[0] - 20) % 2) && values[3] == 2 * values[1])
            seen.insert(values[0])
        }
        #expect(seen.count == 7)
        // The subject's own stream: the same key, the same row.
        var again: [Double] = []
        try cohort.subject(seed: 53, replicate: 0, subject: 4_999, into: &again)
        #expect(again == values)
    }

    @Test("Malformed tables and empty eligibility are typed errors")
    func malformed() throws {
        var spec = try Self.table(rows: 3, sampling: .bootstrap)
        spec.table!.rows[1] = [1, 2]
        #expect(throws: PopulationError.malformedCohortTable(row: 3, reason: "2 values for 3 columns")) { try CohortSynthesizer(spec) }
        let none = try CohortSynthesizer(try Self.table(rows: 3, sampling: .bootstrap, inclusion: ["AGE > 100"]))
        #expect(none.tableRowCount == 0)
        #expect(throws: PopulationError.self) { try none.acceptanceRate(seed: 1) }
        var values: [Double] = []
        #expect(throws: PopulationError.self) { try none.subject(seed: 1, replicate: 0, subject: 0, into: &values) }
    }
}
