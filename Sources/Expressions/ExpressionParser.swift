/// A parsed (not yet compiled) expression: its text, syntax tree and the names it reads.
public struct ParsedExpression: Sendable, Equatable {
    public let source: String
    public let root: ExpressionNode

    /// Parses `source`; throws an `ExpressionError` at the first syntax error.
    public init(_ source: String) throws(ExpressionError) {
        self.source = source
        var parser = ExpressionParser(source)
        self.root = try parser.parseAll()
    }

    /// Every name the expression reads, in order of first appearance, with its offset.
    /// Function names are not included.
    public var names: [(name: String, offset: Int)] {
        var seen = Set<String>()
        var out: [(String, Int)] = []
        func walk(_ n: ExpressionNode) {
            switch n {
            case .number, .string: break
            case let .name(s, offset): if seen.insert(s).inserted { out.append((s, offset)) }
            case let .negate(a): walk(a)
            case let .binary(_, a, b, _): walk(a); walk(b)
            case let .call(_, args, _): args.forEach(walk)
            }
        }
        walk(root)
        return out
    }

    public static func == (lhs: ParsedExpression, rhs: ParsedExpression) -> Bool {
        lhs.source == rhs.source
    }
}

private enum Token: Equatable {
    case number(Double)
    case identifier(String)
    case string(String)
    case symbol(String)
    case end
}

/// A recursive-descent parser over the grammar documented on `ExpressionNode`.
struct ExpressionParser {
    private let scalars: [Unicode.Scalar]
    private var position = 0
    private var token: Token = .end
    private var tokenStart = 0

    init(_ source: String) {
        scalars = Array(source.unicodeScalars)
    }

    mutating func parseAll() throws(ExpressionError) -> ExpressionNode {
        try advance()
        if token == .end { throw ExpressionError("empty expression", at: 0) }
        let node = try parseComparison()
        if token != .end { throw ExpressionError("unexpected \(describe(token)) after a complete expression", at: tokenStart) }
        return node
    }

    private func describe(_ t: Token) -> String {
        switch t {
        case let .number(v): return "number \(v)"
        case let .identifier(s): return "name '\(s)'"
        case let .string(s): return "string \"\(s)\""
        case let .symbol(s): return "'\(s)'"
        case .end: return "end of expression"
        }
    }

    private static func isIdentifierStart(_ c: Unicode.Scalar) -> Bool {
        (c >= "A" && c <= "Z") || (c >= "a" && c <= "z") || c == "_"
    }

    private static func isDigit(_ c: Unicode.Scalar) -> Bool { c >= "0" && c <= "9" }

    private mutating func advance() throws(ExpressionError) {
        while position < scalars.count, scalars[position] == " " || scalars[position] == "\t" || scalars[position] == "\n" || scalars[position] == "\r" {
            position += 1
        }
        tokenStart = position
        guard position < scalars.count else { token = .end; return }
        let c = scalars[position]
        if Self.isDigit(c) || (c == "." && position + 1 < scalars.count && Self.isDigit(scalars[position + 1])) {
            var text = ""
            while position < scalars.count, Self.isDigit(scalars[position]) || scalars[position] == "." {
                text.unicodeScalars.append(scalars[position]); position += 1
            }
            if position < scalars.count, scalars[position] == "e" || scalars[position] == "E" {
                var look = position + 1
                if look < scalars.count, scalars[look] == "+" || scalars[look] == "-" { look += 1 }
                if look < scalars.count, Self.isDigit(scalars[look]) {
                    while position < look { text.unicodeScalars.append(scalars[position]); position += 1 }
                    while position < scalars.count, Self.isDigit(scalars[position]) { text.unicodeScalars.append(scalars[position]); position += 1 }
                }
            }
            guard let v = Double(text), v.isFinite else { throw ExpressionError("malformed number '\(text)'", at: tokenStart) }
            if position < scalars.count, Self.isIdentifierStart(scalars[position]) {
                throw ExpressionError("a number cannot be followed directly by a name (write '*' for a product; units are not allowed inside expressions)", at: position)
            }
            token = .number(v)
            return
        }
        if Self.isIdentifierStart(c) {
            var text = ""
            while position < scalars.count, Self.isIdentifierStart(scalars[position]) || Self.isDigit(scalars[position]) {
                text.unicodeScalars.append(scalars[position]); position += 1
            }
            token = .identifier(text)
            return
        }
        if c == "\"" || c == "'" {
            position += 1
            var text = ""
            while position < scalars.count, scalars[position] != c { text.unicodeScalars.append(scalars[position]); position += 1 }
            guard position < scalars.count else { throw ExpressionError("unterminated string", at: tokenStart) }
            position += 1
            token = .string(text)
            return
        }
        let two = position + 1 < scalars.count ? String(String.UnicodeScalarView([c, scalars[position + 1]])) : ""
        if ["<=", ">=", "==", "!="].contains(two) { position += 2; token = .symbol(two); return }
        if "+-*/^(),<>".unicodeScalars.contains(c) { position += 1; token = .symbol(String(c)); return }
        if c == "=" { throw ExpressionError("'=' is not an operator; write '==' to compare", at: position) }
        throw ExpressionError("unexpected character '\(c)'", at: position)
    }

