import Foundation
import Testing
import VirtualTrial

/// SPEC §5: efficacy, comparisons (WELCH_T, RISK_DIFF with Newcombe's hybrid score interval and
/// Fisher's exact p, Holm and Bonferroni), safety (Clopper–Pearson) and power agree to 1e-6 with
/// numpy/scipy/statsmodels computed from the run's own endpoints.csv, adverse_events.csv and
/// subjects.csv (Fixtures/make_expected_statistics.py → Fixtures/expected_statistics.json).
@Suite("Statistics vs scipy/statsmodels (SPEC §5)")
struct StatisticsTests {
    static func expected() throws -> [String: Any] {
        let data = try Data(contentsOf: E2E.fixture("expected_statistics.json"))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    /// Relative tolerance 1e-6, with an absolute floor of 1e-12 for values at zero.
    static let integerColumns: Set<String> = ["REPLICATE", "N", "RESPONDERS", "EVENTS", "SUBJECTS", "GRADE3PLUS",
                                              "SIGNIFICANT", "REPLICATES"]

    static func matches(_ column: String, _ field: String, _ value: Any) -> Bool {
        switch value {
        case is NSNull: return field.isEmpty
        case let text as String: return field == text
        case let number as NSNumber:
            if integerColumns.contains(column) { return field == "\(number.intValue)" }
            guard let actual = Double(field) else { return false }
            return E2E.close(actual, number.doubleValue, rel: 1e-6, abs: 1e-12)
        default: return false
        }
    }

    static func check(protocolFile: String, protocolID: String, folder: URL) throws {
        let reference = try #require(try expected()[protocolID] as? [String: Any])
        try check(reference: reference, protocolFile: protocolFile, protocolID: protocolID, folder: folder,
                  files: ["efficacy.csv", "comparisons.csv", "safety.csv", "power.csv"],
                  regenerate: "Fixtures/expected_statistics.json with Fixtures/make_expected_statistics.py")
    }

    /// Compares `files` of a run with one protocol's reference rows (a fixture made by a Python
    /// script from the run's own subject-level files); `regenerate` names the fixture and script.
    static func check(reference: [String: Any], protocolFile: String, protocolID: String, folder: URL,
                      files: [String], regenerate: String) throws {
        // A changed simulation makes the reference stale: say so once instead of listing every number.
        let inputs = try #require(reference["inputs_sha256"] as? [String: String])
        for (name, hash) in inputs.sorted(by: { $0.key < $1.key }) {
            let stale = "\(name) of \(protocolFile) changed: if the simulation changed on purpose, regenerate \(regenerate)"
            try #require(try E2E.sha256(folder.appendingPathComponent(name)) == hash, "\(stale)")
        }
        for name in files {
            let rows = try #require(reference[name] as? [[String: Any]])
            let csv = try E2E.csv(folder.appendingPathComponent(name))
            try #require(csv.rows.count == rows.count, "\(protocolID) \(name): \(csv.rows.count) rows, expected \(rows.count)")
            var mismatches = 0
            for (i, (row, want)) in zip(csv.records(), rows).enumerated() {
                for (column, value) in want.sorted(by: { $0.key < $1.key }) {
                    let field = row[column] ?? "<missing column>"
                    if !matches(column, field, value) {
                        mismatches += 1
                        if mismatches <= 25 {
                            Issue.record("\(protocolID) \(name) row \(i + 2) (\(row["REPLICATE"] ?? "") \(row["ENDPOINT"] ?? row["AETERM"] ?? "") \(row["ARM"] ?? "")) \(column): got '\(field)', expected \(value)")
                        }
                    }
                }
            }
            #expect(mismatches == 0, "\(protocolID) \(name): \(mismatches) mismatching values")
        }
    }

    @Test("Holm: efficacy, comparisons, safety and power match the reference")
    func holm() throws {
        let run = E2E.statsRun
        try #require(run.result.status == 0, "stderr: \(run.result.stderr)")
        try Self.check(protocolFile: "stats.yaml", protocolID: "E2E-STATS", folder: run.folder)
    }

    @Test("Bonferroni: efficacy, comparisons, safety and power match the reference")
    func bonferroni() throws {
        let run = try E2E.runFixture("stats-bonferroni.yaml", protocolID: "E2E-STATS-BONF")
        defer { E2E.remove(run.folder.deletingLastPathComponent()) }
        try #require(run.result.status == 0, "stderr: \(run.result.stderr)")
        try Self.check(protocolFile: "stats-bonferroni.yaml", protocolID: "E2E-STATS-BONF", folder: run.folder)
    }

    @Test("the fixture exercises what it claims: dropouts, responders, AEs, significant and non-significant rows")
    func fixtureCoverage() throws {
        let run = E2E.statsRun
        try #require(run.result.status == 0, "stderr: \(run.result.stderr)")
        let subjects = try E2E.csv(run.folder.appendingPathComponent("subjects.csv")).records()
        #expect(subjects.contains { !($0["DROPOUT_TIME"] ?? "").isEmpty })
        let endpoints = try E2E.csv(run.folder.appendingPathComponent("endpoints.csv")).records()
        #expect(endpoints.contains { $0["ENDPOINT"] == "E_CHG" && ($0["AVAL"] ?? "").isEmpty }, "missing after dropout")
        #expect(endpoints.contains { $0["RESPONDER"] == "1" })
        let comparisons = try E2E.csv(run.folder.appendingPathComponent("comparisons.csv")).records()
        #expect(comparisons.contains { $0["SIGNIFICANT"] == "1" && $0["METHOD"] == "RISK_DIFF" })
        #expect(comparisons.contains { $0["SIGNIFICANT"] == "0" && $0["METHOD"] == "WELCH_T" })
        #expect(comparisons.contains { $0["P_VALUE"] != $0["P_ADJ"] }, "the adjustment changes some p-values")
        let safety = try E2E.csv(run.folder.appendingPathComponent("safety.csv")).records()
        #expect(safety.contains { $0["GRADE3PLUS"] != "0" })
    }
}
