import Testing
import Sampling

@Suite("RandomStream keys and layout")
struct RandomStreamTests {
    @Test("The documented counter layout: words equal Philox of (block, stream, subject, replicate) under the seed, from the Python reference")
    func layout() throws {
        let f = try fixture("layout.json")
        let seed = UInt64(f["seed"] as! String)!
        var rng = RandomStream(seed: seed, replicate: f["replicate"] as! Int, subject: f["subject"] as! Int,
                               stream: StreamID(rawValue: UInt16(f["stream"] as! Int))!)
        let want = (f["words"] as! [String]).map { UInt64($0)! }
        var got: [UInt64] = []
        for _ in want { got.append(rng.nextUInt64()) }
        #expect(got == want)
        #expect(rng.wordsDrawn == UInt64(want.count))
    }

    @Test("The same key gives the same sequence, whatever was drawn from other streams in between")
    func sameKeySameSequence() {
        var a = RandomStream(seed: 42, replicate: 1, subject: 9, stream: .residual)
        var other = RandomStream(seed: 42, replicate: 1, subject: 8, stream: .residual)
        var b = RandomStream(seed: 42, replicate: 1, subject: 9, stream: .residual)
        for _ in 0..<1000 {
            let x = a.nextNormal()
            _ = other.nextUniform()
            #expect(b.nextNormal() == x)
        }
    }

    @Test("Changing seed, replicate, subject or stream gives a different sequence (no shared word among the first 256)")
    func differentKeysDiffer() {
        func words(_ seed: UInt64, _ replicate: Int, _ subject: Int, _ stream: StreamID) -> Set<UInt64> {
            var rng = RandomStream(seed: seed, replicate: replicate, subject: subject, stream: stream)
            return Set((0..<256).map { _ in rng.nextUInt64() })
        }
        let base = words(7, 2, 3, .eta)
        #expect(base.count == 256)
        let variants = [words(8, 2, 3, .eta), words(7, 3, 3, .eta), words(7, 2, 4, .eta), words(7, 2, 3, .covariates),
                        words(7 | 1 << 40, 2, 3, .eta), words(7, 3, 2, .eta)]
        for v in variants { #expect(base.isDisjoint(with: v)) }
        for i in 0..<variants.count { for j in (i + 1)..<variants.count { #expect(variants[i].isDisjoint(with: variants[j])) } }
    }

    @Test("Stream ids are distinct 16-bit values")
    func streamIDs() {
        #expect(Set(StreamID.allCases.map(\.rawValue)).count == StreamID.allCases.count)
        #expect(!StreamID.allCases.contains { $0.rawValue == 0 })
    }
}
