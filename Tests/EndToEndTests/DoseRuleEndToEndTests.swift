import Foundation
import Testing

/// SPEC §2 "Steady state and dose rules" through the binary: subjects.csv DOSES_TAKEN,
/// DOSE_CHANGES, DOSE_LAST, the steady-state endpoint, `vtrial check`, and thread independence.
@Suite("Dose rules and steady state, end to end") struct DoseRuleEndToEndTests {
    @Test("subjects.csv counts the rule-changed doses; steady state starts at the accumulated level")
    func doseRulesAndSteadyState() throws {
        let (folder, result) = try E2E.runFixture("dose-rules.yaml", protocolID: "E2E-RULES", extra: ["--threads", "1"])
        defer { E2E.remove(folder.deletingLastPathComponent()) }
        try #require(result.status == 0, "stderr: \(result.stderr)")
        let subjects = try E2E.csv(folder.appendingPathComponent("subjects.csv")).records()
        #expect(subjects.count == 12)   // 2 replicates × 6 subjects
        for row in subjects {
            switch row["ARM"] {
            case "titrated":
                #expect(row["DOSES_TAKEN"] == "42" && row["DOSE_CHANGES"] == "4" && row["DOSE_LAST"] == "40")
            case "held":
                #expect(row["DOSES_TAKEN"] == "4" && row["DOSE_CHANGES"] == "4" && row["DOSE_LAST"] == "100")
            case "steady":
                #expect(row["DOSES_TAKEN"] == "2" && row["DOSE_CHANGES"] == "0" && row["DOSE_LAST"] == "100")
            default: Issue.record("unexpected arm \(row["ARM"] ?? "")")
            }
        }
        let endpoints = try E2E.csv(folder.appendingPathComponent("endpoints.csv")).records()
        let steady = endpoints.filter { $0["ARM"] == "steady" }
        #expect(!steady.isEmpty)
        let expected = 5 * exp(-0.6) / (1 - exp(-2.4))
        for row in steady {
            #expect(E2E.close(Double(row["AVAL"] ?? "") ?? .nan, expected, rel: 1e-12))
            #expect(Double(row["BASE"] ?? "") == 0)
        }

        // Rules read only the subject's own simulation: 2 threads give the same files.
        let (folder2, result2) = try E2E.runFixture("dose-rules.yaml", protocolID: "E2E-RULES", extra: ["--threads", "2"])
        defer { E2E.remove(folder2.deletingLastPathComponent()) }
        try #require(result2.status == 0, "stderr: \(result2.stderr)")
        for file in ["subjects.csv", "endpoints.csv", "timecourse.csv"] {
            #expect(try E2E.bytes(folder.appendingPathComponent(file)) == E2E.bytes(folder2.appendingPathComponent(file)), "\(file)")
        }
    }

    @Test("vtrial check lists the rules and the steady state")
    func checkShowsRules() throws {
        let result = try E2E.vtrial(["check", E2E.fixture("dose-rules.yaml").path])
        try #require(result.status == 0, "stderr: \(result.stderr)")
        #expect(result.stdout.contains("rule 1: every 168 h when C >= 0 → later doses: scale × 1.5 (max 40 mg)"))
        #expect(result.stdout.contains("rule 1: every 12 h → later doses: hold while C > 1"))
        #expect(result.stdout.contains("at steady state"))
    }
}
