import Dispatch
import Statistics
import Synchronization

/// Collects replicate 1's model values for timecourse.csv: for each arm, the first
/// `limit` subjects (in subject order), each output and grid time chosen by the protocol; then
/// writes exact type-7 percentiles (SPEC §6). Memory: limit × outputs × times doubles per arm.
///
/// The workers write each subject's values straight into `store` (every (arm, subject) has its
/// own place, so no copy passes through the in-order consumer); `consume` only counts the
/// subjects, in order, so `rows` summarises exactly the subjects of completed chunks.
struct TimecourseCollector {
    let outputs: [Int]
    let grid: [Int]
    let limit: Int
    /// Where the workers put the values (shared with them; see `TimecourseStore`).
    let store: TimecourseStore
    private(set) var counts: [Int]

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
    }

    var stride: Int { outputs.count * grid.count }


    /// Counts one more subject of `arm` whose values a worker has written to `store`.
    mutating func add(arm: Int) {
        counts[arm] += 1
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
        let workers = Swift.max(1, Swift.min(threads, stride))
        for arm in plan.arms.indices {
            let n = counts[arm]
            // Slot 6·column: the mean, then the five percentiles.
            let summaries = UnsafeMutablePointer<Double?>.allocate(capacity: 6 * stride)
            summaries.initialize(repeating: nil, count: 6 * stride)
            defer { summaries.deinitialize(count: 6 * stride); summaries.deallocate() }
            let nextColumn = Atomic<Int>(0)
            let store = self.store
            let work = { (_: Int) in
                var workspace = OrderStatistics.Workspace(capacity: n)
                while true {
                    // Columns are claimed a few at a time: adjacent columns share the tiles' pages.
                    let first = nextColumn.wrappingAdd(4, ordering: .relaxed).oldValue
                    if first >= stride { return }
                    for column in first..<Swift.min(stride, first + 4) {
                        let (mean, percentiles) = Self.summarise(store.column(arm: arm, column: column, count: n), workspace: &workspace)
                        let slot = summaries + 6 * column
                        slot[0] = mean
                        for (q, value) in percentiles.enumerated() { slot[1 + q] = value }
                    }
                }
            }
            if workers == 1 {
                work(0)
            } else {
                // Workers write disjoint slots (claimed through the atomic counter) and only read
                // the store; the results are read after concurrentPerform returns.
                let unchecked = UncheckedSendable(work)
                DispatchQueue.concurrentPerform(iterations: workers) { unchecked.value($0) }
            }
            for offset in 0..<stride {
                let slot = summaries + 6 * offset
                emit(arm, outputs[offset / grid.count], plan.gridTime(grid[offset % grid.count]), n, slot[0],
                     (1...5).map { slot[$0] })
            }
        }
    }

    private static let probabilities = [0.05, 0.25, 0.5, 0.75, 0.95]

    /// The mean (compensated sum in subject order) and the type-7 P05…P95 of one column.
    static func summarise(_ column: TimecourseColumn, workspace: inout OrderStatistics.Workspace) -> (Double?, [Double?]) {
        let n = column.count
        // One pass: the compensated sum, the range, and (for long columns) a histogram over a
        // range guessed from the first run of values, which usually spares `values` its own
        // counting pass. A NaN makes the sum NaN (and so does +∞ with −∞): such columns are
        // sorted, which gives the same order statistics as selection wherever selection applies.
        var sum = CompensatedSum()
        var minimum = Double.infinity, maximum = -Double.infinity
        let guess = n >= 64 ? OrderStatistics.BinMap(guessingFrom: column, count: n) : nil
        if let guess {
            workspace.prepare(bins: guess.bins)
            workspace.counts.withUnsafeMutableBufferPointer { counts in
                column.forEach { v in
                    sum.add(v)
                    if v < minimum { minimum = v }
                    if v > maximum { maximum = v }
                    counts[guess.bin(v)] &+= 1
                }
            }
        } else {
            column.forEach { v in
                sum.add(v)
                if v < minimum { minimum = v }
                if v > maximum { maximum = v }
            }
        }
        let mean = n > 0 ? sum.value / Double(n) : nil
        if sum.value.isNaN || n < 64 {
            var sorted = column.gathered()
            sorted.sort()
            return (mean, probabilities.map { SampleQuantile.type7(sorted: sorted, probability: $0) })
        }
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
        ranks.sort()
        let values = guess.flatMap { OrderStatistics.values(ofRanks: ranks, in: column, counted: $0, workspace: &workspace) }
            ?? OrderStatistics.values(ofRanks: ranks, in: column, minimum: minimum, maximum: maximum, workspace: &workspace)
        func value(_ rank: Int) -> Double { values[ranks.firstIndex(of: rank)!] }
        return (mean, probabilities.map { p -> Double? in
            let h = Double(n - 1) * p
            let lo = Int(h.rounded(.down))
            if lo >= n - 1 { return value(n - 1) }
            let fraction = h - Double(lo)
            if fraction == 0 { return value(lo) }
            return value(lo) + fraction * (value(lo + 1) - value(lo))
        })
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
    static let lanes = 32
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
        buffers = subjectsPerArm.map { subjects in
            .allocate(capacity: Swift.max(1, (subjects + Self.lanes - 1) / Self.lanes * Self.lanes * stride))
        }
    }

    deinit {
        releaseMemory()
    }

    /// Frees the values now (no column may be read afterwards). Unmapping a few hundred MB takes
    /// tens of milliseconds: the runner does it on a background thread while the report is built.
    func releaseMemory() {
        for buffer in buffers { buffer.deallocate() }
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

    /// Column `column` of the first `count` subjects of `arm`.
    func column(arm: Int, column: Int, count: Int) -> TimecourseColumn {
        TimecourseColumn(base: UnsafePointer(buffers[arm] + column * Self.lanes), tileStride: Self.lanes * stride, count: count)
    }
}

