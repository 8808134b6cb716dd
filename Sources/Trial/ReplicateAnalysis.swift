import Foundation
import Synchronization
import Statistics
import TrialProtocol

/// Everything the statistics of one replicate need, one entry per simulated unit (a subject, or a
/// patient in one arm for a matched design) in output order.
struct ReplicateData {
    var arm: [Int] = []
    /// Per arm, its units in order (`arm`'s indices), kept as the units are appended: made from
    /// `arm` by the statistics, W1's 100,000 units took ~1 ms at the end of the run, while the
    /// other threads waited.
    var members: [[Int]] = []
    /// Units to reserve room for in each arm's list (`reserve`).
    private var reservedPerArm: [Int] = []
    /// Per endpoint: analysed values (natural scale), BASE, responder flags, censoring flags.
    var analysed: [OptionalColumn<Double>]
    var base: [OptionalColumn<Double>]
    var responder: [OptionalColumn<Int>]
    var censored: [OptionalColumn<Int>]
    /// Per AE term: the treatment-emergent grade (0 = none).
    var aeGrade: [[Int]]

    init(endpoints: Int, terms: Int) {
        analysed = Array(repeating: OptionalColumn(), count: endpoints)
        base = Array(repeating: OptionalColumn(), count: endpoints)
        responder = Array(repeating: OptionalColumn(), count: endpoints)
        censored = Array(repeating: OptionalColumn(), count: endpoints)
        aeGrade = Array(repeating: [], count: terms)
    }

    /// Room for `n` units, `perArm[a]` of them in arm a (if given).
    mutating func reserve(_ n: Int, perArm: [Int] = []) {
        arm.reserveCapacity(n)
        reservedPerArm = perArm
        for a in members.indices where a < perArm.count { members[a].reserveCapacity(perArm[a]) }
        for e in analysed.indices {
            analysed[e].reserveCapacity(n); base[e].reserveCapacity(n)
            responder[e].reserveCapacity(n); censored[e].reserveCapacity(n)
        }
        for a in aeGrade.indices { aeGrade[a].reserveCapacity(n) }
    }

    /// Gives the pages of the large arrays back to the kernel now (their contents become zeros):
    /// for a value about to be freed, whose arrays nothing else shares. `madvise` holds the
    /// address-space lock only for reading, so the other threads' page faults go on; the unmapping
    /// that frees the arrays then has no pages left to free.
    mutating func discardPages() {
        discardPagesOf(&arm)
        for a in members.indices { discardPagesOf(&members[a]) }
        for e in analysed.indices {
            analysed[e].discardPages(); base[e].discardPages(); responder[e].discardPages(); censored[e].discardPages()
        }
        for a in aeGrade.indices { discardPagesOf(&aeGrade[a]) }
    }

    /// Makes the unit lists of arms 0…a (sized as `reserve` said).
    mutating func ensureMembers(through a: Int) {
        while members.count <= a {
            var units: [Int] = []
            if members.count < reservedPerArm.count { units.reserveCapacity(reservedPerArm[members.count]) }
            members.append(units)
        }
    }

    mutating func append(arm a: Int, endpoints: [EndpointOutcome], adverseEvents: [AdverseEventOutcome]) {
        ensureMembers(through: a)
        members[a].append(arm.count)
        arm.append(a)
        for (e, o) in endpoints.enumerated() {
            analysed[e].append(o.analysed); base[e].append(o.base)
            responder[e].append(o.responder); censored[e].append(o.censored)
        }
        for (k, o) in adverseEvents.enumerated() { aeGrade[k].append(o.grade) }
    }
}

/// `[Value?]` that stores nothing while every value is nil: most endpoints have no baseline, no
/// responder rule and no censoring (W1: 9 of its 12 per-unit columns, 14 MB of a replicate of
/// 100,000 subjects to fault in, copy and free; docs/performance.md, item 56). Reads as the
/// array it stands for.
struct OptionalColumn<Value> {
    /// The values once one is not nil (with the nils before it); empty until then.
    private var values: [Value?] = []
    private var stored = false
    private(set) var count = 0
    private var reserved = 0

    subscript(index: Int) -> Value? {
        precondition(index >= 0 && index < count, "OptionalColumn index out of range")
        return stored ? values[index] : nil
    }

