import Foundation

/// Reads a CSV file row by row in blocks of 1 MiB, so that a results folder of a million subjects
/// is summarised without holding its subject-level files in memory. Same rules and errors as
/// `CSVTable`; rows are handed to `body` in file order until it returns false.
enum CSVFileStream {
    static let blockSize = 1 << 20

    /// Calls `body` with every data row of `directory/fileName` after checking that the header has
    /// `columns`, until `body` returns false or the file ends.
    static func forEachRow(in directory: String, fileName: String, columns: [String],
                           _ body: (CSVRow) throws(ReportError) -> Bool) throws(ReportError) {
        let path = directory + "/" + fileName
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw .missingFile(file: fileName) }
        guard !isDirectory.boolValue, let handle = FileHandle(forReadingAtPath: path) else {
            throw .unreadableFile(file: fileName, reason: "not a readable file")
        }
        defer { try? handle.close() }
        var pending: [UInt8] = []
        var line = 1
        var header: [String]?
        var columnIndex: [String: Int] = [:]
        var rowNumber = 0
        var atEnd = false
        while !atEnd {
            let block: Data
            do { block = try handle.read(upToCount: blockSize) ?? Data() } catch {
                throw .unreadableFile(file: fileName, reason: "\(error)")
            }
            atEnd = block.isEmpty
            pending.append(contentsOf: block)
            // Parse up to the last line end outside a quoted field: complete records only.
            let cut = atEnd ? pending.count : lastRecordEnd(pending)
            if cut == 0 { continue }
            let chunk = Array(pending[0..<cut])
            pending.removeFirst(cut)
            var parser = CSVParser(bytes: chunk, fileName: fileName, firstLine: line)
            while let record = try parser.nextRecord() {
                guard let names = header else {
                    header = record.fields
                    for (index, name) in record.fields.enumerated() where columnIndex[name] == nil { columnIndex[name] = index }
                    for name in columns where columnIndex[name] == nil { throw .missingColumn(file: fileName, column: name) }
                    continue
                }
                guard record.fields.count == names.count else {
                    throw .malformedCSV(file: fileName, line: record.line, reason: "\(record.fields.count) fields, the header has \(names.count)")
                }
                rowNumber += 1
                let row = CSVRow(fileName: fileName, rowNumber: rowNumber, line: record.line, fields: record.fields, columnIndex: columnIndex)
                if try !body(row) { return }
            }
            line = parser.currentLine
        }
        if header == nil { throw .malformedCSV(file: fileName, line: 1, reason: "the file is empty; a header row is required") }
    }

    /// The index just after the last `\n` that is not inside a quoted field (0 if none).
    private static func lastRecordEnd(_ bytes: [UInt8]) -> Int {
        var inQuotes = false
        var end = 0
        for (i, byte) in bytes.enumerated() {
            if byte == 0x22 { inQuotes.toggle() } else if byte == 0x0A && !inQuotes { end = i + 1 }
        }
        return end
    }
}
