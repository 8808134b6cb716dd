import Foundation
import Yams

/// A YAML file read from disk and composed into a node tree whose nodes keep their line and
/// column (`Node.mark`), or the located reason it could not be: unreadable, empty, not UTF-8,
/// a syntax error or a duplicate key.
struct YAMLSource {
    /// The path as the user gave it (used in every diagnostic).
    var path: String
    /// The file's bytes as read (a byte-order mark included: manifest.json's protocol_sha256 is
    /// the file's own hash).
    var bytes: [UInt8]
    var text: String
    var root: Node

    /// Reads and composes `path`; on failure the located error is added to `log` and `nil`
    /// returned.
    static func load(path: String, log: DiagnosticLog) -> YAMLSource? {
        guard let data = FileManager.default.contents(atPath: path) else {
            var isDirectory: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
            let reason = !exists ? "no such file" : (isDirectory.boolValue ? "it is a directory" : "it is not readable")
            log.add(Diagnostic(file: path, line: 1, column: 1, message: "cannot read '\(path)': \(reason)"))
            return nil
        }
        return parse(bytes: [UInt8](data), path: path, log: log)
    }

    /// Composes YAML `bytes` that were read from `path` (a leading byte-order mark, which YAML
    /// allows and Windows editors write, is dropped: lines and columns count from after it).
    static func parse(bytes: [UInt8], path: String, log: DiagnosticLog) -> YAMLSource? {
        let content = withoutByteOrderMark(bytes)
        if let (line, column) = firstInvalidUTF8(content) {
            log.add(Diagnostic(file: path, line: line, column: column, message: "the file is not valid UTF-8 text (invalid byte sequence here)"))
            return nil
        }
        var text = String(decoding: content, as: UTF8.self)
        var root: Node?
        var renamed = 0
        while true {
            do {
                // No implicit tags are resolved (`Resolver.basic`): the decoders read every
                // scalar's text themselves, so keys compare as text (`1` and `'1'` are the same key,
                // as the decoders would read them), and Yams's default resolver would compile seven
                // ICU regular expressions at start-up (~1.5 ms of serial time in every run) and
                // match them against every key (docs/performance.md, item 46).
                root = try Yams.compose(yaml: text, .basic)
                break
            } catch let error as YamlError {
                log.add(diagnostic(for: error, text: text, path: path))
                // A repeated key is renamed where it was found, and the file composed again, so
                // that every other error of the file (other repeats included) is reported too.
                guard case let .duplicatedKeysInMapping(duplicates, context) = error, let key = duplicates.first,
                      renamed < ProtocolLoadError.maximumDiagnostics,
                      let place = secondOccurrence(of: key, after: SourcePosition(context.mark), in: text),
                      let rewritten = renaming(key, at: place, in: text, number: renamed) else { return nil }
                text = rewritten
                renamed += 1
            } catch {
                log.add(Diagnostic(file: path, line: 1, column: 1, message: "invalid YAML: \(error)"))
                return nil
            }
        }
        guard let root else {
            log.add(Diagnostic(file: path, line: 1, column: 1, message: "the file is empty: expected a YAML mapping"))
            return nil
        }
        return YAMLSource(path: path, bytes: bytes, text: text, root: root)
    }

    /// `bytes` without a leading UTF-8 byte-order mark (EF BB BF), if they have one.
    static func withoutByteOrderMark(_ bytes: [UInt8]) -> [UInt8] {
        bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? Array(bytes.dropFirst(3)) : bytes
    }

    /// Line and column (1-based, in Unicode scalars) of the first byte that is not valid UTF-8.
    static func firstInvalidUTF8(_ bytes: [UInt8]) -> (Int, Int)? {
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        var line = 1, column = 1
        while true {
            switch decoder.decode(&iterator) {
            case let .scalarValue(scalar):
                if scalar == "\n" { line += 1; column = 1 } else { column += 1 }
            case .emptyInput:
                return nil
            case .error:
                return (line, column)
            }
        }
    }

