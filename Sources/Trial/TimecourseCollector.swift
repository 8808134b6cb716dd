import CSummaries
import Dispatch
import Foundation
import Statistics
import Synchronization

/// Collects replicate 1's model values for timecourse.csv: for each arm, the first
/// `limit` subjects (in subject order), each output and grid time chosen by the protocol; then
/// writes exact type-7 percentiles (SPEC §6). Memory: limit × outputs × times doubles per arm.
///
/// The workers write each subject's values straight into `store` (every (arm, subject) has its
/// own place, so no copy passes through the in-order consumer). `consume` counts the subjects in
/// order and, as each batch of `tilesPerFold` tiles of an arm completes, folds it into that arm's
/// `TimecourseFirstPass` (sums in subject order, ranges, histograms) while the workers go on
/// simulating; `rows` folds what is left and then needs only the second, selecting pass over
/// exactly the subjects of completed chunks.
struct TimecourseCollector {
    let outputs: [Int]
    let grid: [Int]
    let limit: Int
    /// Where the workers put the values (shared with them; see `TimecourseStore`).
    let store: TimecourseStore
    private(set) var counts: [Int]
    /// Per arm, the first pass over the subjects folded so far (`counts` rounded down to whole
    /// tiles; `rows` folds the rest).
    private let firstPasses: [TimecourseFirstPass]
    /// Per arm, its summaries made as soon as its last time-course subject was added, while the
    /// run still had other subjects to simulate (`add(arm:remainingUnits:)`), and the count they
    /// cover; `rows` uses them when the count is still the arm's.
    private var early: [(count: Int, summaries: [(mean: Double?, percentiles: [Double?])])?]

    init(plan: TrialPlan) {
        outputs = plan.output.timecourseOutputs
        grid = plan.output.timecourseGrid
        limit = plan.output.timecourseSubjects
        counts = Array(repeating: 0, count: plan.arms.count)
        let limit = self.limit
        let expected = plan.arms.indices.map { arm in
            Swift.min(limit, plan.design == .matched ? plan.subjects : plan.armSizes[arm])
        }
        store = TimecourseStore(plan: plan, outputs: outputs, grid: grid, subjectsPerArm: expected)
        let stride = outputs.count * grid.count
        firstPasses = expected.map { TimecourseFirstPass(columns: stride, expectedCount: $0) }
        early = Array(repeating: nil, count: expected.count)
    }

    var stride: Int { outputs.count * grid.count }

    /// Tiles folded into the first pass at a time: each column then takes a few hundred values
    /// while its histogram is in the cache (one tile at a time, the histograms of all columns
    /// would go through the cache for every 32 values).
    static let tilesPerFold = 8

    /// Counts one more subject of `arm` whose values a worker has written to `store` (called in
    /// subject order); a batch of tiles that this completes is folded into the arm's first pass.
    ///
    /// When this is the arm's last time-course subject and at least as many subjects as the arm
    /// has time courses are still to be simulated (`remainingUnits`), the arm's summaries are made
    /// now, on this (consuming) worker while the others simulate, instead of after the run where
    /// they would hold up its end. (Near the end of a run they wait for `rows`, which spreads them
    /// over every thread.) The numbers are the same either way.
    mutating func add(arm: Int, remainingUnits: Int) {
        counts[arm] += 1
        let batch = Self.tilesPerFold * TimecourseStore.lanes
        if counts[arm] % batch == 0, stride > 0 {
            firstPasses[arm].fold(tile: store.tile(arm: arm, index: counts[arm] / TimecourseStore.lanes - Self.tilesPerFold),
                                  tileStride: store.tileStride, count: batch)
        }
        if counts[arm] == store.subjectsPerArm[arm], stride > 0, remainingUnits >= counts[arm] {
            early[arm] = (counts[arm], summaries(arm: arm, threads: 1))
        }
    }

