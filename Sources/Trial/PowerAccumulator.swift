import Foundation
import Output
import Statistics
import TrialProtocol

/// Power over replicates (SPEC §5–6): per (endpoint-or-term, arm, method), the share of
/// replicates with SIGNIFICANT = 1, its exact Clopper–Pearson interval, and the mean of the
/// defined estimates (geometric for ratios). Fed one replicate's comparison rows at a time, in
/// replicate order, so `vtrial merge` can rebuild it exactly from comparisons.csv.
struct PowerAccumulator {
    struct Key: Hashable {
        var endpoint: String
        var arm: Int
        var method: String
    }
    struct Tally {
        var replicates = 0
        var significant = 0
        var estimateSum = CompensatedSum()
        var estimateRange = (minimum: Double.infinity, maximum: -Double.infinity)
        var estimates = 0
        var ratio = false
    }
    private(set) var order: [Key] = []
    private(set) var tallies: [Key: Tally] = [:]
    /// Success criteria: replicates counted and met.
    private(set) var successMet: [Int] = []
    private(set) var successReplicates = 0

    /// Adds one replicate's comparison rows (in comparisons.csv order).
    mutating func add(rows: [(endpoint: String, arm: Int, method: String, estimate: Double?, significant: Bool, ratio: Bool)],
                      success: [SuccessCriterion]) {
        for row in rows {
            let key = Key(endpoint: row.endpoint, arm: row.arm, method: row.method)
            if tallies[key] == nil { order.append(key); tallies[key] = Tally() }
            tallies[key]!.replicates += 1
            tallies[key]!.ratio = row.ratio
            if row.significant { tallies[key]!.significant += 1 }
            if let e = row.estimate {
                let x = row.ratio ? Foundation.log(e) : e
                tallies[key]!.estimateSum.add(x)
                tallies[key]!.estimateRange.minimum = Swift.min(tallies[key]!.estimateRange.minimum, x)
                tallies[key]!.estimateRange.maximum = Swift.max(tallies[key]!.estimateRange.maximum, x)
                tallies[key]!.estimates += 1
            }
        }
        if successMet.count < success.count { successMet = Array(repeating: 0, count: success.count) }
        successReplicates += 1
        for (i, criterion) in success.enumerated() {
            var verdicts: [Bool] = []
            for reference in criterion.comparisons {
                // `ENDPOINT` means every non-control arm's comparison; `ENDPOINT@ARM` one of them.
                for row in rows where row.endpoint == reference.endpoint && (reference.arm == nil || reference.arm == row.arm) {
                    verdicts.append(row.significant)
                }
            }
            let met = criterion.method == .all ? (!verdicts.isEmpty && verdicts.allSatisfy { $0 }) : verdicts.contains(true)
            if met { successMet[i] += 1 }
        }
    }

    mutating func add(_ analysis: ReplicateAnalysis, plan: TrialPlan) {
        add(rows: analysis.comparisons.map { ($0.endpoint, $0.arm, $0.method, $0.result.estimate, $0.significant, $0.ratio) },
            success: plan.analysis?.success ?? [])
    }

    func write(plan: TrialPlan, to writer: CSVWriter) {
        guard let analysis = plan.analysis else { return }
        write(alpha: analysis.alpha, control: plan.arms[analysis.control].name, armNames: plan.arms.map(\.name),
              success: analysis.success, to: writer)
    }

    /// Writes the rows of power.csv from the analysis facts alone (`vtrial merge` has no plan).
    func write(alpha: Double, control: String, armNames: [String], success: [SuccessCriterion], to writer: CSVWriter) {
        for key in order {
            let t = tallies[key]!
            let power = PowerEstimate(significant: t.significant, replicates: t.replicates, alpha: alpha)
            writer.field(key.endpoint)
            writer.field(armNames[key.arm])
            writer.field(control)
            writer.field(key.method)
            writer.field(t.replicates)
            writer.field(t.significant)
            writer.field(power.power)
            writer.field(power.lower)
            writer.field(power.upper)
            if t.estimates > 0 {
                let mean = t.estimateSum.mean(count: t.estimates, minimum: t.estimateRange.minimum, maximum: t.estimateRange.maximum)
                writer.field(t.ratio ? Foundation.exp(mean) : mean)
            } else {
                writer.emptyField()
            }
            writer.endRow()
        }
        for (i, criterion) in success.enumerated() {
            let met = i < successMet.count ? successMet[i] : 0
            let power = PowerEstimate(significant: met, replicates: successReplicates, alpha: alpha)
            writer.field(criterion.id)
            writer.emptyField()
            writer.emptyField()
            writer.field(criterion.method == .all ? "ALL" : "ANY")
            writer.field(successReplicates)
            writer.field(met)
            writer.field(power.power)
            writer.field(power.lower)
            writer.field(power.upper)
            writer.emptyField()
            writer.endRow()
        }
    }
}
