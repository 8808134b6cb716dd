import Foundation
import Testing
import VirtualTrial

/// SPEC §6: the results folder holds exactly the specified files, with exactly the specified
/// columns, `\n` line ends, no `nan`/`inf`, a manifest whose hashes match, SPEC's USUBJID format
/// and SPEC's row order. Runs the real binary on Fixtures/stats.yaml (3 arms × 20 subjects,
/// 12 replicates, dropout, residual error, a responder rule and two AE terms).
@Suite("Results folder: files and columns (SPEC §6)")
struct FilesAndColumnsTests {
    static let protocolID = "E2E-STATS"
    static let arms = ["placebo", "low", "high"]
    static let endpoints = ["E_CHG", "E_PCHG", "CMAX"]
    static let terms = ["Biomarker decreased", "High exposure"]
    static let replicates = 12
    static let subjects = 60

    static let expectedHeaders: [String: [String]] = [
        "subjects.csv": ["REPLICATE", "USUBJID", "ARM", "AGE", "SEX", "WT", "WT2", "DROPOUT_TIME", "DOSES_TAKEN",
                         "DOSE_CHANGES", "DOSE_LAST"],
        "endpoints.csv": ["REPLICATE", "USUBJID", "ARM", "ENDPOINT", "BASE", "AVAL", "CHG", "PCHG", "RESPONDER", "CNSR"],
        "adverse_events.csv": ["REPLICATE", "USUBJID", "ARM", "AETERM", "AEGRADE", "ONSET_TIME"],
        "efficacy.csv": ["REPLICATE", "ENDPOINT", "ARM", "N", "MEAN", "SD", "MEDIAN", "Q1", "Q3", "MIN", "MAX",
                         "RESPONDERS", "RESPONDER_RATE", "EVENTS", "MEDIAN_TIME"],
        "safety.csv": ["REPLICATE", "AETERM", "ARM", "N", "SUBJECTS", "INCIDENCE", "CI_LOWER", "CI_UPPER", "GRADE3PLUS"],
        "comparisons.csv": ["REPLICATE", "ENDPOINT", "ARM", "CONTROL", "METHOD", "ESTIMATE", "CI_LOWER", "CI_UPPER",
                            "P_VALUE", "P_ADJ", "SIGNIFICANT"],
        "power.csv": ["ENDPOINT", "ARM", "CONTROL", "METHOD", "REPLICATES", "SIGNIFICANT", "POWER", "CI_LOWER",
                      "CI_UPPER", "MEAN_ESTIMATE"],
        "timecourse.csv": ["ARM", "VARIABLE", "TIME", "N", "MEAN", "P05", "P25", "P50", "P75", "P95"],
    ]

    /// Columns holding text rather than numbers.
    static let textColumns: Set<String> = ["USUBJID", "ARM", "SEX", "ENDPOINT", "AETERM", "CONTROL", "METHOD", "VARIABLE"]

    /// One run of the fixture, shared by every end-to-end suite that reads it (never modified).
    let folder: URL = E2E.statsRun.folder
    let result: E2E.Result = E2E.statsRun.result

    @Test("the run succeeds, writing exactly SPEC's files")
    func exactFiles() throws {
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(try E2E.listing(folder.deletingLastPathComponent()) == [Self.protocolID])
        var files = try E2E.listing(folder)
        files.removeAll { $0 == "report.html" }  // may be added later (SPEC §6)
        #expect(files == (E2E.resultFiles + ["manifest.json"]).sorted())
    }

