import Foundation

/// A stream of random numbers for one (seed, replicate, subject, purpose): Philox4x32-10 in
/// counter mode, a plain value the caller owns. It shares no state with anything, so a draw
/// depends only on its key and its position in the stream — never on threads, chunking or
/// sharding (SPEC §7).
///
/// **Key and counter layout.** Philox key = the seed (low 32 bits, high 32 bits). The 128-bit
/// counter of block `b` is
///
/// | word | content                                         |
/// |------|-------------------------------------------------|
/// | c0   | b mod 2³²                                       |
/// | c1   | (⌊b / 2³²⌋ mod 2¹⁶) · 2¹⁶ + stream id (16 bits) |
/// | c2   | subject (32 bits)                               |
/// | c3   | replicate (32 bits)                             |
///
/// Each block gives 128 bits = two 64-bit words; a uniform or normal uses one word. A stream
/// therefore holds 2⁴⁸ blocks = 2⁴⁹ draws (5.6·10¹⁴, days of drawing at a nanosecond each) before
/// its block index wraps and the sequence repeats. Distinct keys never share a block, because
/// Philox is a bijection of the counter under a fixed key.
///
/// Limits: replicate and subject must lie in 0..<2³² (`maximumIndex`), checked by a precondition
/// (the protocol validator rejects larger counts before any stream is made).
///
/// ```swift
/// var rng = RandomStream(seed: 20261124, replicate: 0, subject: 17, stream: .eta)
/// let z = rng.nextNormal()
/// ```
public struct RandomStream: Sendable {
    /// Replicate and subject indices are stored in 32 bits: they must be below this.
    public static let maximumIndex = 1 << 32

    @usableFromInline let key: Philox4x32.Key
    @usableFromInline let streamWord: UInt32
    @usableFromInline let subjectWord: UInt32
    @usableFromInline let replicateWord: UInt32
    /// Index of the next block to compute.
    @usableFromInline var nextBlock: UInt64 = 0
    @usableFromInline var buffered: (UInt64, UInt64) = (0, 0)
    /// How many of `buffered` are already used: 2 means empty.
    @usableFromInline var bufferPosition = 2

    public init(seed: UInt64, replicate: Int, subject: Int, stream: StreamID) {
        precondition(replicate >= 0 && replicate < Self.maximumIndex, "replicate index must lie in 0..<2^32")
        precondition(subject >= 0 && subject < Self.maximumIndex, "subject index must lie in 0..<2^32")
        key = (UInt32(truncatingIfNeeded: seed), UInt32(truncatingIfNeeded: seed >> 32))
        streamWord = UInt32(stream.rawValue)
        subjectWord = UInt32(subject)
        replicateWord = UInt32(replicate)
    }

    /// The number of 64-bit words drawn so far.
    public var wordsDrawn: UInt64 { nextBlock * 2 - UInt64(2 - bufferPosition) }

    /// 64 uniformly distributed random bits.
    @inlinable
    public mutating func nextUInt64() -> UInt64 {
        if bufferPosition == 2 { refill() }
        defer { bufferPosition += 1 }
        return bufferPosition == 0 ? buffered.0 : buffered.1
    }

    @inlinable
    mutating func refill() {
        let counter: Philox4x32.Counter = (
            UInt32(truncatingIfNeeded: nextBlock),
            UInt32(truncatingIfNeeded: nextBlock >> 32) << 16 | streamWord,
            subjectWord,
            replicateWord)
        let out = Philox4x32.block(counter: counter, key: key)
        buffered = (UInt64(out.1) << 32 | UInt64(out.0), UInt64(out.3) << 32 | UInt64(out.2))
        bufferPosition = 0
        nextBlock = (nextBlock &+ 1) & 0xFFFF_FFFF_FFFF
    }

    /// A uniform deviate in the open interval (0, 1): k·2⁻⁵³ with k the top 53 bits of a word,
    /// drawn again in the (2⁻⁵³-probable) case k = 0. Values lie on the grid
    /// {2⁻⁵³, …, 1 − 2⁻⁵³}, which is symmetric: 1 − u is exact and has the same law as u.
    @inlinable
    public mutating func nextUniform() -> Double {
        while true {
            let k = nextUInt64() >> 11
            if k != 0 { return Double(k) * 0x1p-53 }
        }
    }

    /// Uniform on (lower, upper).
    @inlinable
    public mutating func nextUniform(lower: Double, upper: Double) -> Double {
        lower + (upper - lower) * nextUniform()
    }

    /// A standard normal deviate Φ⁻¹(u) (inverse CDF, AS 241). |z| ≤ 8.29 because u is never
    /// closer than 2⁻⁵³ to 0 or 1 (P(|Z| > 8.29) ≈ 1e−16, far below any Monte-Carlo resolution);
    /// the law is exactly symmetric.
    @inlinable
    public mutating func nextNormal() -> Double {
        StandardNormal.quantile(nextUniform())
    }

