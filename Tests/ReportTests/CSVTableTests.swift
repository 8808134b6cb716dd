import Foundation
import Output
import Testing
@testable import Report

@Suite("CSV reader")
struct CSVTableTests {
    @Test func readsQuotedFieldsDoubledQuotesAndLineBreaksByColumnName() throws {
        let text = "B,A,C\n\"x, \"\"quoted\"\"\",1.5,\"two\nlines\"\n,-2,plain\n"
        let table = try CSVTable(parsing: text, fileName: "t.csv")
        #expect(table.header == ["B", "A", "C"])
        #expect(table.rows.count == 2)
        #expect(try table.rows[0].text("B") == "x, \"quoted\"")
        #expect(try table.rows[0].number("A") == 1.5)
        #expect(try table.rows[0].text("C") == "two\nlines")
        #expect(try table.rows[1].text("B") == nil)  // empty = missing
        #expect(try table.rows[1].integer("A") == -2)
        #expect(table.rows[1].line == 4)  // the quoted line break moves the second row to line 4
    }

    @Test func readsCRLFAndAFileWithoutFinalLineBreak() throws {
        let table = try CSVTable(parsing: "A,B\r\n1,\"q\"\r\n2,3", fileName: "t.csv")
        #expect(try table.rows.map { try $0.requiredInteger("A") } == [1, 2])
        #expect(try table.rows[0].text("B") == "q")
        #expect(try table.rows[1].text("B") == "3")
    }

    @Test func headerOnlyFileHasNoRows() throws {
        let table = try CSVTable(parsing: "A,B\n", fileName: "t.csv")
        #expect(table.rows.isEmpty)
        #expect(throws: ReportError.missingColumn(file: "t.csv", column: "C")) {
            try table.requireColumns(["A", "C"])
        }
    }

    @Test func malformedNumberNamesFileRowLineAndColumn() throws {
        let table = try CSVTable(parsing: "A,MEAN\n1,2\n2,nan\n", fileName: "efficacy.csv")
        #expect(throws: ReportError.malformedNumber(file: "efficacy.csv", row: 2, line: 3, column: "MEAN", text: "nan")) {
            try table.rows[1].number("MEAN")
        }
        #expect(throws: ReportError.malformedNumber(file: "efficacy.csv", row: 1, line: 2, column: "A", text: "1x")) {
            try CSVTable(parsing: "A\n1x\n", fileName: "efficacy.csv").rows[0].integer("A")
        }
        #expect(throws: ReportError.missingValue(file: "efficacy.csv", row: 1, line: 2, column: "MEAN")) {
            try CSVTable(parsing: "A,MEAN\n1,\n", fileName: "efficacy.csv").rows[0].requiredNumber("MEAN")
        }
    }

    @Test func malformedCSVIsAnErrorWithItsLine() {
        #expect(throws: ReportError.malformedCSV(file: "t.csv", line: 2, reason: "a quoted field is never closed")) {
            try CSVTable(parsing: "A\n\"open\n", fileName: "t.csv")
        }
        #expect(throws: ReportError.malformedCSV(file: "t.csv", line: 3, reason: "1 fields, the header has 2")) {
            try CSVTable(parsing: "A,B\n1,2\n3\n", fileName: "t.csv")
        }
        #expect(throws: ReportError.malformedCSV(file: "t.csv", line: 2, reason: "text after a closing quote")) {
            try CSVTable(parsing: "A,B\n\"x\"y,2\n", fileName: "t.csv")
        }
        #expect(throws: ReportError.malformedCSV(file: "t.csv", line: 1, reason: "the file is empty; a header row is required")) {
            try CSVTable(parsing: "", fileName: "t.csv")
        }
    }

    @Test func resultsFolderErrorsNameTheFile() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.cleanUp() }
        let folder = try copyFixtureResults(into: scratch)
        try FileManager.default.removeItem(atPath: folder + "/power.csv")
        #expect(throws: ReportError.missingFile(file: "power.csv")) { try ResultsFolderData(resultsDirectory: folder) }
        try writeText("ENDPOINT,ARM\n", to: folder, file: "power.csv")
        #expect(throws: ReportError.missingColumn(file: "power.csv", column: "CONTROL")) {
            try ResultsFolderData(resultsDirectory: folder)
        }
        try writeText("{\"protocol\": \"x.yaml\", \"seed\": 1, \"replicates\": 1}", to: folder, file: "manifest.json")
        #expect(throws: ReportError.invalidManifest(file: "manifest.json", reason: "the key \"subjects\" is missing")) {
            try ResultsFolderData(resultsDirectory: folder)
        }
    }

    @Test func aManifestsSummaryIsWhatItsJSONReadsBackAs() throws {
        // The run's report takes the summary from the manifest itself; `vtrial report` reads it
        // from manifest.json. Both must give the same page.
        for (seed, name) in [(UInt64(0), "a.yaml"), (1 << 53 + 1, "dose \"ranging\" é.yaml"), (UInt64.max, "x\\y\n.yaml")] {
            let manifest = Manifest(specVersion: "1.0", engineVersion: "0.1.0", protocolFile: name,
                                    protocolSHA256: String(repeating: "ab", count: 32), seed: seed, replicates: 7, subjects: 123_456,
                                    threads: 3, started: Date(timeIntervalSince1970: 1e9), finished: Date(timeIntervalSince1970: 1e9 + 5),
                                    wallSeconds: 5, files: ["a.csv": String(repeating: "0", count: 64)])
            #expect(ManifestSummary(manifest) == (try ManifestSummary(jsonBytes: Data(manifest.jsonText().utf8))), "\(seed) \(name)")
        }
    }

    @Test func readsTheFixtureFolderByName() throws {
        let data = try ResultsFolderData(resultsDirectory: fixtureResultsPath)
        #expect(data.manifest.seed == UInt64.max)  // beyond 2^53: read exactly
        #expect(data.manifest.protocolFile == "demo.yaml")
        // Subject-level files are read up to the end of their first replicate (8 of the 16 subject
        // rows), and endpoints.csv only for its time-to-event rows: all the page uses.
        #expect(data.subjects == SubjectSummary(replicate: 1, arms: [
            SubjectSummary.Arm(name: "placebo", subjects: 4, dropouts: 1),
            SubjectSummary.Arm(name: "high-dose", subjects: 4, dropouts: 0),
        ]))
        #expect(data.subjects.count == 8)
        #expect(data.endpoints.allSatisfy { $0.replicate == 1 && $0.censored != nil })
        #expect(data.adverseEvents[4].term == "Rash, \"severe\"")
        #expect(data.power.last?.arm == nil)
        #expect(data.power.last?.method == "ALL")
        #expect(data.timecourse.count == 12)
    }
}

import Foundation
