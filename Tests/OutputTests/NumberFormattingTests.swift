import Foundation
import Testing
@testable import Output

@Suite struct NumberFormattingTests {
    @Test func chosenValuesHaveTheDocumentedText() {
        let expected: [(Double, String)] = [
            (100, "100"), (-2.5, "-2.5"), (0.1, "0.1"), (0, "0"), (-0.0, "0"), (1, "1"), (-1, "-1"),
            (0.0001, "0.0001"), (1e-5, "1e-05"), (9.999e-5, "9.999e-05"), (1.5e20, "1.5e+20"),
            (1.0 / 3, "0.3333333333333333"), (2.0 / 3, "0.6666666666666666"), (0.1 + 0.2, "0.30000000000000004"),
            (9_007_199_254_740_992, "9007199254740992"), (9_007_199_254_740_994, "9.007199254740994e+15"),
            (1e16, "1e+16"), (1e100, "1e+100"), (1e-100, "1e-100"), (123_456_789, "123456789"),
            (Double.leastNonzeroMagnitude, "5e-324"), (Double.greatestFiniteMagnitude, "1.7976931348623157e+308"),
            (-Double.leastNormalMagnitude, "-2.2250738585072014e-308"), (12.5, "12.5"), (1e15, "1000000000000000"),
        ]
        for (value, text) in expected {
            #expect(formatNumber(value) == text, "value \(value)")
        }
    }

    @Test func integersArePlainDigits() {
        for (value, text) in [(0, "0"), (7, "7"), (-7, "-7"), (10, "10"), (1_000_000, "1000000"),
                              (Int.max, "9223372036854775807"), (Int.min, "-9223372036854775808")] {
            #expect(formatInteger(value) == text)
        }
        var generator = SplitMix64(seed: 7)
        for digits in 1...19 {
            for _ in 0..<50 {
                let limit = digits == 19 ? Int.max : Int(pow(10, Double(digits)))
                let value = Int(truncatingIfNeeded: generator.next()) % limit
                #expect(formatInteger(value) == String(value))
            }
        }
    }

    @Test func appendingAddsExactlyTheTextAfterExistingBytes() {
        var buffer = Array("x,".utf8)
        appendNumber(250, to: &buffer)
        appendInteger(-12, to: &buffer)
        appendNumber(-0.0, to: &buffer)
        #expect(String(decoding: buffer, as: UTF8.self) == "x,250-120")
    }

    /// Random bit patterns cover every exponent; the text must parse back to the same double and
    /// agree with `Double.description` apart from the documented ".0" and −0 changes.
    @Test func randomDoublesRoundTripAndMatchSwiftsDescription() {
        var generator = SplitMix64(seed: 42)
        var checked = 0
        while checked < 200_000 {
            let bits = generator.next()
            let value = checked % 2 == 0
                ? Double(bitPattern: bits)
                : Double(Int64(bitPattern: bits) >> 20) / 1024  // many integral and short values
            guard value.isFinite else { continue }
            checked += 1
            let text = formatNumber(value)
            let parsed = Double(text)
            #expect(parsed?.bitPattern == (value == 0 ? 0 : value.bitPattern), "\(text)")
            var reference = value.description
            if reference.hasSuffix(".0") { reference.removeLast(2) }
            if reference == "-0" { reference = "0" }
            if text != reference { Issue.record("\(value): \(text) ≠ \(reference)"); return }
        }
    }

    /// Every binary exponent, with the special cases of Schubfach: powers of two (whose lower
    /// neighbour is nearer), their neighbours, subnormals, and the largest significands.
    @Test func everyExponentMatchesSwiftsDescription() {
        var generator = SplitMix64(seed: 11)
        for biasedExponent in UInt64(0)...2046 {
            let base = biasedExponent << 52
            let fractions: [UInt64] = [0, 1, 2, (1 << 52) - 1, (1 << 52) - 2, generator.next() & ((1 << 52) - 1)]
            for fraction in fractions where base | fraction != 0 {
                for sign: UInt64 in [0, 1 << 63] {
                    let value = Double(bitPattern: sign | base | fraction)
                    var reference = value.description
                    if reference.hasSuffix(".0") { reference.removeLast(2) }
                    let text = formatNumber(value)
                    if text != reference { Issue.record("\(value.bitPattern): \(text) ≠ \(reference)"); return }
                }
            }
        }
    }

    /// Python's repr (David Gay's algorithm) is an independent shortest-round-trip reference:
    /// the significant digits and the decimal exponent must agree.
    @Test func digitsAgreeWithPythonRepr() throws {
        let rows = try fixtureRows("shortest_doubles.csv")
        #expect(rows.count == 5000)
        for row in rows {
            let value = Double(bitPattern: UInt64(row[0], radix: 16)!)
            let ours = decimalParts(formatNumber(value))
            let python = decimalParts(String(row[1]))
            #expect(ours == python, "\(row[1]) vs \(formatNumber(value))")
        }
    }

    /// (sign, significant digits without leading/trailing zeros, exponent of the first digit).
    private func decimalParts(_ text: String) -> String {
        var text = Substring(text)
        let negative = text.hasPrefix("-")
        if negative { text = text.dropFirst() }
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            exponent = Int(text[text.index(after: e)...].replacingOccurrences(of: "+", with: ""))!
            text = text[..<e]
        }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        let integer = String(parts[0]), fraction = parts.count > 1 ? String(parts[1]) : ""
        var digits = Array(integer + fraction)
        var pointPosition = integer.count + exponent
        while digits.first == "0" { digits.removeFirst(); pointPosition -= 1 }
        while digits.last == "0" { digits.removeLast() }
        return (negative ? "-" : "+") + String(digits) + "e" + String(pointPosition)
    }
}
