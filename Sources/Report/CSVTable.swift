/// A CSV file read whole: its header and its data rows as text fields (RFC 4180).
///
/// Parsing rules: fields are separated by commas; a field that starts with `"` is quoted and may
/// hold commas, line breaks and doubled quotes (`""` → `"`); rows end with `\n` (a `\r` before it
/// is dropped, so CRLF files read too); a final line break is optional. Every row must have as
/// many fields as the header. Fields are kept as text; `CSVRow` converts them by column name.
///
/// ```
/// let table = try CSVTable(parsing: "ARM,N\nplacebo,10\n", fileName: "x.csv")
/// try table.rows[0].integer("N")   // 10
/// ```
public struct CSVTable: Sendable {
    /// The file's name, used in error messages (e.g. "safety.csv").
    public let fileName: String
    /// The column names, in file order.
    public let header: [String]
    /// The data rows, in file order.
    public let rows: [CSVRow]

    /// Parses `text` as CSV with a header row.
    /// - Throws: `ReportError.malformedCSV` with the line at fault.
    public init(parsing text: String, fileName: String) throws(ReportError) {
        var parser = CSVParser(bytes: Array(text.utf8), fileName: fileName)
        guard let headerRecord = try parser.nextRecord() else {
            throw .malformedCSV(file: fileName, line: 1, reason: "the file is empty; a header row is required")
        }
        let header = headerRecord.fields
        var columnIndex: [String: Int] = [:]
        for (index, name) in header.enumerated() where columnIndex[name] == nil {
            columnIndex[name] = index
        }
        var rows: [CSVRow] = []
        while let record = try parser.nextRecord() {
            guard record.fields.count == header.count else {
                throw .malformedCSV(file: fileName, line: record.line,
                                    reason: "\(record.fields.count) fields, the header has \(header.count)")
            }
            rows.append(CSVRow(fileName: fileName, rowNumber: rows.count + 1, line: record.line,
                               fields: record.fields, columnIndex: columnIndex))
        }
        self.fileName = fileName
        self.header = header
        self.rows = rows
    }

    /// Checks that every column in `names` is in the header, so that a header-only file with a
    /// wrong header is reported too.
    /// - Throws: `ReportError.missingColumn` for the first absent name.
    public func requireColumns(_ names: [String]) throws(ReportError) {
        for name in names where !header.contains(name) {
            throw .missingColumn(file: fileName, column: name)
        }
    }
}

/// One data row of a `CSVTable`, read by column name. An empty field is a missing value.
public struct CSVRow: Sendable {
    public let fileName: String
    /// 1-based data row number (the header is row 0).
    public let rowNumber: Int
    /// 1-based line on which the row starts.
    public let line: Int
    let fields: [String]
    let columnIndex: [String: Int]

    /// The field's text, or `nil` when it is empty.
    public func text(_ column: String) throws(ReportError) -> String? {
        guard let index = columnIndex[column] else { throw .missingColumn(file: fileName, column: column) }
        let field = fields[index]
        return field.isEmpty ? nil : field
    }

    /// The field's text; an empty field is an error.
    public func requiredText(_ column: String) throws(ReportError) -> String {
        guard let value = try text(column) else {
            throw .missingValue(file: fileName, row: rowNumber, line: line, column: column)
        }
        return value
    }

    /// The field as a finite number, or `nil` when it is empty. Accepts decimal text with an
    /// optional sign, point and exponent (what `formatNumber` writes); rejects `nan`, `inf` and
    /// hexadecimal floats, which SPEC §6 never writes.
    public func number(_ column: String) throws(ReportError) -> Double? {
        guard let field = try text(column) else { return nil }
        guard let value = Self.finiteDecimal(field) else {
            throw .malformedNumber(file: fileName, row: rowNumber, line: line, column: column, text: field)
        }
        return value
    }

    /// The value of decimal text with an optional sign, point and exponent, or `nil` for anything
    /// else (including `nan`, `inf`, hexadecimal floats and values beyond `Double`'s range).
    static func finiteDecimal(_ field: String) -> Double? {
        let isDecimalText = field.utf8.allSatisfy { byte in
            (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "-")
                || byte == UInt8(ascii: "+") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "e")
                || byte == UInt8(ascii: "E")
        }
        guard isDecimalText, let value = Double(field), value.isFinite else { return nil }
        return value
    }

    /// The field as a finite number; an empty field is an error.
    public func requiredNumber(_ column: String) throws(ReportError) -> Double {
        guard let value = try number(column) else {
            throw .missingValue(file: fileName, row: rowNumber, line: line, column: column)
        }
        return value
    }

    /// The field as an integer (plain digits, optional sign), or `nil` when it is empty.
    public func integer(_ column: String) throws(ReportError) -> Int? {
        guard let field = try text(column) else { return nil }
        guard let value = Int(field) else {
            throw .malformedNumber(file: fileName, row: rowNumber, line: line, column: column, text: field)
        }
        return value
    }

    /// The field as an integer; an empty field is an error.
    public func requiredInteger(_ column: String) throws(ReportError) -> Int {
        guard let value = try integer(column) else {
            throw .missingValue(file: fileName, row: rowNumber, line: line, column: column)
        }
        return value
    }
}
