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
        simulated.withUnsafeBufferPointer { source in
            plan.gridTimeIndex.withUnsafeBufferPointer { timeIndex in
                for o in outputs {
                    buffer.append(contentsOf: grid.lazy.map { source[o * timeCount + timeIndex[$0]] })
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
    /// The percentiles are exact type-7 order statistics found by selection (Hoare's FIND,
    /// narrowing from the left: the requested ranks ascend) instead of a full sort: the same
    /// values as `SampleQuantile.type7` on the sorted column, in O(n) per column. A column with a
    /// NaN (no total order) is sorted as before.
    func rows(plan: TrialPlan, _ emit: (_ arm: Int, _ output: Int, _ time: Double, _ n: Int, _ mean: Double?, _ percentiles: [Double?]) -> Void) {
        var column: [Double] = []
        let probabilities = [0.05, 0.25, 0.5, 0.75, 0.95]
        for arm in plan.arms.indices {
            let n = counts[arm]
            column = [Double](repeating: 0, count: n)
            for (oi, o) in outputs.enumerated() {
                for (ki, k) in grid.enumerated() {
                    let offset = oi * grid.count + ki
                    var sum = CompensatedSum()
                    var ordered = true
                    values[arm].withUnsafeBufferPointer { source in
                        column.withUnsafeMutableBufferPointer { c in
                            for s in 0..<n {
                                let v = source[s * stride + offset]
                                c[s] = v
                                sum.add(v)
                                if v.isNaN { ordered = false }
                            }
                        }
                    }
                    let mean = n > 0 ? sum.value / Double(n) : nil
                    let ps: [Double?]
                    if !ordered || n < 64 {
                        column.sort()
                        ps = probabilities.map { SampleQuantile.type7(sorted: column, probability: $0) }
                    } else {
                        ps = column.withUnsafeMutableBufferPointer { c in
                            var selector = OrderStatistics(c)
                            return probabilities.map { p -> Double? in
                                // SampleQuantile.type7, reading ranks from the selector.
                                let h = Double(n - 1) * p
                                let lo = Int(h.rounded(.down))
                                if lo >= n - 1 { return selector.value(rank: n - 1) }
                                let fraction = h - Double(lo)
                                let a = selector.value(rank: lo)
                                if fraction == 0 { return a }
                                let b = selector.value(rank: lo + 1)
                                return a + fraction * (b - a)
                            }
                        }
                    }
                    emit(arm, o, plan.gridTime(k), n, mean, ps)
                }
            }
        }
    }
}

/// Order statistics of a NaN-free buffer for non-decreasing ranks: each request partitions only
/// the part right of the previous rank (quickselect, median-of-three pivot, falling back to a
/// sort of the remaining range when partitioning degenerates).
struct OrderStatistics {
    private let a: UnsafeMutableBufferPointer<Double>
    /// a[0...placed] ≤ a[placed+1...], and a[placed] is the value of rank `placed`.
    private var placed = -1

    init(_ buffer: UnsafeMutableBufferPointer<Double>) { a = buffer }

    mutating func value(rank k: Int) -> Double {
        precondition(k >= placed && k < a.count, "ranks must not decrease")
        if k == placed { return a[k] }
        var left = placed + 1, right = a.count - 1
        var budget = 2 * (64 - (right - left + 1).leadingZeroBitCount) + 8
        while right > left {
            if budget == 0 {
                var rest = UnsafeMutableBufferPointer(rebasing: a[left...right])
                rest.sort()
                break
            }
            budget -= 1
            // Median of three as pivot value.
            let mid = left + (right - left) / 2
            var x = a[left], y = a[mid], z = a[right]
            if y < x { swap(&x, &y) }
            if z < y { swap(&y, &z); if y < x { swap(&x, &y) } }
            let pivot = y
            // Hoare partition: [left, j] ≤ pivot ≤ [i, right].
            var i = left, j = right
            while i <= j {
                while a[i] < pivot { i += 1 }
                while pivot < a[j] { j -= 1 }
                if i <= j {
                    a.swapAt(i, j)
                    i += 1; j -= 1
                }
            }
            if k <= j { right = j } else if k >= i { left = i } else { break }
        }
        placed = k
        return a[k]
    }
}
