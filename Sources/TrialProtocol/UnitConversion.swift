import Foundation
import Twins

/// A value in canonical units (mg, L, h) with its dimension.
public struct Quantity: Sendable, Equatable {
    public var value: Double
    public var dimension: QuantityDimension
    public init(value: Double, dimension: QuantityDimension) {
        self.value = value
        self.dimension = dimension
    }
}

/// A unit string that could not be read or does not fit where it is used.
public struct UnitError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Quantities with units (SPEC preamble): `"100 mg"`, `"0.5 g"`, `"1.2 ng/mL"`, `"0.1 1/h"`,
/// `"0.3 L/mg"`, `"1e-3 mg"` … Compound units are products and quotients (`*`, `/`, read left to
/// right) of mg, g, ug, ng, L, mL, h, min, d, w, y and `1`.
///
/// Conversion to the canonical mg, L, h is exact where the factors are: each unit's factor is a
/// ratio of integers (min = 1/60 h, d = 24 h, w = 168 h, y = 8766 h, ug = 1/1000 mg, mL = 1/1000 L),
/// the ratio of the whole unit is reduced, and the value is multiplied by its numerator and divided
/// by its denominator — so `"30 min"` is exactly 30 ÷ 60 and `"1.2 ng/mL"` is 1.2 ÷ 1000.
public enum UnitConversion {
    struct UnitFactor {
        var numerator: Double
        var denominator: Double
        var mass: Int, volume: Int, time: Int
    }

    static let symbols: [String: UnitFactor] = [
        "mg": UnitFactor(numerator: 1, denominator: 1, mass: 1, volume: 0, time: 0),
        "g": UnitFactor(numerator: 1000, denominator: 1, mass: 1, volume: 0, time: 0),
        "ug": UnitFactor(numerator: 1, denominator: 1000, mass: 1, volume: 0, time: 0),
        "ng": UnitFactor(numerator: 1, denominator: 1_000_000, mass: 1, volume: 0, time: 0),
        "L": UnitFactor(numerator: 1, denominator: 1, mass: 0, volume: 1, time: 0),
        "mL": UnitFactor(numerator: 1, denominator: 1000, mass: 0, volume: 1, time: 0),
        "h": UnitFactor(numerator: 1, denominator: 1, mass: 0, volume: 0, time: 1),
        "min": UnitFactor(numerator: 1, denominator: 60, mass: 0, volume: 0, time: 1),
        "d": UnitFactor(numerator: 24, denominator: 1, mass: 0, volume: 0, time: 1),
        "w": UnitFactor(numerator: 168, denominator: 1, mass: 0, volume: 0, time: 1),
        "y": UnitFactor(numerator: 8766, denominator: 1, mass: 0, volume: 0, time: 1),
        "1": UnitFactor(numerator: 1, denominator: 1, mass: 0, volume: 0, time: 0),
    ]

    static let symbolList = "mg, g, ug, ng, L, mL, h, min, d, w, y"

    /// Splits "12.5 mg/h" into its number and its unit text ("" for a bare number).
    static func split(_ text: String) -> (number: Double, unit: String)? {
        let scalars = Array(text.trimmingCharacters(in: .whitespaces).unicodeScalars)
        var end = 0
        func isDigit(_ i: Int) -> Bool { i < scalars.count && scalars[i] >= "0" && scalars[i] <= "9" }
        if end < scalars.count, scalars[end] == "-" || scalars[end] == "+" { end += 1 }
        while isDigit(end) || (end < scalars.count && scalars[end] == ".") { end += 1 }
        if end < scalars.count, scalars[end] == "e" || scalars[end] == "E" {
            var look = end + 1
            if look < scalars.count, scalars[look] == "-" || scalars[look] == "+" { look += 1 }
            if isDigit(look) {
                end = look
                while isDigit(end) { end += 1 }
            }
        }
        var numberText = ""
        numberText.unicodeScalars.append(contentsOf: scalars[0..<end])
        guard let number = Double(numberText), number.isFinite else { return nil }
        var unit = ""
        unit.unicodeScalars.append(contentsOf: scalars[end...])
        return (number, unit.trimmingCharacters(in: .whitespaces))
    }

