import LinearAlgebra

/// A repeated regimen a subject is at steady state of when the simulation starts (SPEC §2
/// `steady_state: true`): `dose` (its `time` is the regimen's first dose, which must be 0) given
/// every `interval` h, infinitely often before. At t = 0 (before the first real dose) the state is
/// the one after infinitely many prior doses at −j·interval, j ≥ 1; parts of those doses still
/// to come (an absorption lag longer than the interval, an infusion still running) arrive as
/// events after t = 0. Running integrals (AUC, quadratures) start at 0; the baseline output stays
/// the drug-free value.
public struct SteadyStateRegimen: Sendable, Equatable {
    public var dose: Dose
    public var interval: Double

    public init(dose: Dose, interval: Double) {
        self.dose = dose
        self.interval = interval
    }

    /// The ODE path: at most this many intervals are repeated.
    public static let maximumIntervals = 10_000
    /// The ODE path: converged when no state changes by more than this (relative) over an interval.
    public static let relativeChange = 1e-9

    /// The first repetition k whose state may be compared with the one before: every event of the
    /// first dose (the last at `lastEvent` h after it: an absorption lag, an infusion's end) has
    /// happened by the end of repetition k − 1. Before that the state can stay drug-free from one
    /// interval to the next (a lag of 2τ or more), which is not the steady state.
    static func firstComparableInterval(lastEvent: Double, interval tau: Double) -> Int {
        Swift.max(1, Int((lastEvent / tau).rounded(.down)) + 1)
    }
}

extension ModelSimulator {
    /// Replaces the drug-free state (linear and solver) by the steady state of `regimen` and adds
    /// the still-pending events of the prior doses to the event list.
    mutating func installSteadyState(_ regimen: SteadyStateRegimen) throws(SimulationError) {
        let tau = regimen.interval
        guard tau.isFinite, tau > 0 else {
            throw SimulationError(time: 0, message: "steady state needs a positive dosing interval (got \(tau) h)")
        }
        guard regimen.dose.time == 0 else {
            throw SimulationError(time: regimen.dose.time, message: "a steady-state regimen starts at t = 0")
        }
        var single = DosingEventList()
        try single.build(doses: [regimen.dose], bioavailability: parameters.bioavailability, lagTime: parameters.lagTime,
                         hasDepot: model.configuration.pk?.absorption == .oral)
        if odeSimulation == nil, let propagator, let system = model.linearSystem {
            try linearSteadyState(single.events, interval: tau, propagator: propagator, system: system)
        } else {
            try repeatedSteadyState(single.events, interval: tau)
            // Linear PK with states the solver integrates: the repetition stopped when the PK
            // changed by less than 1e-9 per interval, which leaves it up to ~1e-8 short of its
            // limit when it decays slowly. The PK's steady state is exact, as without them
            // (SPEC §4: 1e-9 of the closed form); the solver's states are the repetition's.
            if let propagator, let system = model.linearSystem {
                try linearSteadyState(single.events, interval: tau, propagator: propagator, system: system,
                                      addingPendingEvents: false)
            }
        }
    }

    // MARK: Linear PK: the geometric series

