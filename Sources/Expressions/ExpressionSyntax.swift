/// The one expression language of VirtualTrial (SPEC §3–4): derived covariates, inclusion
/// criteria, parameter values, dose amounts, AE conditions, rule conditions and custom models all
/// use it.
///
/// Grammar, lowest precedence first:
/// ```
/// comparison := additive (("<" | "<=" | ">" | ">=" | "==" | "!=") additive)?
/// additive   := term (("+" | "-") term)*
/// term       := unary (("*" | "/") unary)*
/// unary      := "-" unary | "+" unary | power
/// power      := primary ("^" unary)?          // right-associative; binds tighter than unary minus
/// primary    := number | name | string | name "(" args ")" | "(" comparison ")"
/// ```
/// so `-2^2 = -4`, `2^-1 = 0.5` and `2^3^2 = 512`. Comparisons and `if` yield 1 or 0.
/// Functions: `exp log sqrt abs` (one argument; `log` is natural), `min max` (two or more),
/// `if(cond, a, b)` (a when cond ≠ 0). String literals ("F") are allowed only as the right- or
/// left-hand side of `==`/`!=` against a categorical name.
public indirect enum ExpressionNode: Sendable, Equatable {
    case number(Double)
    case name(String, offset: Int)
    case string(String, offset: Int)
    case negate(ExpressionNode)
    case binary(BinaryOperator, ExpressionNode, ExpressionNode, offset: Int)
    case call(ExpressionFunction, [ExpressionNode], offset: Int)
}

public enum BinaryOperator: String, Sendable, Equatable {
    case add = "+", subtract = "-", multiply = "*", divide = "/", power = "^"
    case less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">=", equal = "==", notEqual = "!="

    var isComparison: Bool {
        switch self {
        case .less, .lessOrEqual, .greater, .greaterOrEqual, .equal, .notEqual: return true
        default: return false
        }
    }
}

public enum ExpressionFunction: String, Sendable, Equatable, CaseIterable {
    case exp, log, sqrt, abs, min, max
    case ifThenElse = "if"

    /// The accepted argument counts (`nil` upper bound: any number from the lower bound).
    var arity: (min: Int, max: Int?) {
        switch self {
        case .exp, .log, .sqrt, .abs: return (1, 1)
        case .min, .max: return (2, nil)
        case .ifThenElse: return (3, 3)
        }
    }
}

/// A syntax or name error located inside the expression text.
///
/// `offset` counts Unicode scalars from the start of the expression (0-based), so a caller that
/// knows where the expression starts in its file can report `LINE:COLUMN` precisely.
public struct ExpressionError: Error, Equatable, Sendable, CustomStringConvertible {
    public let message: String
    public let offset: Int

    public init(_ message: String, at offset: Int) {
        self.message = message
        self.offset = offset
    }

    public var description: String { message }
}
