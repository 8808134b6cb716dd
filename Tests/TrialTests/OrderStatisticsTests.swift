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

    /// A constant column's mean is its value, whatever the rounding of sum/n (for 6.710925924032652
    /// ten times, the quotient is an ulp above it): sorted (n < 64) and selected columns alike.
    @Test func aConstantColumnHasItsValueAsMean() {
        var workspace = OrderStatistics.Workspace()
        let value = 6.710925924032652
        #expect(CompensatedSum.of(Array(repeating: value, count: 10)) / 10 != value, "the case the rule is for")
        for n in [10, 63, 64, 100, 5000] {
            let (mean, percentiles) = Self.withColumn(Array(repeating: value, count: n)) {
                TimecourseCollector.summarise($0, workspace: &workspace)
            }
            #expect(mean == value, "n = \(n): mean \(mean.map { "\($0)" } ?? "nil")")
            #expect(percentiles.allSatisfy { $0 == value }, "n = \(n)")
        }
    }

    /// `portable`: the C kernels' baseline code, else the AVX2 code where the CPU has it.
    @Test(arguments: [false, true]) func histogramSelectionGivesTheSortedValuesAtTheRequestedRanks(portable: Bool) {
        var generator = SystemRandomNumberGenerator()
        var workspace = OrderStatistics.Workspace()
        workspace.portable = portable
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

    @Test(arguments: [false, true]) func columnSummariesEqualTheSortedColumnsType7Percentiles(portable: Bool) {
        // `summarise` on the tiled layout: mean in subject order, P05…P95 as SampleQuantile.type7
        // of the sorted column (NaN columns and short columns by sorting).
        var generator = SystemRandomNumberGenerator()
        var workspace = OrderStatistics.Workspace()
        workspace.portable = portable
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
                let sorted = values.sorted()
                let expectedMean = meanWithinRange(sum: sum.value, count: n, minimum: sorted[0], maximum: sorted[n - 1])
                #expect(mean?.bitPattern == expectedMean.bitPattern || (mean?.isNaN == true && expectedMean.isNaN), "n = \(n)")
                let expected = [0.05, 0.25, 0.5, 0.75, 0.95].map { SampleQuantile.type7(sorted: sorted, probability: $0) }
                for (a, e) in zip(percentiles, expected) {
                    #expect(a?.bitPattern == e?.bitPattern || (a?.isNaN == true && e?.isNaN == true), "n = \(n), NaN: \(withNaN)")
                }
            }
        }
    }

    @Test(arguments: [false, true]) func theKernelTakesExactlyTheScalarTakesValuesInSubjectOrder(portable: Bool) {
        // `BinSelection.take` (the C kernel) against the scalar definition: for each target bin,
        // the values whose `BinMap.bin` is that bin, in subject order. Several columns in one
        // sweep; counts that end in a partial tile and in partial vectors; bin maps over the
        // values' range, over a narrow part of it (crowded edge bins) and beside it; NaN, ±∞,
        // ±0 and subnormals among the values.
        var generator = SystemRandomNumberGenerator()
        var workspace = OrderStatistics.Workspace()
        let lanes = TimecourseStore.lanes
        for trial in 0..<240 {
            let n = [1, 3, 4, 5, 31, 32, 33, 64, 100, 1001, 4099][trial % 11]
            let columnCount = 1 + trial % 5
            let columns = (0..<columnCount).map { c in
                (0..<n).map { _ in awkwardColumnValue(kind: (trial + c) % 4, using: &generator) }
            }
            let storage = tiled(columns)
            storage.withUnsafeBufferPointer { buffer in
                var entries: [(column: TimecourseColumn, selection: OrderStatistics.BinSelection)] = []
                var maps: [OrderStatistics.BinMap] = []
                for (c, values) in columns.enumerated() {
                    let sorted = values.filter { $0.isFinite }.sorted()
                    let bins = [64, 128, 512][(trial + c) % 3]
                    let (low, high): (Double, Double)
                    switch (trial / 11 + c) % 3 {
                    case 0: (low, high) = (sorted.first ?? 0, sorted.last ?? 1)
                    case 1: (low, high) = (sorted.isEmpty ? 0 : sorted[sorted.count / 4], sorted.isEmpty ? 1 : sorted[3 * sorted.count / 4])
                    default: (low, high) = ((sorted.last ?? 0) + 1, (sorted.last ?? 0) + 2)
                    }
                    let map = OrderStatistics.BinMap(low: low, high: high, bins: bins) ?? OrderStatistics.BinMap(low: 0, high: 1, bins: bins)!
                    workspace.prepare(bins: bins)
                    for v in values { workspace.counts[map.bin(v)] += 1 }
                    let ranks = Set((0..<1 + trial % 6).map { _ in Int.random(in: 0..<n, using: &generator) }).sorted()
                    let selection = OrderStatistics.BinSelection(ranks: ranks, counted: map, workspace: workspace, count: n, sizeLimit: .max)!
                    entries.append((TimecourseColumn(base: buffer.baseAddress! + c * lanes, tileStride: columnCount * lanes, count: n), selection))
                    maps.append(map)
                }
                OrderStatistics.BinSelection.take(entries, portable: portable)
                for (c, entry) in entries.enumerated() {
                    for (slot, bin) in entry.selection.targetBins.enumerated() {
                        let expected = columns[c].filter { maps[c].bin($0) == bin }
                        let taken = Array(entry.selection.taken(slot))
                        #expect(taken.map(\.bitPattern) == expected.map(\.bitPattern), "n = \(n), column \(c), bin \(bin)")
                    }
                }
            }
        }
    }
}