    /// The column as an array.
    var array: [Value?] { stored ? values : Array(repeating: nil, count: count) }

    mutating func reserveCapacity(_ n: Int) {
        reserved = Swift.max(reserved, n)
        if stored { values.reserveCapacity(n) }
    }

    mutating func append(_ value: Value?) {
        if value != nil { store() }
        if stored { values.append(value) }
        count += 1
    }

    mutating func append(contentsOf other: OptionalColumn<Value>) {
        if other.stored {
            store()
            values.append(contentsOf: other.values)
        } else if stored {
            values.append(contentsOf: repeatElement(nil, count: other.count))
        }
        count += other.count
    }

    /// From now on the values are kept: the nils so far written out.
    private mutating func store() {
        guard !stored else { return }
        stored = true
        values.reserveCapacity(Swift.max(reserved, count + 1))
        values.append(contentsOf: repeatElement(nil, count: count))
    }

    /// `ReplicateData.discardPages`.
    mutating func discardPages() { discardPagesOf(&values) }
}

/// Gives back to the kernel the whole pages of `array`'s elements (zeros afterwards): for an
/// array of plain values (nothing to release) about to be freed (16 pages at least, else the call
/// costs more than it saves).
private func discardPagesOf<T>(_ array: inout [T]) {
    precondition(_isPOD(T.self), "pages of values that own memory discarded")
    array.withUnsafeMutableBufferPointer { buffer in
        guard let base = buffer.baseAddress else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let start = (Int(bitPattern: base) + page - 1) / page * page
        let end = (Int(bitPattern: base) + buffer.count * MemoryLayout<T>.stride) / page * page
        if end - start >= 16 * page { _ = madvise(UnsafeMutableRawPointer(bitPattern: start), end - start, MADV_DONTNEED) }
    }
}

/// One row of efficacy.csv.
struct EfficacyRow {
    var endpoint: String
    var arm: Int
    var n: Int
    var summary: SampleSummary?
    var responders: Int?
    var responderRate: Double?
    var events: Int?
    var medianTime: Double?
}

/// One row of safety.csv.
struct SafetyRow {
    var term: String
    var arm: Int
    var n: Int
    var subjects: Int
    var incidence: Double?
    var interval: (lower: Double, upper: Double)?
    var grade3Plus: Int
}

/// One row of comparisons.csv; `key` identifies the power.csv row it counts toward.
struct ComparisonRow {
    var endpoint: String
    var arm: Int
    var method: String
    var result: Statistics.ComparisonResult
    var adjusted: Double?
    var significant: Bool
    /// The estimate is a ratio (log scale or hazard ratio): power.csv averages it geometrically.
    var ratio: Bool
}

/// The statistics of one replicate (SPEC §5), computed from its `ReplicateData`.
struct ReplicateAnalysis {
    var efficacy: [EfficacyRow] = []
    var safety: [SafetyRow] = []
    var comparisons: [ComparisonRow] = []

