// The number format of every output file (SPEC §6 "Numbers"): one function, shortest round-trip.

private let asciiZero = UInt8(ascii: "0")
private let asciiMinus = UInt8(ascii: "-")
private let asciiPoint = UInt8(ascii: ".")

/// Appends the output-file text of a finite `Double` to `buffer` as UTF-8 (ASCII) bytes, with no
/// allocation beyond `buffer`'s own growth (the digits come from `ShortestDecimal`, Schubfach, in
/// integer arithmetic; the text is composed on the stack). The text is exactly `formatNumber(x)`.
///
/// - Precondition: `x.isFinite`. `CSVWriter` and `CSVRowEncoder` check first and report a typed
///   error instead.
public func appendNumber(_ x: Double, to buffer: inout [UInt8]) {
    append(to: &buffer, atMost: maximumNumberLength) { writeNumber(x, to: $0) }
}

/// Appends to `buffer` what `write` writes into a temporary of `atMost` bytes (returning how many).
@inline(__always)
private func append(to buffer: inout [UInt8], atMost capacity: Int, _ write: (UnsafeMutablePointer<UInt8>) -> Int) {
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: capacity) { text in
        let length = write(text.baseAddress!)
        buffer.append(contentsOf: UnsafeBufferPointer(rebasing: text[0..<length]))
    }
}

/// Room for `writeNumber`'s text, which is at most 24 bytes: a sign, 17 significant digits, a
/// point, "e", the exponent's sign and 3 digits (the plain forms are shorter: "-0.000" and 17
/// digits is 23).
public let maximumNumberLength = 32

/// Writes `appendNumber`'s text of `x` at `text` (room for `maximumNumberLength` bytes) and
/// returns its length: for encoders that format into memory of their own.
@inline(__always)
public func writeNumber(_ x: Double, to text: UnsafeMutablePointer<UInt8>) -> Int {
    precondition(x.isFinite, "writeNumber: a non-finite value has no output text")
    if x == 0 {  // both +0 and −0 (SPEC §6: −0 is written as 0)
        text[0] = asciiZero
        return 1
    }
    let decimal = ShortestDecimal(x.magnitude)
    let text = UnsafeMutableBufferPointer(start: text, count: maximumNumberLength)
    var length = 0
    if x < 0 {
        text[0] = asciiMinus
        length = 1
    }
    // Swift's switch to exponent form: above 2^53 (where integers stop being exact) and below
    // 0.0001, i.e. when the first significant digit sits 5 or more places after the point.
    let digitCount = decimalDigitCount(decimal.digits)
    let pointPosition = digitCount + decimal.exponent  // digits before the decimal point
    if x.magnitude > 9_007_199_254_740_992 || pointPosition < -3 {
        writeDigits(decimal.digits, count: digitCount, into: text, at: length + 1)
        text[length] = text[length + 1]
        if digitCount == 1 {
            length += 1
        } else {
            text[length + 1] = asciiPoint
            length += 1 + digitCount
        }
        text[length] = UInt8(ascii: "e")
        let exponent = pointPosition - 1
        text[length + 1] = exponent < 0 ? asciiMinus : UInt8(ascii: "+")
        length += 2
        let magnitude = exponent.magnitude
        let exponentDigits = magnitude >= 100 ? 3 : 2
        writeDigits(UInt64(magnitude), count: exponentDigits, into: text, at: length)
        length += exponentDigits
    } else if pointPosition <= 0 {
        text[length] = asciiZero
        text[length + 1] = asciiPoint
        length += 2
        for _ in 0..<(-pointPosition) {
            text[length] = asciiZero
            length += 1
        }
        writeDigits(decimal.digits, count: digitCount, into: text, at: length)
        length += digitCount
    } else if pointPosition < digitCount {
        writeDigits(decimal.digits, count: digitCount, into: text, at: length + 1)
        for index in 0..<pointPosition {
            text[length + index] = text[length + index + 1]
        }
        text[length + pointPosition] = asciiPoint
        length += digitCount + 1
    } else {
        writeDigits(decimal.digits, count: digitCount, into: text, at: length)
        length += digitCount
        for _ in digitCount..<pointPosition {
            text[length] = asciiZero
            length += 1
        }
    }
    return length
}

