import Foundation

/// A Kaplan–Meier survival curve (Kaplan & Meier 1958, JASA 53:457) of one group.
public struct KaplanMeierCurve: Sendable, Equatable {
    /// Number of subjects.
    public var subjects: Int
    /// Number of events.
    public var events: Int
    /// The distinct event times, ascending. The curve is 1 before the first of them and steps down
    /// to `survival[j]` at `times[j]`, staying there until the next one (right-continuous).
    public var times: [Double]
    /// Ŝ(t) at and after `times[j]`: Π_{i ≤ j} (1 − dᵢ/nᵢ).
    public var survival: [Double]
    /// nⱼ: subjects still at risk just before `times[j]` (censored at tⱼ count as at risk).
    public var atRisk: [Int]
    /// dⱼ: events at `times[j]`.
    public var eventCounts: [Int]
    /// The median survival time (SPEC §6): the earliest event time at which Ŝ ≤ 0.5 (compared with
    /// tolerance 1e-9); when Ŝ equals 0.5 there, the midpoint of that time and the next event time
    /// (that time itself if no event follows), as R's survival package; nil if Ŝ never reaches 0.5.
    public var median: Double?
}

public enum KaplanMeier {
    /// The product-limit estimate from follow-up `times` (finite, ≥ 0) and `events` (true: the
    /// event was observed at that time; false: censored). At a tied time, events are counted before
    /// censorings (a subject censored at t was at risk at t).
    public static func estimate(times: [Double], events: [Bool]) -> KaplanMeierCurve {
        precondition(times.count == events.count, "times and events must have equal length")
        let order = times.indices.sorted { (times[$0], events[$0] ? 0 : 1, $0) < (times[$1], events[$1] ? 0 : 1, $1) }
        var curve = KaplanMeierCurve(subjects: times.count, events: 0, times: [], survival: [], atRisk: [], eventCounts: [], median: nil)
        var atRisk = times.count
        var s = 1.0
        var k = 0
        while k < order.count {
            let t = times[order[k]]
            var d = 0, removed = 0
            while k < order.count && times[order[k]] == t {
                if events[order[k]] { d += 1 }
                removed += 1
                k += 1
            }
            if d > 0 {
                s *= 1 - Double(d) / Double(atRisk)
                curve.times.append(t)
                curve.survival.append(s)
                curve.atRisk.append(atRisk)
                curve.eventCounts.append(d)
                curve.events += d
            }
            atRisk -= removed
        }
        curve.median = median(times: curve.times, survival: curve.survival)
        return curve
    }

    static func median(times: [Double], survival: [Double]) -> Double? {
        let tolerance = 1e-9
        for j in survival.indices where survival[j] <= 0.5 + tolerance {
            if survival[j] >= 0.5 - tolerance {
                return j + 1 < times.count ? 0.5 * (times[j] + times[j + 1]) : times[j]
            }
            return times[j]
        }
        return nil
    }
}