    /// N(mean, sd²).
    @inlinable
    public mutating func nextNormal(mean: Double, sd: Double) -> Double {
        mean + sd * nextNormal()
    }

    /// exp(N(meanlog, sdlog²)): median e^meanlog.
    @inlinable
    public mutating func nextLogNormal(meanlog: Double, sdlog: Double) -> Double {
        Foundation.exp(meanlog + sdlog * nextNormal())
    }

    /// Exponential with the given rate (mean 1/rate): −ln(u)/rate.
    @inlinable
    public mutating func nextExponential(rate: Double) -> Double {
        -Foundation.log(nextUniform()) / rate
    }

    /// `true` with probability `p` (u < p): never for p ≤ 0, always for p ≥ 1.
    @inlinable
    public mutating func nextBernoulli(_ p: Double) -> Bool {
        nextUniform() < p
    }

    /// A uniformly distributed integer in 0..<n, without modulo bias (Lemire, "Fast random integer
    /// generation in an interval", ACM TOMACS 29:3, 2019: multiply-shift with rejection of the
    /// 2⁶⁴ mod n low products that would favour some values). `n` must be positive.
    @inlinable
    public mutating func nextIndex(below n: Int) -> Int {
        precondition(n > 0, "nextIndex(below:) needs a positive bound")
        let bound = UInt64(n)
        var product = nextUInt64().multipliedFullWidth(by: bound)
        if product.low < bound {
            let threshold = (0 &- bound) % bound
            while product.low < threshold {
                product = nextUInt64().multipliedFullWidth(by: bound)
            }
        }
        return Int(product.high)
    }

    /// The standard normal truncated to [lower, upper], by the inverse CDF inside the bounds
    /// (exact: never clipped, never rejected). NaN when the interval is empty or holds no
    /// representable probability (see `TruncatedStandardNormal`).
    @inlinable
    public mutating func nextTruncatedNormal(lower: Double, upper: Double) -> Double {
        guard let truncated = TruncatedStandardNormal(lower: lower, upper: upper) else { return .nan }
        let u = nextUniform()
        return truncated.quantile(u, complement: 1 - u)
    }

    /// N(mean, sd²) truncated to [lower, upper].
    @inlinable
    public mutating func nextTruncatedNormal(mean: Double, sd: Double, lower: Double, upper: Double) -> Double {
        let z = nextTruncatedNormal(lower: (lower - mean) / sd, upper: (upper - mean) / sd)
        return Swift.min(Swift.max(mean + sd * z, lower), upper)
    }

    /// A category index drawn with the given probabilities (which should sum to 1): the first i
    /// with u < p₀ + … + pᵢ; the last category with positive probability takes any rounding
    /// remainder.
    @inlinable
    public mutating func nextCategorical(_ probabilities: [Double]) -> Int {
        Self.category(for: nextUniform(), probabilities: probabilities)
    }

    /// The category a uniform deviate `u` selects (see `nextCategorical`).
    @inlinable
    public static func category(for u: Double, probabilities: [Double]) -> Int {
        var cumulative = 0.0
        var last = 0
        for (i, p) in probabilities.enumerated() where p > 0 {
            cumulative += p
            last = i
            if u < cumulative { return i }
        }
        return last
    }
}

extension RandomStream {
    /// A stream with a raw 16-bit stream number, starting at block `startingBlock` — random access
    /// into a stream, which a counter-based generator gives for free.
    ///
    /// Numbers 32…65535 are free for per-variable streams (see `StreamID.residualNumber(output:)`):
    /// a residual error for output `o` read at grid point `k` uses block `k + 1` of stream
    /// `residualNumber(output: o)` (block 0: the baseline measurement), so the draw depends on the
    /// variable and time only, not on which endpoints read it.
    public init(seed: UInt64, replicate: Int, subject: Int, streamNumber: UInt16, startingBlock: UInt64) {
        precondition(replicate >= 0 && replicate < Self.maximumIndex, "replicate index must lie in 0..<2^32")
        precondition(subject >= 0 && subject < Self.maximumIndex, "subject index must lie in 0..<2^32")
        key = (UInt32(truncatingIfNeeded: seed), UInt32(truncatingIfNeeded: seed >> 32))
        streamWord = UInt32(streamNumber)
        subjectWord = UInt32(subject)
        replicateWord = UInt32(replicate)
        nextBlock = startingBlock & 0xFFFF_FFFF_FFFF
    }
}

extension StreamID {
    /// The stream number of the residual errors of model output `output` (0-based): 32 + output.
    public static func residualNumber(output: Int) -> UInt16 {
        precondition(output >= 0 && output < 65_536 - 32, "too many model outputs for residual streams")
        return UInt16(32 + output)
    }
}

/// A stream is a seedable `RandomNumberGenerator` too (for `Double.random(in:using:)`, `shuffled`
/// and the like, e.g. in tests that must name a reproducible case).
extension RandomStream: RandomNumberGenerator {
    @inlinable
    public mutating func next() -> UInt64 { nextUInt64() }
}
