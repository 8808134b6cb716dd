import Statistics

/// Collects replicate 1's model values for timecourse.csv: for each arm, the first
/// `limit` subjects (in subject order), each output and grid time chosen by the protocol; then
/// writes exact type-7 percentiles (SPEC §6). Memory: limit × outputs × times doubles per arm.
struct TimecourseCollector {
    let outputs: [Int]
    let grid: [Int]
    let limit: Int
    /// Per arm: subject-major values, [subject][output][time].
    private(set) var values: [[Double]]
    private(set) var counts: [Int]
    /// Per arm: how many subjects will be collected, to reserve `values` once (growing by
    /// doubling would hold up to twice the final size while copying).
    private let expected: [Int]

    init(plan: TrialPlan) {
        outputs = plan.output.timecourseOutputs
        grid = plan.output.timecourseGrid
        limit = plan.output.timecourseSubjects
        values = Array(repeating: [], count: plan.arms.count)
        counts = Array(repeating: 0, count: plan.arms.count)
        let limit = self.limit
        expected = plan.arms.indices.map { arm in
            Swift.min(limit, plan.design == .matched ? plan.subjects : plan.armSizes[arm])
        }
    }

    var stride: Int { outputs.count * grid.count }

    /// Whether subject number `n` (0-based, within its arm) is collected.
    func wants(indexInArm n: Int) -> Bool { n < limit && stride > 0 }

    /// Copies one subject's values from a simulator output buffer into `buffer`.
    static func extract(plan: TrialPlan, outputs: [Int], grid: [Int], from simulated: [Double], into buffer: inout [Double]) {
        let timeCount = plan.observationTimes.count
        let start = buffer.count
        buffer.append(contentsOf: repeatElement(0, count: outputs.count * grid.count))
        simulated.withUnsafeBufferPointer { source in
            plan.gridTimeIndex.withUnsafeBufferPointer { timeIndex in
                grid.withUnsafeBufferPointer { grid in
                    buffer.withUnsafeMutableBufferPointer { destination in
                        var d = start
                        for o in outputs {
                            let row = o * timeCount
                            for k in grid {
                                destination[d] = source[row + timeIndex[k]]
                                d += 1
                            }
                        }
                    }
                }
            }
        }
    }

    mutating func add(arm: Int, subjectValues: ArraySlice<Double>) {
        if values[arm].isEmpty { values[arm].reserveCapacity(Swift.max(1, expected[arm]) * stride) }
        values[arm].append(contentsOf: subjectValues)
        counts[arm] += 1
    }

    /// Rows of timecourse.csv: arm, variable, time; N, MEAN, P05, P25, P50, P75, P95.
    ///
    /// The percentiles are exact type-7 order statistics found by selection (`OrderStatistics`)
    /// instead of a full sort: the same values as `SampleQuantile.type7` on the sorted column, in
    /// O(n) per column. A column with a NaN (no total order) or under 64 values is sorted as before.
    func rows(plan: TrialPlan, _ emit: (_ arm: Int, _ output: Int, _ time: Double, _ n: Int, _ mean: Double?, _ percentiles: [Double?]) -> Void) {
        let probabilities = [0.05, 0.25, 0.5, 0.75, 0.95]
        let stride = self.stride
        // Columns are gathered a block at a time: the values are stored subject-major, so one
        // pass over the subjects reads `block` adjacent values (whole cache lines) of each
        // instead of one value per cache line per column.
        let block = 16
        for arm in plan.arms.indices {
            let n = counts[arm]
            var columns = [Double](repeating: 0, count: block * n)
            for blockStart in Swift.stride(from: 0, to: stride, by: block) {
                let width = Swift.min(block, stride - blockStart)
                values[arm].withUnsafeBufferPointer { source in
                    columns.withUnsafeMutableBufferPointer { c in
                        for s in 0..<n {
                            let row = s * stride + blockStart
                            for j in 0..<width { c[j * n + s] = source[row + j] }
                        }
                    }
                }
                for j in 0..<width {
                    let offset = blockStart + j
                    let oi = offset / grid.count, ki = offset % grid.count
                    var sum = CompensatedSum()
                    var ordered = true
                    let ps: [Double?] = columns.withUnsafeMutableBufferPointer { all in
                        let c = UnsafeMutableBufferPointer(rebasing: all[(j * n)..<((j + 1) * n)])
                        for v in c {
                            sum.add(v)
                            if v.isNaN { ordered = false }
                        }
                        if !ordered || n < 64 {
                            var sorted = Array(c)
                            sorted.sort()
                            return probabilities.map { SampleQuantile.type7(sorted: sorted, probability: $0) }
                        }
                        // SampleQuantile.type7, with the ranks it reads placed by one multi-selection.
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
                        OrderStatistics.select(c, ranks: ranks[...], low: 0, high: n - 1, budget: 2 * (64 - n.leadingZeroBitCount) + 8)
                        return probabilities.map { p -> Double? in
                            let h = Double(n - 1) * p
                            let lo = Int(h.rounded(.down))
                            if lo >= n - 1 { return c[n - 1] }
                            let fraction = h - Double(lo)
                            if fraction == 0 { return c[lo] }
                            return c[lo] + fraction * (c[lo + 1] - c[lo])
                        }
                    }
                    let mean = n > 0 ? sum.value / Double(n) : nil
                    emit(arm, outputs[oi], plan.gridTime(grid[ki]), n, mean, ps)
                }
            }
        }
    }
}

/// Places the values of the given ranks (sorted) of a NaN-free buffer at their sorted positions
/// (quickselect on several ranks at once, as `numpy.partition` with a list of kth: a partition
/// recurses only into the sides that hold requested ranks; median-of-three pivot, small ranges
/// and degenerate partitioning fall back to sorting the range).
enum OrderStatistics {
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
