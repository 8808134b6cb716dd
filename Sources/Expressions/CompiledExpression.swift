import Foundation

/// How the compiler sees a name: a slot in the caller's register file, a constant, or a
/// categorical value stored in a slot as its level index (0-based) among `levels`.
public enum NameBinding: Sendable, Equatable {
    case slot(Int)
    case constant(Double)
    case categorical(slot: Int, levels: [String])
}

/// An expression compiled once into a flat instruction array for a stack machine over the
/// caller's register file: evaluation allocates nothing, does no dictionary look-ups and is safe
/// to share between threads (it is an immutable value).
///
/// ```swift
/// let e = try ParsedExpression("WT / (HT / 100) ^ 2").compile { ["WT": .slot(0), "HT": .slot(1)][$0] }
/// e.evaluate([70, 175])   // 22.857…
/// ```
///
/// Evaluation follows IEEE arithmetic: `log(-1)` is NaN and `1/0` is ∞. Callers that need finite
/// values check the result (`isFinite`) and report the inputs.
public struct CompiledExpression: Sendable, Equatable {
    enum Instruction: Sendable, Equatable {
        case constant(Double)
        case load(Int)
        case negate, add, subtract, multiply, divide, power
        case less, lessOrEqual, greater, greaterOrEqual, equal, notEqual
        case exp, log, sqrt, abs
        case min(Int), max(Int)
        case select
    }

    let code: [Instruction]
    let stackDepth: Int
    /// The expression's text, for messages.
    public let source: String

    /// The value when the expression reads no slot, else `nil`.
    public var constantValue: Double? {
        if code.count == 1, case let .constant(v) = code[0] { return v }
        return nil
    }

    /// The register slots the expression reads.
    public var slotsRead: [Int] {
        var out: [Int] = []
        for i in code { if case let .load(s) = i, !out.contains(s) { out.append(s) } }
        return out
    }

    /// Evaluates over `registers` (every slot the expression reads must be in range).
    @inlinable
    public func evaluate(_ registers: [Double]) -> Double {
        registers.withUnsafeBufferPointer { evaluate($0) }
    }

    /// Evaluates over `registers` without allocating.
    public func evaluate(_ registers: UnsafeBufferPointer<Double>) -> Double {
        if code.count == 1 {
            switch code[0] {
            case let .constant(v): return v
            case let .load(s): return registers[s]
            default: break
            }
        }
        return withUnsafeTemporaryAllocation(of: Double.self, capacity: stackDepth) { stack in
            var top = -1
            for instruction in code {
                switch instruction {
                case let .constant(v): top += 1; stack[top] = v
                case let .load(s): top += 1; stack[top] = registers[s]
                case .negate: stack[top] = -stack[top]
                case .add: top -= 1; stack[top] += stack[top + 1]
                case .subtract: top -= 1; stack[top] -= stack[top + 1]
                case .multiply: top -= 1; stack[top] *= stack[top + 1]
                case .divide: top -= 1; stack[top] /= stack[top + 1]
                case .power: top -= 1; stack[top] = Self.power(stack[top], stack[top + 1])
                case .less: top -= 1; stack[top] = stack[top] < stack[top + 1] ? 1 : 0
                case .lessOrEqual: top -= 1; stack[top] = stack[top] <= stack[top + 1] ? 1 : 0
                case .greater: top -= 1; stack[top] = stack[top] > stack[top + 1] ? 1 : 0
                case .greaterOrEqual: top -= 1; stack[top] = stack[top] >= stack[top + 1] ? 1 : 0
                case .equal: top -= 1; stack[top] = stack[top] == stack[top + 1] ? 1 : 0
                case .notEqual: top -= 1; stack[top] = stack[top] != stack[top + 1] ? 1 : 0
                case .exp: stack[top] = Foundation.exp(stack[top])
                case .log: stack[top] = Foundation.log(stack[top])
                case .sqrt: stack[top] = stack[top].squareRoot()
                case .abs: stack[top] = Swift.abs(stack[top])
                case let .min(n):
                    var m = stack[top - n + 1]
                    for k in (top - n + 2)...top where stack[k] < m || stack[k].isNaN { m = stack[k] }
                    top -= n - 1; stack[top] = m
                case let .max(n):
                    var m = stack[top - n + 1]
                    for k in (top - n + 2)...top where stack[k] > m || stack[k].isNaN { m = stack[k] }
                    top -= n - 1; stack[top] = m
                case .select:
                    top -= 2
                    stack[top] = stack[top] != 0 ? stack[top + 1] : stack[top + 2]
                }
            }
            return stack[0]
        }
    }

    /// `pow`, with small integer exponents multiplied out: exact for squares and cubes and much
    /// faster than `pow` in model right-hand sides.
    @inline(__always)
    static func power(_ base: Double, _ exponent: Double) -> Double {
        if exponent == 2 { return base * base }
        if exponent == 1 { return base }
        if exponent == 3 { return base * base * base }
        if exponent == 0.5 { return base.squareRoot() }
        return Foundation.pow(base, exponent)
    }
}