    /// Rows of timecourse.csv: arm, variable, time; N, MEAN, P05, P25, P50, P75, P95.
    ///
    /// The percentiles are exact type-7 order statistics (`OrderStatistics.values`): the same
    /// values as `SampleQuantile.type7` on the sorted column, without sorting it. A column with a
    /// NaN (no total order) or under 64 values is sorted as before.
    ///
    /// Columns are summarised on `threads` Dispatch workers (each column's results go to its own
    /// slots) and emitted afterwards in (arm, output, time) order: the same rows for any thread
    /// count.
    func rows(plan: TrialPlan, threads: Int = 1,
              _ emit: (_ arm: Int, _ output: Int, _ time: Double, _ n: Int, _ mean: Double?, _ percentiles: [Double?]) -> Void) {
        let stride = self.stride
        if stride == 0 { return }
        for arm in plan.arms.indices {
            let n = counts[arm]
            let results = early[arm].flatMap { $0.count == n ? $0.summaries : nil } ?? summaries(arm: arm, threads: threads)
            for (offset, result) in results.enumerated() {
                emit(arm, outputs[offset / grid.count], plan.gridTime(grid[offset % grid.count]), n, result.mean, result.percentiles)
            }
        }
    }

    /// The mean and P05…P95 of every column of `arm` over its subjects counted so far, on
    /// `threads` Dispatch workers (each column's results go to its own slot: the same numbers for
    /// any thread count).
    private func summaries(arm: Int, threads: Int) -> [(mean: Double?, percentiles: [Double?])] {
        let stride = self.stride
        let n = counts[arm]
        // The subjects after the last whole batch of tiles (those were folded as they completed).
        let pass = firstPasses[arm]
        if n > pass.folded {
            pass.fold(tile: store.tile(arm: arm, index: pass.folded / TimecourseStore.lanes), tileStride: store.tileStride,
                      count: n - pass.folded)
        }
        precondition(pass.folded == n, "time-course first pass out of step with the subjects counted")
        let summaries = UnsafeMutablePointer<(mean: Double?, percentiles: [Double?])>.allocate(capacity: stride)
        summaries.initialize(repeating: (nil, []), count: stride)
        defer { summaries.deinitialize(count: stride); summaries.deallocate() }
        let nextColumn = Atomic<Int>(0)
        let store = self.store
        let work = { (_: Int) in
            var workspace = OrderStatistics.Workspace()
            while true {
                // Blocks of columns that share the tiles' pages (see `summarise(columns:)`).
                let first = nextColumn.wrappingAdd(Self.columnsPerBlock, ordering: .relaxed).oldValue
                if first >= stride { return }
                let block = first..<Swift.min(stride, first + Self.columnsPerBlock)
                let results = Self.summarise(columns: block, of: { store.column(arm: arm, column: $0, count: n) },
                                             firstPass: pass, workspace: &workspace)
                for (column, result) in zip(block, results) { summaries[column] = result }
            }
        }
        let workers = Swift.max(1, Swift.min(threads, stride))
        if workers == 1 {
            work(0)
        } else {
            // Workers write disjoint slots (claimed through the atomic counter) and only read
            // the store and the first pass; the results are read after concurrentPerform returns.
            let unchecked = UncheckedSendable(work)
            DispatchQueue.concurrentPerform(iterations: workers) { unchecked.value($0) }
        }
        return Array(UnsafeBufferPointer(start: summaries, count: stride))
    }

    private static let probabilities = [0.05, 0.25, 0.5, 0.75, 0.95]

    /// Columns summarised together: 16 adjacent columns' runs fill one 4 KiB page of each tile,
    /// so the second pass reads whole pages tile after tile instead of 256 bytes per tile and
    /// column.
    static let columnsPerBlock = 16

    /// The mean (compensated sum in subject order) and the type-7 P05…P95 of one column, with
    /// its first pass made here (`TimecourseFirstPass` over this column alone).
    static func summarise(_ column: TimecourseColumn, workspace: inout OrderStatistics.Workspace) -> (Double?, [Double?]) {
        let pass = TimecourseFirstPass(columns: 1, expectedCount: column.count, portable: workspace.portable)
        pass.fold(tile: column.base, tileStride: column.tileStride, count: column.count)
        return summarise(columns: 0..<1, of: { _ in column }, firstPass: pass, workspace: &workspace)[0]
    }

