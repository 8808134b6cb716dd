import Statistics
import Testing
@testable import Trial

// The time-course percentiles come from multi-rank selection: it must place exactly the values
// a full sort puts at the requested ranks, duplicates and signed zeros included.
struct OrderStatisticsTests {
    @Test func selectionPlacesTheSortedValuesAtTheRequestedRanks() {
        var generator = SystemRandomNumberGenerator()
        for trial in 0..<200 {
            let n = [1, 2, 23, 24, 25, 64, 100, 1000, 4097][trial % 9]
            let pool: [Double] = trial % 3 == 0 ? [-0.0, 0, 1, 1, 2, -3] : []
            let values: [Double] = (0..<n).map { _ in
                pool.isEmpty ? Double.random(in: -5...5, using: &generator) : pool.randomElement(using: &generator)!
            }
            let sorted = values.sorted()
            var ranks = Set<Int>()
            for p in [0.05, 0.25, 0.5, 0.75, 0.95] {
                let lo = Int((Double(n - 1) * p).rounded(.down))
                ranks.insert(lo)
                if lo + 1 < n { ranks.insert(lo + 1) }
            }
            var work = values
            work.withUnsafeMutableBufferPointer { buffer in
                OrderStatistics.select(buffer, ranks: ranks.sorted()[...], low: 0, high: n - 1, budget: 40)
            }
            for r in ranks { #expect(work[r] == sorted[r], "n = \(n), rank \(r)") }
            #expect(work.sorted() == sorted)
        }
    }
}
