import Expressions
import Foundation
import Twins
import Yams

/// A 1-based line and column (in Unicode scalars) in a file.
struct SourcePosition: Equatable {
    var line: Int
    var column: Int
    init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }
    init(_ mark: Mark) {
        self.init(line: mark.line, column: mark.column)
    }
}

/// A mapping node with its keys in file order, read for one section ("arm", "model.pk", …).
struct MappingFields {
    var node: Node
    /// The name used in messages, e.g. "arm" or "model.pk".
    var section: String
    var entries: [(key: String, keyNode: Node, value: Node)]

    func value(_ key: String) -> Node? { entries.first { $0.key == key }?.value }
    func keyNode(_ key: String) -> Node? { entries.first { $0.key == key }?.keyNode }
    func has(_ key: String) -> Bool { entries.contains { $0.key == key } }
}

/// Reads typed values out of one YAML file's nodes, adding a located diagnostic to the log for
/// every value that is missing, of the wrong type or out of range. Every reader returns `nil`
/// after reporting, so decoding goes on and finds the next error.
struct NodeReader {
    var file: String
    var log: DiagnosticLog
    /// The file's text as Yams read it, in Unicode scalars (for positions inside multi-line
    /// scalars); nil for nodes made in code.
    var source: [Unicode.Scalar]?

    init(file: String, log: DiagnosticLog, text: String? = nil) {
        self.file = file
        self.log = log
        source = text.map { Array($0.unicodeScalars) }
    }

    // MARK: Diagnostics

    func error(_ message: String, at node: Node) {
        error(message, position: node.mark.map(SourcePosition.init))
    }

    func error(_ message: String, position: SourcePosition?) {
        log.add(Diagnostic(file: file, line: position?.line ?? 1, column: position?.column ?? 1, message: message))
    }

    /// The error of an expression, at the exact column of the offending token: the scalar's
    /// column plus the offset, plus one for the opening quote of a quoted scalar.
    func error(_ expressionError: ExpressionError, in node: Node, key: String) {
        error("in `\(key)`: \(expressionError.message)", position: position(inside: node, offset: expressionError.offset))
    }

    /// The position of the value's `offset`-th Unicode scalar in the file (its end when `offset`
    /// is the value's length): the value is walked along the file's text from the scalar's mark,
    /// folded line breaks and their indentation, a literal block's indentation, escape sequences
    /// and `''` standing for the value's characters as YAML reads them. Without the text (nodes
    /// made in code) or where the walk fails, the mark's column plus the offset (plus one for an
    /// opening quote).
    func position(inside node: Node, offset: Int) -> SourcePosition? {
        guard let mark = node.mark else { return nil }
        var shift = offset
        guard case let .scalar(scalar) = node else { return SourcePosition(line: mark.line, column: mark.column + shift) }
        if scalar.style == .singleQuoted || scalar.style == .doubleQuoted { shift += 1 }
        let simple = SourcePosition(line: mark.line, column: mark.column + shift)
        guard let text = source, let located = Self.align(Array(scalar.string.unicodeScalars), offset: offset, style: scalar.style,
                                                          from: SourcePosition(mark), in: text) else { return simple }
        return located
    }