    @Test("headers are exactly SPEC's columns; \\n line ends; no nan or inf; numbers parse")
    func headersAndFormatting() throws {
        try #require(result.status == 0, "stderr: \(result.stderr)")
        for name in E2E.resultFiles {
            let url = folder.appendingPathComponent(name)
            let text = try E2E.text(url)
            #expect(!text.contains("\r"), "\(name) has a carriage return")
            #expect(text.hasSuffix("\n"), "\(name) does not end with \\n")
            let csv = try E2E.csv(url)
            #expect(csv.header == Self.expectedHeaders[name], "\(name) header: \(csv.header)")
            for (i, row) in csv.rows.enumerated() {
                try #require(row.count == csv.header.count, "\(name) row \(i + 2) has \(row.count) fields")
                for (column, field) in zip(csv.header, row) {
                    let lower = field.lowercased()
                    #expect(!["nan", "-nan", "inf", "-inf", "+inf", "infinity", "-infinity"].contains(lower),
                            "\(name) row \(i + 2) \(column) = \(field)")
                    if !Self.textColumns.contains(column) && !field.isEmpty {
                        let value = Double(field)
                        #expect(value != nil && value!.isFinite, "\(name) row \(i + 2) \(column) = \(field) is not a number")
                        #expect(field != "-0" && field != "-0.0", "\(name) row \(i + 2) \(column) writes −0")
                    }
                }
            }
        }
        // Integer columns are plain integers.
        let integerColumns = ["REPLICATE", "N", "SUBJECTS", "EVENTS", "RESPONDERS", "AEGRADE", "SIGNIFICANT",
                              "DOSES_TAKEN", "CNSR", "RESPONDER", "REPLICATES", "GRADE3PLUS", "DOSE_CHANGES"]
        for name in E2E.resultFiles {
            let csv = try E2E.csv(folder.appendingPathComponent(name))
            for column in integerColumns {
                guard let j = csv.column(column) else { continue }
                for row in csv.rows where !row[j].isEmpty {
                    #expect(Int(row[j]) != nil, "\(name) \(column) = \(row[j]) is not a plain integer")
                }
            }
        }
    }

    @Test("manifest.json has every SPEC key and its sha256 values match the files")
    func manifest() throws {
        try #require(result.status == 0, "stderr: \(result.stderr)")
        let data = try E2E.bytes(folder.appendingPathComponent("manifest.json"))
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        for key in ["spec_version", "engine_version", "protocol", "protocol_sha256", "seed", "replicates", "subjects",
                    "threads", "started", "finished", "wall_seconds", "files"] {
            #expect(json[key] != nil, "manifest.json lacks \(key)")
        }
        #expect((json["seed"] as? NSNumber)?.uint64Value == 4242)
        #expect((json["replicates"] as? NSNumber)?.intValue == Self.replicates)
        #expect((json["subjects"] as? NSNumber)?.intValue == Self.subjects)
        #expect(json["protocol_sha256"] as? String == (try E2E.sha256(E2E.fixture("stats.yaml"))))
        let files = try #require(json["files"] as? [String: String])
        var named = Set(files.keys)
        named.remove("report.html")
        #expect(named == Set(E2E.resultFiles), "manifest files: \(files.keys.sorted())")
        for (name, hash) in files {
            #expect(hash == (try E2E.sha256(folder.appendingPathComponent(name))), "sha256 of \(name)")
        }
        // No absolute path anywhere in the manifest (SPEC §6 "Paths").
        let text = String(decoding: data, as: UTF8.self)
        #expect(!text.contains(E2E.fixtures.path))
        #expect(!text.contains(folder.path))
    }

    /// SPEC §2 allocation (largest remainder, numbered in arm order) for 60 subjects, ratio 1:1:1.
    static func arm(ofSubject s: Int) -> String { arms[(s - 1) / 20] }

    @Test("subjects.csv: USUBJID format, row order, arm allocation")
    func subjectRows() throws {
        try #require(result.status == 0, "stderr: \(result.stderr)")
        let csv = try E2E.csv(folder.appendingPathComponent("subjects.csv"))
        try #require(csv.rows.count == Self.replicates * Self.subjects)
        var i = 0
        for r in 1...Self.replicates {
            for s in 1...Self.subjects {
                let row = csv.rows[i]
                #expect(row[0] == "\(r)")
                #expect(row[1] == "\(Self.protocolID)-\(r)-\(String(format: "%02d", s))")
                #expect(row[2] == Self.arm(ofSubject: s))
                #expect(["M", "F"].contains(row[4]), "SEX by level name")
                #expect(E2E.close(Double(row[6]) ?? .nan, (Double(row[5]) ?? .nan) / 10, rel: 1e-12), "derived WT2")
                let doses = Int(row[8]) ?? -1
                #expect(row[2] == "placebo" ? doses == 0 : (0...7).contains(doses))
                if let dropout = Double(row[7]) { #expect(dropout >= 0 && dropout < 168) }
                i += 1
            }
        }
    }

    @Test("endpoints, adverse events, efficacy, safety, comparisons, power and timecourse row order")
    func rowOrder() throws {
        try #require(result.status == 0, "stderr: \(result.stderr)")
        func subjectID(_ r: Int, _ s: Int) -> String { "\(Self.protocolID)-\(r)-\(String(format: "%02d", s))" }

        // endpoints.csv: replicate × subject × endpoint (protocol order)
        let endpoints = try E2E.csv(folder.appendingPathComponent("endpoints.csv"))
        var expected: [[String]] = []
        for r in 1...Self.replicates {
            for s in 1...Self.subjects {
                for e in Self.endpoints { expected.append(["\(r)", subjectID(r, s), Self.arm(ofSubject: s), e]) }
            }
        }
        #expect(endpoints.rows.map { Array($0.prefix(4)) } == expected)

        // adverse_events.csv: sorted by (replicate, subject, term in protocol order), at most one row each
        let aes = try E2E.csv(folder.appendingPathComponent("adverse_events.csv"))
        #expect(!aes.rows.isEmpty)
        let keys = aes.rows.map { row -> [Int] in
            [Int(row[0])!, Int(row[1].split(separator: "-").last!)!, Self.terms.firstIndex(of: row[3]) ?? -1]
        }
        #expect(keys.allSatisfy { $0[2] >= 0 })
        #expect(zip(keys, keys.dropFirst()).allSatisfy { $0.lexicographicallyPrecedes($1) }, "adverse_events.csv row order")
        for row in aes.rows {
            #expect(Self.arm(ofSubject: Int(row[1].split(separator: "-").last!)!) == row[2])
            #expect((Int(row[4]) ?? 0) >= 1)
            #expect((Double(row[5]) ?? 0) > 0, "ONSET_TIME after 0")
        }

        // efficacy.csv and safety.csv: replicate, endpoint or term, arm
        let efficacy = try E2E.csv(folder.appendingPathComponent("efficacy.csv"))
        let safety = try E2E.csv(folder.appendingPathComponent("safety.csv"))
        var expectedEfficacy: [[String]] = [], expectedSafety: [[String]] = []
        for r in 1...Self.replicates {
            for e in Self.endpoints { for a in Self.arms { expectedEfficacy.append(["\(r)", e, a]) } }
            for t in Self.terms { for a in Self.arms { expectedSafety.append(["\(r)", t, a]) } }
        }
        #expect(efficacy.rows.map { Array($0.prefix(3)) } == expectedEfficacy)
        #expect(safety.rows.map { Array($0.prefix(3)) } == expectedSafety)

        // comparisons.csv and power.csv: endpoints in protocol order each followed by its _RESP row,
        // then AE terms; arms in protocol order; comparisons by replicate first.
        let groups: [(String, String)] = [("E_CHG", "WELCH_T"), ("E_CHG_RESP", "RISK_DIFF"), ("E_PCHG", "WELCH_T"),
                                          ("CMAX", "WELCH_T"), ("AE:Biomarker decreased", "RISK_DIFF"),
                                          ("AE:High exposure", "RISK_DIFF")]
        var expectedPower: [[String]] = []
        for (g, method) in groups { for a in Self.arms.dropFirst() { expectedPower.append([g, a, "placebo", method]) } }
        let power = try E2E.csv(folder.appendingPathComponent("power.csv"))
        #expect(power.rows.map { Array($0.prefix(4)) } == expectedPower)
        let comparisons = try E2E.csv(folder.appendingPathComponent("comparisons.csv"))
        let expectedComparisons = (1...Self.replicates).flatMap { r in expectedPower.map { ["\(r)"] + $0 } }
        #expect(comparisons.rows.map { Array($0.prefix(5)) } == expectedComparisons)

        // timecourse.csv: arm, variable (as listed), time every 24 h over 0…168 h, N = arm size in replicate 1
        let timecourse = try E2E.csv(folder.appendingPathComponent("timecourse.csv"))
        var expectedTimecourse: [[String]] = []
        for a in Self.arms { for v in ["C", "E"] { for k in 0...7 { expectedTimecourse.append([a, v, "\(24 * k)", "20"]) } } }
        #expect(timecourse.rows.map { Array($0.prefix(4)) } == expectedTimecourse)
    }

    @Test("dropout: doses after it are not taken, assessments after it are missing, AEs only before it")
    func dropoutRules() throws {
        try #require(result.status == 0, "stderr: \(result.stderr)")
        let subjects = try E2E.csv(folder.appendingPathComponent("subjects.csv")).records()
        var dropout: [String: Double] = [:]
        for s in subjects {
            let id = "\(s["REPLICATE"]!)/\(s["USUBJID"]!)"
            let taken = Int(s["DOSES_TAKEN"] ?? "") ?? -1
            if let d = Double(s["DROPOUT_TIME"] ?? "") {
                dropout[id] = d
                // doses at 0, 24, …, 144 h; those at or after DROPOUT_TIME are not taken
                let scheduled = (0..<7).filter { Double(24 * $0) < d }.count
                if s["ARM"] != "placebo" { #expect(taken <= scheduled, "\(id) took \(taken) doses, dropped out at \(d) h") }
            }
            #expect(s["DOSE_CHANGES"] == "0")
            switch s["ARM"] {
            case "placebo": #expect(taken == 0 && s["DOSE_LAST"] == "")
            case "low": #expect(taken == 0 ? s["DOSE_LAST"] == "" : Double(s["DOSE_LAST"] ?? "") == 10)
            default: #expect(taken == 0 ? s["DOSE_LAST"] == "" : Double(s["DOSE_LAST"] ?? "") == 40)
            }
        }
        #expect(!dropout.isEmpty)
        // E_CHG reads 144 h, E_PCHG 96 h, CMAX's window ends at 48 h.
        let reads: [String: Double] = ["E_CHG": 144, "E_PCHG": 96, "CMAX": 48]
        for e in try E2E.csv(folder.appendingPathComponent("endpoints.csv")).records() {
            let id = "\(e["REPLICATE"]!)/\(e["USUBJID"]!)"
            let missing = dropout[id].map { $0 < reads[e["ENDPOINT"]!]! } ?? false
            #expect((e["AVAL"] ?? "").isEmpty == missing, "\(id) \(e["ENDPOINT"]!) AVAL '\(e["AVAL"] ?? "")'")
            #expect(e["CNSR"] == "")
            if e["ENDPOINT"] == "E_CHG" {
                #expect((e["RESPONDER"] ?? "").isEmpty == missing, "RESPONDER of a missing assessment is empty")
                if let chg = Double(e["CHG"] ?? ""), let aval = Double(e["AVAL"] ?? ""), let base = Double(e["BASE"] ?? "") {
                    #expect(E2E.close(chg, aval - base, rel: 1e-12, abs: 1e-12))
                    #expect(e["RESPONDER"] == (chg <= -12 ? "1" : "0"))
                    #expect(E2E.close(Double(e["PCHG"] ?? "") ?? .nan, 100 * chg / base, rel: 1e-12, abs: 1e-12))
                }
            } else {
                #expect(e["RESPONDER"] == "")
            }
        }
        for ae in try E2E.csv(folder.appendingPathComponent("adverse_events.csv")).records() {
            let id = "\(ae["REPLICATE"]!)/\(ae["USUBJID"]!)"
            if let d = dropout[id] { #expect((Double(ae["ONSET_TIME"] ?? "") ?? .infinity) < d, "AE onset after dropout: \(id)") }
            if ae["AETERM"] == "High exposure" { #expect(ae["AEGRADE"] == "1", "a one-grade event has grade 1") }
        }
    }
}
