import Foundation
import Testing
@testable import Statistics

// Expected values are exact by construction (small integers, dyadic fractions) or closed forms.

@Suite struct DescriptiveTests {
    @Test func type7QuantilesInterpolateLinearly() {
        // R: quantile(c(1, 2, 4, 8), c(0, .25, .5, .75, 1), type = 7) = 1, 1.75, 3, 5, 8 (h = 3p).
        let x: [Double] = [1, 2, 4, 8]
        #expect(SampleQuantile.type7(sorted: x, probability: 0) == 1)
        #expect(SampleQuantile.type7(sorted: x, probability: 0.25) == 1.75)
        #expect(SampleQuantile.type7(sorted: x, probability: 0.5) == 3)
        #expect(SampleQuantile.type7(sorted: x, probability: 0.75) == 5)
        #expect(SampleQuantile.type7(sorted: x, probability: 1) == 8)
        #expect(SampleQuantile.type7(sorted: [7], probability: 0.3) == 7)
        #expect(SampleQuantile.type7(sorted: [], probability: 0.3) == nil)
    }

    @Test func summaryOfAKnownSample() {
        let s = SampleSummary([4, 1, 8, 2])
        #expect(s.count == 4 && s.mean == 3.75 && s.median == 3 && s.firstQuartile == 1.75 && s.thirdQuartile == 5)
        #expect(s.minimum == 1 && s.maximum == 8)
        // Σ(x − 3.75)² = 7.5625 + 3.0625 + 0.0625 + 18.0625 = 28.75; / 3.
        #expect(abs(s.standardDeviation! - (28.75 / 3).squareRoot()) < 1e-15)
        let one = SampleSummary([5])
        #expect(one.count == 1 && one.mean == 5 && one.standardDeviation == nil && one.median == 5)
        let none = SampleSummary([])
        #expect(none.count == 0 && none.mean == nil && none.median == nil && none.minimum == nil)
    }

    @Test func compensatedSumRecoversWhatNaiveSummationLoses() {
        // 1 + 1e100 + 1 − 1e100 = 2 exactly; naive left-to-right summation returns 0.
        #expect(CompensatedSum.of([1, 1e100, 1, -1e100]) == 2)
        // 0.1 (= 0.1000000000000000055511…) ten million times is 1e6 + 5.55e-11 exactly, which rounds
        // to 1e6 (ulp 1.16e-10); naive summation drifts by about 1e-4.
        var s = CompensatedSum()
        var naive = 0.0
        for _ in 0..<10_000_000 { s.add(0.1); naive += 0.1 }
        #expect(s.value == 1e6)
        #expect(naive != 1e6)
    }

    @Test func groupMomentsAreTwoPass() {
        // Large offset: a one-pass Σx² − n·x̄² would lose every digit here.
        let g = GroupMoments([1e9 + 1, 1e9 + 2, 1e9 + 3])
        #expect(g.count == 3 && g.mean == 1e9 + 2 && g.variance == 1)
        #expect(GroupMoments([Double]()).count == 0)
        #expect(GroupMoments([2.0]).variance == 0)
    }
}