    /// The means and P05…P95 of `columns` (`column(c)` gives column c's values; `firstPass` has
    /// folded all of them). A NaN makes the sum NaN (and so does +∞ with −∞): such columns are
    /// sorted, which gives the same order statistics as selection wherever selection applies.
    /// Otherwise the ranks are selected from the histogram over the guessed range — the target
    /// bins of all the block's columns copied out in one sweep over the tiles — or (no guess, or
    /// a guess that crowded a rank's bin) by counting again over the column's true range.
    static func summarise(columns: Range<Int>, of column: (Int) -> TimecourseColumn, firstPass: TimecourseFirstPass,
                          workspace: inout OrderStatistics.Workspace) -> [(Double?, [Double?])] {
        guard let n = columns.first.map({ column($0).count }) else { return [] }
        // SampleQuantile.type7, with the order statistics it reads found by selection.
        var ranks: [Int] = []
        for p in probabilities {
            let h = Double(n - 1) * p
            let lo = Int(h.rounded(.down))
            if lo >= n - 1 { ranks.append(n - 1) } else {
                ranks.append(lo)
                if h - Double(lo) != 0 { ranks.append(lo + 1) }
            }
        }
        ranks = Array(Set(ranks)).sorted()
        func percentiles(_ found: [Double]) -> [Double?] {
            func value(_ rank: Int) -> Double { found[ranks.firstIndex(of: rank)!] }
            return probabilities.map { p -> Double? in
                let h = Double(n - 1) * p
                let lo = Int(h.rounded(.down))
                if lo >= n - 1 { return value(n - 1) }
                let fraction = h - Double(lo)
                if fraction == 0 { return value(lo) }
                return value(lo) + fraction * (value(lo + 1) - value(lo))
            }
        }
        var results = [(Double?, [Double?])](repeating: (nil, []), count: columns.count)
        var slots: [Int] = [], selections: [(column: TimecourseColumn, selection: OrderStatistics.BinSelection)] = []
        for (slot, c) in columns.enumerated() {
            let values = column(c)
            let sum = firstPass.sum(c)
            let mean = n > 0 ? sum / Double(n) : nil
            if sum.isNaN || n < 64 {
                var sorted = values.gathered()
                sorted.sort()
                results[slot] = (mean, probabilities.map { SampleQuantile.type7(sorted: sorted, probability: $0) })
                continue
            }
            if let guess = firstPass.guess(c) {
                workspace.load(counts: firstPass.histogram(c), bins: guess.bins)
                if let selection = OrderStatistics.BinSelection(ranks: ranks, counted: guess, workspace: workspace, count: n) {
                    results[slot] = (mean, [])
                    slots.append(slot)
                    selections.append((values, selection))
                    continue
                }
            }
            let (minimum, maximum) = firstPass.range(c)
            results[slot] = (mean, percentiles(OrderStatistics.values(ofRanks: ranks, in: values, minimum: minimum, maximum: maximum,
                                                                      workspace: &workspace)))
        }
        OrderStatistics.BinSelection.take(selections, portable: workspace.portable)
        for (slot, entry) in zip(slots, selections) { results[slot].1 = percentiles(entry.selection.values()) }
        return results
    }
}

/// The first pass of the time-course summaries over every column of one arm, fed whole tiles of
/// `TimecourseStore` in subject order: per column the compensated sum in subject order (exactly
/// `CompensatedSum.add`, value after value), the minimum and maximum, and a histogram of the
/// values over a range guessed from the column's first `TimecourseStore.lanes` values
/// (`OrderStatistics.BinMap(guessingFrom:)`), which spares the second pass its own counting.
///
/// The folding is the C kernel `csummaries_fold`: four columns in the lanes of vector operations,
/// each lane doing the scalar operations of its column, so the results are bit for bit those of
/// one column at a time while the columns' dependency chains overlap.
final class TimecourseFirstPass: @unchecked Sendable {
    let columns: Int
    /// Histogram bins per column: `BinMap.binCount` of the expected count, at most 512 — the
    /// histograms of all columns (updated batch by batch, four columns at a time) then take 1 KB
    /// per column, which keeps the cache misses of the increments low, and the target bins of the
    /// second pass still hold only a few hundred of 20,000 values.
    let bins: Int
    /// For tests: the fold runs the kernel's baseline code (SSE2 on x86-64) even where the AVX2
    /// code would run. Both must give the same bits.
    let portable: Bool
    /// Whether the expected count fits the 16-bit histograms.
    private let countsFit: Bool
    /// Values folded per column so far.
    private(set) var folded = 0
    private let sums: UnsafeMutablePointer<Double>, compensations: UnsafeMutablePointer<Double>
    private let minima: UnsafeMutablePointer<Double>, maxima: UnsafeMutablePointer<Double>
    /// The guessed bin map per column (`low`, `scale`); `hasGuess[c]` is false until the first
    /// whole tile, or when its values give no range.
    private let lows: UnsafeMutablePointer<Double>, scales: UnsafeMutablePointer<Double>
    private let hasGuess: UnsafeMutablePointer<Bool>
    /// 16-bit counts (each column's histogram is 1 KB, so a batch's increments stay in a few
    /// cache lines); a column longer than `UInt16.max` values gets no guess (its second pass
    /// counts for itself). After the columns' histograms, one more that takes the increments of
    /// the columns without a guess (the kernel counts every lane).
    private let counts: UnsafeMutablePointer<UInt16>
    /// The arrays above, as the kernel reads them.
    private let kernel: csummaries_first_pass

