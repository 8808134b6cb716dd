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

/// `svgNumber`'s text appended to `bytes` (for long lists of points, without a string per number).
func appendSVGNumber(_ value: Double, to bytes: inout [UInt8]) {
    appendNumber((value * 100).rounded() / 100, to: &bytes)
}