    /// Walks the first `offset` scalars of `whole` (the scalar's value) along `text` from `start`
    /// (the scalar's mark); nil when the text does not read as the value (then the simple column
    /// is used). The end of the value is placed right after its last character.
    static func align(_ whole: [Unicode.Scalar], offset: Int, style: Node.Scalar.Style, from start: SourcePosition,
                      in text: [Unicode.Scalar]) -> SourcePosition? {
        // The end of the value is after its last character that is not a blank or a line break
        // (a block scalar keeps its final line break).
        var end = Swift.min(offset, whole.count)
        if offset >= whole.count {
            while end > 0, [" ", "\t", "\n", "\r"].contains(whole[end - 1]) { end -= 1 }
        }
        let value = whole.prefix(end)
        // The index of the mark: `line` − 1 line breaks, then `column` − 1 scalars.
        var s = 0, line = 1
        while line < start.line {
            guard s < text.count else { return nil }
            if text[s] == "\n" { line += 1 }
            s += 1
        }
        s += start.column - 1
        guard s <= text.count else { return nil }
        func skipBlanks() { while s < text.count, text[s] == " " || text[s] == "\t" || text[s] == "\r" { s += 1 } }
        switch style {
        case .singleQuoted, .doubleQuoted:
            s += 1
        case .literal, .folded:
            // The value starts on the line after the indicator, past its indentation.
            while s < text.count, text[s] != "\n" { s += 1 }
            s += 1
            skipBlanks()
        default:
            break
        }
        for c in value {
            var matched = false
            while !matched {
                guard s < text.count else { return nil }
                let t = text[s]
                if style == .doubleQuoted, t == "\\" {
                    guard s + 1 < text.count else { return nil }
                    let e = text[s + 1]
                    if e == "\n" || e == "\r" {
                        // An escaped line break continues the line: nothing of the value.
                        s += 2
                        while s < text.count, text[s] == "\n" { s += 1 }
                        skipBlanks()
                        continue
                    }
                    s += 2 + (e == "x" ? 2 : e == "u" ? 4 : e == "U" ? 8 : 0)
                    matched = true
                } else if style == .singleQuoted, t == "'", c == "'", s + 1 < text.count, text[s + 1] == "'" {
                    s += 2
                    matched = true
                } else if t == c {
                    s += 1
                    if c == "\n" { skipBlanks() }   // a literal block's next line: past its indentation
                    matched = true
                } else if t == "\n" || t == "\r" {
                    // A folded line break (a space in the value) and the next line's indentation.
                    s += 1
                    while s < text.count, text[s] == "\n" || text[s] == "\r" { s += 1 }
                    skipBlanks()
                    if c == " " { matched = true }
                } else if t == " " || t == "\t" {
                    s += 1      // blanks before a folded line break
                } else {
                    return nil
                }
            }
        }
        // A token inside the value may begin after a folded break (none follows the value's end).
        while offset < whole.count, s < text.count,
              text[s] == "\n" || text[s] == "\r" || ((text[s] == " " || text[s] == "\t") && value.last == " ") {
            if text[s] == "\n" { s += 1; skipBlanks() } else { s += 1 }
        }
        // Line and column of index s.
        var l = 1, lineStart = 0
        for i in 0..<min(s, text.count) where text[i] == "\n" { l += 1; lineStart = i + 1 }
        return SourcePosition(line: l, column: s - lineStart + 1)
    }

    static func describe(_ node: Node) -> String {
        switch node {
        case let .scalar(s): return s.string.isEmpty && s.style == .plain ? "nothing" : "'\(s.string)'"
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        }
    }

    // MARK: Structure

    /// The node as a mapping whose keys are all among `allowed` (an unknown key is reported with
    /// the nearest allowed one); `nil` after reporting when it is not a mapping.
    func mapping(_ node: Node, section: String, allowed: [String]) -> MappingFields? {
        guard case let .mapping(mapping) = node else {
            error("`\(section)` must be a mapping; got \(Self.describe(node))", at: node)
            return nil
        }
        var fields = MappingFields(node: node, section: section, entries: [])
        for (keyNode, value) in mapping {
            guard case let .scalar(key) = keyNode else {
                error("a key in `\(section)` must be a name; got \(Self.describe(keyNode))", at: keyNode)
                continue
            }
            if YAMLSource.isRenamedDuplicate(key.string) { continue }
            if !allowed.isEmpty && !allowed.contains(key.string) {
                var message = "unknown key '\(key.string)' in \(section)"
                if let near = nearestName(key.string, among: allowed) { message += "; did you mean '\(near)'?" }
                else { message += "; the keys are \(allowed.joined(separator: ", "))" }
                error(message, at: keyNode)
                continue
            }
            fields.entries.append((key.string, keyNode, value))
        }
        return fields
    }

    /// The value of a key that must be present; reports a missing key at the mapping that lacks it.
    func required(_ fields: MappingFields, _ key: String, what: String? = nil) -> Node? {
        if let value = fields.value(key) { return value }
        error("missing key `\(key)` in \(fields.section)\(what.map { ": \($0)" } ?? "")", at: fields.node)
        return nil
    }

    /// The node as a list (a single non-list value is not accepted).
    func sequence(_ node: Node, key: String) -> [Node]? {
        guard case let .sequence(sequence) = node else {
            error("`\(key)` must be a list; got \(Self.describe(node))", at: node)
            return nil
        }
        return Array(sequence)
    }

    // MARK: Scalars

    func scalar(_ node: Node, key: String, expected: String) -> String? {
        guard case let .scalar(scalar) = node else {
            error("`\(key)` must be \(expected); got \(Self.describe(node))", at: node)
            return nil
        }
        return scalar.string
    }

    func string(_ node: Node, key: String) -> String? {
        guard let text = scalar(node, key: key, expected: "a string") else { return nil }
        if text.isEmpty { error("`\(key)` must not be empty", at: node); return nil }
        return text
    }

