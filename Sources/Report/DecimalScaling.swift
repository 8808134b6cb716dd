// Powers of ten and decimal exponents from exact double constants and IEEE comparisons only, so
// that every number the report prints is the same on every platform (libm's log10/pow are not
// guaranteed to round identically everywhere).

/// 10^0 … 10^22: every one is exactly representable as a double.
private let exactPowersOfTen: [Double] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
]

/// The largest |exponent| handled exactly; beyond it callers fall back to shortest round-trip text.
let largestDecimalExponent = 22

/// 10^exponent for |exponent| ≤ 22: exact for exponent ≥ 0, the correctly rounded quotient
/// 1 / 10^−exponent otherwise.
func powerOfTen(_ exponent: Int) -> Double {
    precondition(abs(exponent) <= largestDecimalExponent, "powerOfTen: exponent out of the exact range")
    return exponent >= 0 ? exactPowersOfTen[exponent] : 1 / exactPowersOfTen[-exponent]
}

/// The decimal exponent e with 10^e ≤ |x| < 10^(e+1), clamped to ±22; `nil` for 0 or non-finite x.
func decimalExponent(_ x: Double) -> Int? {
    let magnitude = x.magnitude
    guard magnitude > 0, magnitude.isFinite else { return nil }
    var exponent = 0
    if magnitude >= 1 {
        while exponent < largestDecimalExponent && magnitude >= exactPowersOfTen[exponent + 1] { exponent += 1 }
    } else {
        // Multiplying by an exact power of ten keeps the comparison free of a rounded 10^−k.
        while exponent > -largestDecimalExponent && magnitude * exactPowersOfTen[-exponent] < 1 { exponent -= 1 }
    }
    return exponent
}