    init(columns: Int, expectedCount: Int, portable: Bool = false) {
        self.columns = columns
        self.portable = portable
        bins = Swift.min(512, OrderStatistics.BinMap.binCount(expectedCount))
        countsFit = expectedCount <= Int(UInt16.max)
        let slots = Swift.max(1, columns)
        func doubles(_ value: Double) -> UnsafeMutablePointer<Double> {
            let p = UnsafeMutablePointer<Double>.allocate(capacity: slots)
            p.initialize(repeating: value, count: slots)
            return p
        }
        sums = doubles(0); compensations = doubles(0)
        minima = doubles(.infinity); maxima = doubles(-.infinity)
        lows = doubles(0); scales = doubles(0)
        hasGuess = .allocate(capacity: slots)
        hasGuess.initialize(repeating: false, count: slots)
        counts = .allocate(capacity: (columns + 1) * bins)
        counts.initialize(repeating: 0, count: (columns + 1) * bins)
        kernel = csummaries_first_pass(columns: columns, bins: bins, sums: sums, compensations: compensations,
                                       minima: minima, maxima: maxima, lows: lows, scales: scales, has_guess: hasGuess,
                                       counts: counts)
    }

    deinit {
        for p in [sums, compensations, minima, maxima, lows, scales] { p.deallocate() }
        hasGuess.deallocate()
        counts.deallocate()
    }

    /// Column `c`'s running compensated sum (the same state as `CompensatedSum.add` of its values).
    func compensatedSum(_ c: Int) -> CompensatedSum { CompensatedSum(sum: sums[c], compensation: compensations[c]) }
    /// The compensated sum of column `c`'s values (`CompensatedSum.value`).
    func sum(_ c: Int) -> Double { compensatedSum(c).value }
    func range(_ c: Int) -> (minimum: Double, maximum: Double) { (minima[c], maxima[c]) }
    func guess(_ c: Int) -> OrderStatistics.BinMap? {
        hasGuess[c] ? OrderStatistics.BinMap(low: lows[c], scale: scales[c], bins: bins) : nil
    }
    func histogram(_ c: Int) -> UnsafePointer<UInt16> { UnsafePointer(counts + c * bins) }

    /// Folds the next `count` values of every column, in subject order: they start at tile
    /// `tile` (column c's run at `tile + c · TimecourseStore.lanes`) and go on in the tiles
    /// `tileStride` apart, whole tiles except perhaps the last. Only the last fold may end with a
    /// partial tile. Each four columns go through all of their values before the next, so their
    /// histograms stay in the cache for a few hundred increments.
    func fold(tile: UnsafePointer<Double>, tileStride: Int, count: Int) {
        let run = TimecourseStore.lanes
        precondition(folded % run == 0, "time-course tiles folded out of order")
        if folded == 0 && count >= run && countsFit {
            for c in 0..<columns {
                guard let map = OrderStatistics.BinMap(guessingFrom: tile + c * run, count: run, bins: bins) else { continue }
                lows[c] = map.low; scales[c] = map.scale; hasGuess[c] = true
            }
        }
        withUnsafePointer(to: kernel) { csummaries_fold($0, tile, tileStride, count, portable ? 1 : 0) }
        folded += count
    }
}

