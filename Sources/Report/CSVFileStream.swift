import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One record of a streamed CSV file: its fields as byte ranges, valid only during the call that
/// receives it (they point into the reader's buffer).
struct CSVRecordView {
    /// 1-based line on which the record starts.
    let line: Int
    private let base: UnsafePointer<UInt8>
    /// Start and end offsets from `base`, two per field.
    private let bounds: UnsafeBufferPointer<Int>

    init(line: Int, base: UnsafePointer<UInt8>, bounds: UnsafeBufferPointer<Int>) {
        self.line = line
        self.base = base
        self.bounds = bounds
    }

    var fieldCount: Int { bounds.count / 2 }

    /// The field's bytes (quotes removed, doubled quotes undone).
    func field(_ index: Int) -> UnsafeBufferPointer<UInt8> {
        let start = bounds[2 &* index], end = bounds[2 &* index &+ 1]
        return UnsafeBufferPointer(start: base + start, count: end &- start)
    }

    /// The field as text (invalid UTF-8 repaired, as `String(decoding:as:)` does).
    func string(_ index: Int) -> String {
        String(decoding: field(index), as: UTF8.self)
    }

    /// Every field as text.
    var strings: [String] { (0..<fieldCount).map(string) }
}

/// Reads a CSV file record by record in blocks of 1 MiB, so that a results folder of a million
/// subjects is summarised without holding its subject-level files in memory, and without making
/// a `String` of a field nobody asks for. Same rules, records, line numbers and errors as
/// `CSVTable` (`CSVParser`): a line without a quote is split at its commas directly; a record with
/// a quote anywhere — rare in results folders — goes through `CSVParser`.
enum CSVFileStream {
    static let blockSize = 1 << 20

    /// Calls `body` with every data row of `directory/fileName` after checking that the header has
    /// `columns`, until `body` returns false or the file ends.
    static func forEachRow(in directory: String, fileName: String, columns: [String], blockSize: Int = blockSize,
                           _ body: (CSVRow) throws(ReportError) -> Bool) throws(ReportError) {
        var header: CSVHeader?
        var rowNumber = 0
        try forEachRecord(in: directory, fileName: fileName, blockSize: blockSize) { record throws(ReportError) in
            guard let header else {
                header = try CSVHeader(record, fileName: fileName, requiring: columns)
                return true
            }
            try header.checkFieldCount(of: record)
            rowNumber += 1
            let row = CSVRow(fileName: fileName, rowNumber: rowNumber, line: record.line, fields: record.strings,
                             columnIndex: header.columnIndex)
            return try body(row)
        }
        if header == nil { throw CSVHeader.emptyFile(fileName) }
    }

    /// Calls `body` with every record of `directory/fileName`, the header first, in file order until
    /// it returns false or the file ends. `blockSize` is the read size (small in tests, to cross
    /// block ends everywhere).
    /// - Throws: `missingFile`, `unreadableFile`, `malformedCSV` for the record at fault, or what
    ///   `body` throws.
    static func forEachRecord(in directory: String, fileName: String, blockSize: Int = blockSize,
                              _ body: (CSVRecordView) throws(ReportError) -> Bool) throws(ReportError) {
        let path = directory + "/" + fileName
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw .missingFile(file: fileName) }
        let descriptor = isDirectory.boolValue ? -1 : open(path, O_RDONLY)
        guard descriptor >= 0 else { throw .unreadableFile(file: fileName, reason: "not a readable file") }
        defer { close(descriptor) }
        var reader = BlockReader(descriptor: descriptor, fileName: fileName, blockSize: max(blockSize, 1))
        defer { reader.deallocate() }
        var line = 1
        var bounds = FieldBounds()
        defer { bounds.deallocate() }
        while true {
            // The next line, reading more until it is complete (or the file ends).
            var available = reader.filled - reader.start
            var newline = available > 0 ? memchr(reader.buffer + reader.start, 0x0A, available) : nil
            while newline == nil && !reader.atEnd {
                try reader.readMore()
                available = reader.filled - reader.start
                newline = available > 0 ? memchr(reader.buffer + reader.start, 0x0A, available) : nil
            }
            if available == 0 { return }  // an empty last line is not a record
            let text = UnsafePointer(reader.buffer + reader.start)
            let lineLength = newline.map { UnsafeRawPointer($0) - UnsafeRawPointer(text) } ?? available
            if memchr(text, CSVFileStream.quote, lineLength) == nil {
                // No quote: the record is this line, split at every comma; a CR before the LF
                // belongs to a CRLF line end.
                bounds.removeAll()
                var fieldStart = 0
                for i in 0..<lineLength where text[i] == CSVFileStream.comma {
                    bounds.append(fieldStart)
                    bounds.append(i)
                    fieldStart = i &+ 1
                }
                let end = lineLength > fieldStart && text[lineLength &- 1] == CSVFileStream.carriageReturn ? lineLength &- 1 : lineLength
                bounds.append(fieldStart)
                bounds.append(end)
                let keepGoing = try body(CSVRecordView(line: line, base: text, bounds: bounds.values))
                line += 1
                reader.start += newline == nil ? lineLength : lineLength &+ 1
                if !keepGoing { return }
            } else {
                // A quote: the record runs to the first LF outside quotes (possibly lines later);
                // CSVParser reads it, with its errors.
                var scan = QuoteScan()
                var recordLength = reader.quotedRecordLength(&scan)
                while recordLength == nil && !reader.atEnd {
                    try reader.readMore()
                    recordLength = reader.quotedRecordLength(&scan)
                }
                let length = recordLength ?? (reader.filled - reader.start)
                let bytes = Array(UnsafeBufferPointer(start: reader.buffer + reader.start, count: length))
                var parser = CSVParser(bytes: bytes, fileName: fileName, firstLine: line)
                guard let record = try parser.nextRecord() else { return }
                var scratch: [UInt8] = []
                bounds.removeAll()
                for field in record.fields {
                    bounds.append(scratch.count)
                    scratch.append(contentsOf: field.utf8)
                    bounds.append(scratch.count)
                }
                let keepGoing = try scratch.withUnsafeBufferPointer { fieldBytes throws(ReportError) in
                    // A record of empty fields has no bytes (and maybe no base address).
                    let base = fieldBytes.baseAddress ?? UnsafePointer(text)
                    return try body(CSVRecordView(line: record.line, base: base, bounds: bounds.values))
                }
                line = parser.currentLine
                reader.start += length
                if !keepGoing { return }
            }
        }
    }

    fileprivate static let quote: Int32 = 0x22
    fileprivate static let comma = UInt8(ascii: ",")
    fileprivate static let carriageReturn = UInt8(ascii: "\r")
}

