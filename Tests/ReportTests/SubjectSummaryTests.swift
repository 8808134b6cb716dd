import Foundation
import Testing
@testable import Report

/// subjects.csv is read by a byte scanner (`CSVFileStream.forEachRecord`, `SubjectSummary`), not
/// by `CSVTable`; these tests hold it to `CSVTable`'s records, line numbers and errors, with read
/// blocks small enough to end inside every field, quote and CRLF.
@Suite("subjects.csv scanner")
struct SubjectSummaryTests {
    static let blockSizes = [1, 2, 5, 64, CSVFileStream.blockSize]

    @Test func countsTheFirstReplicateOfTheFixture() throws {
        let summary = try SubjectSummary(resultsDirectory: fixtureResultsPath)
        #expect(summary.replicate == 1)
        #expect(summary.arms == [SubjectSummary.Arm(name: "placebo", subjects: 4, dropouts: 1),
                                 SubjectSummary.Arm(name: "high-dose", subjects: 4, dropouts: 0)])
    }

    /// Random subjects.csv files — shuffled and extra columns, quoted arms with commas, quotes and
    /// line breaks, two Unicode spellings of one name, CRLF, signs and leading zeros, a missing final
    /// line break, and now and then a bad value — give what the old reader (CSVTable rows, cut at
    /// the first replicate) gives: the same counts or the same error.
    @Test func agreesWithTheTableReaderOnRandomFiles() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.cleanUp() }
        var generator = SeededGenerator(seed: 11)
        for round in 0..<150 {
            let text = randomSubjectsFile(using: &generator, withErrors: round % 3 == 2)
            try writeText(text, to: scratch.path, file: "subjects.csv")
            let expected = Result { () throws(ReportError) in try referenceSummary(text) }
            for blockSize in round % 10 == 0 ? Self.blockSizes : [3, CSVFileStream.blockSize] {
                let actual = Result { () throws(ReportError) in
                    try SubjectSummary(resultsDirectory: scratch.path, blockSize: blockSize)
                }
                #expect(actual == expected, "round \(round), block \(blockSize):\n\(text)")
            }
        }
    }

    /// The generic row reader (endpoints.csv, adverse_events.csv) gives CSVTable's rows.
    @Test func rowsAgreeWithTheTableReader() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.cleanUp() }
        var generator = SeededGenerator(seed: 5)
        let pool = ["", "x", "12.5", "a,b", "say \"hi\"", "two\nlines", "\"", "crlf\r\nin", "é", "tail\r"]
        for round in 0..<60 {
            let columns = Int.random(in: 1...4, using: &generator)
            let newline = Bool.random(using: &generator) ? "\n" : "\r\n"
            var lines = [(0..<columns).map { "C\($0)" }.joined(separator: ",")]
            for _ in 0..<Int.random(in: 0...12, using: &generator) {
                lines.append((0..<columns).map { _ in csvField(pool.randomElement(using: &generator)!, using: &generator) }
                    .joined(separator: ","))
            }
            let text = lines.joined(separator: newline) + (Bool.random(using: &generator) ? newline : "")
            try writeText(text, to: scratch.path, file: "t.csv")
            let table = try CSVTable(parsing: text, fileName: "t.csv")
            for blockSize in [1, 4, CSVFileStream.blockSize] {
                var rows: [CSVRow] = []
                try CSVFileStream.forEachRow(in: scratch.path, fileName: "t.csv", columns: [], blockSize: blockSize) { row in
                    rows.append(row)
                    return true
                }
                #expect(rows.map(\.fields) == table.rows.map(\.fields), "round \(round), block \(blockSize)")
                #expect(rows.map(\.line) == table.rows.map(\.line), "round \(round), block \(blockSize)")
                #expect(rows.map(\.rowNumber) == table.rows.map(\.rowNumber), "round \(round), block \(blockSize)")
            }
        }
    }

    @Test func errorsNameTheFileRowLineAndColumn() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.cleanUp() }
        let header = "REPLICATE,USUBJID,ARM,DROPOUT_TIME\n"
        let cases: [(String, ReportError)] = [
            ("", .malformedCSV(file: "subjects.csv", line: 1, reason: "the file is empty; a header row is required")),
            ("REPLICATE,USUBJID,ARM\n1,S1,a\n", .missingColumn(file: "subjects.csv", column: "DROPOUT_TIME")),
            (header + "1,S1,a,\n1,S2,a,nan\n",
             .malformedNumber(file: "subjects.csv", row: 2, line: 3, column: "DROPOUT_TIME", text: "nan")),
            (header + "1,S1,\"two\nlines\",\n1,S2,a,0x10\n",
             .malformedNumber(file: "subjects.csv", row: 2, line: 4, column: "DROPOUT_TIME", text: "0x10")),
            (header + "1,S1,a,\n1,,a,\n", .missingValue(file: "subjects.csv", row: 2, line: 3, column: "USUBJID")),
            (header + "1,S1,,\n", .missingValue(file: "subjects.csv", row: 1, line: 2, column: "ARM")),
            (header + ",S1,a,\n", .missingValue(file: "subjects.csv", row: 1, line: 2, column: "REPLICATE")),
            (header + "1x,S1,a,\n", .malformedNumber(file: "subjects.csv", row: 1, line: 2, column: "REPLICATE", text: "1x")),
            (header + "99999999999999999999,S1,a,\n",
             .malformedNumber(file: "subjects.csv", row: 1, line: 2, column: "REPLICATE", text: "99999999999999999999")),
            (header + "1,S1,a,\n1,S2,a\n", .malformedCSV(file: "subjects.csv", line: 3, reason: "3 fields, the header has 4")),
            (header + "1,S1,a,\r\n\r\n", .malformedCSV(file: "subjects.csv", line: 3, reason: "1 fields, the header has 4")),
            (header + "1,S1,\"a\nb,\n1,S2,a,\n", .malformedCSV(file: "subjects.csv", line: 2, reason: "a quoted field is never closed")),
            (header + "1,S1,a\"b,\n", .malformedCSV(file: "subjects.csv", line: 2,
                                                   reason: "a quote inside an unquoted field (quote the whole field and double the quote)")),
            (header + "1,S1,\"a\"b,\n", .malformedCSV(file: "subjects.csv", line: 2, reason: "text after a closing quote")),
        ]
        for (text, error) in cases {
            try writeText(text, to: scratch.path, file: "subjects.csv")
            #expect(throws: error, "\(text)") { try referenceSummary(text) }  // the old reader's error
            for blockSize in Self.blockSizes {
                #expect(throws: error, "block \(blockSize): \(text)") {
                    try SubjectSummary(resultsDirectory: scratch.path, blockSize: blockSize)
                }
            }
        }
    }

    /// Reading stops at the first row of the next replicate: what follows is never looked at.
    @Test func rowsAfterTheFirstReplicateAreNotRead() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.cleanUp() }
        let text = "REPLICATE,USUBJID,ARM,DROPOUT_TIME\n1,S1,a,5\n1,S2,b,\n2,S1,a,\n2,,,nan\n\"never closed\n"
        try writeText(text, to: scratch.path, file: "subjects.csv")
        for blockSize in Self.blockSizes {
            let summary = try SubjectSummary(resultsDirectory: scratch.path, blockSize: blockSize)
            #expect(summary == SubjectSummary(replicate: 1, arms: [SubjectSummary.Arm(name: "a", subjects: 1, dropouts: 1),
                                                                   SubjectSummary.Arm(name: "b", subjects: 1, dropouts: 0)]))
        }
        try writeText("REPLICATE,USUBJID,ARM,DROPOUT_TIME\n", to: scratch.path, file: "subjects.csv")
        #expect(try SubjectSummary(resultsDirectory: scratch.path) == SubjectSummary())
    }

    @Test func missingOrUnreadableFile() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.cleanUp() }
        #expect(throws: ReportError.missingFile(file: "subjects.csv")) { try SubjectSummary(resultsDirectory: scratch.path) }
        try FileManager.default.createDirectory(atPath: scratch.path + "/subjects.csv", withIntermediateDirectories: false)
        #expect(throws: ReportError.unreadableFile(file: "subjects.csv", reason: "not a readable file")) {
            try SubjectSummary(resultsDirectory: scratch.path)
        }
    }

    /// One arm under two Unicode spellings is one arm (as `String` equality, which the page's arm
    /// list uses), named as first met.
    @Test func equalNamesInTwoSpellingsAreOneArm() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.cleanUp() }
        let text = "REPLICATE,USUBJID,ARM,DROPOUT_TIME\n1,S1,caf\u{e9},\n1,S2,cafe\u{301},1\n1,S3,x,\n"
        try writeText(text, to: scratch.path, file: "subjects.csv")
        let summary = try SubjectSummary(resultsDirectory: scratch.path)
        #expect(summary.arms.count == 2)
        #expect(Array(summary.arms[0].name.utf8) == Array("caf\u{e9}".utf8))
        #expect(summary.arms[0].subjects == 2 && summary.arms[0].dropouts == 1)
    }
}