/// Replicate 1's time-course values of every arm, written by the workers and read by
/// `TimecourseCollector.rows` after the simulation.
///
/// Layout per arm: tiles of `lanes` subjects; within a tile, column-major ([column][lane]). A
/// subject's values then land in `stride` cache lines that the next few subjects fill too (the
/// working set of a worker stays in its cache), and a column is read as runs of `lanes`
/// adjacent values — neither a per-value gather from subject-major rows (a TLB miss per value)
/// nor a second copy. Each (arm, subject) has its own place, so workers write without locking;
/// the memory is only touched (and becomes resident) where subjects are written.
final class TimecourseStore: @unchecked Sendable {
    /// Subjects per tile. Defined by the C kernels of the summaries (`CSUMMARIES_RUN`), whose loops
    /// over a column's run are compiled for this length.
    static let lanes = Int(CSUMMARIES_RUN)
    let stride: Int
    let subjectsPerArm: [Int]
    /// Per arm, plain 4 KiB pages. (Transparent huge pages were tried: far fewer page faults, but
    /// on the benchmark machine — a VM whose free 2 MiB blocks go back to the host — a huge page
    /// touched first after a pause costs more than the faults it saves; docs/performance.md.)
    private var buffers: [UnsafeMutablePointer<Double>]
    /// Column c of a subject is `simulated[sourceIndex[c]]` of the simulator's output buffer.
    private let sourceIndex: [Int]
    private let requiredSourceCount: Int

    init(plan: TrialPlan, outputs: [Int], grid: [Int], subjectsPerArm: [Int]) {
        stride = outputs.count * grid.count
        self.subjectsPerArm = subjectsPerArm
        let timeCount = plan.observationTimes.count
        sourceIndex = outputs.flatMap { o in grid.map { k in o * timeCount + plan.gridTimeIndex[k] } }
        requiredSourceCount = (sourceIndex.max() ?? -1) + 1
        let stride = self.stride
        buffers = subjectsPerArm.map { .allocate(capacity: Self.capacity(subjects: $0, stride: stride)) }
    }

    /// Doubles allocated for an arm: whole tiles.
    private static func capacity(subjects: Int, stride: Int) -> Int {
        Swift.max(1, (subjects + lanes - 1) / lanes * lanes * stride)
    }

    deinit {
        releaseMemory()
    }

    /// Frees the values now (no column may be read afterwards). Unmapping a few hundred MB takes
    /// tens of milliseconds: the runner does it on a background thread while the report is built.
    func releaseMemory() {
        for (arm, buffer) in buffers.enumerated() {
            // The pages go first, with madvise (which holds the address-space lock only for
            // reading, so the other threads' page faults and allocations go on); the unmapping
            // that follows (which holds it for writing) then has nothing left to free.
            let bytes = Self.capacity(subjects: subjectsPerArm[arm], stride: stride) * MemoryLayout<Double>.stride
            let page = Int(sysconf(Int32(_SC_PAGESIZE)))
            let start = (Int(bitPattern: buffer) + page - 1) / page * page
            let end = (Int(bitPattern: buffer) + bytes) / page * page
            if end > start { _ = madvise(UnsafeMutableRawPointer(bitPattern: start), end - start, MADV_DONTNEED) }
            buffer.deallocate()
        }
        buffers = []
    }

    /// Whether replicate 1's subject `index` (0-based within `arm`) has a time course to store.
    func wants(arm: Int, index: Int) -> Bool { index < subjectsPerArm[arm] && stride > 0 }

    /// Stores subject `index` (0-based within `arm`, below `subjectsPerArm[arm]`) from a
    /// simulator output buffer (`outputs[o * times + k]`). Called by the worker that simulated
    /// the subject; different subjects touch disjoint memory.
    func write(arm: Int, index: Int, from simulated: [Double]) {
        precondition(index < subjectsPerArm[arm], "time-course subject beyond the reserved count")
        let tile = buffers[arm] + (index / Self.lanes) * Self.lanes * stride + index % Self.lanes
        simulated.withUnsafeBufferPointer { source in
            sourceIndex.withUnsafeBufferPointer { sourceIndex in
                precondition(source.count >= requiredSourceCount, "simulator output buffer too small")
                let from = source.baseAddress!
                for column in 0..<sourceIndex.count { tile[column &* Self.lanes] = from[sourceIndex[column]] }
            }
        }
    }

    /// Tile `index` of `arm` (subjects lanes·index …): column c's run starts at c · lanes.
    func tile(arm: Int, index: Int) -> UnsafePointer<Double> {
        precondition(index * Self.lanes < subjectsPerArm[arm], "time-course tile beyond the reserved count")
        return UnsafePointer(buffers[arm] + index * Self.lanes * stride)
    }