/// The number of decimal digits of `value` (1 for 0).
@inline(__always)
private func decimalDigitCount(_ value: UInt64) -> Int {
    // log10(2) ≈ 1233/4096 turns the bit length into the digit count or one less.
    let bitLength = 64 - value.leadingZeroBitCount
    let estimate = (bitLength &* 1233) >> 12
    return estimate + (value >= powersOfTen[estimate] ? 1 : 0)
}

/// 10^0 … 10^19.
private let powersOfTen: [UInt64] = (0..<20).reduce(into: []) { powers, index in
    powers.append(index == 0 ? 1 : powers[index - 1] * 10)
}

/// "00", "01", … "99" as ASCII pairs, to write two digits per division.
private let digitPairs: [UInt8] = (0..<100).flatMap { [asciiZero + UInt8($0 / 10), asciiZero + UInt8($0 % 10)] }

/// Writes the `count` lowest decimal digits of `value` (zero-padded) at `text[start...]`.
@inline(__always)
private func writeDigits(_ value: UInt64, count: Int, into text: UnsafeMutableBufferPointer<UInt8>, at start: Int) {
    var remaining = value
    var index = start + count
    digitPairs.withUnsafeBufferPointer { pairs in
        while index - start >= 2 {
            let pair = Int(remaining % 100) &* 2
            remaining /= 100
            text[index - 2] = pairs[pair]
            text[index - 1] = pairs[pair + 1]
            index -= 2
        }
        if index > start {
            text[start] = asciiZero &+ UInt8(truncatingIfNeeded: remaining % 10)
        }
    }
}

/// The text every output file uses for a finite `Double`: the shortest decimal that parses back
/// to exactly `x` (among the shortest, the one nearest to `x`; an even last digit on a tie). The
/// text equals Swift's `Double.description` with two changes — an integral value drops the
/// trailing ".0", and −0 is written "0" — but is computed here (Schubfach, `ShortestDecimal`), so
/// it stays fixed whatever a future standard library does; the tests check the equality.
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
    if value >= 0 && value < 10 {  // most integers written (flags, grades, small counts)
        buffer.append(asciiZero &+ UInt8(truncatingIfNeeded: value))
        return
    }
    append(to: &buffer, atMost: maximumIntegerLength) { writeInteger(value, to: $0) }
}

/// The most bytes `writeInteger` writes: a sign and 19 digits.
public let maximumIntegerLength = 20

/// Writes `appendInteger`'s text of `value` at `text` (room for `maximumIntegerLength` bytes)
/// and returns its length.
@inline(__always)
public func writeInteger(_ value: Int, to text: UnsafeMutablePointer<UInt8>) -> Int {
    if value >= 0 && value < 10 {
        text[0] = asciiZero &+ UInt8(truncatingIfNeeded: value)
        return 1
    }
    // Digits from the right, then moved to the front (the count is known only at the end).
    var magnitude = value.magnitude  // UInt, so Int.min is right too
    var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
    return withUnsafeMutableBytes(of: &digits) { digits in
        var start = 24
        repeat {
            start -= 1
            digits[start] = asciiZero &+ UInt8(truncatingIfNeeded: magnitude % 10)
            magnitude /= 10
        } while magnitude != 0
        var length = 0
        if value < 0 {
            text[0] = asciiMinus
            length = 1
        }
        let count = 24 - start
        (text + length).update(from: digits.baseAddress!.assumingMemoryBound(to: UInt8.self) + start, count: count)
        return length + count
    }
}

/// The decimal text of an integer as the output files write it: `"42"`, `"-7"`, `"0"`.
public func formatInteger(_ value: Int) -> String {
    var bytes: [UInt8] = []
    appendInteger(value, to: &bytes)
    return String(decoding: bytes, as: UTF8.self)
}