/// The field offsets of the current record (`CSVRecordView.bounds`), in a buffer reused from
/// record to record.
private struct FieldBounds {
    private var storage = UnsafeMutablePointer<Int>.allocate(capacity: 64)
    private var capacity = 64
    private var count = 0

    var values: UnsafeBufferPointer<Int> { UnsafeBufferPointer(start: storage, count: count) }

    mutating func removeAll() { count = 0 }

    @inline(__always) mutating func append(_ value: Int) {
        if count == capacity {
            let grown = UnsafeMutablePointer<Int>.allocate(capacity: 2 * capacity)
            grown.update(from: storage, count: count)
            storage.deallocate()
            storage = grown
            capacity *= 2
        }
        storage[count] = value
        count += 1
    }

    func deallocate() { storage.deallocate() }
}

/// A CSV file's header: its column names and where each (first occurrence) is.
struct CSVHeader {
    let names: [String]
    let columnIndex: [String: Int]
    let fileName: String

    /// The header `record`, checked to have every name in `columns` (the first missing one is the
    /// error).
    init(_ record: CSVRecordView, fileName: String, requiring columns: [String]) throws(ReportError) {
        names = record.strings
        var index: [String: Int] = [:]
        for (position, name) in names.enumerated() where index[name] == nil { index[name] = position }
        columnIndex = index
        self.fileName = fileName
        for name in columns where index[name] == nil { throw .missingColumn(file: fileName, column: name) }
    }

    /// Every data row must have as many fields as the header.
    func checkFieldCount(of record: CSVRecordView) throws(ReportError) {
        guard record.fieldCount == names.count else {
            throw .malformedCSV(file: fileName, line: record.line, reason: "\(record.fieldCount) fields, the header has \(names.count)")
        }
    }

    /// The error for a file without even a header row.
    static func emptyFile(_ fileName: String) -> ReportError {
        .malformedCSV(file: fileName, line: 1, reason: "the file is empty; a header row is required")
    }
}

/// The file's bytes from `start` to `filled` in one growing buffer, read `blockSize` at a time.
private struct BlockReader {
    let descriptor: Int32
    let fileName: String
    let blockSize: Int
    private(set) var buffer: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    /// The first byte not yet handed out.
    var start = 0
    /// The end of the bytes read.
    private(set) var filled = 0
    private(set) var atEnd = false

    init(descriptor: Int32, fileName: String, blockSize: Int) {
        self.descriptor = descriptor
        self.fileName = fileName
        self.blockSize = blockSize
        capacity = blockSize
        buffer = .allocate(capacity: capacity)
    }

    func deallocate() { buffer.deallocate() }

    /// Moves the unread bytes to the front and appends up to `blockSize` more (growing the buffer
    /// when one record is longer than it); sets `atEnd` at the end of the file.
    mutating func readMore() throws(ReportError) {
        if start > 0 {
            let remaining = filled - start
            if remaining > 0 { memmove(buffer, buffer + start, remaining) }
            filled = remaining
            start = 0
        }
        if capacity - filled < blockSize {
            let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: filled + blockSize)
            grown.update(from: buffer, count: filled)
            buffer.deallocate()
            buffer = grown
            capacity = filled + blockSize
        }
        while true {
            let count = read(descriptor, buffer + filled, blockSize)
            if count > 0 {
                filled += count
                return
            }
            if count == 0 {
                atEnd = true
                return
            }
            if errno == EINTR { continue }
            throw .unreadableFile(file: fileName, reason: String(cString: strerror(errno)))
        }
    }

    /// The length of the record at `start` up to and including the first LF outside quotes
    /// (quotes toggle; a doubled quote toggles twice), or nil when the bytes read hold no such LF.
    /// `scan` carries the bytes already scanned over to the next call for the same record.
    func quotedRecordLength(_ scan: inout QuoteScan) -> Int? {
        var i = start + scan.scanned
        while i < filled {
            let byte = buffer[i]
            i += 1
            if byte == 0x22 { scan.inQuotes.toggle() } else if byte == 0x0A && !scan.inQuotes { return i - start }
        }
        scan.scanned = filled - start
        return nil
    }
}

/// How far `BlockReader.quotedRecordLength` got in a record: bytes after its start, and whether
/// they end inside quotes.
private struct QuoteScan {
    var scanned = 0
    var inQuotes = false
}
