import Sampling
import Foundation

/// The log-rank test of two groups (Mantel 1966; Peto & Peto 1972) with the hypergeometric
/// variance, as R's `survdiff` and lifelines' `logrank_test`.
///
/// At each distinct event time with d events among n at risk, n₁ of them in the arm:
/// E₁ += d·n₁/n and V += d·(n₁/n)(1 − n₁/n)(n − d)/(n − 1). χ² = (O₁ − E₁)²/V on 1 df.
public struct LogRankTest: Sendable, Equatable {
    /// O₁: events in the arm.
    public var observedArm: Double
    /// E₁: events expected in the arm under equal hazards.
    public var expectedArm: Double
    /// V, the hypergeometric variance of O₁ − E₁.
    public var variance: Double

    /// `isArm[i]` tells the arm (true) from the control (false); times finite and ≥ 0.
    public init(times: [Double], events: [Bool], isArm: [Bool]) {
        precondition(times.count == events.count && times.count == isArm.count, "inputs must have equal length")
        let order = times.indices.sorted { (times[$0], $0) < (times[$1], $1) }
        var atRisk = times.count
        var atRiskArm = isArm.reduce(0) { $0 + ($1 ? 1 : 0) }
        var observed = 0, expected = CompensatedSum(), v = CompensatedSum()
        var k = 0
        while k < order.count {
            let t = times[order[k]]
            var d = 0, dArm = 0, removed = 0, removedArm = 0
            while k < order.count && times[order[k]] == t {
                let i = order[k]
                if events[i] { d += 1; if isArm[i] { dArm += 1 } }
                removed += 1
                if isArm[i] { removedArm += 1 }
                k += 1
            }
            if d > 0 {
                let n = Double(atRisk), n1 = Double(atRiskArm), dd = Double(d)
                observed += dArm
                expected.add(dd * n1 / n)
                if atRisk > 1 { v.add(dd * (n1 / n) * (1 - n1 / n) * (n - dd) / (n - 1)) }
            }
            atRisk -= removed
            atRiskArm -= removedArm
        }
        observedArm = Double(observed)
        expectedArm = expected.value
        variance = v.value
    }

    /// (O₁ − E₁)²/V; nil when V = 0 (no events, or no subjects left to compare).
    public var chiSquare: Double? {
        guard variance > 0 else { return nil }
        let diff = observedArm - expectedArm
        return diff * diff / variance
    }

    /// Two-sided: P(χ²₁ > χ²). One-sided from Z = (O₁ − E₁)/√V: `greater` (H₁: the arm's hazard is
    /// higher, hazard ratio > 1) P(N > Z); `less` (H₁: hazard ratio < 1) P(N < Z). nil when V = 0.
    public func pValue(alternative: Alternative) -> Double? {
        guard variance > 0, let chi2 = chiSquare else { return nil }
        let z = (observedArm - expectedArm) / variance.squareRoot()
        switch alternative {
        case .twoSided: return ChiSquared.survival(chi2, degreesOfFreedom: 1)
        case .greater: return StandardNormal.cdf(-z)
        case .less: return StandardNormal.cdf(z)
        }
    }
}
