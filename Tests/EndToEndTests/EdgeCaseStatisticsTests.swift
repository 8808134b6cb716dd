import Foundation
import Testing

/// Two rules of SPEC §5/§6 at their edges, through the binary. Every expectation is exact by
/// construction: which assessments are missing follows from DROPOUT_TIME and the window alone,
/// and a group of identical values has that value as its mean and no variance.
@Suite("Edges: dropout inside a summary's last grid step; constant groups")
struct EdgeCaseStatisticsTests {
    static func run(_ protocolText: String, id: String) throws -> (URL, URL) {
        let dir = try E2E.temporaryDirectory()
        let protocolURL = dir.appendingPathComponent("protocol.yaml")
        try Data(protocolText.utf8).write(to: protocolURL)
        let out = dir.appendingPathComponent("out")
        let result = try E2E.vtrial(["run", protocolURL.path, "--out", out.path])
        try #require(result.status == 0, "stderr: \(result.stderr)")
        return (dir, out.appendingPathComponent(id))
    }

    /// A 2-day, 1-compartment oral PK + Emax protocol with a placebo and an active arm
    /// (50 mg at 0 and 24 h); `model` adds lines to the model block, `rest` follows the arms.
    static func emaxProtocol(id: String, subjects: Int, e0: Int, model: String = "", rest: String) -> String {
        """
        protocol: \(id)
        seed: 1
        subjects: \(subjects)
        population:
          population: flat
          covariates:
            WT: { dist: uniform, min: 60, max: 80 }
        duration: 2 d
        model:
          pk: { compartments: 1, absorption: oral }
          pd: { type: emax }
          parameters: { CL: 5 L/h, V1: 50 L, KA: 1.0, E0: \(e0), EMAX: -40, EC50: 0.5 }
        \(model)arms:
          - name: placebo
          - name: active
            dosing: { amount: 50 mg, every: 24 h, doses: 2 }
        \(rest)
        analysis: { control: placebo }

        """
    }

    @Test("A summary is missing when DROPOUT_TIME is before the window's end, also between grid times (SPEC §6 Dropout)")
    func dropoutBeforeAnOffGridWindowEnd() throws {
        // Hourly grid; the summaries' window ends at 30.9 h, between grid times 30 and 31. A
        // subject who drops out in [30, 30.9) was assessed at 30 h but is missing for every
        // summary; `at: 30 h` reads the grid and is not missing for them.
        let (dir, folder) = try Self.run(Self.emaxProtocol(id: "EDGE-DROPOUT", subjects: 300, e0: 100, model: "  variability: { CL: 0.3 }\n", rest: """
            endpoints:
              - { id: EMAX_W, variable: E, summary: max, window: [0 h, 30.9 h] }
              - { id: EMIN_W, variable: E, summary: min, window: [0 h, 30.9 h] }
              - { id: EMEAN_W, variable: E, summary: mean, window: [0 h, 30.9 h] }
              - { id: CAUC_W, variable: C, summary: auc, window: [0 h, 30.9 h] }
              - { id: E_AT30, variable: E, at: 30 h }
            dropout: { probability: 0.9, by: 2 d }
            """), id: "EDGE-DROPOUT")
        defer { E2E.remove(dir) }
        var dropout: [String: Double] = [:]
        for s in try E2E.csv(folder.appendingPathComponent("subjects.csv")).records() {
            if let d = Double(s["DROPOUT_TIME"] ?? "") { dropout[s["USUBJID"]!] = d }
        }
        let between = dropout.values.filter { $0 >= 30 && $0 < 30.9 }
        try #require(!between.isEmpty, "the seed gives subjects who drop out between 30 h and 30.9 h")
        var rows = 0
        for e in try E2E.csv(folder.appendingPathComponent("endpoints.csv")).records() {
            let endpoint = e["ENDPOINT"]!
            let assessedAt = endpoint == "E_AT30" ? 30.0 : 30.9
            let missing = dropout[e["USUBJID"]!].map { $0 < assessedAt } ?? false
            #expect((e["AVAL"] ?? "").isEmpty == missing,
                    "\(e["USUBJID"]!) \(endpoint): DROPOUT_TIME \(dropout[e["USUBJID"]!].map { "\($0)" } ?? "none"), AVAL '\(e["AVAL"] ?? "")'")
            rows += 1
        }
        #expect(rows == 300 * 5)
        // efficacy.csv's N counts the assessed subjects only.
        for row in try E2E.csv(folder.appendingPathComponent("efficacy.csv")).records() where row["ENDPOINT"] == "CAUC_W" {
            let arm = row["ARM"]!
            let subjects = try E2E.csv(folder.appendingPathComponent("subjects.csv")).records().filter { $0["ARM"] == arm }
            let assessed = subjects.filter { s in Double(s["DROPOUT_TIME"] ?? "").map { !($0 < 30.9) } ?? true }.count
            #expect(row["N"] == "\(assessed)", "\(arm): N \(row["N"] ?? "") vs \(assessed) assessed")
        }
    }

    @Test("A constant group: MEAN = MIN = MAX, SD 0, and Welch undefined (empty) when neither group varies (SPEC §5)")
    func constantGroups() throws {
        // No variability and no residual error: every active subject has the same PCHG, a value
        // (≈ 6.71 %) whose sum over 10 subjects divided by 10 rounds an ulp above it; placebo's is 0.
        let (dir, folder) = try Self.run(Self.emaxProtocol(id: "EDGE-CONSTANT", subjects: 20, e0: -100, rest: """
            endpoints:
              - { id: E1, variable: E, at: 1 d, measure: percent_change }
            """), id: "EDGE-CONSTANT")
        defer { E2E.remove(dir) }
        let pchg = Set(try E2E.csv(folder.appendingPathComponent("endpoints.csv")).records()
            .filter { $0["ARM"] == "active" }.map { $0["PCHG"]! })
        try #require(pchg.count == 1, "every active subject has the same PCHG: \(pchg)")
        let value = try #require(Double(pchg.first!))
        try #require(value != 0)
        let efficacy = try E2E.csv(folder.appendingPathComponent("efficacy.csv")).records()
        for row in efficacy {
            let expected = row["ARM"] == "active" ? value : 0
            for column in ["MEAN", "MEDIAN", "Q1", "Q3", "MIN", "MAX"] {
                #expect(Double(row[column] ?? "") == expected, "\(row["ARM"]!) \(column) '\(row[column] ?? "")' vs \(expected)")
            }
            #expect(Double(row["SD"] ?? "") == 0, "\(row["ARM"]!) SD '\(row["SD"] ?? "")'")
        }
        let comparisons = try E2E.csv(folder.appendingPathComponent("comparisons.csv")).records()
        try #require(comparisons.count == 1)
        let welch = comparisons[0]
        #expect(welch["METHOD"] == "WELCH_T")
        #expect(Double(welch["ESTIMATE"] ?? "") == value, "the difference of the means is exact")
        for column in ["CI_LOWER", "CI_UPPER", "P_VALUE", "P_ADJ"] {
            #expect(welch[column] == "", "\(column) '\(welch[column] ?? "")': Welch is undefined without variance")
        }
        #expect(welch["SIGNIFICANT"] == "0")
    }
}
