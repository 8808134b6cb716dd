import Foundation

/// One arm-versus-control comparison of one endpoint (or AE term) averaged over replicates, as the
/// forest plot shows it.
///
/// **Averaging.** Over the replicates whose ESTIMATE, CI_LOWER and CI_UPPER are all present, each
/// of the three is averaged separately: arithmetically for differences, geometrically (exp of the
/// mean log) for ratios — as power.csv's MEAN_ESTIMATE does for hazard ratios. The averaged
/// interval is the typical single-trial interval, not an interval for the average.
///
/// **Ratio rule.** comparisons.csv has no scale column, so a row is a ratio when
/// - METHOD is `COX_PH` (a hazard ratio), or
/// - METHOD is `WELCH_T`, `ANCOVA` or `PAIRED_T` (symmetric t intervals) and in every replicate with
///   a full interval the estimate and both bounds are positive and the interval is symmetric about
///   the estimate on the log scale but not on the linear scale — the signature of exp(d ± h), which
///   is how a `scale: log` endpoint is written (SPEC §2). A difference interval d ± h is never
///   log-symmetric unless its width is 0.
/// Risk differences (`RISK_DIFF`, `PAIRED_RISK_DIFF`) and any other method are differences.
struct ComparisonSummary {
    var endpoint: String
    var arm: String
    var control: String
    var method: String
    var isRatio: Bool
    /// Replicates with a full estimate and interval (those averaged).
    var definedReplicates: Int
    var replicates: Int
    var estimate: Double?
    var lower: Double?
    var upper: Double?
    /// The first replicate's own estimate and interval, for the table.
    var firstEstimate: Double?
    var firstLower: Double?
    var firstUpper: Double?
    /// Replicates with SIGNIFICANT = 1.
    var significant: Int

    /// Groups `rows` by (ENDPOINT, ARM, METHOD) in first-appearance order and summarises each.
    static func summaries(of rows: [ComparisonRecord]) -> [ComparisonSummary] {
        var keys: [String] = []
        var groups: [String: [ComparisonRecord]] = [:]
        for row in rows {
            // The unit separator cannot occur in CSV text the engine writes, so keys never collide.
            let key = row.endpoint + "\u{1F}" + row.arm + "\u{1F}" + row.method
            if groups[key] == nil { keys.append(key) }
            groups[key, default: []].append(row)
        }
        return keys.map { summary(of: groups[$0]!) }
    }

    private static func summary(of rows: [ComparisonRecord]) -> ComparisonSummary {
        let first = rows.min { $0.replicate < $1.replicate }!
        let full = rows.compactMap { row -> (Double, Double, Double)? in
            guard let estimate = row.estimate, let lower = row.lower, let upper = row.upper else { return nil }
            return (estimate, lower, upper)
        }
        let ratio = isRatio(method: first.method, intervals: full)
        func average(_ values: [Double]) -> Double? {
            if ratio { return arithmeticMean(values.map { Foundation.log($0) }).map { Foundation.exp($0) } }
            return arithmeticMean(values)
        }
        return ComparisonSummary(
            endpoint: first.endpoint, arm: first.arm, control: first.control, method: first.method, isRatio: ratio,
            definedReplicates: full.count, replicates: rows.count,
            estimate: average(full.map(\.0)), lower: average(full.map(\.1)), upper: average(full.map(\.2)),
            firstEstimate: first.estimate, firstLower: first.lower, firstUpper: first.upper,
            significant: rows.filter { $0.significant == 1 }.count)
    }

    /// The ratio rule (see the type's documentation).
    static func isRatio(method: String, intervals: [(estimate: Double, lower: Double, upper: Double)]) -> Bool {
        if method == "COX_PH" { return true }
        guard ["WELCH_T", "ANCOVA", "PAIRED_T"].contains(method), !intervals.isEmpty else { return false }
        return intervals.allSatisfy { estimate, lower, upper in
            guard lower > 0, estimate > 0, upper > lower else { return false }
            let logLower = Foundation.log(lower), logEstimate = Foundation.log(estimate), logUpper = Foundation.log(upper)
            let logScale = max(logLower.magnitude, logEstimate.magnitude, logUpper.magnitude)
            let logAsymmetry = ((logUpper - logEstimate) - (logEstimate - logLower)).magnitude
            let logSymmetric = logAsymmetry <= 1e-7 * (logUpper - logLower) + 1e-12 * logScale
            let linearAsymmetry = ((upper - estimate) - (estimate - lower)).magnitude
            let linearSymmetric = linearAsymmetry <= 1e-9 * (upper - lower) + 1e-13 * upper
            return logSymmetric && !linearSymmetric
        }
    }
}
