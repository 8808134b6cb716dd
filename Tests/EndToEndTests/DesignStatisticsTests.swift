import Foundation
import Testing
import VirtualTrial

/// SPEC §2 "Designs, scales, margins and success criteria", end to end: a matched design
/// (PAIRED_T, PAIRED_RISK_DIFF with Newcombe's paired interval and the exact McNemar p), `scale:
/// log`, `equivalence` (TOST), `margin` (better: lower, and on the ratio scale), Hochberg and
/// ALL/ANY success criteria, one- and two-sided. Every number of efficacy.csv, safety.csv,
/// comparisons.csv and power.csv agrees to 1e-6 with scipy/statsmodels recomputed from the run's
/// own endpoints.csv, adverse_events.csv and subjects.csv (Fixtures/make_expected_designs.py →
/// Fixtures/expected_designs.json); the subject-level files have the matched layout; the matched
/// design's input errors are located.
@Suite("Matched design, log scale, TOST, margins, Hochberg and success vs scipy/statsmodels (SPEC §2)")
struct DesignStatisticsTests {
    static let oneSided: (folder: URL, result: E2E.Result) = try! E2E.runFixture(
        "matched-one-sided.yaml", protocolID: "E2E-MATCHED-ONE", extra: ["--threads", "2"])
    static let twoSided: (folder: URL, result: E2E.Result) = try! E2E.runFixture(
        "matched-two-sided.yaml", protocolID: "E2E-MATCHED-TWO", extra: ["--threads", "2"])

