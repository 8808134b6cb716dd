/// The Philox4x32-10 counter-based block function of Salmon, Moraes, Dror & Shaw, "Parallel
/// random numbers: as easy as 1, 2, 3" (SC 2011), as in Random123.
///
/// A keyed bijection of a 128-bit counter: ten rounds of
/// `(c0, c1, c2, c3) ← (hi(M1·c2) ⊕ c1 ⊕ k0, lo(M1·c2), hi(M0·c0) ⊕ c3 ⊕ k1, lo(M0·c0))`
/// with the 64-bit key bumped by the Weyl constants between rounds. Distinct counters under one
/// key give distinct outputs (it is a permutation); the outputs pass BigCrush (paper, Table 2).
/// There is no state: the output depends only on (counter, key), which is what makes results
/// independent of threads and sharding.
///
/// ```swift
/// Philox4x32.block(counter: (0, 0, 0, 0), key: (0, 0))   // (0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8)
/// ```
public enum Philox4x32 {
    public typealias Counter = (UInt32, UInt32, UInt32, UInt32)
    public typealias Key = (UInt32, UInt32)

    /// Round multipliers (paper, Table 2).
    @usableFromInline static let multiplier0: UInt32 = 0xD251_1F53
    @usableFromInline static let multiplier1: UInt32 = 0xCD9E_8D57
    /// Key schedule increments: the golden ratio and √3 − 1 as 32-bit fractions.
    @usableFromInline static let weyl0: UInt32 = 0x9E37_79B9
    @usableFromInline static let weyl1: UInt32 = 0xBB67_AE85

    /// The ten-round Philox4x32 output for `counter` under `key`.
    @inlinable
    public static func block(counter: Counter, key: Key) -> Counter {
        var c = counter
        var k = key
        round(&c, k)
        for _ in 1..<10 {
            k.0 &+= weyl0
            k.1 &+= weyl1
            round(&c, k)
        }
        return c
    }

    @inlinable @inline(__always)
    static func round(_ c: inout Counter, _ k: Key) {
        let product0 = UInt64(multiplier0) &* UInt64(c.0)
        let product1 = UInt64(multiplier1) &* UInt64(c.2)
        c = (UInt32(truncatingIfNeeded: product1 >> 32) ^ c.1 ^ k.0,
             UInt32(truncatingIfNeeded: product1),
             UInt32(truncatingIfNeeded: product0 >> 32) ^ c.3 ^ k.1,
             UInt32(truncatingIfNeeded: product0))
    }
}
