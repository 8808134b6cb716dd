// Shortest round-trip decimal of a double by Schubfach: R. Giulietti, "The Schubfach way to
// render doubles" (2020), Figures 4 and 6, with the 128-bit powers of ten of SchubfachTable.swift.

/// The decimal `digits × 10^exponent` that the shortest round-trip text of a positive finite
/// double spells: among the decimals that round to the double, one with the fewest significant
/// digits, and among those the nearest to it (an even last digit on a tie). `digits` has no
/// trailing zeros, so it holds the significant digits exactly (1 to 17 of them).
struct ShortestDecimal: Equatable {
    var digits: UInt64
    var exponent: Int

    /// - Precondition: `value` is finite and > 0.
    init(_ value: Double) {
        let bits = value.bitPattern
        let fraction = bits & ((1 << 52) - 1)
        let biasedExponent = Int(truncatingIfNeeded: bits >> 52) & 0x7ff
        // value = c · 2^q with c an integer.
        var c: UInt64
        let q: Int
        if biasedExponent != 0 {
            c = (1 << 52) | fraction
            q = biasedExponent - 1075
            // Integers below 2^53 are their own shortest decimal (the interval is at most ±0.5).
            if q <= 0 && q > -53 {
                let integer = c >> UInt64(-q)
                if integer << UInt64(-q) == c {
                    self.init(trimming: integer, exponent: 0)
                    return
                }
            }
        } else {
            c = fraction
            q = -1074
        }
        // The rounding interval [c − 1/2, c + 1/2] · 2^q, narrower below at powers of two; its
        // ends belong to it when c is even (round-half-even reading).
        let isEven = c & 1 == 0
        let lowerIsCloser = fraction == 0 && biasedExponent > 1
        let scaledLower = 4 &* c &- 2 &+ (lowerIsCloser ? 1 : 0)
        let scaledValue = 4 &* c
        let scaledUpper = 4 &* c &+ 2
        // k = floor(log10(2^q)), or floor(log10(3/4 · 2^q)) when the lower gap is halved
        // (Giulietti §8 gives these multiply-shift forms, exact over the double range).
        let k = (q &* 1_262_611 &- (lowerIsCloser ? 524_031 : 0)) >> 22
        // h = q + floor(log2(10^-k)) ∈ [0, 3].
        let h = q + ((-k &* 1_741_647) >> 19)
        let power = schubfachPowersOfTen[k - schubfachMinK]
        let lowerBound = roundToOdd(power, scaledLower << UInt64(h)) &+ (isEven ? 0 : 1)
        let estimate = roundToOdd(power, scaledValue << UInt64(h))
        let upperBound = roundToOdd(power, scaledUpper << UInt64(h)) &- (isEven ? 0 : 1)

        let s = estimate / 4
        if s >= 10 {
            // One digit fewer: at most one of its two neighbours lies in the interval.
            let shorter = s / 10
            let lowerInside = lowerBound <= 40 &* shorter
            let upperInside = 40 &* shorter &+ 40 <= upperBound
            if lowerInside != upperInside {
                self.init(trimming: shorter &+ (upperInside ? 1 : 0), exponent: k + 1)
                return
            }
        }
        let lowerInside = lowerBound <= 4 &* s
        let upperInside = 4 &* s &+ 4 <= upperBound
        if lowerInside != upperInside {
            self.init(trimming: s &+ (upperInside ? 1 : 0), exponent: k)
            return
        }
        // Both (or, by the paper's Figure 6, neither) in the interval: the nearer, even on a tie.
        let middle = 4 &* s &+ 2
        let roundUp = estimate > middle || (estimate == middle && s & 1 != 0)
        self.init(trimming: s &+ (roundUp ? 1 : 0), exponent: k)
    }

    private init(trimming digits: UInt64, exponent: Int) {
        var digits = digits
        var exponent = exponent
        while digits % 10 == 0 {
            digits /= 10
            exponent += 1
        }
        self.digits = digits
        self.exponent = exponent
    }
}

/// floor(g · cp / 2^127), its lowest bit forced to 1 when bits below are non-zero ("round to
/// odd", Giulietti §9), for the 128-bit g = (high, low) and a 64-bit cp. Bits of g.low · cp below
/// 2^64 are dropped, as the paper's error analysis allows.
@inline(__always)
private func roundToOdd(_ g: (high: UInt64, low: UInt64), _ cp: UInt64) -> UInt64 {
    let lowProductHigh = cp.multipliedFullWidth(by: g.low).high
    let highProduct = cp.multipliedFullWidth(by: g.high)
    let (middle, carry) = highProduct.low.addingReportingOverflow(lowProductHigh)
    let top = highProduct.high &+ (carry ? 1 : 0)
    return (top << 1) | (middle >> 63) | (middle != 0 ? 1 : 0)
}