    private static func diagnostic(for error: YamlError, text: String, path: String) -> Diagnostic {
        func located(_ mark: SourcePosition, _ message: String) -> Diagnostic {
            Diagnostic(file: path, line: mark.line, column: mark.column, message: message)
        }
        func contextText(_ context: YamlError.Context?) -> String {
            guard let context, !context.text.isEmpty else { return "" }
            return " (\(context.text))"
        }
        switch error {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _), let .composer(context, problem, mark, _):
            return located(SourcePosition(mark), "YAML syntax error: \(problem)\(contextText(context))")
        case let .duplicatedKeysInMapping(duplicates, context):
            let key = duplicates.first ?? ""
            let mark = secondOccurrence(of: key, after: SourcePosition(context.mark), in: text) ?? SourcePosition(context.mark)
            return located(mark, "duplicate key '\(key)': a key may appear only once in a mapping")
        case let .reader(problem, offset, _, _):
            var line = 1, column = 1
            if let offset {
                for byte in text.utf8.prefix(offset) where byte & 0xC0 != 0x80 {
                    if byte == UInt8(ascii: "\n") { line += 1; column = 1 } else { column += 1 }
                }
            }
            return Diagnostic(file: path, line: line, column: column, message: "unreadable YAML: \(problem)")
        default:
            return Diagnostic(file: path, line: 1, column: 1, message: "invalid YAML: \(error)")
        }
    }

    /// Whether a mapping key is a repeated key renamed by `renaming` (already reported): readers
    /// skip it.
    static func isRenamedDuplicate(_ key: String) -> Bool {
        key.unicodeScalars.first.map { renamedKeyScalars.contains($0.value) } ?? false
    }

    /// Supplementary private-use scalars (printable for YAML, never in a protocol's names).
    private static let renamedKeyScalars: ClosedRange<UInt32> = 0xF0000...0xFFFFD

    /// `text` with the plain key `key` at `place` replaced by as many private-use scalars (so no
    /// later column on the line moves), the first one numbered so that every renamed key of a
    /// mapping differs; nil when `key` is not found there as written.
    static func renaming(_ key: String, at place: SourcePosition, in text: String, number: Int) -> String? {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { Array(String($0).unicodeScalars) }
        let keyScalars = Array(key.unicodeScalars)
        let l = place.line - 1, c = place.column - 1
        guard !keyScalars.isEmpty, l >= 0, l < lines.count, c >= 0, c + keyScalars.count <= lines[l].count,
              Array(lines[l][c..<(c + keyScalars.count)]) == keyScalars,
              let first = Unicode.Scalar(renamedKeyScalars.lowerBound + UInt32(number)),
              let filler = Unicode.Scalar(renamedKeyScalars.lowerBound) else { return nil }
        lines[l].replaceSubrange(c..<(c + keyScalars.count), with: [first] + Array(repeating: filler, count: keyScalars.count - 1))
        return lines.map { line in var s = String.UnicodeScalarView(); s.append(contentsOf: line); return String(s) }.joined(separator: "\n")
    }

    /// Yams reports a duplicate key at its first occurrence; the error belongs to the repeated
    /// one. Looks for the next `key:` in the same flow mapping line or at the same indentation
    /// in the same block, else returns `nil`.
    static func secondOccurrence(of key: String, after first: SourcePosition, in text: String) -> SourcePosition? {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { Array(String($0).unicodeScalars) }
        let keyScalars = Array(key.unicodeScalars)
        func isKey(at index: Int, in line: [Unicode.Scalar]) -> Bool {
            var i = index
            for (k, s) in keyScalars.enumerated() {
                guard i + k < line.count, line[i + k] == s else { return false }
            }
            i += keyScalars.count
            while i < line.count, line[i] == " " { i += 1 }
            return i < line.count && line[i] == ":"
        }
        let firstLine = first.line - 1
        guard firstLine >= 0, firstLine < lines.count else { return nil }
        // Same line (flow mapping): a later occurrence after a ',' or '{', in the same mapping
        // (not inside a nested `{…}` or `[…]`, nor in a quoted scalar); the line after the
        // mapping closes holds no repeat of it.
        let line = lines[firstLine]
        var i = first.column - 1 + keyScalars.count
        var depth = 0
        var quote: Unicode.Scalar?
        while i < line.count {
            let c = line[i]
            if let q = quote {
                if c == q { quote = nil }
            } else if c == "\"" || c == "'" {
                quote = c
            } else if c == "{" || c == "[" {
                depth += 1
            } else if c == "}" || c == "]" {
                if depth == 0 { return nil }
                depth -= 1
            } else if depth == 0, isKey(at: i, in: line), i > 0, [" ", ",", "{"].contains(line[i - 1]) {
                return SourcePosition(line: first.line, column: i + 1)
            }
            i += 1
        }
        let indent = first.column - 1
        for n in (firstLine + 1)..<lines.count {
            let l = lines[n]
            let leading = l.prefix { $0 == " " }.count
            if leading == l.count || l[leading] == "#" { continue }
            if leading < indent { return nil }
            if leading == indent {
                if isKey(at: indent, in: l) { return SourcePosition(line: n + 1, column: indent + 1) }
                if l[indent] == "-" { return nil }
            }
        }
        return nil
    }
}
