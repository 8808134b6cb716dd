import Statistics

/// SPEC §5 `COX_PH`: the hazard ratio arm/control with its Wald interval from a Cox model (Efron
/// ties), and the log-rank p-value (hypergeometric variance, as R's survdiff). With no events in
/// the arm or in the control the estimate and interval are empty and the log-rank p stays.
enum SurvivalComparison {
    /// The comparison, and whether the arm's hazard is the lower one by the log-rank's observed
    /// and expected events in the arm (O₁ < E₁; nil when they are equal or nothing was compared):
    /// the side of the effect when the Cox estimate is empty.
    static func compare(times: [Double], events: [Bool], inArm: [Bool], alpha: Double,
                        alternative: Alternative) -> (result: Statistics.ComparisonResult, armHazardLower: Bool?) {
        // An undefined Cox estimate (no events in a group, monotone likelihood) leaves ESTIMATE and
        // CI empty while the log-rank p stays.
        var result = CoxProportionalHazards.compare(times: times, events: events, isArm: inArm, alpha: alpha, alternative: alternative)
        let logRank = LogRankTest(times: times, events: events, isArm: inArm)
        result.pValue = logRank.pValue(alternative: alternative)
        let lower: Bool? = logRank.variance > 0 && logRank.observedArm != logRank.expectedArm
            ? logRank.observedArm < logRank.expectedArm : nil
        return (result, lower)
    }
}

/// SPEC §5 `ANCOVA`: one OLS model of the analysed value on treatment indicators (coded against
/// the control) and BASE, over the subjects with both values; returns each arm's coefficient.
enum AncovaModel {
    static func armEffects(values: [Double?], baseline: [Double?], arm: [Int], control: Int, armCount: Int) -> [Int: EstimateWithStandardError] {
        // Group 0 is the control; the other arms are numbered 1… in protocol order.
        var groupOf = [Int](repeating: 0, count: armCount)
        var next = 1
        for a in 0..<armCount where a != control { groupOf[a] = next; next += 1 }
        var y: [Double] = [], x: [Double] = [], g: [Int] = []
        for u in values.indices {
            guard let v = values[u], let b = baseline[u] else { continue }
            y.append(v); x.append(b); g.append(groupOf[arm[u]])
        }
        let fits = ANCOVA.fit(values: y, baselines: x, groups: g, armCount: armCount - 1)
        var out: [Int: EstimateWithStandardError] = [:]
        for a in 0..<armCount where a != control {
            if let fit = fits[groupOf[a] - 1] { out[a] = fit }
        }
        return out
    }
}
