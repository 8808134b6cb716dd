/// One input error with its place in a file: `FILE:LINE:COLUMN: error: MESSAGE` (SPEC §1).
///
/// `line` and `column` are 1-based; columns count Unicode scalars, as libYAML does (in a CSV
/// cohort file too, where an error is placed where its field starts).
public struct Diagnostic: Sendable, Equatable, CustomStringConvertible {
    /// The path as the user gave it (or as resolved relative to the file that names it).
    public var file: String
    public var line: Int
    public var column: Int
    public var message: String

    public init(file: String, line: Int, column: Int, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.message = message
    }

    public var description: String { "\(file):\(line):\(column): error: \(message)" }
}

/// Every error found while loading a protocol or population file (at most
/// `ProtocolLoadError.maximumDiagnostics`, in file order), thrown at once so that the user can fix
/// them all in one pass.
public struct ProtocolLoadError: Error, Sendable, CustomStringConvertible {
    /// SPEC §1: report every error found in a file, up to 20.
    public static let maximumDiagnostics = 20

    /// Never empty.
    public var diagnostics: [Diagnostic]

    public init(diagnostics: [Diagnostic]) {
        self.diagnostics = diagnostics
    }

    /// One diagnostic per line, as `vtrial` prints them to stderr.
    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}
