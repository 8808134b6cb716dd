import Population

/// Reads a real cohort (SPEC §3, `population: { csv: FILE }`): RFC 4180 CSV with a header row of
/// covariate names. A column whose every cell is a finite number is numeric, unless it is listed
/// in `categorical` (levels written as numbers, e.g. ECOG 0/1/2); a column with no numeric cell
/// is categorical (levels, as written, in order of first appearance); a column mixing both, an
/// empty cell or a row with the wrong number of fields is an error at FILE:LINE:COLUMN, the place
/// where the field starts (1-based; columns count Unicode scalars, as for YAML files).
enum CohortCSVReader {
    /// A leading byte-order mark (as spreadsheet programs write) is dropped.
    static func read(bytes: [UInt8], path: String, sampling: CohortTable.Sampling, categorical: [String] = [],
                     log: DiagnosticLog) -> CohortTable? {
        let bytes = YAMLSource.withoutByteOrderMark(bytes)
        let errorsBefore = log.diagnostics.count
        func error(_ line: Int, _ column: Int, _ message: String) {
            log.add(Diagnostic(file: path, line: line, column: column, message: message))
        }
        if let (line, column) = YAMLSource.firstInvalidUTF8(bytes) {
            error(line, column, "the cohort file is not valid UTF-8 text")
            return nil
        }
        let records: [Record]
        switch parseRecords(String(decoding: bytes, as: UTF8.self)) {
        case let .success(r): records = r
        case let .failure(failure): error(failure.line, failure.column, failure.message); return nil
        }
        guard let header = records.first else { error(1, 1, "the cohort file is empty: expected a header row of covariate names"); return nil }
        var columns: [String] = []
        for (i, name) in header.fields.enumerated() {
            let trimmed = name.trimmingCharacters(in: .whitespaces)
            if !isIdentifier(trimmed) { error(header.line, header.columns[i], "column name '\(name)' must be a covariate name (a letter or '_', then letters, digits, '_')") }
            else if columns.contains(trimmed) { error(header.line, header.columns[i], "duplicate column '\(trimmed)'") }
            columns.append(trimmed)
        }
        let rows = records.dropFirst()
        if rows.isEmpty { error(header.line, 1, "the cohort file has a header but no rows") }
        for row in rows where row.fields.count != columns.count {
            // The first field too many, or the end of a row that is short.
            let place = row.fields.count > columns.count ? (row.lines[columns.count], row.columns[columns.count]) : (row.endLine, row.endColumn)
            error(place.0, place.1, "row has \(row.fields.count) fields; the header has \(columns.count)")
        }
        guard log.diagnostics.count == errorsBefore else { return nil }

        var levels: [[String]?] = []
        var values = [[Double]](repeating: [Double](repeating: 0, count: columns.count), count: rows.count)
        for (c, name) in columns.enumerated() {
            let cells = rows.map { $0.fields[c].trimmingCharacters(in: .whitespaces) }
            for (r, cell) in cells.enumerated() where cell.isEmpty {
                error(rows[rows.startIndex + r].lines[c], rows[rows.startIndex + r].columns[c], "missing value in column '\(name)'")
            }
            let numeric = cells.map { NodeReader.parseNumber($0) }
            let numericCount = numeric.filter { if case .some(.some) = $0 { return true } else { return false } }.count
            if numericCount > 0, !categorical.contains(name) {
                levels.append(nil)
                for (r, v) in numeric.enumerated() where !cells[r].isEmpty {
                    if case let .some(.some(x)) = v { values[r][c] = x }
                    else { error(rows[rows.startIndex + r].lines[c], rows[rows.startIndex + r].columns[c], "malformed number '\(cells[r])' in numeric column '\(name)' (a column with a number in it is numeric: list it in `categorical` to read its cells as levels)") }
                }
            } else {
                var names: [String] = []
                for (r, cell) in cells.enumerated() where !cell.isEmpty {
                    if let i = names.firstIndex(of: cell) { values[r][c] = Double(i) }
                    else { names.append(cell); values[r][c] = Double(names.count - 1) }
                }
                levels.append(names)
            }
        }
        guard log.diagnostics.count == errorsBefore else { return nil }
        return CohortTable(columns: columns, levels: levels, rows: values, sampling: sampling,
                           path: path, rowLines: rows.map { $0.lines.first ?? 0 })
    }

    struct Failure: Error { var line: Int; var column: Int; var message: String }

    /// One record: its fields, and where each starts (a quoted field may span lines).
    struct Record {
        var line: Int
        var fields: [String]
        var lines: [Int]
        var columns: [Int]
        /// The place just after the record's last character (a quoted field may end it on a
        /// later line than the one it starts on).
        var endLine: Int
        var endColumn: Int
    }

    /// RFC 4180 records with the line and column each field starts at; blank lines are skipped.
    static func parseRecords(_ text: String) -> Result<[Record], Failure> {
        var records: [Record] = []
        var fields: [String] = [], lines: [Int] = [], columns: [Int] = []
        var field = ""
        var inQuotes = false, fieldWasQuoted = false
        var line = 1, column = 1, recordLine = 1, quoteLine = 1, quoteColumn = 1
        var fieldLine = 1, fieldColumn = 1
        let characters = Array(text.unicodeScalars)
        var i = 0
        func endField() {
            fields.append(field); lines.append(fieldLine); columns.append(fieldColumn)
            field = ""; fieldWasQuoted = false
        }
        func endRecord() {
            let quoted = fieldWasQuoted
            endField()
            if !(fields.count == 1 && fields[0].isEmpty && !quoted) {
                records.append(Record(line: recordLine, fields: fields, lines: lines, columns: columns, endLine: line, endColumn: column))
            }
            fields = []; lines = []; columns = []
        }
        while i < characters.count {
            let c = characters[i]
            if inQuotes {
                if c == "\"" {
                    if i + 1 < characters.count, characters[i + 1] == "\"" { field.append("\""); i += 1; column += 1 }
                    else { inQuotes = false }
                    column += 1
                } else if c == "\n" {
                    line += 1; column = 1
                    field.unicodeScalars.append(c)
                } else {
                    field.unicodeScalars.append(c)
                    column += 1
                }
            } else if c == "\"" {
                if !field.isEmpty { return .failure(Failure(line: line, column: column, message: "a quote may only start a field (RFC 4180)")) }
                inQuotes = true; fieldWasQuoted = true; quoteLine = line; quoteColumn = column
                column += 1
            } else if c == "," {
                endField()
                column += 1
                fieldLine = line; fieldColumn = column
            } else if c == "\n" || c == "\r" {
                if c == "\r", i + 1 < characters.count, characters[i + 1] == "\n" { i += 1 }
                endRecord()
                line += 1; column = 1
                recordLine = line; fieldLine = line; fieldColumn = 1
            } else {
                field.unicodeScalars.append(c)
                column += 1
            }
            i += 1
        }
        if inQuotes { return .failure(Failure(line: quoteLine, column: quoteColumn, message: "unterminated quoted field")) }
        if !field.isEmpty || !fields.isEmpty || fieldWasQuoted { endRecord() }
        return .success(records)
    }
}
