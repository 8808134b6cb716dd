/// Splits RFC 4180 text into records, one at a time, tracking line numbers for error messages.
struct CSVParser {
    /// One record's fields and the 1-based line on which it starts.
    struct Record {
        var fields: [String]
        var line: Int
    }

    private let bytes: [UInt8]
    private let fileName: String
    private var position = 0
    private var line: Int

    /// `firstLine`: the file line on which `bytes` start (for a block of a larger file).
    init(bytes: [UInt8], fileName: String, firstLine: Int = 1) {
        self.bytes = bytes
        self.fileName = fileName
        self.line = firstLine
    }

    /// The line the next record starts on.
    var currentLine: Int { line }

    private static let quote = UInt8(ascii: "\"")
    private static let comma = UInt8(ascii: ",")
    private static let newline = UInt8(ascii: "\n")
    private static let carriageReturn = UInt8(ascii: "\r")

    /// The next record, or `nil` at the end of the text. An empty last line is not a record.
    mutating func nextRecord() throws(ReportError) -> Record? {
        if position >= bytes.count { return nil }
        let startLine = line
        var fields: [String] = []
        var field: [UInt8] = []
        while true {
            if position < bytes.count && bytes[position] == Self.quote && field.isEmpty {
                try readQuotedField(into: &field, startLine: startLine)
            }
            // Unquoted text up to the next comma or line end.
            while position < bytes.count && bytes[position] != Self.comma && bytes[position] != Self.newline {
                if bytes[position] == Self.quote {
                    throw .malformedCSV(file: fileName, line: line,
                                        reason: "a quote inside an unquoted field (quote the whole field and double the quote)")
                }
                field.append(bytes[position])
                position += 1
            }
            if position < bytes.count && bytes[position] == Self.comma {
                fields.append(String(decoding: field, as: UTF8.self))
                field.removeAll(keepingCapacity: true)
                position += 1
                continue
            }
            // Line end or end of text: a CR before the LF belongs to a CRLF line end.
            if field.last == Self.carriageReturn { field.removeLast() }
            fields.append(String(decoding: field, as: UTF8.self))
            if position < bytes.count {
                position += 1
                line += 1
            }
            return Record(fields: fields, line: startLine)
        }
    }

    /// Reads a quoted field starting at the opening quote; leaves `position` after the closing one.
    private mutating func readQuotedField(into field: inout [UInt8], startLine: Int) throws(ReportError) {
        position += 1
        while position < bytes.count {
            let byte = bytes[position]
            if byte == Self.quote {
                if position + 1 < bytes.count && bytes[position + 1] == Self.quote {
                    field.append(Self.quote)
                    position += 2
                    continue
                }
                position += 1
                if position < bytes.count {
                    let next = bytes[position]
                    let endsField = next == Self.comma || next == Self.newline
                        || (next == Self.carriageReturn && position + 1 < bytes.count && bytes[position + 1] == Self.newline)
                    guard endsField else {
                        throw .malformedCSV(file: fileName, line: line, reason: "text after a closing quote")
                    }
                    if next == Self.carriageReturn { position += 1 }  // CRLF: keep the CR out of the field
                }
                return
            }
            if byte == Self.newline { line += 1 }
            field.append(byte)
            position += 1
        }
        throw .malformedCSV(file: fileName, line: startLine, reason: "a quoted field is never closed")
    }
}