    /// Distance from a tile to the next.
    var tileStride: Int { Self.lanes * stride }

    /// Column `column` of the first `count` subjects of `arm`.
    func column(arm: Int, column: Int, count: Int) -> TimecourseColumn {
        TimecourseColumn(base: UnsafePointer(buffers[arm] + column * Self.lanes), tileStride: tileStride, count: count)
    }
}

/// One column of a `TimecourseStore`: `count` values in subject order, stored as runs of
/// `TimecourseStore.lanes` adjacent values, one run per tile.
struct TimecourseColumn {
    let base: UnsafePointer<Double>
    let tileStride: Int
    let count: Int

    /// Calls `body` with each run of adjacent values (and its length), in subject order.
    @inline(__always) func forEachRun(_ body: (UnsafePointer<Double>, Int) -> Void) {
        var remaining = count
        var run = base
        while remaining > 0 {
            let width = Swift.min(remaining, TimecourseStore.lanes)
            body(run, width)
            remaining -= width
            run += tileStride
        }
    }

    /// Calls `body` with every value, in subject order.
    @inline(__always) func forEach(_ body: (Double) -> Void) {
        forEachRun { run, width in for i in 0..<width { body(run[i]) } }
    }

    /// The values, in subject order, as one array.
    func gathered() -> [Double] {
        var values: [Double] = []
        values.reserveCapacity(count)
        forEach { values.append($0) }
        return values
    }
}

/// Exact order statistics of NaN-free data without sorting it.
enum OrderStatistics {
    /// Scratch memory reused from column to column.
    struct Workspace {
        var counts: [Int32] = []
        /// For tests: the C kernels of the summaries (`csummaries_take`, and `csummaries_fold` of
        /// the first pass `TimecourseCollector.summarise(_:workspace:)` makes) run their baseline
        /// code even where the AVX2 code would run. Both must give the same bits.
        var portable = false

        /// The counts of a histogram made elsewhere (`bins` of them).
        mutating func load(counts histogram: UnsafePointer<UInt16>, bins: Int) {
            prepare(bins: bins)
            counts.withUnsafeMutableBufferPointer { counts in for b in 0..<bins { counts[b] = Int32(histogram[b]) } }
        }

        /// `bins` zeroed counts.
        mutating func prepare(bins: Int) {
            if counts.count != bins {
                counts = [Int32](repeating: 0, count: bins)
            } else {
                counts.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
            }
        }
    }

    /// A non-decreasing map from values to bins 0..<bins: (v − low)·scale clamped to
    /// [0, bins − 1] and rounded to an integer. Each step (subtracting a constant, multiplying by
    /// a positive constant, clamping, rounding) is monotone under IEEE arithmetic, so every value
    /// in a lower bin is smaller than every value in a higher one, whatever `low` and `scale`
    /// are: a bin map is exact for selection even over a guessed range (values outside it only
    /// crowd the edge bins). NaN maps to the last bin.
    struct BinMap {
        let low: Double
        let scale: Double
        let bins: Int

        /// Bins for `count` values: about 8 values per bin, a power of two in 64…8192.
        static func binCount(_ count: Int) -> Int {
            Swift.max(64, Swift.min(8192, 1 << (Swift.max(6, Int.bitWidth - (count / 8).leadingZeroBitCount) - 1)))
        }

        init?(low: Double, high: Double, count: Int) {
            self.init(low: low, high: high, bins: Self.binCount(count))
        }

        init?(low: Double, high: Double, bins: Int) {
            let span = high - low
            self.bins = bins
            scale = Double(bins) / span
            self.low = low
            guard span > 0, span.isFinite, scale.isFinite, scale > 0 else { return nil }
        }

        /// A map made before (`low` and `scale` as that map computed them).
        init(low: Double, scale: Double, bins: Int) {
            self.low = low
            self.scale = scale
            self.bins = bins
        }

        /// A range guessed from the first `count` values at `values`, widened by its width on
        /// each side (nil when those values are all equal or not finite).
        init?(guessingFrom values: UnsafePointer<Double>, count: Int, bins: Int) {
            var low = Double.infinity, high = -Double.infinity
            for i in 0..<count {
                let v = values[i]
                if v < low { low = v }
                if v > high { high = v }
            }
            let width = high - low
            self.init(low: low - width, high: high + width, bins: bins)
        }

