import Testing
@testable import Sampling

@Suite("Random access into a stream")
struct RandomAccessTests {
    @Test("A stream started at block k continues the stream from block 0 after 2k words")
    func startingBlockMatchesSkipping() {
        let number = StreamID.residualNumber(output: 3)
        for k: UInt64 in [0, 1, 7, 673] {
            var skipped = RandomStream(seed: 99, replicate: 2, subject: 41, streamNumber: number, startingBlock: 0)
            for _ in 0..<(2 * k) { _ = skipped.nextUInt64() }
            var direct = RandomStream(seed: 99, replicate: 2, subject: 41, streamNumber: number, startingBlock: k)
            for _ in 0..<6 { #expect(direct.nextUInt64() == skipped.nextUInt64()) }
        }
    }

    @Test("A named stream id and its raw number give the same stream")
    func namedAndRawAgree() {
        var named = RandomStream(seed: 5, replicate: 1, subject: 9, stream: .dropout)
        var raw = RandomStream(seed: 5, replicate: 1, subject: 9, streamNumber: StreamID.dropout.rawValue, startingBlock: 0)
        for _ in 0..<5 { #expect(named.nextUInt64() == raw.nextUInt64()) }
    }

    @Test("Residual streams of different outputs differ and lie outside the named range")
    func residualNumbers() {
        #expect(StreamID.residualNumber(output: 0) == 32)
        #expect(StreamID.allCases.allSatisfy { $0.rawValue < 32 })
        var a = RandomStream(seed: 5, replicate: 1, subject: 9, streamNumber: StreamID.residualNumber(output: 0), startingBlock: 0)
        var b = RandomStream(seed: 5, replicate: 1, subject: 9, streamNumber: StreamID.residualNumber(output: 1), startingBlock: 0)
        #expect(a.nextUInt64() != b.nextUInt64())
    }
}