    static func reference() throws -> [String: Any] {
        let data = try Data(contentsOf: E2E.fixture("expected_designs.json"))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    static func check(protocolFile: String, protocolID: String, folder: URL) throws {
        let reference = try #require(try Self.reference()[protocolID] as? [String: Any])
        try StatisticsTests.check(reference: reference, protocolFile: protocolFile, protocolID: protocolID, folder: folder,
                                  files: ["efficacy.csv", "safety.csv", "comparisons.csv", "power.csv"],
                                  regenerate: "Fixtures/expected_designs.json with Fixtures/make_expected_designs.py")
    }

    @Test("sided: one — efficacy, safety, comparisons and power (incl. success rows) match the reference")
    func oneSidedMatchesReference() throws {
        let run = Self.oneSided
        try #require(run.result.status == 0, "stderr: \(run.result.stderr)")
        try Self.check(protocolFile: "matched-one-sided.yaml", protocolID: "E2E-MATCHED-ONE", folder: run.folder)
    }

    @Test("sided: two — efficacy, safety, comparisons and power (incl. success rows) match the reference")
    func twoSidedMatchesReference() throws {
        let run = Self.twoSided
        try #require(run.result.status == 0, "stderr: \(run.result.stderr)")
        try Self.check(protocolFile: "matched-two-sided.yaml", protocolID: "E2E-MATCHED-TWO", folder: run.folder)
    }

    /// The reference rows of one protocol's file.
    static func referenceRows(_ protocolID: String, _ file: String) throws -> [[String: Any]] {
        try #require((try reference()[protocolID] as? [String: Any])?[file] as? [[String: Any]])
    }

    @Test("the fixtures exercise what they claim: both verdicts of every rule, Hochberg, success rows",
          arguments: ["E2E-MATCHED-ONE", "E2E-MATCHED-TWO"])
    func fixtureCoverage(_ protocolID: String) throws {
        let comparisons = try Self.referenceRows(protocolID, "comparisons.csv")
        func verdicts(_ endpoint: String) -> Set<Int> {
            Set(comparisons.filter { $0["ENDPOINT"] as? String == endpoint }.compactMap { $0["SIGNIFICANT"] as? Int })
        }
        #expect(verdicts("E_CHG") == [0, 1], "PAIRED_T superiority: significant and not")
        #expect(verdicts("E_LOG") == [0, 1], "TOST: equivalent and not")
        #expect(verdicts("E_NI") == [0, 1], "margin, better: lower: passed and not")
        #expect(verdicts("E_RATIO_NI") == [0, 1], "margin on the ratio scale: passed and not")
        #expect(verdicts("E_LOG_SUP") == [0, 1], "PAIRED_T on the log scale, better: lower: significant and not")
        #expect(verdicts("E_EQ_DIFF") == [0, 1], "TOST on differences: equivalent and not")
        let paired = comparisons.filter { $0["METHOD"] as? String == "PAIRED_RISK_DIFF" }
        #expect(paired.contains { ($0["P_VALUE"] as? Double).map { $0 < 1 } ?? false }, "discordant pairs")
        #expect(paired.contains { $0["ENDPOINT"] as? String == "E_CHG_RESP" && ($0["ESTIMATE"] as? Double).map { $0 != 0 } ?? false })
        #expect(paired.contains { ($0["ENDPOINT"] as? String)?.hasPrefix("AE:") == true && ($0["ESTIMATE"] as? Double).map { $0 != 0 } ?? false })
        #expect(comparisons.contains {
            guard let p = $0["P_VALUE"] as? Double, let q = $0["P_ADJ"] as? Double else { return false }
            return q > p && q < 2 * p - 1e-12
        }, "a Hochberg step-up that differs from Bonferroni")
        #expect(comparisons.contains { ($0["P_VALUE"] as? Double) != nil && ($0["P_VALUE"] as? Double) == ($0["P_ADJ"] as? Double) && ($0["P_VALUE"] as? Double)! < 1 },
                "a p-value Hochberg leaves unchanged (the larger of the group)")
        // The control's copy: undefined PAIRED_T (the estimate alone: 0, or the ratio 1), no
        // discordant pairs (McNemar p = 1), never significant.
        let copy = comparisons.filter { $0["ARM"] as? String == "placebo-copy" }
        #expect(!copy.isEmpty)
        for row in copy {
            if row["METHOD"] as? String == "PAIRED_T" {
                #expect(row["P_VALUE"] is NSNull && row["CI_LOWER"] is NSNull && row["CI_UPPER"] is NSNull)
                #expect([0.0, 1.0].contains(row["ESTIMATE"] as? Double ?? -1))
            } else {
                #expect(row["P_VALUE"] as? Double == 1 && row["ESTIMATE"] as? Double == 0)
            }
            #expect(row["SIGNIFICANT"] as? Int == 0)
        }
        let success = try Self.referenceRows(protocolID, "power.csv").filter { ($0["ARM"] as? String) == "" }
        #expect(success.map { $0["METHOD"] as? String ?? "" } == ["ALL", "ALL", "ANY", "ALL"])
        #expect(success.contains { ($0["SIGNIFICANT"] as? Int ?? 0) > 0 }, "a success criterion that is met")
        #expect(success.contains { ($0["SIGNIFICANT"] as? Int ?? 0) < ($0["REPLICATES"] as? Int ?? 0) }, "one that is not always met")
    }

    // MARK: - The matched layout of the subject-level files

    @Test("subjects.csv: rows in (replicate, arm, patient) order, USUBJID names the patient, identical covariates and DROPOUT_TIME in every arm")
    func subjectsLayout() throws {
        let run = Self.oneSided
        try #require(run.result.status == 0, "stderr: \(run.result.stderr)")
        let csv = try E2E.csv(run.folder.appendingPathComponent("subjects.csv"))
        #expect(Array(csv.header.prefix(6)) == ["REPLICATE", "USUBJID", "ARM", "AGE", "SEX", "WT"])
        let arms = ["placebo", "low", "high", "placebo-copy"], patients = 24, replicates = 12
        try #require(csv.rows.count == replicates * arms.count * patients)
        let records = csv.records()
        var first: [String: [String: String]] = [:]  // "rep/USUBJID" → the placebo row
        for (i, row) in records.enumerated() {
            let rep = i / (arms.count * patients) + 1
            let arm = arms[(i / patients) % arms.count]
            let patient = i % patients + 1
            let usubjid = "E2E-MATCHED-ONE-\(rep)-" + String(format: "%02d", patient)
            #expect(row["REPLICATE"] == "\(rep)" && row["ARM"] == arm && row["USUBJID"] == usubjid,
                    "row \(i + 2): \(row["REPLICATE"] ?? "") \(row["ARM"] ?? "") \(row["USUBJID"] ?? ""), expected \(rep) \(arm) \(usubjid)")
            let key = "\(rep)/\(usubjid)"
            if let same = first[key] {
                for column in ["AGE", "SEX", "WT", "DROPOUT_TIME"] {
                    #expect(row[column] == same[column], "\(usubjid) \(column): \(row[column] ?? "") in \(arm), \(same[column] ?? "") in placebo")
                }
            } else {
                first[key] = row
            }
        }
        #expect(records.contains { !($0["DROPOUT_TIME"] ?? "").isEmpty }, "the fixture has dropouts")
        #expect(records.contains { ($0["DROPOUT_TIME"] ?? "").isEmpty })
        // Placebo takes no dose; the active arms take doses.
        #expect(records.filter { $0["ARM"]!.hasPrefix("placebo") }.allSatisfy { $0["DOSES_TAKEN"] == "0" })
        #expect(records.contains { $0["ARM"] == "high" && $0["DOSES_TAKEN"] != "0" })
    }

    @Test("endpoints.csv and adverse_events.csv: matched order, one measured BASE per patient, the same missing assessments in every arm")
    func endpointsLayout() throws {
        let run = Self.oneSided
        try #require(run.result.status == 0, "stderr: \(run.result.stderr)")
        let arms = ["placebo", "low", "high", "placebo-copy"], endpoints = ["E_CHG", "E_LOG", "E_NI", "E_RATIO_NI", "E_LOG_SUP", "E_EQ_DIFF"]
        let patients = 24
        let records = try E2E.csv(run.folder.appendingPathComponent("endpoints.csv")).records()
        try #require(records.count == 12 * arms.count * patients * endpoints.count)
        var first: [String: [String: String]] = [:]
        var missing = 0
        for (i, row) in records.enumerated() {
            let unit = i / endpoints.count
            let rep = unit / (arms.count * patients) + 1
            let arm = arms[(unit / patients) % arms.count]
            let usubjid = "E2E-MATCHED-ONE-\(rep)-" + String(format: "%02d", unit % patients + 1)
            let endpoint = endpoints[i % endpoints.count]
            #expect(row["REPLICATE"] == "\(rep)" && row["ARM"] == arm && row["USUBJID"] == usubjid && row["ENDPOINT"] == endpoint,
                    "row \(i + 2) out of (replicate, arm, patient, endpoint) order")
            if (row["AVAL"] ?? "").isEmpty { missing += 1 }
            let key = "\(rep)/\(usubjid)/\(endpoint)"
            if let same = first[key] {
                // Common random numbers: the measured baseline (residual error included) is the same draw.
                #expect(row["BASE"] == same["BASE"], "\(key) BASE differs between \(arm) and placebo")
                #expect((row["AVAL"] ?? "").isEmpty == (same["AVAL"] ?? "").isEmpty, "\(key): missing in one arm only")
                #expect((row["RESPONDER"] ?? "").isEmpty == (same["RESPONDER"] ?? "").isEmpty, "\(key): RESPONDER missing in one arm only")
            } else {
                first[key] = row
            }
        }
        #expect(missing > 0, "dropouts leave missing assessments")
        // adverse_events.csv rows in (replicate, arm, patient) order.
        let aes = try E2E.csv(run.folder.appendingPathComponent("adverse_events.csv")).records()
        #expect(!aes.isEmpty)
        let keys = aes.map { row -> [Int] in
            let number = Int(row["USUBJID"]?.split(separator: "-").last ?? "") ?? -1
            return [Int(row["REPLICATE"] ?? "") ?? -1, arms.firstIndex(of: row["ARM"] ?? "") ?? -1, number]
        }
        #expect(zip(keys, keys.dropFirst()).allSatisfy { $0.lexicographicallyPrecedes($1) }, "adverse_events.csv out of order")
    }

    // MARK: - Input errors of a matched design

    struct InvalidCase: Sendable, CustomTestStringConvertible {
        var file: String
        /// Lines any of which is a correct place for the error.
        var lines: ClosedRange<Int>
        /// Words the message must contain.
        var words: [String]
        var testDescription: String { file }
    }

    static let invalidCases: [InvalidCase] = [
        InvalidCase(file: "matched-time-to-event.yaml", lines: 24...27, words: ["matched"]),
        InvalidCase(file: "matched-ratio.yaml", lines: 19...19, words: ["matched", "ratio"]),
        InvalidCase(file: "matched-adjust-baseline.yaml", lines: 26...26, words: ["matched", "adjust"]),
    ]

    @Test("time-to-event endpoint, ratio ≠ 1, adjust: baseline in a matched design: exit 2, a located error, nothing written",
          arguments: invalidCases)
    func matchedInputErrors(_ c: InvalidCase) throws {
        let path = E2E.fixture("invalid/\(c.file)").path
        let out = try E2E.temporaryDirectory(create: false)
        defer { E2E.remove(out) }
        let result = try E2E.vtrial(["run", path, "--out", out.path, "--quiet"])
        #expect(result.status == 2, "exit status; stderr: \(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out.path), "the --out directory was created")
        #expect(result.stdout.isEmpty)
        let lines = result.stderr.split(separator: "\n")
        let located = lines.compactMap(InvalidInputTests.diagnostic)
        #expect(!lines.isEmpty && located.count == lines.count, "every stderr line is FILE:LINE:COL: error: …; got:\n\(result.stderr)")
        let hit = located.first { $0.path == path && c.lines.contains($0.line) }
        #expect(hit != nil, "no error at \(c.file):\(c.lines); got:\n\(result.stderr)")
        if let hit {
            for word in c.words {
                #expect(hit.message.localizedCaseInsensitiveContains(word), "message lacks \(word): \(hit.message)")
            }
        }
        let check = try E2E.vtrial(["check", path])
        #expect(check.status == 2, "vtrial check exit status; stderr: \(check.stderr)")
    }

    // MARK: - Run failure under `scale: log`; shards

    @Test("scale: log with an analysed value <= 0: exit 1, the error names the patient and endpoint, no results folder")
    func logScaleNonPositiveIsRunFailure() throws {
        let out = try E2E.temporaryDirectory()
        defer { E2E.remove(out) }
        let result = try E2E.vtrial(["run", E2E.fixture("matched-log-nonpositive.yaml").path, "--out", out.path, "--quiet"])
        #expect(result.status == 1, "exit status; stderr: \(result.stderr)")
        #expect(result.stderr.contains("E2E-MATCHED-LOG-1-"), "the subject is named: \(result.stderr)")
        #expect(result.stderr.contains("E_LOG_CHG"), "the endpoint is named: \(result.stderr)")
        #expect(try E2E.listing(out).isEmpty, "a failed run leaves no results folder")
    }

    @Test("matched design with success criteria: --shard 1/2 + 2/2 + merge is byte-identical to the unsharded run")
    func shardsMergeExactly() throws {
        let run = Self.oneSided
        try #require(run.result.status == 0, "stderr: \(run.result.stderr)")
        let out = try E2E.temporaryDirectory()
        defer { E2E.remove(out) }
        let protocolFile = E2E.fixture("matched-one-sided.yaml").path
        for shard in ["1/2", "2/2"] {
            let r = try E2E.vtrial(["run", protocolFile, "--out", out.path, "--shard", shard, "--quiet", "--threads", "1"])
            try #require(r.status == 0, "shard \(shard): \(r.stderr)")
        }
        let merge = try E2E.vtrial(["merge", out.appendingPathComponent("E2E-MATCHED-ONE.shards").path])
        try #require(merge.status == 0, "merge: \(merge.stderr)")
        for name in E2E.resultFiles + ["report.html"] {
            #expect(try E2E.bytes(out.appendingPathComponent("E2E-MATCHED-ONE/\(name)")) == (try E2E.bytes(run.folder.appendingPathComponent(name))),
                    "\(name) differs after shard + merge")
        }
    }
}
