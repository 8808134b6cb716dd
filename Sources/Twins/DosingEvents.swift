import Foundation

/// A subject's doses expanded into the time-ordered discontinuities the simulator walks
/// (mrgsolve's event list): an amount entering the depot (oral, at dose time + TLAG, times F), an
/// amount entering the central compartment (bolus), and an infusion rate switched on or off.
struct DosingEvent: Sendable {
    enum Kind: Sendable {
        case depot(amount: Double)
        case central(amount: Double)
        /// `+rate` at the start of an infusion, `−rate` at its end.
        case infusionRate(change: Double)
    }
    var time: Double
    var kind: Kind
}

/// The reusable event buffer of one simulator. Building it allocates only while its capacity
/// grows (the first subjects); ordering is an insertion sort, linear for the nearly sorted lists
/// doses produce (only infusion ends fall out of order), and stable, so events at one time keep
/// the dose order.
struct DosingEventList {
    private(set) var events: [DosingEvent] = []
    /// What the events were last built from (`lastInputs` nil once something else changed them:
    /// `insert`): a subject with the same doses, F, TLAG and depot, bit for bit, gets the same
    /// events without building them again (W1: every subject; ~1.4k instructions each,
    /// docs/performance.md item 43).
    private var lastDoses: [Dose] = []
    private var lastInputs: (bioavailability: UInt64, lagTime: UInt64, hasDepot: Bool)?

    /// Expands `doses` for one subject. `absorption` is nil when the model has no depot, in
    /// which case an oral dose is an error.
    mutating func build(doses: [Dose], bioavailability: Double, lagTime: Double, hasDepot: Bool) throws(SimulationError) {
        if let last = lastInputs, last.bioavailability == bioavailability.bitPattern, last.lagTime == lagTime.bitPattern,
           last.hasDepot == hasDepot, Self.identical(lastDoses, doses) {
            return
        }
        lastInputs = nil
        try expand(doses: doses, bioavailability: bioavailability, lagTime: lagTime, hasDepot: hasDepot)
        lastDoses.removeAll(keepingCapacity: true)
        lastDoses.append(contentsOf: doses)
        lastInputs = (bioavailability.bitPattern, lagTime.bitPattern, hasDepot)
    }

    /// Whether two dose lists are the same bytes (so the same bits in every field; `==` would
    /// call −0 and +0 equal). Bytes that differ only in padding or in an unused payload make
    /// the lists "different", which costs a rebuild and nothing else; the lists a plan copies
    /// for every subject are byte copies of one list.
    private static func identical(_ a: [Dose], _ b: [Dose]) -> Bool {
        guard a.count == b.count else { return false }
        return a.withUnsafeBytes { a in b.withUnsafeBytes { b in a.count == 0 || memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0 } }
    }

    /// `build` without the reuse.
    private mutating func expand(doses: [Dose], bioavailability: Double, lagTime: Double, hasDepot: Bool) throws(SimulationError) {
        // Checked first (the first invalid dose's error, as the doses are expanded in order),
        // then written in place: the list keeps its storage from subject to subject and its
        // length while the dose count does, so the per-event appends (each a uniqueness and
        // capacity check) are gone.
        var count = 0
        for dose in doses {
            guard dose.time.isFinite, dose.amount.isFinite, dose.time >= 0, dose.amount >= 0 else {
                throw SimulationError(time: dose.time, message: "invalid dose (time \(dose.time) h, amount \(dose.amount) mg): times and amounts must be finite and non-negative")
            }
            switch dose.route {
            case .oral:
                guard hasDepot else {
                    throw SimulationError(time: dose.time, message: "oral dose on a model without first-order absorption (pk absorption must be oral)")
                }
                count += 1
            case .bolus:
                count += 1
            case let .infusion(duration):
                guard duration.isFinite, duration >= 0 else {
                    throw SimulationError(time: dose.time, message: "infusion duration \(duration) h must be finite and non-negative")
                }
                count += duration == 0 ? 1 : 2
            }
        }
        if events.count > count {
            events.removeLast(events.count - count)
        } else if events.count < count {
            events.append(contentsOf: repeatElement(DosingEvent(time: 0, kind: .central(amount: 0)), count: count - events.count))
        }
        events.withUnsafeMutableBufferPointer { events in
            var n = 0
            for dose in doses {
                switch dose.route {
                case .oral:
                    events[n] = DosingEvent(time: dose.time + lagTime, kind: .depot(amount: dose.amount * bioavailability))
                case .bolus:
                    events[n] = DosingEvent(time: dose.time, kind: .central(amount: dose.amount))
                case let .infusion(duration):
                    if duration == 0 {
                        events[n] = DosingEvent(time: dose.time, kind: .central(amount: dose.amount))
                    } else {
                        let rate = dose.amount / duration
                        events[n] = DosingEvent(time: dose.time, kind: .infusionRate(change: rate))
                        n += 1
                        events[n] = DosingEvent(time: dose.time + duration, kind: .infusionRate(change: -rate))
                    }
                }
                n += 1
            }
            // A stable insertion sort by time, skipped when the events are already in order (the
            // usual case: doses come sorted, and one lag time keeps them so).
            var ordered = true
            for i in events.indices.dropFirst() where events[i - 1].time > events[i].time { ordered = false; break }
            if ordered { return }
            for i in events.indices.dropFirst() {
                var j = i
                let moving = events[i]
                while j > 0, events[j - 1].time > moving.time {
                    events[j] = events[j - 1]
                    j -= 1
                }
                events[j] = moving
            }
        }
    }
}

extension DosingEventList {
    /// Inserts one event after every event at or before its time (stable: later insertions at one
    /// time come after earlier ones), for doses decided while the simulation runs and for the
    /// pending events of a steady state.
    mutating func insert(_ event: DosingEvent) {
        lastInputs = nil
        var j = events.count
        events.append(event)
        while j > 0, events[j - 1].time > event.time {
            events[j] = events[j - 1]
            j -= 1
        }
        events[j] = event
    }

    /// Expands one dose into its events (the rules of `build`) and inserts them.
    mutating func add(_ dose: Dose, bioavailability: Double, lagTime: Double, hasDepot: Bool) throws(SimulationError) {
        var single = DosingEventList()
        try single.build(doses: [dose], bioavailability: bioavailability, lagTime: lagTime, hasDepot: hasDepot)
        for event in single.events { insert(event) }
    }
}
