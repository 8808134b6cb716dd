import Foundation
import Testing
import Sampling

@Suite("Philox4x32-10")
struct PhiloxTests {
    @Test("Random123 known-answer vectors and further outputs of the Python reference")
    func knownAnswers() throws {
        let vectors = try fixture("philox.json")["vectors"] as! [[String: Any]]
        #expect(vectors.count >= 3)
        for v in vectors {
            let c = (v["counter"] as! [NSNumber]).map(\.uint32Value)
            let k = (v["key"] as! [NSNumber]).map(\.uint32Value)
            let o = (v["output"] as! [NSNumber]).map(\.uint32Value)
            let got = Philox4x32.block(counter: (c[0], c[1], c[2], c[3]), key: (k[0], k[1]))
            #expect([got.0, got.1, got.2, got.3] == o, "counter \(c) key \(k)")
        }
    }

    @Test("The all-zero vector, stated inline")
    func zeroVector() {
        let got = Philox4x32.block(counter: (0, 0, 0, 0), key: (0, 0))
        #expect([got.0, got.1, got.2, got.3] == [0x6627_e8d5, 0xe169_c58d, 0xbc57_ac4c, 0x9b00_dbd8])
    }
}