// The runner folds the time courses into the first pass while the run goes on, a batch of tiles
// at a time and four columns per vector operation (the C kernel, AVX2 or its baseline code); the
// summaries must not depend on how.
struct TimecourseFirstPassTests {
    @Test(arguments: [false, true]) func foldingInBatchesGivesTheSummariesOfTheWholeColumns(portable: Bool) {
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
                let pass = TimecourseFirstPass(columns: columns, expectedCount: n, portable: portable)
                // Batches of 1, 8 and 3 tiles, then the rest.
                var folded = 0
                for tilesInBatch in [1, 8, 3] where (folded / lanes + tilesInBatch) * lanes <= n {
                    pass.fold(tile: base + (folded / lanes) * tileStride, tileStride: tileStride, count: tilesInBatch * lanes)
                    folded += tilesInBatch * lanes
                }
                if folded < n { pass.fold(tile: base + (folded / lanes) * tileStride, tileStride: tileStride, count: n - folded) }
                #expect(pass.folded == n)
                var workspace = OrderStatistics.Workspace()
                workspace.portable = portable
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

    @Test(arguments: [false, true]) func theKernelFoldEqualsTheScalarFoldBitForBit(portable: Bool) {
        // Per column, the scalar definition of the first pass: `CompensatedSum.add` value after
        // value (its running sum and compensation, bit for bit), `if v < min`/`if v > max`, and
        // the counts of `BinMap.bin` under the guess from the first tile. Column counts that are
        // not a multiple of the kernel's four lanes, partial last tiles, batches of 1…9 tiles;
        // NaN, ±∞, ±0, subnormals and constant first tiles among the columns.
        var generator = SystemRandomNumberGenerator()
        let lanes = TimecourseStore.lanes
        for columnCount in [1, 2, 3, 4, 5, 6, 7, 9, 13] {
            for n in [1, 31, 32, 33, 63, 100, 257, 1000, 2049] {
                let columns = (0..<columnCount).map { c in
                    (0..<n).map { s in
                        // Kind 4: a constant first tile (no guess); the others from awkwardColumnValue.
                        c % 5 == 4 && s < lanes ? 3 : awkwardColumnValue(kind: c % 5, using: &generator)
                    }
                }
                let storage = tiled(columns)
                let tileStride = columnCount * lanes
                let pass = TimecourseFirstPass(columns: columnCount, expectedCount: n, portable: portable)
                storage.withUnsafeBufferPointer { buffer in
                    var folded = 0
                    while folded < n {
                        let count = Swift.min(n - folded, Int.random(in: 1...9, using: &generator) * lanes)
                        pass.fold(tile: buffer.baseAddress! + folded / lanes * tileStride, tileStride: tileStride, count: count)
                        folded += count
                    }
                }
                for (c, values) in columns.enumerated() {
                    let guess = values.count >= lanes
                        ? values.withUnsafeBufferPointer { OrderStatistics.BinMap(guessingFrom: $0.baseAddress!, count: lanes, bins: pass.bins) }
                        : nil
                    var sum = CompensatedSum(), minimum = Double.infinity, maximum = -Double.infinity
                    var histogram = [UInt16](repeating: 0, count: pass.bins)
                    for v in values {
                        sum.add(v)
                        if v < minimum { minimum = v }
                        if v > maximum { maximum = v }
                        if let guess { histogram[guess.bin(v)] &+= 1 }
                    }
                    let context: Comment = "\(columnCount) columns, n = \(n), column \(c)"
                    let parts = pass.compensatedSum(c).parts
                    #expect(sameBits(parts.sum, sum.parts.sum) && sameBits(parts.compensation, sum.parts.compensation), context)
                    #expect(sameBits(pass.range(c).minimum, minimum) && sameBits(pass.range(c).maximum, maximum), context)
                    #expect(pass.guess(c)?.low.bitPattern == guess?.low.bitPattern && pass.guess(c)?.scale.bitPattern == guess?.scale.bitPattern,
                            context)
                    if guess != nil {
                        #expect(Array(UnsafeBufferPointer(start: pass.histogram(c), count: pass.bins)) == histogram, context)
                    }
                }
            }
        }
    }
}

