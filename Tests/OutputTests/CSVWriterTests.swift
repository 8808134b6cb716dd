import Foundation
import Testing
@testable import Output

@Suite struct CSVWriterTests {
    @Test func writesTheExactRFC4180Bytes() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.cleanUp() }
        let path = scratch.path + "/rows.csv"
        let writer = try CSVWriter(path: path, header: ["REPLICATE", "ARM", "MEAN", "NOTE", "FLAG"])
        writer.field(1); writer.field("Placebo"); writer.field(-0.0); writer.field("plain"); writer.field(nil as Int?)
        writer.endRow()
        writer.field(12); writer.field("High, 10 mg"); writer.field(100.0); writer.field("say \"hi\""); writer.field(1 as Int?)
        writer.endRow()
        writer.field(-3); writer.field("two\nlines"); writer.field(nil as Double?); writer.field("cr\r"); writer.emptyField()
        writer.endRow()
        writer.field(0); writer.field("Dosé"); writer.field(1e-5); writer.field(""); writer.field(2.5)
        writer.endRow()
        try writer.close()
        let expected = "REPLICATE,ARM,MEAN,NOTE,FLAG\n"
            + "1,Placebo,0,plain,\n"
            + "12,\"High, 10 mg\",100,\"say \"\"hi\"\"\",1\n"
            + "-3,\"two\nlines\",,\"cr\r\",\n"
            + "0,Dosé,1e-05,,2.5\n"
        let bytes = try readBytes(path)
        #expect(bytes == Array(expected.utf8))
        #expect(writer.rowCount == 4)
        #expect(writer.bytesWritten == bytes.count)
        #expect(writer.sha256 == SHA256.hash(bytes))
    }

    /// Many small blocks (a 100-byte block size) must give the same bytes and digest as one.
    @Test func blocksJoinSeamlessly() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.cleanUp() }
        var expected = "I,X,NAME\n"
        let small = try CSVWriter(path: scratch.path + "/small.csv", header: ["I", "X", "NAME"], blockSize: 100)
        let large = try CSVWriter(path: scratch.path + "/large.csv", header: ["I", "X", "NAME"])
        var generator = SplitMix64(seed: 3)
        for i in 0..<20_000 {
            let x = Double(Int64(bitPattern: generator.next()) >> 11) / 4096
            for writer in [small, large] {
                writer.field(i); writer.field(x); writer.field("s\(i % 7)"); writer.endRow()
            }
            expected += "\(i),\(formatNumber(x)),s\(i % 7)\n"
        }
        try small.close()
        try large.close()
        let smallBytes = try readBytes(scratch.path + "/small.csv")
        #expect(smallBytes == Array(expected.utf8))
        #expect(try readBytes(scratch.path + "/large.csv") == smallBytes)
        #expect(small.sha256 == large.sha256)
        #expect(small.sha256 == SHA256.hash(smallBytes))
    }

    /// A file of several `backgroundSyncBytes` is made durable in the background as it grows
    /// (fdatasync on another thread while rows are still written): the bytes and digest are
    /// exactly those written, and close waits for the last background sync.
    @Test func aLargeFileSyncedInTheBackgroundKeepsEveryByte() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.cleanUp() }
        let path = scratch.path + "/large.csv"
        let writer = try CSVWriter(path: path, header: ["I", "TEXT"])
        let text = String(repeating: "abcdefghij", count: 100)
        let rows = 3 * CSVWriter.backgroundSyncBytes / 1000 + 500
        var expected = Array("I,TEXT\n".utf8)
        for i in 0..<rows {
            writer.field(i); writer.field(text); writer.endRow()
            expected += Array("\(i),\(text)\n".utf8)
        }
        try writer.close()
        #expect(writer.bytesWritten == expected.count && expected.count > 3 * CSVWriter.backgroundSyncBytes)
        let bytes = try readBytes(path)
        #expect(bytes == expected)
        #expect(writer.sha256 == SHA256.hash(bytes))
    }

    @Test func rowsEncodedElsewhereAppendInOrder() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.cleanUp() }
        let direct = try CSVWriter(path: scratch.path + "/direct.csv", header: ["A", "B"])
        let chunked = try CSVWriter(path: scratch.path + "/chunked.csv", header: ["A", "B"], blockSize: 64)
        var chunks = (0..<5).map { _ in CSVRowEncoder(columnCount: 2) }
        for i in 0..<50 {
            direct.field(i); direct.field(Double(i) / 8); direct.endRow()
            chunks[i / 10].field(i); chunks[i / 10].field(Double(i) / 8); chunks[i / 10].endRow()
        }
        for chunk in chunks { chunked.append(chunk) }
        try direct.close()
        try chunked.close()
        #expect(chunked.rowCount == 50)
        #expect(try readBytes(scratch.path + "/chunked.csv") == readBytes(scratch.path + "/direct.csv"))
    }

    @Test func nonFiniteNumberIsReportedWithItsPlace() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.cleanUp() }
        let path = scratch.path + "/bad.csv"
        let writer = try CSVWriter(path: path, header: ["A", "B"], blockSize: 16)
        for i in 0..<10 { writer.field(i); writer.field(1.5); writer.endRow() }
        writer.field(10); writer.field(Double.nan); writer.endRow()
        writer.field(11); writer.field(Double.infinity); writer.endRow()
        #expect(throws: OutputError.nonFiniteNumber(path: path, row: 11, column: 2)) { try writer.close() }
        #expect(writer.sha256 == nil)
    }

    @Test func rowOfTheWrongWidthIsReported() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.cleanUp() }
        let path = scratch.path + "/bad.csv"
        let writer = try CSVWriter(path: path, header: ["A", "B", "C"])
        writer.field(1); writer.field(2); writer.field(3); writer.endRow()
        writer.field(1); writer.field(2); writer.endRow()
        #expect(throws: OutputError.rowWidthMismatch(path: path, row: 2, expected: 3, found: 2)) { try writer.close() }
    }

    @Test func unopenableFileIsATypedError() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.cleanUp() }
        let path = scratch.path + "/missing/rows.csv"
        #expect(throws: OutputError.cannotOpenFile(path: path, errno: ENOENT)) {
            _ = try CSVWriter(path: path, header: ["A"])
        }
    }

    /// /dev/full accepts opening and fails every write with ENOSPC, as a full disk does.
    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/dev/full")))
    func fullDiskIsReportedAtClose() throws {
        let writer = try CSVWriter(path: "/dev/full", header: ["A"], blockSize: 1 << 20)
        for i in 0..<10 { writer.field(i); writer.endRow() }
        #expect(throws: OutputError.writeFailed(path: "/dev/full", errno: ENOSPC)) { try writer.close() }
        #expect(writer.sha256 == nil)
    }

    @Test func encoderQuotesOnlyWhenNeeded() {
        var rows = CSVRowEncoder(columnCount: 3)
        rows.field("a b"); rows.field("x\"y"); rows.field("ümlaut;tab\t"); rows.endRow()
        #expect(rows.bytes == Array("a b,\"x\"\"y\",ümlaut;tab\t\n".utf8))
        #expect(rows.firstProblem == nil)
        #expect(rows.rowCount == 1)
    }

    /// A number written again (its text copied, not formatted) reads as formatting it would
    /// give: after a missing field, for −0 and 0, after `removeAll` and after appended rows.
    @Test func repeatedNumbersAreWrittenAsFormatted() {
        let x = 1.8814884313982851
        var rows = CSVRowEncoder(columnCount: 4)
        for v in [x, x, nil, x] { rows.field(v) }
        rows.endRow()
        for v in [-0.0, 0.0, -0.0, 1e-7] { rows.field(v) }
        rows.endRow()
        #expect(String(decoding: rows.bytes, as: UTF8.self) == "\(formatNumber(x)),\(formatNumber(x)),,\(formatNumber(x))\n0,0,0,1e-07\n")
        rows.removeAll()
        for v in [1e-7, 2.5, 2.5, 1e-7] { rows.field(v) }
        rows.endRow()
        var other = CSVRowEncoder(columnCount: 4)
        for v in [2.5, 2.5, 3.0, 3.0] { other.field(v) }
        other.endRow()
        rows.append(other)
        for v in [1e-7, 1e-7, 3.0, 1e-7] { rows.field(v) }
        rows.endRow()
        #expect(String(decoding: rows.bytes, as: UTF8.self) == "1e-07,2.5,2.5,1e-07\n2.5,2.5,3,3\n1e-07,1e-07,3,1e-07\n")
    }

    /// Rows longer than the encoder's 256-byte stash (formatted fields go to memory of the
    /// encoder's own and reach the bytes when the row ends or the stash is full) read the same
    /// as field-by-field text: wide rows of long numbers, a number repeated across a spill,
    /// text longer than the stash with and without quotes, and an open row's bytes.
    @Test func rowsLongerThanTheStashAreWrittenWhole() {
        let x = -1.2345678901234567e-300, y = 0.1 + 0.2
        var expected = ""
        var rows = CSVRowEncoder(columnCount: 41)
        for i in 0..<41 {
            let v = i % 3 == 2 ? y : x * Double(i + 1)
            rows.field(v)
            expected += (i > 0 ? "," : "") + formatNumber(v)
        }
        rows.endRow()
        expected += "\n"
        let plain = String(repeating: "abcdefghij", count: 30)
        let quoted = String(repeating: "a\"b,", count: 80)
        rows.field(plain); rows.field(7); rows.field(quoted); rows.field(y)
        expected += plain + ",7,\"" + quoted.replacingOccurrences(of: "\"", with: "\"\"") + "\"," + formatNumber(y)
        #expect(String(decoding: rows.bytes, as: UTF8.self) == expected, "an open row's bytes include what the stash holds")
        rows.field(y); rows.field(Int?.none); rows.emptyField()
        for _ in 0..<34 { rows.field(x) }
        rows.endRow()
        expected += "," + formatNumber(y) + ",," + String(repeating: "," + formatNumber(x), count: 34) + "\n"
        #expect(String(decoding: rows.bytes, as: UTF8.self) == expected)
        #expect(rows.rowCount == 2 && rows.firstProblem == nil)
    }

    /// Every text length from 0 to 300 after fields that leave the stash at every fill: each
    /// field ends inside the stash, at its end, or past it (written whole to the bytes).
    @Test func textOfEveryLengthMeetsTheStashEdge() {
        var rows = CSVRowEncoder(columnCount: 3)
        var expected = ""
        for length in 0...300 {
            let text = String(repeating: length % 2 == 0 ? "t" : "\"", count: length)
            let number = Double(length) + 0.25
            rows.field(number); rows.field(text); rows.field(length)
            rows.endRow()
            let written = length % 2 == 0 ? text : "\"" + String(repeating: "\"\"", count: length) + "\""
            expected += formatNumber(number) + "," + (length == 0 ? "" : written) + ",\(length)\n"
        }
        #expect(String(decoding: rows.bytes, as: UTF8.self) == expected)
        var wide = CSVRowEncoder(columnCount: 60)
        expected = ""
        for i in 0..<60 {
            let text = String(repeating: "w", count: i % 13)
            wide.field(text)
            expected += (i > 0 ? "," : "") + text
        }
        wide.endRow()
        #expect(String(decoding: wide.bytes, as: UTF8.self) == expected + "\n")
    }
}