    /// - Parameter threads: workers for the efficacy rows (each sorts its group) of a large
    ///   replicate; the rows are the same, in the same order, for any count. With a `board`, the
    ///   rows are shared with the threads that help with it (the run's workers) rather than
    ///   with threads of their own.
    init(plan: TrialPlan, data: ReplicateData, threads: Int = 1, board: WorkBoard? = nil) {
        let armCount = plan.arms.count
        let alpha = plan.analysis?.alpha ?? 0.05

        // Units of each arm, in order (kept by `data` as they were appended).
        let members = (0..<armCount).map { a in a < data.members.count ? data.members[a] : [] }

        // Row r: endpoint r / arms, arm r % arms (efficacy.csv's order).
        let rowCount = plan.endpoints.count * armCount
        let memberList = members
        func row(_ r: Int) -> EfficacyRow {
            Self.efficacyRow(plan.endpoints[r / armCount], arm: r % armCount, units: memberList[r % armCount], data: data, e: r / armCount)
        }
        let workers = data.arm.count >= 10_000 ? Swift.min(threads, rowCount) : 1
        if workers > 1 {
            // Each row into its own slot, claimed through an atomic counter (threads of their
            // own: this runs in the run's `consume`, see `onThreadsOfTheirOwn`).
            final class Counter: Sendable { let next = Atomic<Int>(0) }
            let slots = UnsafeMutablePointer<EfficacyRow?>.allocate(capacity: rowCount)
            slots.initialize(repeating: nil, count: rowCount)
            defer { slots.deinitialize(count: rowCount); slots.deallocate() }
            let shared = UncheckedSendable((slots, row))
            if let board {
                board.perform(rowCount) { r in
                    let (slots, row) = shared.value
                    slots[r] = row(r)
                }
            } else {
                let counter = Counter()
                onThreadsOfTheirOwn(workers) { _ in
                    let (slots, row) = shared.value
                    while true {
                        let r = counter.next.wrappingAdd(1, ordering: .relaxed).oldValue
                        if r >= rowCount { return }
                        slots[r] = row(r)
                    }
                }
            }
            efficacy = (0..<rowCount).map { slots[$0]! }
        } else {
            efficacy = (0..<rowCount).map(row)
        }
        for (k, term) in plan.adverseEvents.enumerated() {
            for a in 0..<armCount {
                let grades = members[a].map { data.aeGrade[k][$0] }
                let subjects = grades.filter { $0 > 0 }.count
                let n = grades.count
                safety.append(SafetyRow(term: term.term, arm: a, n: n, subjects: subjects,
                                        incidence: n > 0 ? Double(subjects) / Double(n) : nil,
                                        interval: ProportionInterval.clopperPearson(successes: subjects, trials: n, confidence: 1 - alpha),
                                        grade3Plus: grades.filter { $0 >= 3 }.count))
            }
        }
        if let analysis = plan.analysis {
            comparisons = Self.compare(plan: plan, analysis: analysis, data: data, members: members)
        }
    }

    private static func efficacyRow(_ endpoint: EndpointPlan, arm: Int, units: [Int], data: ReplicateData, e: Int) -> EfficacyRow {
        if endpoint.definition.kind == .timeToEvent {
            var times: [Double] = [], events: [Bool] = []
            for u in units { if let t = data.analysed[e][u], let c = data.censored[e][u] { times.append(t); events.append(c == 0) } }
            let km = KaplanMeier.estimate(times: times, events: events)
            return EfficacyRow(endpoint: endpoint.id, arm: arm, n: times.count, summary: nil, responders: nil,
                               responderRate: nil, events: km.events, medianTime: km.median)
        }
        // Gathered into an array sized once (grown by `compactMap`, the copies and fresh pages of
        // each doubling made W1's 100,000 values take ~1.2 ms).
        let analysed = data.analysed[e]
        var values: [Double] = []
        values.reserveCapacity(units.count)
        for u in units { if let v = analysed[u] { values.append(v) } }
        AscendingDoubles.sort(&values)
        var row = EfficacyRow(endpoint: endpoint.id, arm: arm, n: values.count, summary: SampleSummary(sorted: values))
        if endpoint.definition.responder != nil {
            let responder = data.responder[e]
            let flags = units.compactMap { responder[$0] }
            row.responders = flags.reduce(0, +)
            row.responderRate = flags.isEmpty ? nil : Double(row.responders!) / Double(flags.count)
        }
        return row
    }
}

