import Output

/// A failure to build report.html, naming the file and — where there is one — the row and column
/// at fault, with what was expected there.
///
/// Rows count data rows from 1 (the header is row 0); `line` is the 1-based line of the file on
/// which that row starts (they differ when a quoted field holds a line break).
public enum ReportError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A file the report reads is absent from the results folder.
    case missingFile(file: String)
    /// A file exists but could not be read (permissions, not UTF-8, a directory).
    case unreadableFile(file: String, reason: String)
    /// The text is not RFC 4180 CSV (an unterminated quote, text after a closing quote, a row
    /// whose field count differs from the header's, no header row).
    case malformedCSV(file: String, line: Int, reason: String)
    /// The header lacks a column the report needs (columns are found by name, never position).
    case missingColumn(file: String, column: String)
    /// A field that must hold a number does not hold a finite decimal number.
    case malformedNumber(file: String, row: Int, line: Int, column: String, text: String)
    /// A field that must not be empty is empty.
    case missingValue(file: String, row: Int, line: Int, column: String)
    /// manifest.json is not JSON or lacks a key the report shows.
    case invalidManifest(file: String, reason: String)
    /// Writing report.html failed.
    case writeFailed(OutputError)

    /// The message with the file's path inside `directory` (as `vtrial report` prints it:
    /// `DIR/FILE:LINE:COLUMN: error: …`, the line where the row starts and column 1 where the
    /// field is named in the message).
    public func located(in directory: String) -> String {
        guard case .writeFailed = self else {
            let prefix = directory.hasSuffix("/") ? directory : directory + "/"
            return prefix + description
        }
        return "vtrial: error: \(description)"
    }

    public var description: String {
        switch self {
        case let .missingFile(file):
            return "\(file):1:1: error: missing from the results folder (was the run complete?)"
        case let .unreadableFile(file, reason):
            return "\(file):1:1: error: cannot be read: \(reason)"
        case let .malformedCSV(file, line, reason):
            return "\(file):\(line):1: error: not valid CSV: \(reason)"
        case let .missingColumn(file, column):
            return "\(file):1:1: error: the header has no column \(column)"
        case let .malformedNumber(file, row, line, column, text):
            return "\(file):\(line):1: error: row \(row), column \(column): '\(text)' is not a finite number"
        case let .missingValue(file, row, line, column):
            return "\(file):\(line):1: error: row \(row), column \(column) is empty but required"
        case let .invalidManifest(file, reason):
            return "\(file):1:1: error: \(reason)"
        case let .writeFailed(error):
            return "cannot write report.html: \(error)"
        }
    }
}
