import Output

/// The page text of a value: rounded to `significantDigits` significant digits, then written by
/// `formatNumber` (shortest round-trip text, so 0.12345 → "0.1235", 1234567 → "1235000",
/// 0.5 → "0.5"). Rounding is half away from zero on the scaled value; values whose decimal
/// exponent is beyond ±22 are written unrounded. Deterministic: only IEEE arithmetic on exact
/// powers of ten.
func displayNumber(_ value: Double, significantDigits: Int = 4) -> String {
    guard let exponent = decimalExponent(value) else { return formatNumber(value == 0 ? 0 : value) }
    let scale = significantDigits - 1 - exponent
    guard abs(scale) <= largestDecimalExponent else { return formatNumber(value) }
    let rounded: Double
    if scale >= 0 {
        let factor = powerOfTen(scale)
        rounded = (value * factor).rounded() / factor
    } else {
        let factor = powerOfTen(-scale)
        rounded = (value / factor).rounded() * factor
    }
    return formatNumber(rounded)
}

/// `displayNumber(value)` or an en dash for a missing value.
func displayNumber(_ value: Double?) -> String {
    value.map { displayNumber($0) } ?? "–"
}

/// An integer's text, or an en dash for a missing value.
func displayInteger(_ value: Int?) -> String {
    value.map(String.init) ?? "–"
}

/// An SVG coordinate or length: rounded to hundredths of a pixel (invisible, and it keeps the page
/// small), then `formatNumber`.
func svgNumber(_ value: Double) -> String {
    formatNumber((value * 100).rounded() / 100)
}

/// Writes `svgNumber`'s text of `value` at `text` (room for `maximumNumberLength` bytes) and
/// returns its length: for long lists of points, without a string per number.
///
/// A coordinate of hundredths k/100 with 0 < |k| < 10¹² is written from the integer k itself:
/// the shortest text that reads back as the double nearest k/100 is then the decimal k/100 (any
/// shorter decimal is at least 0.01 from it, far beyond half a unit in the last place), in plain
/// notation (|k/100| ≥ 0.01), without trailing zeros — `formatNumber`'s text, at a fraction of
/// its cost (W1's report has 8,000 such numbers). Other values go through `writeNumber`.
@inline(__always)
func writeSVGNumber(_ value: Double, to text: UnsafeMutablePointer<UInt8>) -> Int {
    let hundredths = (value * 100).rounded()
    guard hundredths != 0, hundredths.magnitude < 1e12 else { return writeNumber(hundredths / 100, to: text) }
    var length = 0
    var k = Int64(hundredths)
    if k < 0 {
        text[0] = UInt8(ascii: "-")
        length = 1
        k = -k
    }
    let whole = k / 100, fraction = k % 100
    var power: Int64 = 1
    while power <= whole / 10 { power &*= 10 }
    var rest = whole
    while power > 0 {
        text[length] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: rest / power)
        length &+= 1
        rest %= power
        power /= 10
    }
    guard fraction != 0 else { return length }
    text[length] = UInt8(ascii: ".")
    text[length &+ 1] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: fraction / 10)
    length &+= 2
    if fraction % 10 != 0 {
        text[length] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: fraction % 10)
        length &+= 1
    }
    return length
}
