// RFC 4180 field encoding shared by CSVWriter and by workers that format rows in parallel.

private let comma = UInt8(ascii: ",")
private let quote = UInt8(ascii: "\"")
private let lineFeed = UInt8(ascii: "\n")
private let carriageReturn = UInt8(ascii: "\r")

/// A problem in rows being encoded, found without stopping the caller (fields never throw).
/// Rows count from 1 within the encoder, columns from 1.
public enum CSVRowProblem: Equatable, Sendable {
    /// A row ended with `found` fields; the header has a different number.
    case rowWidthMismatch(row: Int, found: Int)
    /// A `Double` field was NaN or infinite (it was written as an empty field).
    case nonFiniteNumber(row: Int, column: Int)
}

/// Encodes CSV rows as RFC 4180 bytes into memory: comma separators, `\n` line ends, UTF-8, a
/// field quoted only when it contains a comma, a quote, CR or LF (quotes doubled inside).
/// Numbers are written by `appendNumber` (shortest round-trip), integers as plain digits, and
/// `nil` as an empty field.
///
/// A value type, so each worker thread can fill its own encoder (rows of one chunk of subjects)
/// and hand it to `CSVWriter.append(_:)` in order. Fields never throw: the first problem (a
/// wrong row width, a non-finite number) is kept in `firstProblem` and the writer reports it.
///
/// ```
/// var rows = CSVRowEncoder(columnCount: 3)
/// rows.field(1); rows.field("A, B"); rows.field(0.5); rows.endRow()
/// // rows.bytes == Array("1,\"A, B\",0.5\n".utf8)
/// ```
public struct CSVRowEncoder: Sendable {
    /// The encoded bytes of the complete rows (and of the row in progress).
    public private(set) var bytes: [UInt8] = []
    /// Fields per row, as in the header.
    public let columnCount: Int
    /// Complete rows encoded.
    public private(set) var rowCount = 0
    /// The first problem found, if any.
    public private(set) var firstProblem: CSVRowProblem?
    /// Fields in the row in progress.
    public private(set) var fieldsInRow = 0
    /// The last number written and where its text starts and ends in `bytes`: a row often writes
    /// the same value twice (AVAL and CHG when BASE is 0), and its text is then copied instead of
    /// formatted again.
    private var lastNumber: (bits: UInt64, start: Int, end: Int)?

    /// An encoder for rows of `columnCount` fields, reserving `reservedBytes` of memory up front.
    public init(columnCount: Int, reservedBytes: Int = 0) {
        self.columnCount = columnCount
        bytes.reserveCapacity(reservedBytes)
    }

    @inline(__always)
    private mutating func beginField() {
        if fieldsInRow > 0 { bytes.append(comma) }
        fieldsInRow += 1
    }

    /// A number (`formatNumber`'s text), or an empty field for `nil`. A non-finite number is
    /// written as an empty field and recorded as a problem.
    public mutating func field(_ value: Double?) {
        beginField()
        guard let value else { return }
        guard value.isFinite else {
            noteProblem(.nonFiniteNumber(row: rowCount + 1, column: fieldsInRow))
            return
        }
        let start = bytes.count
        if let last = lastNumber, last.bits == value.bitPattern {
            let length = last.end - last.start
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: length) { text in
                bytes.withUnsafeBufferPointer { _ = text.initialize(from: UnsafeBufferPointer(rebasing: $0[last.start..<last.end])) }
                bytes.append(contentsOf: UnsafeBufferPointer(text))
            }
        } else {
            appendNumber(value, to: &bytes)
        }
        lastNumber = (value.bitPattern, start, bytes.count)
    }

    /// An integer as plain digits.
    public mutating func field(_ value: Int) {
        beginField()
        appendInteger(value, to: &bytes)
    }

    /// An integer as plain digits, or an empty field for `nil`.
    public mutating func field(_ value: Int?) {
        beginField()
        if let value { appendInteger(value, to: &bytes) }
    }

    /// Text, quoted only when it holds a comma, a quote, CR or LF.
    public mutating func field(_ text: String) {
        // Native strings are contiguous UTF-8: read in place (no copy, no retain of the text).
        if text.utf8.withContiguousStorageIfAvailable({ field(utf8: $0) }) == nil {
            var copy = text
            copy.withUTF8 { field(utf8: $0) }
        }
    }

    /// Text given as UTF-8 bytes (for text built without a `String`), quoted as `field(_: String)`.
    public mutating func field(utf8: UnsafeBufferPointer<UInt8>) {
        beginField()
        let needsQuotes = utf8.contains { $0 == comma || $0 == quote || $0 == lineFeed || $0 == carriageReturn }
        guard needsQuotes else {
            bytes.append(contentsOf: utf8)
            return
        }
        bytes.append(quote)
        for byte in utf8 {
            if byte == quote { bytes.append(quote) }
            bytes.append(byte)
        }
        bytes.append(quote)
    }

    /// An empty field (a missing value).
    public mutating func emptyField() {
        beginField()
    }

    /// Ends the row with `\n`. A row whose field count differs from `columnCount` is recorded
    /// as a problem (and still written, so the bytes stay aligned with what was asked).
    public mutating func endRow() {
        if fieldsInRow != columnCount {
            noteProblem(.rowWidthMismatch(row: rowCount + 1, found: fieldsInRow))
        }
        bytes.append(lineFeed)
        rowCount += 1
        fieldsInRow = 0
    }

    /// Reserves room for `bytes` more bytes of rows.
    public mutating func reserve(bytes extra: Int) {
        bytes.reserveCapacity(bytes.count + extra)
    }

    /// Forgets the encoded rows (keeping the memory) so the encoder can be reused.
    public mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
        lastNumber = nil
        rowCount = 0
        fieldsInRow = 0
        firstProblem = nil
    }

    /// Appends the rows of `other` after these, renumbering its problems. A row left open in
    /// `other` is closed here as a width problem, so every row boundary stays a line end.
    public mutating func append(_ other: CSVRowEncoder) {
        precondition(fieldsInRow == 0, "CSVRowEncoder.append inside an open row")
        var other = other
        if other.fieldsInRow > 0 { other.endRow() }
        if firstProblem == nil, let problem = other.firstProblem {
            switch problem {
            case let .rowWidthMismatch(row, found):
                firstProblem = .rowWidthMismatch(row: rowCount + row, found: found)
            case let .nonFiniteNumber(row, column):
                firstProblem = .nonFiniteNumber(row: rowCount + row, column: column)
            }
        }
        if other.columnCount != columnCount && other.rowCount > 0 && firstProblem == nil {
            firstProblem = .rowWidthMismatch(row: rowCount + 1, found: other.columnCount)
        }
        bytes.append(contentsOf: other.bytes)
        rowCount += other.rowCount
    }

    private mutating func noteProblem(_ problem: CSVRowProblem) {
        if firstProblem == nil { firstProblem = problem }
    }
}