    private mutating func parseComparison() throws(ExpressionError) -> ExpressionNode {
        let lhs = try parseAdditive()
        if case let .symbol(s) = token, let op = BinaryOperator(rawValue: s), op.isComparison {
            let at = tokenStart
            try advance()
            let rhs = try parseAdditive()
            if case let .symbol(s2) = token, let op2 = BinaryOperator(rawValue: s2), op2.isComparison {
                throw ExpressionError("comparisons cannot be chained; combine them with if() or min/max", at: tokenStart)
            }
            return .binary(op, lhs, rhs, offset: at)
        }
        return lhs
    }

    private mutating func parseAdditive() throws(ExpressionError) -> ExpressionNode {
        var lhs = try parseTerm()
        while case let .symbol(s) = token, s == "+" || s == "-" {
            let at = tokenStart
            try advance()
            let rhs = try parseTerm()
            lhs = .binary(s == "+" ? .add : .subtract, lhs, rhs, offset: at)
        }
        return lhs
    }

    private mutating func parseTerm() throws(ExpressionError) -> ExpressionNode {
        var lhs = try parseUnary()
        while case let .symbol(s) = token, s == "*" || s == "/" {
            let at = tokenStart
            try advance()
            let rhs = try parseUnary()
            lhs = .binary(s == "*" ? .multiply : .divide, lhs, rhs, offset: at)
        }
        return lhs
    }

    private mutating func parseUnary() throws(ExpressionError) -> ExpressionNode {
        if token == .symbol("-") {
            try advance()
            return .negate(try parseUnary())
        }
        if token == .symbol("+") {
            try advance()
            return try parseUnary()
        }
        return try parsePower()
    }

    private mutating func parsePower() throws(ExpressionError) -> ExpressionNode {
        let base = try parsePrimary()
        if token == .symbol("^") {
            let at = tokenStart
            try advance()
            let exponent = try parseUnary()
            return .binary(.power, base, exponent, offset: at)
        }
        return base
    }

    private mutating func parsePrimary() throws(ExpressionError) -> ExpressionNode {
        let at = tokenStart
        switch token {
        case let .number(v):
            try advance()
            return .number(v)
        case let .string(s):
            try advance()
            return .string(s, offset: at)
        case let .identifier(name):
            try advance()
            guard token == .symbol("(") else { return .name(name, offset: at) }
            guard let function = ExpressionFunction(rawValue: name) else {
                let known = ExpressionFunction.allCases.map(\.rawValue).joined(separator: ", ")
                throw ExpressionError("unknown function '\(name)'; the functions are \(known)", at: at)
            }
            try advance()
            var args: [ExpressionNode] = []
            if token != .symbol(")") {
                args.append(try parseComparison())
                while token == .symbol(",") {
                    try advance()
                    args.append(try parseComparison())
                }
            }
            guard token == .symbol(")") else { throw ExpressionError("expected ',' or ')' in the arguments of \(name)(), found \(describe(token))", at: tokenStart) }
            try advance()
            let (lo, hi) = function.arity
            if args.count < lo || (hi != nil && args.count > hi!) {
                let expected = hi == nil ? "at least \(lo)" : (lo == hi! ? "\(lo)" : "\(lo) to \(hi!)")
                throw ExpressionError("\(name)() takes \(expected) argument\(lo == 1 && hi == 1 ? "" : "s"), got \(args.count)", at: at)
            }
            return .call(function, args, offset: at)
        case .symbol("("):
            try advance()
            let inner = try parseComparison()
            guard token == .symbol(")") else { throw ExpressionError("expected ')', found \(describe(token))", at: tokenStart) }
            try advance()
            return inner
        default:
            throw ExpressionError("expected a number, a name or '(', found \(describe(token))", at: at)
        }
    }
}