/// What the report read of subjects.csv before the scanner: CSVTable rows, cut at the first
/// replicate, checked by `CSVRow`.
private func referenceSummary(_ text: String) throws(ReportError) -> SubjectSummary {
    let table = try CSVTable(parsing: text, fileName: "subjects.csv")
    try table.requireColumns(["REPLICATE", "USUBJID", "ARM", "DROPOUT_TIME", "REPLICATE"])
    var first: Int?
    var arms: [SubjectSummary.Arm] = []
    for row in table.rows {
        let replicate = try row.requiredInteger("REPLICATE")
        if first == nil { first = replicate }
        guard replicate == first else { break }
        _ = try row.requiredText("USUBJID")
        let arm = try row.requiredText("ARM")
        let dropout = try row.number("DROPOUT_TIME") != nil
        if let index = arms.firstIndex(where: { $0.name == arm }) {
            arms[index].subjects += 1
            if dropout { arms[index].dropouts += 1 }
        } else {
            arms.append(SubjectSummary.Arm(name: arm, subjects: 1, dropouts: dropout ? 1 : 0))
        }
    }
    return SubjectSummary(replicate: first, arms: arms)
}

private func randomSubjectsFile(using generator: inout SeededGenerator, withErrors: Bool) -> String {
    var columns = ["REPLICATE", "USUBJID", "ARM", "WT", "DROPOUT_TIME", "DOSES_TAKEN"]
    columns.shuffle(using: &generator)
    let armPool = ["placebo", "high-dose", "a,b", "say \"hi\"", "two\nlines", "caf\u{e9}", "cafe\u{301}", "x\r"]
    let arms = Array(armPool.shuffled(using: &generator).prefix(Int.random(in: 1...4, using: &generator)))
    let newline = Bool.random(using: &generator) ? "\n" : "\r\n"
    var lines = [columns.map { csvField($0, using: &generator) }.joined(separator: ",")]
    let replicates = Int.random(in: 1...3, using: &generator)
    func bad() -> Bool { withErrors && Int.random(in: 0..<60, using: &generator) == 0 }
    for replicate in 1...replicates {
        for subject in 0..<Int.random(in: 0...30, using: &generator) {
            let row = columns.map { column -> String in
                let value: String
                switch column {
                case "REPLICATE": value = bad() ? "r" : ["\(replicate)", "+\(replicate)", "0\(replicate)"].randomElement(using: &generator)!
                case "USUBJID": value = bad() ? "" : "S-\(replicate)-\(subject)"
                case "ARM": value = bad() ? "" : arms.randomElement(using: &generator)!
                case "DROPOUT_TIME":
                    value = bad() ? ["nan", "inf", "1,5", "x"].randomElement(using: &generator)!
                        : ["", "", "", "12.5", "3", "1e2", "-0.5"].randomElement(using: &generator)!
                default: value = String(Int.random(in: 0...100, using: &generator))
                }
                return csvField(value, using: &generator)
            }
            lines.append(row.joined(separator: ","))
        }
    }
    return lines.joined(separator: newline) + (Bool.random(using: &generator) ? newline : "")
}

/// `value` as a CSV field: quoted when it must be, and sometimes when it need not be.
private func csvField(_ value: String, using generator: inout SeededGenerator) -> String {
    let mustQuote = value.contains { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" }
    guard mustQuote || Int.random(in: 0..<8, using: &generator) == 0 else { return value }
    return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
}

/// SplitMix64: seeded, so the random files repeat exactly.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
