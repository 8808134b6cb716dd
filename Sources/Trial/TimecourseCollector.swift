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

    init(plan: TrialPlan) {
        outputs = plan.output.timecourseOutputs
        grid = plan.output.timecourseGrid
        limit = plan.output.timecourseSubjects
        values = Array(repeating: [], count: plan.arms.count)
        counts = Array(repeating: 0, count: plan.arms.count)
    }

    var stride: Int { outputs.count * grid.count }

    /// Whether subject number `n` (0-based, within its arm) is collected.
    func wants(indexInArm n: Int) -> Bool { n < limit && stride > 0 }

    /// Copies one subject's values from a simulator output buffer into `buffer`.
    static func extract(plan: TrialPlan, outputs: [Int], grid: [Int], from simulated: [Double], into buffer: inout [Double]) {
        let timeCount = plan.observationTimes.count
        for o in outputs {
            for k in grid { buffer.append(simulated[o * timeCount + plan.gridTimeIndex[k]]) }
        }
    }

    mutating func add(arm: Int, subjectValues: ArraySlice<Double>) {
        values[arm].append(contentsOf: subjectValues)
        counts[arm] += 1
    }

    /// Rows of timecourse.csv: arm, variable, time; N, MEAN, P05, P25, P50, P75, P95.
    func rows(plan: TrialPlan, _ emit: (_ arm: Int, _ output: Int, _ time: Double, _ n: Int, _ mean: Double?, _ percentiles: [Double?]) -> Void) {
        var column: [Double] = []
        for arm in plan.arms.indices {
            let n = counts[arm]
            for (oi, o) in outputs.enumerated() {
                for (ki, k) in grid.enumerated() {
                    column.removeAll(keepingCapacity: true)
                    let offset = oi * grid.count + ki
                    for s in 0..<n { column.append(values[arm][s * stride + offset]) }
                    var sum = CompensatedSum()
                    for v in column { sum.add(v) }
                    column.sort()
                    let mean = n > 0 ? sum.value / Double(n) : nil
                    let ps = [0.05, 0.25, 0.5, 0.75, 0.95].map { SampleQuantile.type7(sorted: column, probability: $0) }
                    emit(arm, o, plan.gridTime(k), n, mean, ps)
                }
            }
        }
    }
}