    /// Parses a finite decimal number; YAML's `.inf`/`.nan` and their spellings are rejected.
    static func parseNumber(_ text: String) -> Double?? {
        let t = text.trimmingCharacters(in: .whitespaces)
        let lowered = t.lowercased()
        if [".inf", "+.inf", "-.inf", ".nan", "inf", "-inf", "+inf", "nan", "infinity", "-infinity"].contains(lowered) { return .some(nil) }
        guard let first = t.unicodeScalars.first, "0123456789+-.".unicodeScalars.contains(first),
              !lowered.hasPrefix("0x"), !lowered.hasPrefix("-0x"), !lowered.hasPrefix("+0x"),
              let value = Double(t) else { return nil }
        return value.isFinite ? .some(value) : .some(nil)
    }

    func number(_ node: Node, key: String) -> Double? {
        guard let text = scalar(node, key: key, expected: "a number") else { return nil }
        switch Self.parseNumber(text) {
        case .none: error("`\(key)` must be a number; got '\(text)'", at: node); return nil
        case .some(.none): error("`\(key)` must be a finite number; got '\(text)'", at: node); return nil
        case let .some(.some(v)): return v
        }
    }

    /// A number checked against a range, e.g. `number(n, key: "alpha", in: .openClosed(0, 0.5))`.
    func number(_ node: Node, key: String, in range: NumberRange) -> Double? {
        guard let value = number(node, key: key) else { return nil }
        return check(value, key: key, in: range, at: node)
    }

    func check(_ value: Double, key: String, in range: NumberRange, at node: Node) -> Double? {
        if range.contains(value) { return value }
        error("`\(key)` must be \(range.description); got \(formatNumber(value))", at: node)
        return nil
    }

    func integer(_ node: Node, key: String, minimum: Int) -> Int? {
        guard let text = scalar(node, key: key, expected: "an integer") else { return nil }
        guard let value = Int(text.trimmingCharacters(in: .whitespaces)) else {
            if let d = Double(text), d.isFinite, d == d.rounded(), abs(d) < 1e18 {
                return checkInteger(Int(d), key: key, minimum: minimum, at: node)
            }
            error("`\(key)` must be an integer ≥ \(minimum); got '\(text)'", at: node)
            return nil
        }
        return checkInteger(value, key: key, minimum: minimum, at: node)
    }

    private func checkInteger(_ value: Int, key: String, minimum: Int, at node: Node) -> Int? {
        if value < minimum { error("`\(key)` must be an integer ≥ \(minimum); got \(value)", at: node); return nil }
        return value
    }

