/// Sorting doubles ascending in linear time, with exactly the result of `Array.sorted()`.
///
/// `SampleSummary` sorts each efficacy group (its mean and SD are compensated sums in sorted
/// order, so the order is part of the numbers). At the end of a replicate of 100,000 subjects,
/// `sorted()` took ~13 ms per endpoint on one thread, while the other waited (W1: ~40 ms of a
/// 0.65 s 2-thread run). This least-significant-digit radix sort takes ~2.5 ms
/// (docs/performance.md, item 37).
public enum AscendingDoubles {
    /// Below about 1,000 values `sorted()` is faster (the radix sort's fixed cost is its
    /// histograms: 96 KB to clear and a prefix sum per pass).
    static let radixThreshold = 2048

    /// `values.sorted()`: the same doubles in the same order, bit for bit.
    ///
    /// Non-NaN doubles are ordered as unsigned integers by their key (the bits with the sign
    /// flipped for positives, all bits flipped for negatives), sorted 11 bits at a time from the least
    /// significant, each pass stable. The only values that `<` calls equal but that differ in bits
    /// are −0 and +0: the key puts −0 first, so their run is then rewritten with the zeros in input
    /// order, as the stable `sorted()` leaves them. Arrays with a NaN (no total order under `<`)
    /// and short arrays are sorted by `sorted()` itself.
    public static func sorted(_ values: [Double]) -> [Double] {
        var result = values
        sort(&result)
        return result
    }

    /// Sorts `values` in place into exactly `values.sorted()`, as `sorted(_:)` describes. The keys
    /// are made in the array's own storage, so a sort needs one buffer of n keys besides it: at
    /// the end of a run two efficacy rows sorted at once each allocated and faulted in four
    /// (W1: 1.8 ms each instead of 0.9 ms alone).
    public static func sort(_ values: inout [Double]) {
        let n = values.count
        if n < radixThreshold {
            values.sort()
            return
        }
        let sign: UInt64 = 1 << 63
        // Six digits of 11 bits (the last 9): histograms of 16 KB each, and for most samples
        // (one sign, a few binades) the top digit is shared and skipped.
        let bitsPerDigit = 11, digitCount = 6, radix = 1 << bitsPerDigit, digitMask = UInt64(radix - 1)
        let other = UnsafeMutablePointer<UInt64>.allocate(capacity: n)
        // counts[radix·d + b]: keys whose digit d is b.
        let counts = UnsafeMutablePointer<Int>.allocate(capacity: digitCount * radix)
        counts.initialize(repeating: 0, count: digitCount * radix)
        defer { other.deallocate(); counts.deallocate() }
        var zeros: [Double] = []
        var negatives = 0
        let complete: Bool = values.withUnsafeMutableBufferPointer { buffer in
            buffer.withMemoryRebound(to: UInt64.self) { keys in
                for i in 0..<n {
                    let bits = keys[i]
                    let x = Double(bitPattern: bits)
                    if x.isNaN {
                        // Back to the values (the key is invertible), for `sort()`.
                        for j in 0..<i { keys[j] = keys[j] & sign != 0 ? keys[j] & ~sign : ~keys[j] }
                        return false
                    }
                    let key = bits & sign != 0 ? ~bits : bits | sign
                    keys[i] = key
                    if x == 0 {
                        zeros.append(x)
                    } else if x < 0 {
                        negatives &+= 1
                    }
                    for d in 0..<digitCount {
                        counts[d &* radix &+ Int(truncatingIfNeeded: (key &>> UInt64(bitsPerDigit &* d)) & digitMask)] &+= 1
                    }
                }
                var from = keys.baseAddress!, to = other
                for d in 0..<digitCount {
                    let shift = UInt64(bitsPerDigit * d)
                    let histogram = counts + radix * d
                    // A digit that every key shares moves nothing.
                    if histogram[Int(truncatingIfNeeded: (from[0] &>> shift) & digitMask)] == n { continue }
                    var offset = 0
                    for b in 0..<radix {
                        let c = histogram[b]
                        histogram[b] = offset
                        offset &+= c
                    }
                    for i in 0..<n {
                        let key = from[i]
                        let b = Int(truncatingIfNeeded: (key &>> shift) & digitMask)
                        to[histogram[b]] = key
                        histogram[b] &+= 1
                    }
                    swap(&from, &to)
                }
                for i in 0..<n {
                    let key = from[i]
                    keys[i] = key & sign != 0 ? key & ~sign : ~key
                }
                return true
            }
        }
        if !complete {
            values.sort()
            return
        }
        // The zeros lie after the negatives, −0 before +0: put them in input order.
        for (k, zero) in zeros.enumerated() { values[negatives + k] = zero }
    }
}
