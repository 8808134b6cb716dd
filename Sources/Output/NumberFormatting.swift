// The number format of every output file (SPEC §6 "Numbers"): one function, shortest round-trip.

private let asciiZero = UInt8(ascii: "0")
private let asciiMinus = UInt8(ascii: "-")
private let asciiPoint = UInt8(ascii: ".")

/// Appends the output-file text of a finite `Double` to `buffer` as UTF-8 (ASCII) bytes. The text
/// is exactly `formatNumber(x)`; see there.
///
/// Cost: it builds on `Double.description` (Swift's shortest round-trip formatter, ~0.1–0.2 µs),
/// whose `String` lives inline (no heap allocation) up to 15 bytes and on the heap beyond. Long
/// texts ("0.30000000000000004") therefore allocate once each; the bytes are then copied into
/// `buffer` with no further allocation beyond `buffer`'s own growth.
///
/// - Precondition: `x.isFinite`. `CSVWriter` and `CSVRowEncoder` check first and report a typed
///   error instead.
public func appendNumber(_ x: Double, to buffer: inout [UInt8]) {
    precondition(x.isFinite, "appendNumber: a non-finite value has no output text")
    if x == 0 {  // both +0 and −0 (SPEC §6: −0 is written as 0)
        buffer.append(asciiZero)
        return
    }
    var text = x.description
    text.withUTF8 { utf8 in
        var length = utf8.count
        // Integral values in fixed notation come back as "100.0"; the files say "100".
        if length >= 2 && utf8[length - 1] == asciiZero && utf8[length - 2] == asciiPoint {
            length -= 2
        }
        buffer.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[0..<length]))
    }
}

/// The text every output file uses for a finite `Double`: the shortest decimal that parses back
/// to exactly `x` (among the shortest, the one nearest to `x`). It is Swift's `Double.description`
/// with two changes: an integral value drops the trailing ".0", and −0 is written "0".
///
/// The exact form (ASCII; no spaces, no leading "+", no digit grouping; locale plays no part):
/// - Fixed notation when 0.0001 ≤ |x| ≤ 2⁵³ = 9007199254740992 (the lower bound judged on the
///   shortest decimal): `"100"`, `"-2.5"`, `"0.1"`, `"0.0001"`, `"0.3333333333333333"`,
///   `"9007199254740992"`.
/// - Exponent notation otherwise: the significant digits as `d` or `d.ddd…`, then `e`, the
///   exponent's sign (always written) and at least two exponent digits: `"1e-05"`, `"9.999e-05"`,
///   `"1.5e+20"`, `"9.007199254740994e+15"`, `"5e-324"`, `"1.7976931348623157e+308"`.
/// - Zero of either sign is `"0"`.
///
/// `Double(formatNumber(x)) == x` for every finite `x` (tested on random bit patterns), and the
/// text is valid JSON number syntax as well as CSV field text.
///
/// - Precondition: `x.isFinite`: NaN and infinities have no text (SPEC §6 writes an undefined
///   value as an empty field, which is the caller's choice to make).
///
/// ```
/// formatNumber(100)      // "100"
/// formatNumber(-0.0)     // "0"
/// formatNumber(1e-5)     // "1e-05"
/// ```
public func formatNumber(_ x: Double) -> String {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(32)
    appendNumber(x, to: &bytes)
    return String(decoding: bytes, as: UTF8.self)
}

/// Appends the decimal text of an integer (counts, replicate numbers, 0/1 flags) to `buffer`:
/// plain digits, a leading "-" for negatives, no grouping, no allocation beyond `buffer`'s growth.
public func appendInteger(_ value: Int, to buffer: inout [UInt8]) {
    if value < 0 { buffer.append(asciiMinus) }
    var magnitude = value.magnitude  // UInt, so Int.min is right too
    let start = buffer.count
    repeat {
        buffer.append(asciiZero + UInt8(truncatingIfNeeded: magnitude % 10))
        magnitude /= 10
    } while magnitude != 0
    buffer[start...].reverse()
}

/// The decimal text of an integer as the output files write it: `"42"`, `"-7"`, `"0"`.
public func formatInteger(_ value: Int) -> String {
    var bytes: [UInt8] = []
    appendInteger(value, to: &bytes)
    return String(decoding: bytes, as: UTF8.self)
}