/// One column of a `TimecourseStore`: `count` values in subject order, stored as runs of
/// `TimecourseStore.lanes` adjacent values, one run per tile.
struct TimecourseColumn {
    let base: UnsafePointer<Double>
    let tileStride: Int
    let count: Int

    /// Calls `body` with every value, in subject order.
    @inline(__always) func forEach(_ body: (Double) -> Void) {
        var remaining = count
        var run = base
        while remaining > 0 {
            let width = Swift.min(remaining, TimecourseStore.lanes)
            for i in 0..<width { body(run[i]) }
            remaining -= width
            run += tileStride
        }
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
        var counts: [Int32]
        var slotOfBin: [UInt8]
        var scratch: [Double]

        init(capacity: Int) {
            counts = []
            slotOfBin = []
            scratch = []
            scratch.reserveCapacity(capacity)
        }

        /// `bins` zeroed counts.
        mutating func prepare(bins: Int) {
            if counts.count != bins {
                counts = [Int32](repeating: 0, count: bins)
                slotOfBin = [UInt8](repeating: .max, count: bins)
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
            let span = high - low
            bins = Self.binCount(count)
            scale = Double(bins) / span
            self.low = low
            guard span > 0, span.isFinite, scale.isFinite, scale > 0 else { return nil }
        }

        /// A range guessed from the column's first run of values, widened by its width on each
        /// side (nil when those values are all equal or not finite).
        init?(guessingFrom column: TimecourseColumn, count: Int) {
            var low = Double.infinity, high = -Double.infinity
            for i in 0..<Swift.min(count, TimecourseStore.lanes) {
                let v = column.base[i]
                if v < low { low = v }
                if v > high { high = v }
            }
            let width = high - low
            self.init(low: low - width, high: high + width, count: count)
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
        let limit = sizeLimit ?? Swift.max(256, 16 * column.count / map.bins)
        var result = [Double](repeating: 0, count: ranks.count)
        let complete = w.counts.withUnsafeMutableBufferPointer { counts in
            w.slotOfBin.withUnsafeMutableBufferPointer { slotOfBin in
                // The bin of each rank, and how many values lie in lower bins.
                var targetBins: [Int] = [], below: [Int] = [], sizes: [Int] = []
                var cumulative = 0, b = 0
                for rank in ranks {
                    while cumulative + Int(counts[b]) <= rank {
                        cumulative += Int(counts[b])
                        b += 1
                    }
                    if targetBins.last != b {
                        guard Int(counts[b]) <= limit else { return false }
                        targetBins.append(b)
                        below.append(cumulative)
                        sizes.append(Int(counts[b]))
                    }
                }
                // Copy the target bins' values out, bin after bin.
                var offsets: [Int] = [], total = 0
                for (slot, t) in targetBins.enumerated() {
                    slotOfBin[t] = UInt8(slot)
                    offsets.append(total)
                    total += sizes[slot]
                }
                w.scratch.removeAll(keepingCapacity: true)
                w.scratch.append(contentsOf: repeatElement(0, count: total))
                w.scratch.withUnsafeMutableBufferPointer { scratch in
                    var fill = offsets
                    fill.withUnsafeMutableBufferPointer { fill in
                        column.forEach { v in
                            let slot = Int(slotOfBin[map.bin(v)])
                            if slot != Int(UInt8.max) {
                                scratch[fill[slot]] = v
                                fill[slot] += 1
                            }
                        }
                    }
                    for (slot, t) in targetBins.enumerated() {
                        slotOfBin[t] = .max
                        let start = offsets[slot], end = start + sizes[slot]
                        let local = ranks.filter { $0 >= below[slot] && $0 < below[slot] + sizes[slot] }
                        let part = UnsafeMutableBufferPointer(rebasing: scratch[start..<end])
                        select(part, ranks: local.map { $0 - below[slot] }[...], low: 0, high: part.count - 1,
                               budget: 2 * (64 - part.count.leadingZeroBitCount) + 8)
                        for rank in local { result[ranks.firstIndex(of: rank)!] = part[rank - below[slot]] }
                    }
                }
                return true
            }
        }
        return complete ? result : nil
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