        @inline(__always) func bin(_ v: Double) -> Int {
            // ⌊·⌉ by adding 2⁵²: for x in [0, 2⁵²) the low bits of x + 2⁵² are x rounded to the
            // nearest integer — monotone, and without the range checks of Int(x).
            let upper = Double(bins - 1)
            let x = (v - low) * scale
            let clamped = x < 0 ? 0 : (x < upper ? x : upper)
            return Int(truncatingIfNeeded: (clamped + 0x1p52).bitPattern &- (0x1p52 as Double).bitPattern)
        }
    }

    /// The values at the given ranks (0-based, ascending) of the sorted column, i.e. the same
    /// numbers as `column.gathered().sorted()[rank]`; `minimum` and `maximum` are the column's.
    ///
    /// Histogram selection over the column's range (`BinMap`): one pass counts the bins, a
    /// prefix sum finds the bin of each rank (the k-th smallest value is the (k − below)-th
    /// smallest of its bin), a second pass copies out only those bins' values (a few hundred of
    /// 20,000), and the ranks are selected among them. A column with an infinity, or whose range
    /// is too narrow to scale, takes the multi-rank quickselect on a copy instead; both give the
    /// sorted column's values.
    static func values(ofRanks ranks: [Int], in column: TimecourseColumn, minimum: Double, maximum: Double,
                       workspace w: inout Workspace) -> [Double] {
        let n = column.count
        if maximum - minimum == 0 { return ranks.map { _ in minimum } }
        guard let map = BinMap(low: minimum, high: maximum, count: n) else {
            var copy = column.gathered()
            return copy.withUnsafeMutableBufferPointer { buffer in
                select(buffer, ranks: ranks[...], low: 0, high: n - 1, budget: 2 * (64 - n.leadingZeroBitCount) + 8)
                return ranks.map { buffer[$0] }
            }
        }
        w.prepare(bins: map.bins)
        w.counts.withUnsafeMutableBufferPointer { counts in
            column.forEach { counts[map.bin($0)] &+= 1 }
        }
        return values(ofRanks: ranks, in: column, counted: map, workspace: &w, sizeLimit: Int.max)!
    }

    /// The second half of `values(ofRanks:in:minimum:maximum:workspace:)` for a column whose
    /// values `w.counts` holds counted by `map`; nil (nothing copied) when a rank's bin holds more
    /// than `sizeLimit` values — a guessed range that missed.
    static func values(ofRanks ranks: [Int], in column: TimecourseColumn, counted map: BinMap, workspace w: inout Workspace,
                       sizeLimit: Int? = nil) -> [Double]? {
        guard let selection = BinSelection(ranks: ranks, counted: map, workspace: w, count: column.count, sizeLimit: sizeLimit) else {
            return nil
        }
        BinSelection.take([(column, selection)], portable: w.portable)
        return selection.values()
    }

    /// The second pass of histogram selection for one column: the bins that hold the requested
    /// ranks (from the counts), those bins' values copied out run by run as the column is read
    /// (in subject order), and the ranks selected among them.
    final class BinSelection {
        private let map: BinMap
        private let ranks: [Int]
        /// Per target bin (slot): the bin, the values in lower bins, its size, where its values go.
        private(set) var targetBins: [Int] = []
        private var below: [Int] = [], sizes: [Int] = [], offsets: [Int] = []
        private let slotOfBin: UnsafeMutablePointer<UInt8>
        private let fill: UnsafeMutablePointer<Int>
        private let scratch: UnsafeMutablePointer<Double>

        /// nil when a rank's bin holds more than `sizeLimit` values (default: 16 × the mean bin
        /// size, at least 256) — a guessed range that missed.
        init?(ranks: [Int], counted map: BinMap, workspace w: Workspace, count: Int, sizeLimit: Int? = nil) {
            let limit = sizeLimit ?? Swift.max(256, 16 * count / map.bins)
            var cumulative = 0, b = 0
            for rank in ranks {
                while cumulative + Int(w.counts[b]) <= rank {
                    cumulative += Int(w.counts[b])
                    b += 1
                }
                if targetBins.last != b {
                    guard Int(w.counts[b]) <= limit else { return nil }
                    targetBins.append(b)
                    below.append(cumulative)
                    sizes.append(Int(w.counts[b]))
                }
            }
            self.map = map
            self.ranks = ranks
            slotOfBin = .allocate(capacity: map.bins)
            slotOfBin.initialize(repeating: .max, count: map.bins)
            var total = 0
            for (slot, t) in targetBins.enumerated() {
                slotOfBin[t] = UInt8(slot)
                offsets.append(total)
                total += sizes[slot]
            }
            fill = .allocate(capacity: Swift.max(1, offsets.count))
            fill.initialize(from: offsets, count: offsets.count)
            scratch = .allocate(capacity: Swift.max(1, total))
        }

