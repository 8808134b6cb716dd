/// Sorting doubles ascending in linear time, with exactly the result of `Array.sorted()`.
///
/// `SampleSummary` sorts each efficacy group (its mean and SD are compensated sums in sorted
/// order, so the order is part of the numbers). At the end of a replicate of 100,000 subjects,
/// `sorted()` took ~13 ms per endpoint on one thread, while the other waited (W1: ~40 ms of a
/// 0.65 s 2-thread run). This least-significant-digit radix sort takes ~1.5 ms
/// (docs/performance.md, item 37).
public enum AscendingDoubles {
    /// Below this many values `sorted()` is as fast.
    static let radixThreshold = 512

    /// `values.sorted()`: the same doubles in the same order, bit for bit.
    ///
    /// Non-NaN doubles are ordered as unsigned integers by their key (the bits with the sign
    /// flipped for positives, all bits flipped for negatives), sorted byte by byte from the least
    /// significant, each pass stable. The only values that `<` calls equal but that differ in bits
    /// are −0 and +0: the key puts −0 first, so their run is then rewritten with the zeros in input
    /// order, as the stable `sorted()` leaves them. Arrays with a NaN (no total order under `<`)
    /// and short arrays are sorted by `sorted()` itself.
    public static func sorted(_ values: [Double]) -> [Double] {
        let n = values.count
        if n < radixThreshold { return values.sorted() }
        let sign: UInt64 = 1 << 63
        var keys = [UInt64](repeating: 0, count: n)
        var other = [UInt64](repeating: 0, count: n)
        // counts[256·d + b]: keys whose byte d is b.
        var counts = [Int](repeating: 0, count: 8 * 256)
        var zeros: [Double] = []
        var negatives = 0
        let complete: Bool = values.withUnsafeBufferPointer { source in
            keys.withUnsafeMutableBufferPointer { keys in
                counts.withUnsafeMutableBufferPointer { counts in
                    for i in 0..<n {
                        let x = source[i]
                        if x.isNaN { return false }
                        let bits = x.bitPattern
                        let key = bits & sign != 0 ? ~bits : bits | sign
                        keys[i] = key
                        if x == 0 {
                            zeros.append(x)
                        } else if x < 0 {
                            negatives += 1
                        }
                        for d in 0..<8 { counts[d &* 256 &+ Int(truncatingIfNeeded: (key &>> UInt64(8 &* d)) & 0xFF)] &+= 1 }
                    }
                    return true
                }
            }
        }
        if !complete { return values.sorted() }
        counts.withUnsafeMutableBufferPointer { counts in
            for d in 0..<8 {
                let shift = UInt64(8 * d)
                let histogram = counts.baseAddress! + 256 * d
                // A byte that every key shares moves nothing.
                if histogram[Int(truncatingIfNeeded: (keys[0] &>> shift) & 0xFF)] == n { continue }
                var offset = 0
                for b in 0..<256 {
                    let c = histogram[b]
                    histogram[b] = offset
                    offset &+= c
                }
                keys.withUnsafeBufferPointer { from in
                    other.withUnsafeMutableBufferPointer { to in
                        for i in 0..<n {
                            let key = from[i]
                            let b = Int(truncatingIfNeeded: (key &>> shift) & 0xFF)
                            to[histogram[b]] = key
                            histogram[b] &+= 1
                        }
                    }
                }
                swap(&keys, &other)
            }
        }
        var result = [Double](unsafeUninitializedCapacity: n) { buffer, initialized in
            keys.withUnsafeBufferPointer { keys in
                for i in 0..<n {
                    let key = keys[i]
                    buffer[i] = Double(bitPattern: key & sign != 0 ? key & ~sign : ~key)
                }
            }
            initialized = n
        }
        // The zeros lie after the negatives, −0 before +0: put them in input order.
        for (k, zero) in zeros.enumerated() { result[negatives + k] = zero }
        return result
    }
}
