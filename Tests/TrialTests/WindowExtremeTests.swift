import Testing
@testable import Trial

// CMAX/CMIN-style endpoints take the window's extreme with eight lanes, loaded at once where the
// window's values are contiguous; the value and its bits (−0 versus +0, a leading NaN, NaNs inside)
// must be those of the sequential scan.
struct WindowExtremeTests {
    private static func sequential(_ values: [Double], _ timeIndex: [Int], _ window: ClosedRange<Int>, isMax: Bool) -> Double {
        var best = values[timeIndex[window.lowerBound]]
        for k in window {
            let v = values[timeIndex[k]]
            if isMax { if v > best { best = v } } else if v < best { best = v }
        }
        return best
    }

    @Test func laneScanGivesTheSequentialScansBits() {
        var generator = SystemRandomNumberGenerator()
        let pools: [[Double]] = [[-0.0, 0.0], [-0.0, 0.0, -1, 1], [.nan, 1, 2, -0.0, 0.0], [.infinity, -.infinity, 3, .nan], []]
        for trial in 0..<2000 {
            // n grid points among m observation times: gridTimeIndex increases strictly, with gaps
            // where a window bound that is not a grid point was added (every other trial has
            // none, so every window is contiguous).
            let n = Int.random(in: 1...40, using: &generator)
            let m = trial % 2 == 0 ? n : n + Int.random(in: 0...6, using: &generator)
            let pool = pools[trial % pools.count]
            let values: [Double] = (0..<m).map { _ in
                pool.isEmpty ? Double.random(in: -10...10, using: &generator) : pool.randomElement(using: &generator)!
            }
            let timeIndex = Array((0..<m).shuffled(using: &generator).prefix(n)).sorted()
            let lower = Int.random(in: 0..<n, using: &generator)
            let window = lower...Int.random(in: lower..<n, using: &generator)
            for isMax in [true, false] {
                let expected = Self.sequential(values, timeIndex, window, isMax: isMax)
                let found = values.withUnsafeBufferPointer { v in
                    timeIndex.withUnsafeBufferPointer { t in TrialPlan.extreme(v.baseAddress!, at: t, window, isMax: isMax) }
                }
                #expect(found.bitPattern == expected.bitPattern || (found.isNaN && expected.isNaN),
                        "values \(values), window \(window), max \(isMax): \(found) vs \(expected)")
            }
        }
    }
}