extension ParsedExpression {
    /// Compiles the expression, resolving every name through `resolve` (return `nil` for an
    /// unknown name: the error points at it and lists `knownNames` when given).
    public func compile(knownNames: [String] = [], resolve: (String) -> NameBinding?) throws(ExpressionError) -> CompiledExpression {
        var code: [CompiledExpression.Instruction] = []
        var depth = 0, maxDepth = 0
        func push() { depth += 1; maxDepth = Swift.max(maxDepth, depth) }

        func unknown(_ name: String, _ offset: Int) -> ExpressionError {
            var message = "unknown name '\(name)'"
            if let near = nearestName(name, among: knownNames) { message += "; did you mean '\(near)'?" }
            else if !knownNames.isEmpty && knownNames.count <= 40 { message += "; known names: \(knownNames.joined(separator: ", "))" }
            return ExpressionError(message, at: offset)
        }

        func emit(_ node: ExpressionNode) throws(ExpressionError) {
            switch node {
            case let .number(v):
                code.append(.constant(v)); push()
            case let .string(s, offset):
                throw ExpressionError("a string (\"\(s)\") may only be compared with == or != to a categorical covariate", at: offset)
            case let .name(n, offset):
                guard let binding = resolve(n) else { throw unknown(n, offset) }
                switch binding {
                case let .slot(s): code.append(.load(s))
                case let .constant(v): code.append(.constant(v))
                case .categorical:
                    throw ExpressionError("'\(n)' is categorical: compare it with a level, e.g. \(n) == \"...\"", at: offset)
                }
                push()
            case let .negate(a):
                try emit(a); code.append(.negate)
            case let .binary(op, a, b, offset):
                if op == .equal || op == .notEqual, let folded = try categoricalComparison(op, a, b, offset) {
                    code.append(contentsOf: folded)
                    push(); push(); depth -= 1
                    return
                }
                try emit(a); try emit(b)
                depth -= 1
                switch op {
                case .add: code.append(.add)
                case .subtract: code.append(.subtract)
                case .multiply: code.append(.multiply)
                case .divide: code.append(.divide)
                case .power: code.append(.power)
                case .less: code.append(.less)
                case .lessOrEqual: code.append(.lessOrEqual)
                case .greater: code.append(.greater)
                case .greaterOrEqual: code.append(.greaterOrEqual)
                case .equal: code.append(.equal)
                case .notEqual: code.append(.notEqual)
                }
            case let .call(f, args, _):
                for a in args { try emit(a) }
                depth -= args.count - 1
                switch f {
                case .exp: code.append(.exp)
                case .log: code.append(.log)
                case .sqrt: code.append(.sqrt)
                case .abs: code.append(.abs)
                case .min: code.append(.min(args.count))
                case .max: code.append(.max(args.count))
                case .ifThenElse: code.append(.select)
                }
            }
        }

        // `SEX == "F"` compiles to a comparison of the stored level index with the level's index.
        func categoricalComparison(_ op: BinaryOperator, _ a: ExpressionNode, _ b: ExpressionNode, _ offset: Int) throws(ExpressionError) -> [CompiledExpression.Instruction]? {
            let pair: (String, Int, String, Int)
            switch (a, b) {
            case let (.name(n, no), .string(s, so)): pair = (n, no, s, so)
            case let (.string(s, so), .name(n, no)): pair = (n, no, s, so)
            default: return nil
            }
            guard let binding = resolve(pair.0) else { throw unknown(pair.0, pair.1) }
            guard case let .categorical(slot, levels) = binding else {
                throw ExpressionError("'\(pair.0)' is numeric and cannot be compared with the string \"\(pair.2)\"", at: pair.3)
            }
            guard let index = levels.firstIndex(of: pair.2) else {
                throw ExpressionError("'\(pair.2)' is not a level of \(pair.0); its levels are \(levels.joined(separator: ", "))", at: pair.3)
            }
            return [.load(slot), .constant(Double(index)), op == .equal ? .equal : .notEqual]
        }

        try emit(root)
        var compiled = CompiledExpression(code: code, stackDepth: Swift.max(1, maxDepth), source: source)
        if !code.contains(where: { if case .load = $0 { return true } else { return false } }) {
            // Constant folding: an expression over constants only is evaluated once, here.
            let value = compiled.evaluate([])
            compiled = CompiledExpression(code: [.constant(value)], stackDepth: 1, source: source)
        }
        return compiled
    }
}

/// The known name closest to `name` by edit distance (at most 2 edits, or a case-insensitive
/// match), for "did you mean" hints in error messages.
public func nearestName(_ name: String, among candidates: [String]) -> String? {
    var best: (String, Int)?
    for c in candidates {
        if c.lowercased() == name.lowercased() { return c }
        let d = editDistance(Array(name.lowercased()), Array(c.lowercased()))
        if d <= 2 && d < name.count, best == nil || d < best!.1 { best = (c, d) }
    }
    return best?.0
}

func editDistance(_ a: [Character], _ b: [Character]) -> Int {
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    var current = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        current[0] = i
        for j in 1...b.count {
            current[j] = Swift.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        swap(&previous, &current)
    }
    return previous[b.count]
}
