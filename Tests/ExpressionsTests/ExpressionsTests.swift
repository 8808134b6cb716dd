import Foundation
import Testing
@testable import Expressions

// Expected values are exact by construction (small integers and powers of two) or computed with
// the same libm function on literal arguments.

private func value(_ text: String, _ bindings: [String: Double] = [:]) throws -> Double {
    let names = Array(bindings.keys).sorted()
    let registers = names.map { bindings[$0]! }
    let compiled = try ParsedExpression(text).compile(knownNames: names) { n in names.firstIndex(of: n).map { .slot($0) } }
    return compiled.evaluate(registers)
}

@Suite struct ExpressionsTests {
    @Test func precedenceAndAssociativity() throws {
        #expect(try value("-2^2") == -4)                 // SPEC §6: ^ binds tighter than unary minus
        #expect(try value("2^3^2") == 512)               // right-associative
        #expect(try value("2^-1") == 0.5)
        #expect(try value("1 + 2 * 3") == 7)
        #expect(try value("(1 + 2) * 3") == 9)
        #expect(try value("8 / 4 / 2") == 1)             // left-associative
        #expect(try value("10 - 4 - 3") == 3)
        #expect(try value("-(3)") == -3)
        #expect(try value("1.5e2 + .5") == 150.5)
    }

    @Test func comparisonsAndIfReturnOneOrZero() throws {
        #expect(try value("3 > 2") == 1)
        #expect(try value("3 < 2") == 0)
        #expect(try value("2 <= 2") == 1)
        #expect(try value("2 >= 3") == 0)
        #expect(try value("2 == 2") == 1)
        #expect(try value("2 != 2") == 0)
        #expect(try value("if(X > 1, 10, 20)", ["X": 2]) == 10)
        #expect(try value("if(X > 1, 10, 20)", ["X": 0]) == 20)
        #expect(try value("1 + 1 > 1") == 1)             // arithmetic binds tighter than comparison
    }

    @Test func functions() throws {
        #expect(try value("exp(0)") == 1)
        #expect(try value("log(X)", ["X": 8]) == log(8.0))
        #expect(try value("sqrt(16)") == 4)
        #expect(try value("abs(-3)") == 3)
        #expect(try value("min(3, 1, 2)") == 1)
        #expect(try value("max(3, 1, 2)") == 3)
        #expect(try value("min(75 * BSA, 150)", ["BSA": 2.5]) == 150)
        #expect(try value("min(75 * BSA, 150)", ["BSA": 1.5]) == 112.5)
    }

    @Test func namesResolveToSlots() throws {
        let bmi = try value("WT / (HT / 100) ^ 2", ["WT": 81, "HT": 180])
        #expect(bmi == 81 / (1.8 * 1.8))
        let parsed = try ParsedExpression("KIN / KOUT + KIN")
        #expect(parsed.names.map(\.name) == ["KIN", "KOUT"])
        #expect(parsed.names.map(\.offset) == [0, 6])
    }

    @Test func constantsAreFolded() throws {
        let c = try ParsedExpression("2 * (3 + 4)").compile { _ in nil }
        #expect(c.constantValue == 14)
        let k = try ParsedExpression("K * 2").compile { $0 == "K" ? .constant(5) : nil }
        #expect(k.constantValue == 10)
    }

    @Test func categoricalComparison() throws {
        let c = try ParsedExpression("SEX == \"F\"").compile { $0 == "SEX" ? .categorical(slot: 0, levels: ["M", "F"]) : nil }
        #expect(c.evaluate([1]) == 1)
        #expect(c.evaluate([0]) == 0)
        #expect(throws: ExpressionError("'X' is not a level of SEX; its levels are M, F", at: 7)) {
            try ParsedExpression("SEX != \"X\"").compile { $0 == "SEX" ? .categorical(slot: 0, levels: ["M", "F"]) : nil }
        }
    }

    @Test func syntaxErrorsAreLocated() {
        #expect(throws: ExpressionError("expected a number, a name or '(', found end of expression", at: 4)) { try ParsedExpression("1 + ") }
        #expect(throws: ExpressionError("expected ')', found end of expression", at: 6)) { try ParsedExpression("(1 + 2") }
        #expect(throws: ExpressionError("unknown function 'sin'; the functions are exp, log, sqrt, abs, min, max, if", at: 0)) { try ParsedExpression("sin(1)") }
        #expect(throws: ExpressionError("exp() takes 1 argument, got 2", at: 0)) { try ParsedExpression("exp(1, 2)") }
        #expect(throws: ExpressionError("unexpected character '#'", at: 2)) { try ParsedExpression("1 # 2") }
        #expect(throws: ExpressionError("'=' is not an operator; write '==' to compare", at: 2)) { try ParsedExpression("X = 2") }
        #expect(throws: ExpressionError("empty expression", at: 0)) { try ParsedExpression("  ") }
        #expect(throws: ExpressionError("comparisons cannot be chained; combine them with if() or min/max", at: 6)) { try ParsedExpression("1 < X < 3") }
        #expect(throws: ExpressionError.self) { try ParsedExpression("5 mg") }
    }

    @Test func unknownNamesSuggestTheNearest() {
        #expect(throws: ExpressionError("unknown name 'WGT'; did you mean 'WT'?", at: 4)) {
            try ParsedExpression("2 * WGT").compile(knownNames: ["WT", "HT"]) { _ in nil }
        }
    }

    @Test func matchesADirectEvaluationOnManyInputs() throws {
        // A Hill function written both ways, over a grid of inputs.
        let compiled = try ParsedExpression("E0 + EMAX * C ^ H / (EC50 ^ H + C ^ H)").compile { n in
            ["E0": .slot(0), "EMAX": .slot(1), "C": .slot(2), "H": .slot(3), "EC50": .slot(4)][n]
        }
        for c in stride(from: 0.0, through: 10, by: 0.25) {
            for h in [0.5, 1, 2, 3, 2.7] {
                let direct = 100 + -40 * pow(c, h) / (pow(1.3, h) + pow(c, h))
                let got = compiled.evaluate([100, -40, c, h, 1.3])
                #expect(abs(got - direct) <= 1e-13 * abs(direct))
            }
        }
    }
}