    /// x(0⁻) = Σ_{j≥1} g(j·τ), g(s) the state s h after one dose (its events before s applied).
    /// Beyond the dose's last event T, g(s) = Φ(s − T)·g(T⁺), so with J the first j with j·τ > T
    ///
    ///     Σ_{j≥J} g(j·τ) = Φ(J·τ − T)·(I − Φ(τ))⁻¹·g(T⁺),
    ///
    /// solved by LU over the states that are not running integrals (AUC, ∫CE: Φ has eigenvalue 1
    /// there); the J − 1 earlier terms are summed directly and their later events are pending
    /// (added to the event list unless `addingPendingEvents` is false: the repetition added them).
    private mutating func linearSteadyState(_ doseEvents: [DosingEvent], interval tau: Double,
                                            propagator: LinearPKPropagator, system: LinearPKSystem,
                                            addingPendingEvents: Bool = true) throws(SimulationError) {
        let n = system.count
        let integrators = Set([system.auc] + (system.effectIntegral.map { [$0] } ?? []))
        let last = doseEvents.last?.time ?? 0

        var first = Int((last / tau).rounded(.down)) + 1
        while Double(first) * tau <= last { first += 1 }
        while first > 1, Double(first - 1) * tau > last { first -= 1 }

        var total = [Double](repeating: 0, count: n)
        for j in 1..<first {
            let s = Double(j) * tau
            let g = try singleDoseResponse(doseEvents, at: s, includingEventsAt: false, propagator: propagator, count: n)
            for i in 0..<n { total[i] += g[i] }
            // The parts of dose j still to come after t = 0.
            for event in doseEvents where addingPendingEvents && event.time >= s {
                if case let .infusionRate(change) = event.kind, change < 0 {
                    // An infusion running at t = 0: its rate resumes at 0 and stops at its end.
                    events.insert(DosingEvent(time: 0, kind: .infusionRate(change: -change)))
                }
                events.insert(DosingEvent(time: event.time - s, kind: event.kind))
            }
        }

        var y = try singleDoseResponse(doseEvents, at: last, includingEventsAt: true, propagator: propagator, count: n)
        guard let phi = propagator.transition(for: tau)?.phi else {
            throw SimulationError(time: 0, message: "the linear PK transition matrix is not finite")
        }
        // With KE0 = 0 the effect compartment is never driven: CE stays 0, its row of Φ is the
        // unit row and would make I − Φ(τ) singular (it is left out, as the integrals are).
        var held = integrators
        if let e = system.effect, (0..<n).allSatisfy({ phi[e * n + $0] == ($0 == e ? 1 : 0) }) { held.insert(e) }
        let decaying = (0..<n).filter { !held.contains($0) }
        let m = decaying.count
        var a = Matrix(rows: m, columns: m)
        var b = [Double](repeating: 0, count: m)
        for (r, i) in decaying.enumerated() {
            for (c, j) in decaying.enumerated() { a[r, c] = (i == j ? 1 : 0) - phi[i * n + j] }
            b[r] = y[i]
        }
        do {
            try LUFactorization(a).solve(&b)
        } catch {
            throw SimulationError(time: 0, message: "no steady state: the regimen accumulates without bound (I − Φ(τ) is singular; is CL 0?)")
        }
        for i in 0..<n { y[i] = 0 }
        for (r, i) in decaying.enumerated() { y[i] = b[r] }
        guard propagator.advance(&y, by: Double(first) * tau - last, infusionRate: 0) else {
            throw SimulationError(time: 0, message: "the linear PK transition matrix is not finite")
        }
        for i in decaying { total[i] += y[i] }
        for i in held { total[i] = 0 }
        for i in 0..<n { linearState[i] = total[i] }
    }

    /// The linear state `s` h after one dose at 0 from the empty state: events before `s` (and at
    /// `s` too when `includingEventsAt`) applied, the propagator stepping between them.
    private func singleDoseResponse(_ doseEvents: [DosingEvent], at s: Double, includingEventsAt: Bool,
                                    propagator: LinearPKPropagator, count n: Int) throws(SimulationError) -> [Double] {
        var x = [Double](repeating: 0, count: n)
        var time = 0.0
        var rate = 0.0
        var active = 0
        let system = propagator.system
        for event in doseEvents where event.time < s || (includingEventsAt && event.time == s) {
            guard propagator.advance(&x, by: event.time - time, infusionRate: rate) else {
                throw SimulationError(time: time, message: "the linear PK transition matrix is not finite")
            }
            time = event.time
            switch event.kind {
            case let .depot(amount): if let d = system.depot { x[d] += amount }
            case let .central(amount): x[system.central] += amount
            case let .infusionRate(change):
                rate += change
                active += change > 0 ? 1 : -1
                if active == 0 { rate = 0 }
            }
        }
        guard propagator.advance(&x, by: s - time, infusionRate: rate) else {
            throw SimulationError(time: time, message: "the linear PK transition matrix is not finite")
        }
        return x
    }

