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
    public var bytes: [UInt8] {
        if stashCount == 0 { return storage }
        var all = storage
        withUnsafeBytes(of: stash) { all.append(contentsOf: UnsafeRawBufferPointer(rebasing: $0[0..<stashCount])) }
        return all
    }
    /// `bytes.count`, without assembling the bytes of an open row.
    public var byteCount: Int { storage.count + stashCount }
    /// Fields per row, as in the header.
    public let columnCount: Int
    /// Complete rows encoded.
    public private(set) var rowCount = 0
    /// The first problem found, if any.
    public private(set) var firstProblem: CSVRowProblem?
    /// Fields in the row in progress.
    public private(set) var fieldsInRow = 0
    /// The bytes of the rows, except those still in `stash`.
    private var storage: [UInt8] = []
    /// The row in progress (or its latest part): fields are formatted here, in the encoder's own
    /// memory, and reach `storage` in one append when the row ends (or when the stash is full).
    /// Appending field by field to the array cost a uniqueness and a capacity check per append,
    /// two or three per field (W1: ~3,000 of ~50,000 instructions per subject, docs/performance.md
    /// item 39).
    private var stash = Stash()
    private var stashCount = 0
    /// The last number written and where its text starts and ends (counted from the first byte
    /// of `storage`, through the stash): a row often writes the same value twice (AVAL and CHG
    /// when BASE is 0), and its text is then copied instead of formatted again.
    private var lastNumber: (bits: UInt64, start: Int, end: Int)?

    /// 256 bytes: more than most rows.
    private struct Stash {
        var words: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
                    UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
                    UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
                    UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        static let capacity = 256
    }

    /// An encoder for rows of `columnCount` fields, reserving `reservedBytes` of memory up front.
    public init(columnCount: Int, reservedBytes: Int = 0) {
        self.columnCount = columnCount
        storage.reserveCapacity(reservedBytes)
    }

    /// Calls `body` with the stash's first free byte, after making room for `count` bytes
    /// (at most `Stash.capacity`); `body` returns how many it wrote.
    @inline(__always)
    private mutating func writeToStash(atMost count: Int, _ body: (UnsafeMutablePointer<UInt8>) -> Int) {
        if stashCount &+ count > Stash.capacity { spill() }
        let offset = stashCount
        stashCount = offset &+ withUnsafeMutableBytes(of: &stash) { body($0.baseAddress!.assumingMemoryBound(to: UInt8.self) + offset) }
        assert(stashCount <= Stash.capacity, "CSVRowEncoder wrote past its stash")
    }

    /// Moves the stash's bytes to `storage`.
    private mutating func spill() {
        guard stashCount > 0 else { return }
        let count = stashCount
        withUnsafeBytes(of: &stash) { storage.append(contentsOf: UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
        stashCount = 0
    }

    @inline(__always)
    private mutating func beginField() {
        if fieldsInRow > 0 {
            writeToStash(atMost: 1) { text in
                text.pointee = comma
                return 1
            }
        }
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
        if stashCount &+ maximumNumberLength > Stash.capacity { spill() }
        let start = storage.count &+ stashCount
        if let last = lastNumber, last.bits == value.bitPattern {
            let length = last.end &- last.start
            let offset = stashCount
            if last.start >= storage.count {
                // Still in the stash (a spill moves the whole stash).
                let from = last.start &- storage.count
                withUnsafeMutableBytes(of: &stash) { raw in
                    let base = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
                    (base + offset).update(from: base + from, count: length)
                }
            } else {
                storage.withUnsafeBufferPointer { source in
                    withUnsafeMutableBytes(of: &stash) { raw in
                        (raw.baseAddress!.assumingMemoryBound(to: UInt8.self) + offset).update(from: source.baseAddress! + last.start, count: length)
                    }
                }
            }
            stashCount = offset &+ length
        } else {
            writeToStash(atMost: maximumNumberLength) { writeNumber(value, to: $0) }
        }
        lastNumber = (value.bitPattern, start, storage.count &+ stashCount)
    }

    /// An integer as plain digits.
    public mutating func field(_ value: Int) {
        beginField()
        writeToStash(atMost: maximumIntegerLength) { writeInteger(value, to: $0) }
    }

    /// An integer as plain digits, or an empty field for `nil`.
    public mutating func field(_ value: Int?) {
        beginField()
        if let value { writeToStash(atMost: maximumIntegerLength) { writeInteger(value, to: $0) } }
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
        // At most every byte doubled, and two quotes.
        let longest = needsQuotes ? 2 &* utf8.count &+ 2 : utf8.count
        guard longest <= Stash.capacity else {
            // Longer than the stash: straight to the storage, after what the stash holds.
            spill()
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: longest) { text in
                let length = Self.write(utf8, quoted: needsQuotes, to: text.baseAddress!)
                storage.append(contentsOf: UnsafeBufferPointer(rebasing: text[0..<length]))
            }
            return
        }
        writeToStash(atMost: longest) { Self.write(utf8, quoted: needsQuotes, to: $0) }
    }

    /// Writes `utf8` at `text` (room for 2 n + 2 bytes when `quoted`, n otherwise), in quotes
    /// with its quotes doubled when `quoted`; returns the length written.
    private static func write(_ utf8: UnsafeBufferPointer<UInt8>, quoted: Bool, to text: UnsafeMutablePointer<UInt8>) -> Int {
        guard quoted else {
            if let base = utf8.baseAddress { text.update(from: base, count: utf8.count) }
            return utf8.count
        }
        var length = 0
        text[length] = quote
        length &+= 1
        for byte in utf8 {
            if byte == quote {
                text[length] = quote
                length &+= 1
            }
            text[length] = byte
            length &+= 1
        }
        text[length] = quote
        return length &+ 1
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
        writeToStash(atMost: 1) { text in
            text.pointee = lineFeed
            return 1
        }
        spill()
        rowCount += 1
        fieldsInRow = 0
    }

    /// Reserves room for `bytes` more bytes of rows.
    public mutating func reserve(bytes extra: Int) {
        storage.reserveCapacity(storage.count + stashCount + extra)
    }

    /// Forgets the encoded rows (keeping the memory) so the encoder can be reused.
    public mutating func removeAll() {
        storage.removeAll(keepingCapacity: true)
        stashCount = 0
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
        assert(other.stashCount == 0, "a closed row leaves nothing in the stash")
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
        spill()
        storage.append(contentsOf: other.storage)
        rowCount += other.rowCount
    }

    private mutating func noteProblem(_ problem: CSVRowProblem) {
        if firstProblem == nil { firstProblem = problem }
    }
}
