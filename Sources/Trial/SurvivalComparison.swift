import Statistics

/// SPEC §5 `COX_PH`: the hazard ratio arm/control with its Wald interval from a Cox model (Efron
/// ties), and the log-rank p-value (hypergeometric variance, as R's survdiff). With no events in
/// the arm or in the control the estimate and interval are empty and the log-rank p stays.
enum SurvivalComparison {
    static func compare(times: [Double], events: [Bool], inArm: [Bool], alpha: Double, alternative: Alternative) -> Statistics.ComparisonResult {
        // An undefined Cox estimate (no events in a group, monotone likelihood) leaves ESTIMATE and
        // CI empty while the log-rank p stays.
        var result = CoxProportionalHazards.compare(times: times, events: events, isArm: inArm, alpha: alpha, alternative: alternative)
        result.pValue = LogRankTest(times: times, events: events, isArm: inArm).pValue(alternative: alternative)
        return result
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
