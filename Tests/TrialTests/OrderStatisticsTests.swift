import Foundation
import Statistics
import Testing
@testable import Trial

// The time-course percentiles come from histogram selection and multi-rank selection: they must
// give exactly the values a full sort puts at the requested ranks, duplicates, signed zeros,
// infinities and extreme ranges included.
struct OrderStatisticsTests {
    /// The ranks type-7 P05…P95 read from n sorted values (⌊(n − 1)p⌋ and the next), ascending.
    private static func type7Ranks(_ n: Int) -> [Int] {
        var ranks = Set<Int>()
        for p in [0.05, 0.25, 0.5, 0.75, 0.95] {
            let lo = Int((Double(n - 1) * p).rounded(.down))
            ranks.insert(lo)
            if lo + 1 < n { ranks.insert(lo + 1) }
        }
        return ranks.sorted()
    }

    @Test func selectionPlacesTheSortedValuesAtTheRequestedRanks() {
        var generator = SystemRandomNumberGenerator()
        for trial in 0..<200 {
            let n = [1, 2, 23, 24, 25, 64, 100, 1000, 4097][trial % 9]
            let pool: [Double] = trial % 3 == 0 ? [-0.0, 0, 1, 1, 2, -3] : []
            let values: [Double] = (0..<n).map { _ in
                pool.isEmpty ? Double.random(in: -5...5, using: &generator) : pool.randomElement(using: &generator)!
            }
            let sorted = values.sorted()
            let ranks = Self.type7Ranks(n)
            var work = values
            work.withUnsafeMutableBufferPointer { buffer in
                OrderStatistics.select(buffer, ranks: ranks[...], low: 0, high: n - 1, budget: 40)
            }
            for r in ranks { #expect(work[r] == sorted[r], "n = \(n), rank \(r)") }
            #expect(work.sorted() == sorted)
        }
    }

    /// `n` values laid out as a `TimecourseStore` column: runs of `lanes` values, `gap` values
    /// apart, with other columns' values (NaN) in between.
    private static func withColumn<R>(_ values: [Double], _ body: (TimecourseColumn) -> R) -> R {
        let lanes = TimecourseStore.lanes, tileStride = 3 * lanes
        let tiles = (values.count + lanes - 1) / lanes
        var storage = [Double](repeating: .nan, count: max(1, tiles * tileStride))
        for (i, v) in values.enumerated() { storage[(i / lanes) * tileStride + lanes + i % lanes] = v }
        return storage.withUnsafeBufferPointer { buffer in
            body(TimecourseColumn(base: buffer.baseAddress! + lanes, tileStride: tileStride, count: values.count))
        }
    }

    @Test func histogramSelectionGivesTheSortedValuesAtTheRequestedRanks() {
        var generator = SystemRandomNumberGenerator()
        var workspace = OrderStatistics.Workspace()
        for trial in 0..<300 {
            let n = [64, 65, 100, 257, 1000, 4097, 20000][trial % 7]
            let kind = (trial / 7) % 9
            let values: [Double] = (0..<n).map { i in
                switch kind {
                case 0: return Double.random(in: -5...5, using: &generator)
                case 1: return exp(Double.random(in: -3...3, using: &generator))          // log-normal-like
                case 2: return [-0.0, 0, 1, 1, 2, -3].randomElement(using: &generator)!  // ties, signed zeros
                case 3: return i % 50 == 0 ? 1e300 : Double.random(in: 0...1, using: &generator)  // outliers: one crowded bin
                case 4: return Double.random(in: 0...1, using: &generator) * 0x1p-1030       // subnormal range
                case 5: return i % 2 == 0 ? -1e308 : 1e308                                 // range overflows
                case 6: return i % 97 == 0 ? (i % 2 == 0 ? .infinity : -.infinity) : Double.random(in: -1...1, using: &generator)
                case 7: return 4.25                                                         // constant
                default: return Double(i % 7)                                               // few distinct values
                }
            }
            let sorted = values.sorted()
            let ranks = Self.type7Ranks(n)
            let ordered = ranks
            let found = Self.withColumn(values) { column in
                OrderStatistics.values(ofRanks: ordered, in: column, minimum: sorted.first!, maximum: sorted.last!, workspace: &workspace)
            }
            for (i, r) in ordered.enumerated() {
                #expect(found[i] == sorted[r], "n = \(n), kind \(kind), rank \(r): \(found[i]) vs \(sorted[r])")
            }
        }
    }

    @Test func columnSummariesEqualTheSortedColumnsType7Percentiles() {
        // `summarise` on the tiled layout: mean in subject order, P05…P95 as SampleQuantile.type7
        // of the sorted column (NaN columns and short columns by sorting).
        var generator = SystemRandomNumberGenerator()
        var workspace = OrderStatistics.Workspace()
        for n in [1, 2, 63, 64, 500, 3001, 20000] {
            for (withNaN, shape) in [(false, 0), (true, 0), (false, 1), (false, 2), (false, 3)] {
                // Shapes: uniform; a first run far narrower than the rest (the guessed histogram
                // range misses and is redone); a first run of equal values (no guess); ±∞ inside.
                var values = (0..<n).map { i -> Double in
                    switch shape {
                    case 1: return i < 32 ? 5 + Double.random(in: 0...1e-6, using: &generator) : exp(Double.random(in: -20...20, using: &generator))
                    case 2: return i < 32 ? 1 : Double.random(in: 0...10, using: &generator)
                    case 3: return i == n / 3 ? .infinity : (i == n / 4 ? -.infinity : Double.random(in: -1...1, using: &generator))
                    default: return Double.random(in: 0...10, using: &generator)
                    }
                }
                if withNaN { values[n / 2] = .nan }
                let (mean, percentiles) = Self.withColumn(values) { TimecourseCollector.summarise($0, workspace: &workspace) }
                var sum = CompensatedSum()
                for v in values { sum.add(v) }
                let expectedMean = sum.value / Double(n)
                #expect(mean?.bitPattern == expectedMean.bitPattern || (mean?.isNaN == true && expectedMean.isNaN), "n = \(n)")
                let sorted = values.sorted()
                let expected = [0.05, 0.25, 0.5, 0.75, 0.95].map { SampleQuantile.type7(sorted: sorted, probability: $0) }
                for (a, e) in zip(percentiles, expected) {
                    #expect(a?.bitPattern == e?.bitPattern || (a?.isNaN == true && e?.isNaN == true), "n = \(n), NaN: \(withNaN)")
                }
            }
        }
    }
}

// The runner folds the time courses into the first pass while the run goes on, a batch of tiles
// at a time and two columns per SIMD2 operation; the summaries must not depend on how.
struct TimecourseFirstPassTests {
    @Test func foldingInBatchesGivesTheSummariesOfTheWholeColumns() {
        var generator = SystemRandomNumberGenerator()
        let lanes = TimecourseStore.lanes
        // (70,000 values do not fit the 16-bit histograms: no guess, the second pass counts.)
        for (n, columns) in [(20, 3), (64, 5), (1000, 4), (4101, 7), (70_000, 2)] {
            // Tiles as the store lays them out: column c's run of `lanes` values at c · lanes.
            let tiles = (n + lanes - 1) / lanes, tileStride = columns * lanes
            var storage = [Double](repeating: 0, count: tiles * tileStride)
            for s in 0..<n {
                for c in 0..<columns {
                    let v: Double
                    switch c % 5 {
                    case 0: v = Double.random(in: 0...10, using: &generator)
                    case 1: v = exp(Double.random(in: -8...8, using: &generator))
                    case 2: v = s < lanes ? 3 : Double.random(in: -1...1, using: &generator)   // first tile constant: no guess
                    case 3: v = s == n / 2 ? .nan : Double(s % 11)                          // NaN: sorted
                    default: v = s == n / 3 ? .infinity : (s % 2 == 0 ? -0.0 : 0.5)
                    }
                    storage[(s / lanes) * tileStride + c * lanes + s % lanes] = v
                }
            }
            storage.withUnsafeBufferPointer { buffer in
                let base = buffer.baseAddress!
                let pass = TimecourseFirstPass(columns: columns, expectedCount: n)
                // Batches of 1, 8 and 3 tiles, then the rest.
                var folded = 0
                for tilesInBatch in [1, 8, 3] where (folded / lanes + tilesInBatch) * lanes <= n {
                    pass.fold(tile: base + (folded / lanes) * tileStride, tileStride: tileStride, count: tilesInBatch * lanes)
                    folded += tilesInBatch * lanes
                }
                if folded < n { pass.fold(tile: base + (folded / lanes) * tileStride, tileStride: tileStride, count: n - folded) }
                #expect(pass.folded == n)
                var workspace = OrderStatistics.Workspace()
                // All columns as one block (one sweep over the tiles), and each alone.
                let column = { (c: Int) in TimecourseColumn(base: base + c * lanes, tileStride: tileStride, count: n) }
                let block = TimecourseCollector.summarise(columns: 0..<columns, of: column, firstPass: pass, workspace: &workspace)
                for c in 0..<columns {
                    let column = column(c)
                    let values = column.gathered()
                    var sum = CompensatedSum()
                    for v in values { sum.add(v) }
                    #expect(pass.sum(c).bitPattern == sum.value.bitPattern || (pass.sum(c).isNaN && sum.value.isNaN), "n = \(n), column \(c)")
                    let finite = values.filter { !$0.isNaN }
                    #expect(pass.range(c).minimum == finite.min() && pass.range(c).maximum == finite.max())
                    let (mean, percentiles) = block[c]
                    let (alone, alonePercentiles) = TimecourseCollector.summarise(column, workspace: &workspace)
                    #expect(mean?.bitPattern == alone?.bitPattern || (mean?.isNaN == true && alone?.isNaN == true))
                    let sorted = values.sorted()
                    let expected = [0.05, 0.25, 0.5, 0.75, 0.95].map { SampleQuantile.type7(sorted: sorted, probability: $0) }
                    for (i, (a, e)) in zip(percentiles, expected).enumerated() {
                        #expect(a?.bitPattern == e?.bitPattern || (a?.isNaN == true && e?.isNaN == true), "n = \(n), column \(c)")
                        #expect(a?.bitPattern == alonePercentiles[i]?.bitPattern || (a?.isNaN == true && alonePercentiles[i]?.isNaN == true))
                    }
                }
            }
        }
    }
}
