import Foundation
import Testing
@testable import Output

@Suite struct SHA256Tests {
    /// The compression functions this machine can run: always the portable one, the SHA
    /// instructions where the CPU has them.
    static let engines: [SHA256.Engine] = SHA256.hardwareAvailable ? [.portable, .hardware] : [.portable]

    // FIPS 180-2 Appendix B and the NIST example values for SHA-256.
    @Test(arguments: engines) func nistVectors(engine: SHA256.Engine) {
        #expect(SHA256.hash(Array("".utf8), engine: engine) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hash(Array("abc".utf8), engine: engine) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hash(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8), engine: engine)
            == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(SHA256.hash(Array("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu".utf8), engine: engine)
            == "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1")
    }

    @Test func defaultHashIsTheNISTDigest() {
        #expect(SHA256.hash("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hash("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test(arguments: engines) func oneMillionAsInPieces(engine: SHA256.Engine) {
        var hash = SHA256(engine: engine)
        let piece = [UInt8](repeating: UInt8(ascii: "a"), count: 1000)
        for _ in 0..<1000 { hash.update(piece) }
        #expect(hash.finalize() == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
        // And in one update: 15 625 whole blocks at once.
        #expect(SHA256.hash([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000), engine: engine)
            == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// A file's digest, read in 1-MiB blocks: the NIST million-'a' digest from a file; a file of
    /// 2.5 MiB (blocks and a partial one) as the in-memory digest of its bytes; an empty file; and
    /// nil for a file that cannot be opened.
    @Test func fileDigest() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sha256-file-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let million = folder.appendingPathComponent("a.txt")
        try Data(repeating: UInt8(ascii: "a"), count: 1_000_000).write(to: million)
        #expect(SHA256.ofFile(atPath: million.path) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<(5 << 19)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let large = folder.appendingPathComponent("large.bin")
        try Data(bytes).write(to: large)
        #expect(SHA256.ofFile(atPath: large.path) == SHA256.hash(bytes))
        let empty = folder.appendingPathComponent("empty")
        try Data().write(to: empty)
        #expect(SHA256.ofFile(atPath: empty.path) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.ofFile(atPath: folder.appendingPathComponent("missing").path) == nil)
    }

    /// Lengths around the padding boundaries (55, 56, 64 bytes) against Python's hashlib.
    @Test(arguments: engines) func paddingBoundariesAgreeWithHashlib(engine: SHA256.Engine) throws {
        for row in try fixtureRows("sha256_vectors.csv") {
            let length = Int(row[0])!
            let message = (0..<length).map { UInt8(($0 * 131 + length * 7) % 256) }
            #expect(SHA256.hash(message, engine: engine) == String(row[1]), "length \(length)")
        }
    }

    @Test(arguments: engines) func anySplitGivesTheSameDigest(engine: SHA256.Engine) {
        var generator = SplitMix64(seed: 7)
        let message = (0..<3000).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let whole = SHA256.hash(message, engine: engine)
        for _ in 0..<50 {
            var hash = SHA256(engine: engine)
            var start = 0
            while start < message.count {
                let end = min(message.count, start + Int.random(in: 0...200, using: &generator))
                hash.update(message[start..<end])
                start = end
            }
            #expect(hash.finalize() == whole)
        }
    }

    /// Where /proc/cpuinfo says the CPU has the SHA extensions, the hardware path is used (so the
    /// comparisons below are not vacuous on such a machine).
    @Test func hardwarePathIsDetectedWhereTheCPUHasIt() throws {
        #if arch(x86_64) && os(Linux)
        let cpuinfo = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
        let flags = cpuinfo.split(separator: "\n").first { $0.hasPrefix("flags") }.map { $0.split(separator: " ") } ?? []
        let hasSHA = flags.contains("sha_ni") && flags.contains("ssse3") && flags.contains("sse4_1")
        #expect(SHA256.hardwareAvailable == hasSHA)
        #else
        #expect(!SHA256.hardwareAvailable)
        #endif
    }

    /// Every length 0…300 (all padding cases, 0–4 blocks), random bytes: both paths agree.
    @Test func hardwareEqualsPortableOnRandomMessages() throws {
        try #require(SHA256.hardwareAvailable, "no SHA instructions on this CPU: nothing to compare")
        var generator = SplitMix64(seed: 2024)
        for length in 0...300 {
            for _ in 0..<4 {
                let message = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
                let portable = SHA256.hash(message, engine: .portable)
                #expect(SHA256.hash(message, engine: .hardware) == portable, "length \(length)")
            }
        }
    }

    /// A 3 MiB message streamed in pieces of odd sizes (1 byte to 200 KiB, many not multiples of
    /// 64) through both paths, each split differently: the same digest as the portable whole.
    @Test func hardwareEqualsPortableOnLargeStreamedMessages() throws {
        try #require(SHA256.hardwareAvailable, "no SHA instructions on this CPU: nothing to compare")
        var generator = SplitMix64(seed: 99)
        let message = (0..<(3 << 20) + 13).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let expected = SHA256.hash(message, engine: .portable)
        for round in 0..<6 {
            var hardware = SHA256(engine: .hardware)
            var portable = SHA256(engine: .portable)
            for engineHash in [0, 1] {
                var start = 0
                while start < message.count {
                    let size = round.isMultiple(of: 2) ? Int.random(in: 1...200_000, using: &generator) | 1
                                                       : Int.random(in: 1...130, using: &generator)
                    let end = min(message.count, start + size)
                    message.withUnsafeBytes { bytes in
                        let piece = UnsafeRawBufferPointer(rebasing: bytes[start..<end])
                        if engineHash == 0 { hardware.update(piece) } else { portable.update(piece) }
                    }
                    start = end
                }
            }
            #expect(hardware.finalize() == expected, "round \(round)")
            #expect(portable.finalize() == expected, "round \(round)")
        }
    }
}