        deinit {
            slotOfBin.deallocate()
            fill.deallocate()
            scratch.deallocate()
        }

        /// Copies out, in subject order, the values of each column that fall in its selection's
        /// target bins (the C kernel `csummaries_take`). The columns have the same count and tile
        /// stride; they are read in one sweep, tile after tile, each column's run in turn, so that
        /// adjacent columns read the tiles' pages together. `portable` as `Workspace.portable`.
        static func take(_ columns: [(column: TimecourseColumn, selection: BinSelection)], portable: Bool) {
            guard let first = columns.first?.column else { return }
            let kernels = columns.map { column, selection in
                csummaries_selection(column: column.base, low: selection.map.low, scale: selection.map.scale,
                                     bins: selection.map.bins, slot_of_bin: selection.slotOfBin, fill: selection.fill,
                                     scratch: selection.scratch)
            }
            withExtendedLifetime(columns) {
                csummaries_take(kernels, kernels.count, first.tileStride, first.count, portable ? 1 : 0)
            }
        }

        /// The values copied to `slot` (the values of `targetBins[slot]`, in subject order), once
        /// every value has been taken.
        func taken(_ slot: Int) -> UnsafeMutableBufferPointer<Double> {
            precondition(fill[slot] == offsets[slot] + sizes[slot], "bin selection: values taken differ from the counts")
            return UnsafeMutableBufferPointer(start: scratch + offsets[slot], count: sizes[slot])
        }

        /// The values at `ranks` of the sorted column, once every value has been taken.
        func values() -> [Double] {
            var result = [Double](repeating: 0, count: ranks.count)
            for (slot, _) in targetBins.enumerated() {
                let part = taken(slot)
                let local = ranks.filter { $0 >= below[slot] && $0 < below[slot] + sizes[slot] }
                select(part, ranks: local.map { $0 - below[slot] }[...], low: 0, high: part.count - 1,
                       budget: 2 * (64 - part.count.leadingZeroBitCount) + 8)
                for rank in local { result[ranks.firstIndex(of: rank)!] = part[rank - below[slot]] }
            }
            return result
        }
    }

    /// Places the values of the given ranks (sorted) of a NaN-free buffer at their sorted
    /// positions (quickselect on several ranks at once, as `numpy.partition` with a list of kth:
    /// a partition recurses only into the sides that hold requested ranks; median-of-three pivot,
    /// small ranges and degenerate partitioning fall back to sorting the range).
    static func select(_ a: UnsafeMutableBufferPointer<Double>, ranks: ArraySlice<Int>, low: Int, high: Int, budget: Int) {
        guard let first = ranks.first, let last = ranks.last, first <= high, last >= low else { return }
        if high - low < 24 || budget == 0 {
            var range = UnsafeMutableBufferPointer(rebasing: a[low...high])
            range.sort()
            return
        }
        let mid = low + (high - low) / 2
        var x = a[low], y = a[mid], z = a[high]
        if y < x { swap(&x, &y) }
        if z < y { swap(&y, &z); if y < x { swap(&x, &y) } }
        let pivot = y
        // Hoare partition: [low, j] ≤ pivot ≤ [i, high], and (j, i) holds only the pivot value.
        var i = low, j = high
        while i <= j {
            while a[i] < pivot { i += 1 }
            while pivot < a[j] { j -= 1 }
            if i <= j {
                a.swapAt(i, j)
                i += 1; j -= 1
            }
        }
        let left = ranks.filter { $0 <= j }, right = ranks.filter { $0 >= i }
        if !left.isEmpty { select(a, ranks: left[...], low: low, high: j, budget: budget - 1) }
        if !right.isEmpty { select(a, ranks: right[...], low: i, high: high, budget: budget - 1) }
    }
}
