#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A failure to write results, always naming the path involved and, for a failed system call,
/// the `errno` it set (`ENOSPC` for a full disk, `EACCES` for a missing permission, …).
public enum OutputError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A directory could not be created (or a path that should be one is not a directory).
    case cannotCreateDirectory(path: String, errno: Int32)
    /// A file could not be opened for writing.
    case cannotOpenFile(path: String, errno: Int32)
    /// Writing (or syncing) bytes to a file failed; the file is incomplete.
    case writeFailed(path: String, errno: Int32)
    /// Closing a file failed; its last bytes may not have reached the disk.
    case closeFailed(path: String, errno: Int32)
    /// A rename (the step that publishes results) failed.
    case cannotRename(from: String, to: String, errno: Int32)
    /// A file or folder could not be removed.
    case cannotRemove(path: String, errno: Int32)
    /// A directory could not be listed.
    case cannotListDirectory(path: String, errno: Int32)
    /// A CSV row had a different number of fields than the header (a bug in the caller).
    case rowWidthMismatch(path: String, row: Int, expected: Int, found: Int)
    /// A non-finite number was given for a CSV field (SPEC §6 never writes `nan` or `inf`;
    /// undefined values are passed as `nil`). `row` counts data rows from 1, `column` from 1.
    case nonFiniteNumber(path: String, row: Int, column: Int)
    /// The writer was used after `close()`.
    case writerClosed(path: String)
    /// A results path relative to the output directory is empty, absolute, or climbs with "..".
    case invalidRelativePath(String)
    /// The results folder was already committed or abandoned.
    case folderFinished(path: String)
    /// The results path holds something that is not a results folder (a file, or a folder without
    /// manifest.json): a run replaces only earlier results (an invalid-usage error: nothing is
    /// written).
    case notResultsFolder(path: String)

    /// Whether the error is the user's request, not the run (exit 2, nothing written).
    public var isUsageError: Bool {
        if case .notResultsFolder = self { return true }
        return false
    }

    public var description: String {
        switch self {
        case let .cannotCreateDirectory(path, code):
            return "cannot create directory '\(path)': \(systemMessage(code))"
        case let .cannotOpenFile(path, code):
            return "cannot open '\(path)' for writing: \(systemMessage(code))"
        case let .writeFailed(path, code):
            return "writing '\(path)' failed: \(systemMessage(code))"
        case let .closeFailed(path, code):
            return "closing '\(path)' failed: \(systemMessage(code))"
        case let .cannotRename(from, to, code):
            return "cannot rename '\(from)' to '\(to)': \(systemMessage(code))"
        case let .cannotRemove(path, code):
            return "cannot remove '\(path)': \(systemMessage(code))"
        case let .cannotListDirectory(path, code):
            return "cannot list directory '\(path)': \(systemMessage(code))"
        case let .rowWidthMismatch(path, row, expected, found):
            return "'\(path)': row \(row) has \(found) fields, the header has \(expected)"
        case let .nonFiniteNumber(path, row, column):
            return "'\(path)': row \(row), column \(column) is not a finite number"
        case let .writerClosed(path):
            return "'\(path)': written to after close"
        case let .invalidRelativePath(path):
            return "'\(path)' is not a relative path inside the output directory"
        case let .folderFinished(path):
            return "results folder '\(path)' was already committed or abandoned"
        case let .notResultsFolder(path):
            return "'\(path)' exists and is not a results folder (no manifest.json): a run replaces only earlier results; move it away or choose another --out"
        }
    }
}

private func systemMessage(_ code: Int32) -> String {
    guard let text = strerror(code) else { return "errno \(code)" }
    return "\(String(cString: text)) (errno \(code))"
}