    func bool(_ node: Node, key: String) -> Bool? {
        guard let text = scalar(node, key: key, expected: "true or false") else { return nil }
        switch text.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: error("`\(key)` must be true or false; got '\(text)'", at: node); return nil
        }
    }

    /// One of a fixed set of words: "`sided` must be one of two, one; got 'both'".
    func choice<T: RawRepresentable & CaseIterable>(_ node: Node, key: String, as type: T.Type = T.self) -> T? where T.RawValue == String {
        let accepted = T.allCases.map(\.rawValue)
        guard let text = scalar(node, key: key, expected: "one of \(accepted.joined(separator: ", "))") else { return nil }
        if let value = T(rawValue: text) { return value }
        var message = "`\(key)` must be one of \(accepted.joined(separator: ", ")); got '\(text)'"
        if let near = nearestName(text, among: accepted), near != text { message += "; did you mean '\(near)'?" }
        error(message, at: node)
        return nil
    }

    // MARK: Quantities

    /// A quantity converted to the canonical unit of `dimension` (a bare number is canonical).
    func quantity(_ node: Node, key: String, dimension: QuantityDimension) -> Double? {
        guard let text = scalar(node, key: key, expected: "a number or a quantity with a unit in \(dimension)") else { return nil }
        switch Self.parseNumber(text) {
        case let .some(.some(v)): return v
        case .some(.none): error("`\(key)` must be a finite number; got '\(text)'", at: node); return nil
        case .none: break
        }
        do {
            return try UnitConversion.convert(text, to: dimension)
        } catch {
            self.error("`\(key)`: \(error.message)", at: node)
            return nil
        }
    }

    /// A threshold on a model output (or a measure of it) whose unit is `dimension`: a bare
    /// number in that unit, or — where the unit is built from mass, volume and time — a
    /// quantity converted to it (`"1500 ng/mL"` on a concentration is 1.5).
    /// `dimension` nil: the output is unknown (already an error), so a number or a quantity of
    /// any unit is taken without a check that would only add a follow-on error.
    func threshold(_ node: Node, key: String, dimension: QuantityDimension?) -> Double? {
        guard let dimension else {
            guard let text = scalar(node, key: key, expected: "a number") else { return nil }
            if case let .some(.some(v)) = Self.parseNumber(text) { return v }
            return (try? UnitConversion.parse(text))?.value ?? number(node, key: key)
        }
        if case .physical = dimension { return quantity(node, key: key, dimension: dimension) }
        return number(node, key: key)
    }

    /// A time in hours, checked against `range`.
    func time(_ node: Node, key: String, in range: NumberRange) -> Double? {
        guard let value = quantity(node, key: key, dimension: .time) else { return nil }
        if range.contains(value) { return value }
        error("`\(key)` must be \(range.description(unit: "h")); got \(formatNumber(value)) h", at: node)
        return nil
    }

    // MARK: Expressions

    /// Parses and compiles an expression held by a scalar node (a bare number is a constant
    /// expression); errors point at the offending token.
    func expression(_ node: Node, key: String, knownNames: [String], resolve: (String) -> NameBinding?) -> CompiledExpression? {
        guard let text = scalar(node, key: key, expected: "an expression") else { return nil }
        do {
            return try ParsedExpression(text).compile(knownNames: knownNames, resolve: resolve)
        } catch {
            self.error(error, in: node, key: key)
            return nil
        }
    }

    /// Compiles an expression already parsed from `node` (`parsedExpression`), its errors placed
    /// in `node` like `expression`'s.
    func expression(_ parsed: ParsedExpression, in node: Node, key: String, knownNames: [String],
                    resolve: (String) -> NameBinding?) -> CompiledExpression? {
        do {
            return try parsed.compile(knownNames: knownNames, resolve: resolve)
        } catch {
            self.error(error, in: node, key: key)
            return nil
        }
    }

    /// Parses an expression without compiling it (for checks whose names cannot be resolved
    /// because an earlier section failed).
    func parsedExpression(_ node: Node, key: String) -> ParsedExpression? {
        guard let text = scalar(node, key: key, expected: "an expression") else { return nil }
        do {
            return try ParsedExpression(text)
        } catch {
            self.error(error, in: node, key: key)
            return nil
        }
    }
}

/// A closed, open or half-open interval of accepted numbers, with its text for messages.
struct NumberRange {
    var lower: Double?
    var upper: Double?
    var lowerInclusive: Bool
    var upperInclusive: Bool

    static func atLeast(_ v: Double) -> NumberRange { NumberRange(lower: v, upper: nil, lowerInclusive: true, upperInclusive: false) }
    static func greaterThan(_ v: Double) -> NumberRange { NumberRange(lower: v, upper: nil, lowerInclusive: false, upperInclusive: false) }
    static func closed(_ a: Double, _ b: Double) -> NumberRange { NumberRange(lower: a, upper: b, lowerInclusive: true, upperInclusive: true) }
    static func closedOpen(_ a: Double, _ b: Double) -> NumberRange { NumberRange(lower: a, upper: b, lowerInclusive: true, upperInclusive: false) }
    static func openClosed(_ a: Double, _ b: Double) -> NumberRange { NumberRange(lower: a, upper: b, lowerInclusive: false, upperInclusive: true) }
    static func open(_ a: Double, _ b: Double) -> NumberRange { NumberRange(lower: a, upper: b, lowerInclusive: false, upperInclusive: false) }
    static let positive = greaterThan(0)
    static let nonNegative = atLeast(0)

    func contains(_ v: Double) -> Bool {
        if let lower { if lowerInclusive ? v < lower : v <= lower { return false } }
        if let upper { if upperInclusive ? v > upper : v >= upper { return false } }
        return true
    }

    var description: String { description(unit: nil) }

    func description(unit: String?) -> String {
        let u = unit.map { " \($0)" } ?? ""
        switch (lower, upper) {
        case let (l?, nil) where l == 0 && !lowerInclusive: return "> 0\(u)"
        case let (l?, nil): return (lowerInclusive ? "≥ " : "> ") + formatNumber(l) + u
        case let (nil, h?): return (upperInclusive ? "≤ " : "< ") + formatNumber(h) + u
        case let (l?, h?): return "in \(lowerInclusive ? "[" : "(")\(formatNumber(l)), \(formatNumber(h))\(upperInclusive ? "]" : ")")\(u)"
        case (nil, nil): return "a number"
        }
    }
}

/// A number as messages show it: integers without a fraction ("28", not "28.0").
func formatNumber(_ value: Double) -> String {
    if value == value.rounded(), abs(value) < 1e15 { return String(Int(value)) }
    return "\(value)"
}