/// The same bits, or both NaN (which NaN an operation gives back may depend on its operand order).
private func sameBits(_ a: Double, _ b: Double) -> Bool { a.bitPattern == b.bitPattern || (a.isNaN && b.isNaN) }

/// Columns laid out as `TimecourseStore` lays them out: tiles of `lanes` subjects, column c's run
/// of `lanes` values at c · lanes in each tile (the last tile's spare places NaN).
private func tiled(_ columns: [[Double]]) -> [Double] {
    let lanes = TimecourseStore.lanes, n = columns.first?.count ?? 0
    let tileStride = columns.count * lanes
    var storage = [Double](repeating: .nan, count: Swift.max(1, (n + lanes - 1) / lanes * tileStride))
    for (c, values) in columns.enumerated() {
        for (s, v) in values.enumerated() { storage[s / lanes * tileStride + c * lanes + s % lanes] = v }
    }
    return storage
}

/// A value of a column for the kernels' tests: kind 0 uniform in [−5, 5]; 1 log-uniform over
/// 7 decades; 2 NaN, ±∞, ±0, subnormals or extremes one time in eight, else uniform; 3 mostly
/// signed zeros and subnormals, a few ordinary numbers; 4 uniform in [−1, 1].
private func awkwardColumnValue(kind: Int, using generator: inout SystemRandomNumberGenerator) -> Double {
    let awkward: [Double] = [.nan, .infinity, -.infinity, 0, -0.0, 0x1p-1074, -0x1p-1074, 0x1p-1030, .leastNormalMagnitude,
                             .greatestFiniteMagnitude, -.greatestFiniteMagnitude, 1e300]
    switch kind {
    case 0: return Double.random(in: -5...5, using: &generator)
    case 1: return exp(Double.random(in: -8...8, using: &generator))
    case 2:
        return Int.random(in: 0..<8, using: &generator) == 0 ? awkward.randomElement(using: &generator)!
                                                             : Double.random(in: 0...10, using: &generator)
    case 3: return [-0.0, 0, 0x1p-1074, -0x1p-1074, 0x1p-1060, 1].randomElement(using: &generator)!
    default: return Double.random(in: -1...1, using: &generator)
    }
}