    // MARK: Everything else: repeat the interval

    /// Repeats the dosing interval from the drug-free state (the simulator's own event walk, no
    /// observations) until no state that is not a running integral changes by more than 1e-9
    /// relative over an interval (compared only once the first dose's events have all happened:
    /// `firstComparableInterval`); then the pending events (times shifted to the last dose) join
    /// the event list and the integrals restart at 0.
    private mutating func repeatedSteadyState(_ doseEvents: [DosingEvent], interval tau: Double) throws(SimulationError) {
        var pending: [DosingEvent] = []
        var infusionRate = 0.0
        var activeInfusions = 0
        let noTimes: [Double] = []
        var noOutputs: [Double] = [], noIntegrals: [Double] = []
        var linearIntegrators: [Int] = []
        if let system = model.linearSystem {
            linearIntegrators = [system.auc] + (system.effectIntegral.map { [$0] } ?? [])
        }
        var odeIntegrators: [Int] = []
        if let layout = model.odeLayout {
            odeIntegrators = (layout.areaUnderCurve.map { [$0] } ?? []) + Array(layout.quadratureStart..<layout.dimension)
        }
        let savedStart = odeSimulation?.treatmentStart
        odeSimulation?.treatmentStart = 0
        defer { if savedStart != nil { odeSimulation?.treatmentStart = savedStart! } }

        var previousLinear = linearState, previousODE = odeState
        var converged = false
        let settled = SteadyStateRegimen.firstComparableInterval(lastEvent: doseEvents.last?.time ?? 0, interval: tau)
        for k in 0..<SteadyStateRegimen.maximumIntervals {
            let start = Double(k) * tau, end = Double(k + 1) * tau
            for event in doseEvents { insertSorted(&pending, DosingEvent(time: start + event.time, kind: event.kind)) }
            odeSimulation?.resetStepHint()
            var time = start
            while time < end {
                var used = 0
                while used < pending.count, pending[used].time <= time {
                    apply(pending[used].kind, infusionRate: &infusionRate, activeInfusions: &activeInfusions)
                    used += 1
                }
                pending.removeFirst(used)
                let segmentEnd = min(end, pending.first?.time ?? end)
                try advanceSegment(from: time, to: segmentEnd, observations: 0..<0, times: noTimes,
                                   infusionRate: infusionRate, outputs: &noOutputs, integrals: &noIntegrals)
                time = segmentEnd
            }
            for i in linearIntegrators { linearState[i] = 0 }
            for i in odeIntegrators { odeState[i] = 0 }
            if k >= settled, Self.unchanged(linearState, previousLinear), Self.unchanged(odeState, previousODE) {
                // The state at (k + 1)·τ, before that dose: shift the pending events to t = 0.
                for event in pending {
                    if case let .infusionRate(change) = event.kind, change < 0 {
                        events.insert(DosingEvent(time: 0, kind: .infusionRate(change: -change)))
                    }
                    events.insert(DosingEvent(time: event.time - end, kind: event.kind))
                }
                converged = true
                break
            }
            previousLinear = linearState
            previousODE = odeState
        }
        guard converged else {
            throw SimulationError(time: 0, message: "no steady state: the state still changes by more than 1e-9 (relative) per dosing interval after \(SteadyStateRegimen.maximumIntervals) intervals")
        }
    }

    private static func unchanged(_ a: [Double], _ b: [Double]) -> Bool {
        for i in a.indices {
            let d = abs(a[i] - b[i])
            if !(d <= SteadyStateRegimen.relativeChange * max(abs(a[i]), abs(b[i]))) { return false }
        }
        return true
    }

    private func insertSorted(_ list: inout [DosingEvent], _ event: DosingEvent) {
        var j = list.count
        list.append(event)
        while j > 0, list[j - 1].time > event.time {
            list[j] = list[j - 1]
            j -= 1
        }
        list[j] = event
    }
}
