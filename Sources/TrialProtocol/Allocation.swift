/// Allocates `subjects` to arms by `ratios` with largest-remainder rounding (SPEC §2): each arm
/// gets ⌊subjects·ratio/Σratio⌋, and the subjects left over go one each to the arms with the
/// largest remainders, equal remainders to the earlier arm. Exact (integer arithmetic); the result
/// sums to `subjects`.
///
/// ```swift
/// allocate(subjects: 10, ratios: [1, 2])   // [3, 7]: quotas 3.33, 6.67
/// ```
public func allocate(subjects: Int, ratios: [Int]) -> [Int] {
    let total = ratios.reduce(0, +)
    guard total > 0, subjects > 0 else { return ratios.map { _ in 0 } }
    var counts = ratios.map { subjects * $0 / total }
    let remainders = ratios.map { subjects * $0 % total }
    let left = subjects - counts.reduce(0, +)
    let order = remainders.indices.sorted { remainders[$0] != remainders[$1] ? remainders[$0] > remainders[$1] : $0 < $1 }
    for i in order.prefix(left) { counts[i] += 1 }
    return counts
}
