// SHA-256 as FIPS 180-4 §6.2 defines it; the manifest's checksums (SPEC §6) come from here.

import CSHA256
#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// A streaming SHA-256 hash (FIPS 180-4, §5.1.1 padding, §6.2.2 computation).
///
/// Feed bytes in any pieces with `update`; the digest depends only on the concatenation.
/// `finalize()` pads and returns the digest as 64 lowercase hex digits; after that the value is
/// spent (further `update` or `finalize` calls are a precondition failure), so one value hashes
/// one message. Messages up to 2⁶¹ − 1 bytes, as the standard allows.
///
/// The compression function runs on the CPU's SHA instructions where there are some (x86-64 with
/// the SHA extensions, checked once with CPUID; the C target `CSHA256`) and in portable Swift
/// elsewhere; both give the same digests (OutputTests compare them).
///
/// ```
/// var hash = SHA256()
/// hash.update("ab")
/// hash.update("c")
/// hash.finalize()   // "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
/// ```
public struct SHA256: Sendable {
    /// H⁽⁰⁾, FIPS 180-4 §5.3.3: the first 32 bits of the fractional parts of the square roots of
    /// the first eight primes.
    private var state: [UInt32] = [
        0x6a09_e667, 0xbb67_ae85, 0x3c6e_f372, 0xa54f_f53a,
        0x510e_527f, 0x9b05_688c, 0x1f83_d9ab, 0x5be0_cd19,
    ]
    /// Bytes of the current, incomplete 64-byte block.
    private var pending: [UInt8] = []
    /// Total message length in bytes so far.
    private var length: UInt64 = 0
    private var finished = false
    /// Whether `compress` uses the SHA instructions.
    private let usesHardware: Bool

    /// Which compression function a hash uses.
    enum Engine {
        /// The CPU's SHA instructions (only where `hardwareAvailable`).
        case hardware
        /// Portable Swift.
        case portable
    }

    /// Whether this CPU has the SHA instructions the hardware path needs.
    static let hardwareAvailable = csha256_hardware_available() != 0

    /// A hash using the SHA instructions where the CPU has them, portable Swift elsewhere.
    public init() {
        self.init(engine: Self.hardwareAvailable ? .hardware : .portable)
    }

    /// A hash using `engine` (for tests and measurements; `.hardware` requires `hardwareAvailable`).
    init(engine: Engine) {
        precondition(engine == .portable || Self.hardwareAvailable, "SHA256: this CPU has no SHA instructions")
        usesHardware = engine == .hardware
        pending.reserveCapacity(64)
    }

