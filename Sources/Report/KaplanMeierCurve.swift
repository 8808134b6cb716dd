/// The Kaplan–Meier product-limit estimate of a survival function (Kaplan & Meier 1958):
/// S(t) = ∏ over event times tᵢ ≤ t of (1 − dᵢ / nᵢ), with dᵢ events at tᵢ and nᵢ subjects still at
/// risk just before tᵢ (time ≥ tᵢ). A subject censored at an event time counts as at risk at it
/// (censoring is taken to follow the events at the same time), as in R's survival package.
struct KaplanMeierCurve: Equatable {
    /// The estimate just after one event time.
    struct Step: Equatable {
        var time: Double
        var survival: Double
        var atRisk: Int
        var events: Int
    }

    /// One step per distinct event time, ascending.
    let steps: [Step]
    /// The censoring times, ascending (repeated for ties), with the estimate at each.
    let censorings: [(time: Double, survival: Double)]
    /// The largest observed time (event or censoring); the curve is drawn up to it.
    let lastTime: Double
    let subjects: Int

    /// - Parameters: `observations`: (time, censored) per subject, in any order.
    init(observations: [(time: Double, censored: Bool)]) {
        // Sort by time, events before censorings at the same time (the at-risk convention above).
        let sorted = observations.sorted { a, b in
            a.time != b.time ? a.time < b.time : (!a.censored && b.censored)
        }
        var steps: [Step] = []
        var censorings: [(time: Double, survival: Double)] = []
        var survival = 1.0
        var atRisk = sorted.count
        var index = 0
        while index < sorted.count {
            let time = sorted[index].time
            var events = 0
            var censored = 0
            while index < sorted.count && sorted[index].time == time {
                if sorted[index].censored { censored += 1 } else { events += 1 }
                index += 1
            }
            if events > 0 {
                survival *= 1 - Double(events) / Double(atRisk)
                steps.append(Step(time: time, survival: survival, atRisk: atRisk, events: events))
            }
            for _ in 0..<censored { censorings.append((time, survival)) }
            atRisk -= events + censored
        }
        self.steps = steps
        self.censorings = censorings
        self.lastTime = sorted.last?.time ?? 0
        self.subjects = observations.count
    }

    /// The corner points of the step curve from (0, 1) to (lastTime, S(lastTime)): horizontal to
    /// each event time, then down to the new estimate.
    var stepPoints: [(time: Double, survival: Double)] {
        var points: [(time: Double, survival: Double)] = [(0, 1)]
        var survival = 1.0
        for step in steps {
            points.append((step.time, survival))
            points.append((step.time, step.survival))
            survival = step.survival
        }
        if lastTime > (points.last?.time ?? 0) { points.append((lastTime, survival)) }
        return points
    }

    static func == (a: KaplanMeierCurve, b: KaplanMeierCurve) -> Bool {
        a.steps == b.steps && a.lastTime == b.lastTime && a.subjects == b.subjects
            && a.censorings.elementsEqual(b.censorings) { $0.time == $1.time && $0.survival == $1.survival }
    }
}