extension ReplicateAnalysis {
    /// Every comparison row of one replicate, in SPEC §6 order: endpoints in protocol order, each
    /// followed by its `_RESP` row, then AE terms; arms in protocol order within each. P_ADJ is
    /// adjusted within each (endpoint-or-term) group across the non-control arms.
    static func compare(plan: TrialPlan, analysis: AnalysisPlan, data: ReplicateData, members: [[Int]]) -> [ComparisonRow] {
        let control = analysis.control
        let alpha = analysis.alpha
        let others = plan.arms.indices.filter { $0 != control }
        let matched = plan.design == .matched
        var rows: [ComparisonRow] = []

        func finish(_ group: [ComparisonRow], favourable: (ComparisonRow) -> Bool) {
            let adjusted = analysis.multiplicity.adjustment.adjust(group.map(\.result.pValue))
            for (i, var row) in group.enumerated() {
                row.adjusted = adjusted[i]
                if row.significant == false, let p = adjusted[i] { row.significant = p < alpha && favourable(row) }
                rows.append(row)
            }
        }

        for (e, endpoint) in plan.endpoints.enumerated() {
            let better: Alternative = endpoint.betterHigher ? .greater : .less
            let alternative: Alternative = analysis.sided == .two ? .twoSided : better
            if endpoint.definition.kind == .timeToEvent {
                var group: [ComparisonRow] = []
                for a in others {
                    var times: [Double] = [], events: [Bool] = [], inArm: [Bool] = []
                    for (g, units) in [(true, members[a]), (false, members[control])] {
                        for u in units { if let t = data.analysed[e][u], let c = data.censored[e][u] { times.append(t); events.append(c == 0); inArm.append(g) } }
                    }
                    // Longer times are better by default: a hazard ratio below 1 is favourable.
                    let hazardAlternative: Alternative = analysis.sided == .two ? .twoSided : (endpoint.betterHigher ? .less : .greater)
                    let result = SurvivalComparison.compare(times: times, events: events, inArm: inArm, alpha: alpha, alternative: hazardAlternative)
                    group.append(ComparisonRow(endpoint: endpoint.id, arm: a, method: "COX_PH", result: result, adjusted: nil, significant: false, ratio: true))
                }
                finish(group) { row in
                    guard let hr = row.result.estimate else { return false }
                    return endpoint.betterHigher ? hr < 1 : hr > 1
                }
                continue
            }

            var group: [ComparisonRow] = []
            let transform: (Double) -> Double = endpoint.logScale ? { Foundation.log($0) } : { $0 }
            let back: (Double?) -> Double? = { v in endpoint.logScale ? v.map { Foundation.exp($0) } : v }
            var ancova: [Int: EstimateWithStandardError]?
            if analysis.adjust == .baseline && !matched {
                ancova = AncovaModel.armEffects(values: data.analysed[e].array.map { $0.map(transform) }, baseline: data.base[e].array,
                                                arm: data.arm, control: control, armCount: plan.arms.count)
            }
            for a in others {
                let method: String
                let estimate: EstimateWithStandardError?
                // The point estimate alone when the test is undefined (no variance): the difference
                // of means is still defined (SPEC §5 empties only undefined statistics).
                var pointEstimate: Double?
                if matched {
                    method = "PAIRED_T"
                    let patients = members[a].count
                    var differences: [Double] = []
                    for p in 0..<patients {
                        if let x = data.analysed[e][members[a][p]], let y = data.analysed[e][members[control][p]] {
                            differences.append(transform(x) - transform(y))
                        }
                    }
                    estimate = PairedTTest.statistics(differences: GroupMoments(differences))
                    if !differences.isEmpty { pointEstimate = GroupMoments(differences).mean }
                } else if let effects = ancova {
                    method = "ANCOVA"
                    estimate = effects[a]
                } else {
                    method = "WELCH_T"
                    let x = members[a].compactMap { data.analysed[e][$0] }.map(transform)
                    let y = members[control].compactMap { data.analysed[e][$0] }.map(transform)
                    estimate = WelchTest.statistics(arm: GroupMoments(x), control: GroupMoments(y))
                    if !x.isEmpty && !y.isEmpty { pointEstimate = GroupMoments(x).mean - GroupMoments(y).mean }
                }
                var result = Statistics.ComparisonResult.undefined
                var significant = false
                if let est = estimate {
                    if let range = endpoint.definition.equivalence {
                        let l = endpoint.logScale ? Foundation.log(range.lowerBound) : range.lowerBound
                        let h = endpoint.logScale ? Foundation.log(range.upperBound) : range.upperBound
                        result = EstimateTest.equivalence(est, lowerMargin: l, upperMargin: h, alpha: alpha)
                        if let cl = result.lower, let cu = result.upper { significant = l < cl && cu < h }
                    } else if let m = endpoint.definition.margin {
                        let null = endpoint.logScale ? Foundation.log(m) : m
                        result = EstimateTest.test(est, null: null, alpha: alpha, alternative: better)
                        if endpoint.betterHigher { significant = (result.lower ?? -.infinity) > null }
                        else { significant = (result.upper ?? .infinity) < null }
                    } else {
                        result = EstimateTest.test(est, null: 0, alpha: alpha, alternative: alternative)
                    }
                } else {
                    result.estimate = pointEstimate
                }
                result.estimate = back(result.estimate)
                result.lower = back(result.lower)
                result.upper = back(result.upper)
                var row = ComparisonRow(endpoint: endpoint.id, arm: a, method: method, result: result, adjusted: nil,
                                        significant: significant, ratio: endpoint.logScale)
                if endpoint.definition.equivalence != nil || endpoint.definition.margin != nil { row.significant = significant }
                group.append(row)
            }
            let usesIntervalRule = endpoint.definition.equivalence != nil || endpoint.definition.margin != nil
            finish(group) { row in
                if usesIntervalRule { return false }
                guard let est = row.result.estimate else { return false }
                let null = endpoint.logScale ? 1.0 : 0.0
                return endpoint.betterHigher ? est > null : est < null
            }

            if endpoint.definition.responder != nil {
                var responderGroup: [ComparisonRow] = []
                let responderFlags = matched ? data.responder[e].array : []
                for a in others {
                    let result: Statistics.ComparisonResult
                    let respAlternative: Alternative = analysis.sided == .two ? .twoSided : .greater
                    if matched {
                        result = pairedProportions(arm: members[a], control: members[control], flags: responderFlags, alpha: alpha, alternative: respAlternative)
                        responderGroup.append(ComparisonRow(endpoint: endpoint.id + "_RESP", arm: a, method: "PAIRED_RISK_DIFF", result: result, adjusted: nil, significant: false, ratio: false))
                    } else {
                        let x = members[a].compactMap { data.responder[e][$0] }
                        let y = members[control].compactMap { data.responder[e][$0] }
                        result = RiskDifference.compare(armEvents: x.reduce(0, +), armTotal: x.count, controlEvents: y.reduce(0, +), controlTotal: y.count,
                                                        alpha: alpha, alternative: respAlternative)
                        responderGroup.append(ComparisonRow(endpoint: endpoint.id + "_RESP", arm: a, method: "RISK_DIFF", result: result, adjusted: nil, significant: false, ratio: false))
                    }
                }
                finish(responderGroup) { ($0.result.estimate ?? 0) > 0 }
            }
        }

        for (k, term) in plan.adverseEvents.enumerated() {
            var group: [ComparisonRow] = []
            let aeAlternative: Alternative = analysis.sided == .two ? .twoSided : .greater
            for a in others {
                let flags = data.aeGrade[k].map { $0 > 0 ? 1 : 0 }
                if matched {
                    let result = pairedProportions(arm: members[a], control: members[control], flags: flags.map { Optional($0) }, alpha: alpha, alternative: aeAlternative)
                    group.append(ComparisonRow(endpoint: "AE:" + term.term, arm: a, method: "PAIRED_RISK_DIFF", result: result, adjusted: nil, significant: false, ratio: false))
                } else {
                    let x = members[a].reduce(0) { $0 + flags[$1] }
                    let y = members[control].reduce(0) { $0 + flags[$1] }
                    let result = RiskDifference.compare(armEvents: x, armTotal: members[a].count, controlEvents: y, controlTotal: members[control].count,
                                                        alpha: alpha, alternative: aeAlternative)
                    group.append(ComparisonRow(endpoint: "AE:" + term.term, arm: a, method: "RISK_DIFF", result: result, adjusted: nil, significant: false, ratio: false))
                }
            }
            finish(group) { ($0.result.estimate ?? 0) > 0 }
        }
        return rows
    }

    /// Paired proportions over patients with both flags: a = both 1, b = arm only, c = control only, d = neither.
    private static func pairedProportions(arm: [Int], control: [Int], flags: [Int?], alpha: Double, alternative: Alternative) -> Statistics.ComparisonResult {
        var a = 0, b = 0, c = 0, d = 0
        for p in arm.indices {
            guard let x = flags[arm[p]], let y = flags[control[p]] else { continue }
            switch (x, y) {
            case (1, 1): a += 1
            case (1, _): b += 1
            case (_, 1): c += 1
            default: d += 1
            }
        }
        return PairedRiskDifference.compare(a: a, b: b, c: c, d: d, alpha: alpha, alternative: alternative)
    }
}

extension AnalysisPlan.Multiplicity {
    /// The Statistics module's adjustment of the same name.
    var adjustment: MultiplicityAdjustment { MultiplicityAdjustment(rawValue: rawValue) ?? .none }
}