    /// Adds bytes to the message.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        precondition(!finished, "SHA256.update after finalize")
        guard var source = bytes.baseAddress, bytes.count > 0 else { return }
        var remaining = bytes.count
        length &+= UInt64(remaining)
        if !pending.isEmpty {
            let take = min(64 - pending.count, remaining)
            pending.append(contentsOf: UnsafeRawBufferPointer(start: source, count: take))
            source += take
            remaining -= take
            if pending.count < 64 { return }
            pending.withUnsafeBytes { block in compress(blocks: block.baseAddress!, count: 1) }
            pending.removeAll(keepingCapacity: true)
        }
        let wholeBlocks = remaining / 64
        if wholeBlocks > 0 {
            compress(blocks: source, count: wholeBlocks)
            source += wholeBlocks * 64
            remaining -= wholeBlocks * 64
        }
        if remaining > 0 {
            pending.append(contentsOf: UnsafeRawBufferPointer(start: source, count: remaining))
        }
    }

    /// Adds bytes to the message.
    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// Adds bytes to the message.
    public mutating func update(_ bytes: ArraySlice<UInt8>) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// Adds the UTF-8 encoding of `text` to the message.
    public mutating func update(_ text: String) {
        update(Array(text.utf8))
    }

    /// Pads the message (FIPS 180-4 §5.1.1) and returns its digest as 64 lowercase hex digits.
    public mutating func finalize() -> String {
        precondition(!finished, "SHA256.finalize called twice")
        let bitLength = length &* 8
        var tail: [UInt8] = [0x80]
        // Pad with zeros so that the length field ends a block: (count + 1 + k + 8) ≡ 0 mod 64.
        let zeroCount = (64 + 56 - (pending.count + 1) % 64) % 64
        tail.append(contentsOf: repeatElement(0, count: zeroCount))
        for shift in stride(from: 56, through: 0, by: -8) {
            tail.append(UInt8(truncatingIfNeeded: bitLength >> UInt64(shift)))
        }
        let savedLength = length
        update(tail)
        length = savedLength
        precondition(pending.isEmpty)
        finished = true
        var hex: [UInt8] = []
        hex.reserveCapacity(64)
        let digits = Array("0123456789abcdef".utf8)
        for word in state {
            for shift in stride(from: 28, through: 0, by: -4) {
                hex.append(digits[Int((word >> UInt32(shift)) & 0xf)])
            }
        }
        return String(decoding: hex, as: UTF8.self)
    }

    /// The digest of a whole message at once.
    public static func hash(_ bytes: [UInt8]) -> String {
        var hash = SHA256()
        hash.update(bytes)
        return hash.finalize()
    }

    /// The digest of a whole message at once, computed by `engine`.
    static func hash(_ bytes: [UInt8], engine: Engine) -> String {
        var hash = SHA256(engine: engine)
        hash.update(bytes)
        return hash.finalize()
    }

    /// The digest of the bytes of the file at `path`, read in blocks of 1 MiB (a large CSV is never
    /// held whole); nil when it cannot be opened or read. (`vtrial merge` checks shards with it,
    /// `vtrial report` a results folder.)
    public static func ofFile(atPath path: String) -> String? {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var hash = SHA256()
        var block = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = block.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { return nil }
            if n == 0 { return hash.finalize() }
            block.withUnsafeBytes { hash.update(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
        }
    }

    /// The digest of a string's UTF-8 encoding.
    public static func hash(_ text: String) -> String {
        hash(Array(text.utf8))
    }

    /// Processes `count` consecutive 64-byte blocks (FIPS 180-4 §6.2.2).
    private mutating func compress(blocks: UnsafeRawPointer, count: Int) {
        if usesHardware {
            state.withUnsafeMutableBufferPointer { h in
                csha256_compress_hardware(h.baseAddress!, blocks, count)
            }
        } else {
            compressPortably(blocks: blocks, count: count)
        }
    }

    /// `compress` in Swift, for every CPU.
    private mutating func compressPortably(blocks: UnsafeRawPointer, count: Int) {
        state.withUnsafeMutableBufferPointer { h in
          roundConstants.withUnsafeBufferPointer { k in
            withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 64) { w in
                var block = blocks
                for _ in 0..<count {
                    for t in 0..<16 {
                        w[t] = UInt32(bigEndian: block.loadUnaligned(fromByteOffset: 4 * t, as: UInt32.self))
                    }
                    for t in 16..<64 {
                        let s0 = rotateRight(w[t - 15], 7) ^ rotateRight(w[t - 15], 18) ^ (w[t - 15] &>> 3)
                        let s1 = rotateRight(w[t - 2], 17) ^ rotateRight(w[t - 2], 19) ^ (w[t - 2] &>> 10)
                        w[t] = w[t - 16] &+ s0 &+ w[t - 7] &+ s1
                    }
                    var a = h[0], b = h[1], c = h[2], d = h[3]
                    var e = h[4], f = h[5], g = h[6], hh = h[7]
                    for t in 0..<64 {
                        let sum1 = rotateRight(e, 6) ^ rotateRight(e, 11) ^ rotateRight(e, 25)
                        let choose = (e & f) ^ (~e & g)
                        let t1 = hh &+ sum1 &+ choose &+ k[t] &+ w[t]
                        let sum0 = rotateRight(a, 2) ^ rotateRight(a, 13) ^ rotateRight(a, 22)
                        let majority = (a & b) ^ (a & c) ^ (b & c)
                        let t2 = sum0 &+ majority
                        hh = g; g = f; f = e; e = d &+ t1
                        d = c; c = b; b = a; a = t1 &+ t2
                    }
                    h[0] &+= a; h[1] &+= b; h[2] &+= c; h[3] &+= d
                    h[4] &+= e; h[5] &+= f; h[6] &+= g; h[7] &+= hh
                    block += 64
                }
            }
          }
        }
    }
}

@inline(__always)
private func rotateRight(_ x: UInt32, _ n: UInt32) -> UInt32 {
    (x &>> n) | (x &<< (32 &- n))
}

/// K, FIPS 180-4 §4.2.2: the first 32 bits of the fractional parts of the cube roots of the first
/// sixty-four primes.
private let roundConstants: [UInt32] = [
    0x428a_2f98, 0x7137_4491, 0xb5c0_fbcf, 0xe9b5_dba5, 0x3956_c25b, 0x59f1_11f1, 0x923f_82a4, 0xab1c_5ed5,
    0xd807_aa98, 0x1283_5b01, 0x2431_85be, 0x550c_7dc3, 0x72be_5d74, 0x80de_b1fe, 0x9bdc_06a7, 0xc19b_f174,
    0xe49b_69c1, 0xefbe_4786, 0x0fc1_9dc6, 0x240c_a1cc, 0x2de9_2c6f, 0x4a74_84aa, 0x5cb0_a9dc, 0x76f9_88da,
    0x983e_5152, 0xa831_c66d, 0xb003_27c8, 0xbf59_7fc7, 0xc6e0_0bf3, 0xd5a7_9147, 0x06ca_6351, 0x1429_2967,
    0x27b7_0a85, 0x2e1b_2138, 0x4d2c_6dfc, 0x5338_0d13, 0x650a_7354, 0x766a_0abb, 0x81c2_c92e, 0x9272_2c85,
    0xa2bf_e8a1, 0xa81a_664b, 0xc24b_8b70, 0xc76c_51a3, 0xd192_e819, 0xd699_0624, 0xf40e_3585, 0x106a_a070,
    0x19a4_c116, 0x1e37_6c08, 0x2748_774c, 0x34b0_bcb5, 0x391c_0cb3, 0x4ed8_aa4a, 0x5b9c_ca4f, 0x682e_6ff3,
    0x748f_82ee, 0x78a5_636f, 0x84c8_7814, 0x8cc7_0208, 0x90be_fffa, 0xa450_6ceb, 0xbef9_a3f7, 0xc671_78f2,
]