    /// True when `text` reads as a number followed by something (a candidate quantity rather
    /// than an expression such as `5 * WT`).
    static func looksLikeQuantity(_ text: String) -> Bool {
        guard let (_, unit) = split(text), let first = unit.unicodeScalars.first else { return false }
        return CharacterSet.letters.contains(first) || first == "%" || (first == "1" && unit.hasPrefix("1/"))
    }

    /// Parses a unit text such as "L/h", "mg*h/L", "1/h" into its reduced factor and dimension.
    static func parseUnit(_ unit: String) throws(UnitError) -> UnitFactor {
        var result = UnitFactor(numerator: 1, denominator: 1, mass: 0, volume: 0, time: 0)
        var dividing = false
        var symbol = ""
        func apply() throws(UnitError) {
            let name = symbol.trimmingCharacters(in: .whitespaces)
            guard let factor = symbols[name] else {
                if name.isEmpty { throw UnitError("malformed unit '\(unit)': a unit is missing around '/' or '*'") }
                throw UnitError("unknown unit '\(name)' in '\(unit)'; units are built from \(symbolList) with / and *")
            }
            if dividing {
                result.numerator *= factor.denominator; result.denominator *= factor.numerator
                result.mass -= factor.mass; result.volume -= factor.volume; result.time -= factor.time
            } else {
                result.numerator *= factor.numerator; result.denominator *= factor.denominator
                result.mass += factor.mass; result.volume += factor.volume; result.time += factor.time
            }
            symbol = ""
        }
        for c in unit {
            if c == "/" || c == "*" || c == "·" {
                try apply()
                dividing = c == "/"
            } else {
                symbol.append(c)
            }
        }
        try apply()
        // Reduce the ratio so that e.g. ng/mL multiplies by 1 and divides by 1000.
        let g = gcd(result.numerator, result.denominator)
        result.numerator /= g
        result.denominator /= g
        return result
    }

    private static func gcd(_ a: Double, _ b: Double) -> Double {
        var (x, y) = (a, b)
        while y != 0 { (x, y) = (y, x.truncatingRemainder(dividingBy: y)) }
        return x
    }

    /// Reads "NUMBER [UNIT]" into canonical units; a bare number is canonical and has no
    /// dimension of its own (`nil`).
    public static func parse(_ text: String) throws(UnitError) -> (value: Double, dimension: QuantityDimension?) {
        guard let (number, unit) = split(text) else {
            throw UnitError("'\(text)' is not a number with a unit (e.g. '100 mg', '24 h', '5 L/h')")
        }
        if unit.isEmpty { return (number, nil) }
        let factor = try parseUnit(unit)
        var value = number
        if factor.numerator != 1 { value *= factor.numerator }
        if factor.denominator != 1 { value /= factor.denominator }
        return (value, .physical(mass: factor.mass, volume: factor.volume, time: factor.time))
    }

    /// Reads `text` as a quantity of `dimension`, in its canonical unit. A bare number is taken as
    /// canonical; a unit on a fixed (non mass/volume/time) dimension, or a unit of another
    /// dimension, is an error naming the expected unit.
    public static func convert(_ text: String, to dimension: QuantityDimension) throws(UnitError) -> Double {
        if case let .fixed(unit) = dimension, let (_, unitText) = split(text), !unitText.isEmpty {
            throw UnitError(unit == "–" ? "takes a bare number (it is dimensionless); got '\(text)'" : "takes a bare number in \(unit); got '\(text)'")
        }
        let (value, found) = try parse(text)
        guard let found else { return value }
        switch dimension {
        case let .fixed(unit):
            throw UnitError(unit == "–" ? "takes a bare number (it is dimensionless); got '\(text)'" : "takes a bare number in \(unit); got '\(text)'")
        case .physical:
            if found != dimension {
                throw UnitError("expected a quantity in \(dimension) (\(dimensionName(dimension))); got '\(text)', which is in \(found)")
            }
            return value
        }
    }

    /// "time", "volume", "clearance (volume/time)", … for messages.
    static func dimensionName(_ dimension: QuantityDimension) -> String {
        switch dimension {
        case .amount: return "an amount"
        case .volume: return "a volume"
        case .time: return "a time"
        case .rate: return "a rate"
        case .clearance: return "a clearance"
        case .concentration: return "a concentration"
        case .amountPerTime: return "an amount per time"
        case .exposure: return "an exposure"
        default: return "\(dimension)"
        }
    }
}
