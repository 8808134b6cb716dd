import Testing
@testable import Output

@Suite struct SHA256Tests {
    // FIPS 180-2 Appendix B and the NIST example values for SHA-256.
    @Test func nistVectors() {
        #expect(SHA256.hash("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hash("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hash("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
            == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(SHA256.hash("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu")
            == "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1")
    }

    @Test func oneMillionAsInPieces() {
        var hash = SHA256()
        let piece = [UInt8](repeating: UInt8(ascii: "a"), count: 1000)
        for _ in 0..<1000 { hash.update(piece) }
        #expect(hash.finalize() == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// Lengths around the padding boundaries (55, 56, 64 bytes) against Python's hashlib.
    @Test func paddingBoundariesAgreeWithHashlib() throws {
        for row in try fixtureRows("sha256_vectors.csv") {
            let length = Int(row[0])!
            let message = (0..<length).map { UInt8(($0 * 131 + length * 7) % 256) }
            #expect(SHA256.hash(message) == String(row[1]), "length \(length)")
        }
    }

    @Test func anySplitGivesTheSameDigest() {
        var generator = SplitMix64(seed: 7)
        let message = (0..<3000).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let whole = SHA256.hash(message)
        for _ in 0..<50 {
            var hash = SHA256()
            var start = 0
            while start < message.count {
                let end = min(message.count, start + Int.random(in: 0...200, using: &generator))
                hash.update(message[start..<end])
                start = end
            }
            #expect(hash.finalize() == whole)
        }
    }
}
