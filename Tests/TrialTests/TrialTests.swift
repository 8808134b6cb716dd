import CThreadPlacement
import Dispatch
import Foundation
import Synchronization
import Testing
import TrialProtocol
@testable import Trial

// Expected values are exact by construction or closed forms written out here.

private func plan(_ yaml: String) throws -> TrialPlan {
    let definition = try ProtocolLoader.load(bytes: Array(yaml.utf8), path: "test.yaml")
    return try TrialPlan(definition)
}

private let bolusProtocol = """
protocol: T
seed: 1
subjects: 4
population:
  population: p
  covariates:
    WT: { dist: uniform, min: 60, max: 80 }
duration: 48 h
observe: 2 h
model:
  pk: { compartments: 1, absorption: iv-bolus }
  parameters: { CL: 2 L/h, V1: 20 L }
arms:
  - name: placebo
  - name: active
    dosing: { amount: 100 mg, every: 24 h, doses: 2 }
endpoints:
  - { id: C6, variable: C, at: 7 h }
  - { id: CMAX, variable: C, summary: max, window: [1 h, 30 h] }
  - { id: AUC, variable: C, summary: auc, window: [0 h, 24 h] }
  - { id: MEANC, variable: C, summary: mean, window: [3 h, 5 h] }
adverse_events:
  - { term: High, variable: C, grades: { 1: "> 4", 2: "> 4.5" } }
analysis: { control: placebo }
"""

@Suite struct TrialTests {
    /// A typical value from covariates outside its scale's range stops the subject with its
    /// parameters and covariates named (a constant there is refused when the protocol is read).
    @Test func typicalValuesFromCovariatesAreCheckedPerSubject() throws {
        // WT is uniform in [60, 80]: V1 = WT - 70 is negative for about half the subjects.
        let yaml = bolusProtocol.replacingOccurrences(of: "V1: 20 L", with: "V1: \"WT - 70\"")
        let p = try plan(yaml)
        let cohort = p.cohort.replicate(seed: p.seed, replicate: 1)
        var failures: [SubjectFailure] = []
        var passed = 0
        for patient in 0..<4 {
            var space = SubjectWorkspace(plan: p)
            let wt = { () -> Double in var c = [Double](repeating: 0, count: 1); try? cohort.subject(patient, into: &c); return c[0] }()
            do {
                _ = try p.simulateSubject(replicate: 1, patient: patient, arm: 1, cohort: cohort, space: &space)
                #expect(wt >= 70, "WT \(wt) gives V1 < 0 but the subject was simulated")
                passed += 1
            } catch let failure as SubjectFailure {
                #expect(wt < 70)
                failures.append(failure)
            }
        }
        // Both cases occur among these four subjects (so the check is exercised either way).
        #expect(passed > 0, "no subject with WT ≥ 70 among the four")
        #expect(!failures.isEmpty, "no subject with WT < 70 among the four")
        for failure in failures {
            #expect(failure.time == 0)
            #expect(failure.message.hasPrefix("parameter V1 has the typical value -"))
            #expect(failure.message.hasSuffix("it must be > 0"))
            #expect(failure.covariates.map(\.0) == ["WT"])
            #expect(failure.description.contains("(covariates: WT = "))
        }
        // With variability the bound is strict (θ·exp(η) of θ = 0 has no spread); logit
        // parameters must lie in [0, 1].
        let lognormal = ParameterPlan(name: "CL", typical: .constant(1), scale: .logNormal, covariateEffects: [], hasVariability: true)
        #expect(lognormal.typicalValueProblem(0) == "> 0 (it has variability)")
        #expect(lognormal.typicalValueProblem(1e-300) == nil)
        #expect(lognormal.typicalValueProblem(.nan) != nil)
        // A parameter the model is undefined at (V1, KOUT, …) must be > 0 without variability too.
        let clearance = ParameterPlan(name: "CL", typical: .constant(1), scale: .logNormal, covariateEffects: [], hasVariability: false)
        #expect(clearance.typicalValueProblem(0) == nil)
        let volume = ParameterPlan(name: "V1", typical: .constant(1), scale: .logNormal, covariateEffects: [], hasVariability: false,
                                   positive: true)
        #expect(volume.typicalValueProblem(0) == "> 0")
        #expect(volume.typicalValueProblem(-0.0) == "> 0")
        #expect(volume.typicalValueProblem(1e-300) == nil)
        let logit = ParameterPlan(name: "F", typical: .constant(1), scale: .logit, covariateEffects: [], hasVariability: false)
        #expect(logit.typicalValueProblem(1) == nil)
        #expect(logit.typicalValueProblem(0) == nil)
        #expect(logit.typicalValueProblem(1.0000000000000002) == "in [0, 1]")
        let signed = ParameterPlan(name: "EMAX", typical: .constant(1), scale: .signed, covariateEffects: [], hasVariability: true)
        #expect(signed.typicalValueProblem(-5) == nil)
        #expect(signed.typicalValueProblem(0) == "other than 0 (it has variability, θ·exp(η))")
    }

    @Test func gridIndexFollowsTheSpecRule() throws {
        let p = try plan(bolusProtocol)
        #expect(p.gridCount == 25)
        #expect(p.gridIndex(atOrBefore: 7) == 3)          // ⌊7/2 + 1e-9⌋
        #expect(p.gridIndex(atOrBefore: 6) == 3)
        #expect(p.gridIndex(atOrBefore: 5.999999999999) == 3)   // within 1e-9 of a grid point counts as on it
        #expect(p.gridTime(24) == 48)
        #expect(p.armSizes == [2, 2])
        #expect((0..<4).map(p.arm(ofSubject:)) == [0, 0, 1, 1])
        #expect(p.subjectLabel(replicate: 2, patient: 2) == "T-2-3")   // 4 subjects: width 1
    }

    @Test func timecourseTimesAreTheGridPointsAtOrBeforeEachMultipleOfEvery() throws {
        // observe 2 h over 48 h: `every` a multiple of the grid keeps every m-th grid time; any
        // other `every` reads the grid point at or before each multiple, as an `assess` schedule.
        func grid(_ every: String) throws -> [Int] {
            try plan(bolusProtocol + "\noutput: { timecourse: { every: \(every) } }\n").output.timecourseGrid
        }
        #expect(try grid("2 h") == Array(0...24))
        #expect(try grid("6 h") == Array(stride(from: 0, through: 24, by: 3)))
        #expect(try grid("5 h") == [0, 2, 5, 7, 10, 12, 15, 17, 20, 22])      // 5, 10, 15, … h → grid points 2, 5, 7, …
        #expect(try grid("20 h") == [0, 10, 20])
        #expect(try plan(bolusProtocol).output.timecourseGrid == Array(0...24))
    }

    @Test func anOptionalColumnReadsAsTheArrayItStandsFor() {
        // Appends of single values and of whole columns (chunks), all nil for a while and then
        // not, in every order, reserved or not: the column reads as the plain array of optionals
        // built alongside, at every step.
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ below: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int(truncatingIfNeeded: state >> 33) % below
        }
        for trial in 0..<300 {
            var column = OptionalColumn<Double>(), plain: [Double?] = []
            if trial % 3 == 0 { column.reserveCapacity(next(50)) }
            let nilsFirst = next(40), chance = [0, 1, 5, 10][trial % 4]
            for step in 0..<next(80) {
                if next(4) == 0 {
                    var chunk = OptionalColumn<Double>(), values: [Double?] = []
                    for _ in 0..<next(6) {
                        let v: Double? = next(10) < chance && step >= nilsFirst ? Double(next(1000)) : nil
                        chunk.append(v); values.append(v)
                    }
                    column.append(contentsOf: chunk); plain.append(contentsOf: values)
                } else {
                    let v: Double? = next(10) < chance && step >= nilsFirst ? -Double(step) : nil
                    column.append(v); plain.append(v)
                }
                #expect(column.count == plain.count && column.array == plain, "trial \(trial), step \(step)")
            }
            #expect(plain.indices.allSatisfy { column[$0] == plain[$0] }, "trial \(trial)")
        }
    }

    @Test func aLargeReplicatesEfficacyRowsDoNotDependOnTheThreadCount() throws {
        // Above 10,000 units the efficacy rows are computed on several workers; they must be the
        // rows of the sequential computation, in the same order.
        let p = try plan(bolusProtocol)
        var data = ReplicateData(endpoints: p.endpoints.count, terms: p.adverseEvents.count)
        var generator = SystemRandomNumberGenerator()
        for u in 0..<12_001 {
            let endpoints = (0..<p.endpoints.count).map { e -> EndpointOutcome in
                var o = EndpointOutcome()
                if (u + e) % 97 != 0 { o.analysed = Double.random(in: 0...10, using: &generator); o.value = o.analysed }
                return o
            }
            data.append(arm: u % 2, endpoints: endpoints, adverseEvents: [AdverseEventOutcome(grade: u % 3, onset: 1)])
        }
        let one = ReplicateAnalysis(plan: p, data: data, threads: 1)
        let two = ReplicateAnalysis(plan: p, data: data, threads: 2)
        // Shared through a board with a helper thread that keeps asking for work meanwhile.
        let board = WorkBoard(), stop = Atomic<Bool>(false)
        let sharing = UncheckedSendable((p, data))
        let result = Mutex<ReplicateAnalysis?>(nil)
        onThreadsOfTheirOwn(2) { k in
            if k == 0 {
                result.withLock { $0 = ReplicateAnalysis(plan: sharing.value.0, data: sharing.value.1, threads: 2, board: board) }
                stop.store(true, ordering: .releasing)
            } else {
                while !stop.load(ordering: .acquiring) { if !board.help() { sched_yield() } }
            }
        }
        // (Whether the helper ran a row depends on the timing; the rows must not.)
        let shared = result.withLock { $0 }
        #expect(one.efficacy.count == p.endpoints.count * 2)
        for other in [two, shared!] {
            #expect(one.efficacy.map(\.endpoint) == other.efficacy.map(\.endpoint))
            #expect(one.efficacy.map(\.arm) == other.efficacy.map(\.arm))
            #expect(one.efficacy.map(\.summary) == other.efficacy.map(\.summary))
            #expect(one.efficacy.map(\.n) == other.efficacy.map(\.n))
        }
    }

    @Test func subjectLabelsArePaddedToTheWidthOfTheSubjectCount() throws {
        for (subjects, patient, replicate, expected) in [(100000, 0, 12, "T-12-000001"), (100000, 99999, 1, "T-1-100000"),
                                                          (10, 9, 3, "T-3-10"), (9, 8, 1, "T-1-9"), (1000, 41, 200, "T-200-0042")] {
            let p = try plan(bolusProtocol.replacingOccurrences(of: "subjects: 4", with: "subjects: \(subjects)"))
            #expect(p.subjectLabel(replicate: replicate, patient: patient) == expected)
            var bytes: [UInt8] = Array("x".utf8)
            p.appendSubjectLabel(replicate: replicate, patient: patient, to: &bytes)
            #expect(bytes == Array(("x" + expected).utf8))
        }
    }

    @Test func oneSubjectMatchesTheClosedForm() throws {
        let p = try plan(bolusProtocol)
        var space = SubjectWorkspace(plan: p)
        let cohort = p.cohort.replicate(seed: p.seed, replicate: 1)
        let facts = try p.simulateSubject(replicate: 1, patient: 2, arm: 1, cohort: cohort, space: &space)
        #expect(facts.dosesTaken == 2)
        #expect(facts.lastDose == 100)
        #expect(facts.dropoutTime == nil)
        let k = 0.1, c0 = 5.0   // CL/V, dose/V
        let endpoints = space.endpoints
        let events = space.adverseEvents
        // C6: the grid point at or before 7 h is 6 h; BASE is the pre-dose value 0.
        #expect(endpoints[0].base == 0)
        #expect(Self.close(endpoints[0].value, Self.concentration(6)))
        // CMAX over grid points 2…30 h: the second dose at 24 h is read including the bolus.
        #expect(Self.close(endpoints[1].value, Self.concentration(24)))
        // AUC over [0, 24]: ∫ c0 e^{-kt} dt = c0/k (1 − e^{−24k}).
        #expect(Self.close(endpoints[2].value, c0 / k * (1 - exp(-2.4))))
        #expect(endpoints[2].base == nil && endpoints[2].change == nil)
        // Mean over [3, 5] h (bounds off the 2-h grid): (1/2)·∫₃⁵ c0 e^{-kt} dt.
        #expect(Self.close(endpoints[3].value, c0 / k * (exp(-0.3) - exp(-0.5)) / 2))
        // AE "High": C(2) = 5e^{-0.2} = 4.09 → grade 1 at the first assessed time (t = 0 is the
        // baseline, grade 0); C(24) with the second bolus = 5 + 5e^{-2.4} = 5.45 → grade 2.
        // Worst grade 2, onset 2 h.
        #expect(events[0].grade == 2)
        #expect(events[0].onset == 2)
    }

    /// Two 100-mg boluses at 0 and 24 h, V 20 L, CL 2 L/h.
    static func concentration(_ t: Double) -> Double {
        5 * exp(-0.1 * t) + (t >= 24 ? 5 * exp(-0.1 * (t - 24)) : 0)
    }

    static func close(_ a: Double?, _ b: Double) -> Bool {
        guard let a else { return false }
        return abs(a - b) <= 1e-9 * max(1, abs(b))
    }

    @Test func orderedParallelMapConsumesInChunkOrder() throws {
        for threads in [1, 2, 5] {
            var seen: [Int] = []
            try orderedParallelMap(chunkCount: 37, threads: threads, window: 4,
                                   makeWorkspace: { _ in 0 },
                                   body: { count, chunk in count += 1; return chunk * chunk },
                                   consume: { chunk, value in #expect(value == chunk * chunk); seen.append(chunk) })
            #expect(seen == Array(0..<37))
        }
    }

    @Test func orderedParallelMapHasTheWorkersHelpWithWorkPostedByTheConsumer() throws {
        // Work that `consume` posts (here 40 blocks, at chunk 5) is done by the workers through
        // `between`, each block once, before the run ends; the chunks are consumed in order as
        // before. (The runner posts an arm's time-course summaries this way.)
        for threads in [1, 2, 5] {
            let posted = Atomic<Bool>(false), next = Atomic<Int>(0), made = Atomic<Int>(0)
            var seen: [Int] = []
            try orderedParallelMap(chunkCount: 37, threads: threads, window: 4,
                                   makeWorkspace: { _ in 0 },
                                   body: { _, chunk in chunk },
                                   consume: { chunk, _ in
                                       seen.append(chunk)
                                       if chunk == 5 { posted.store(true, ordering: .releasing) }
                                   },
                                   between: {
                                       guard posted.load(ordering: .acquiring) else { return false }
                                       var helped = false
                                       while next.wrappingAdd(1, ordering: .relaxed).oldValue < 40 {
                                           made.wrappingAdd(1, ordering: .relaxed)
                                           helped = true
                                       }
                                       return helped
                                   })
            #expect(seen == Array(0..<37))
            #expect(made.load(ordering: .relaxed) == 40, "threads \(threads)")
        }
    }

    @Test func workersWithNoChunkLeftHelpWithTheLastConsumptionsWork() throws {
        // The last chunk (slow: the other workers find no chunk left long before it is done)
        // shares 8 items through a WorkBoard as it is consumed, each of which waits until 2 have
        // started: it finishes only if a worker with no chunk left, at hand until every chunk is
        // consumed, runs items meanwhile. With one worker the items run one after another,
        // unhelped (none then waits).
        for threads in [1, 2, 4] {
            let board = WorkBoard()
            let started = Atomic<Int>(0), ran = Mutex([Int](repeating: 0, count: 8))
            let helpers = Mutex(Set<UInt>())
            let timedOut = Atomic<Bool>(false)
            try orderedParallelMap(chunkCount: 9, threads: threads, window: 4,
                                   makeWorkspace: { _ in 0 },
                                   body: { _, chunk in
                                       if chunk == 8 { usleep(50_000) }
                                       return chunk
                                   },
                                   consume: { chunk, _ in
                                       guard chunk == 8 else { return }
                                       let consumer = UInt(pthread_self())
                                       board.perform(8) { k in
                                           started.add(1, ordering: .relaxed)
                                           if threads > 1 {
                                               let deadline = DispatchTime.now().uptimeNanoseconds + 5_000_000_000
                                               while started.load(ordering: .relaxed) < 2 {
                                                   if DispatchTime.now().uptimeNanoseconds > deadline { timedOut.store(true, ordering: .relaxed); break }
                                                   sched_yield()
                                               }
                                           }
                                           let me = UInt(pthread_self())
                                           if me != consumer { helpers.withLock { _ = $0.insert(me) } }
                                           ran.withLock { $0[k] += 1 }
                                       }
                                   },
                                   between: { board.help() })
            #expect(ran.withLock { $0 } == [Int](repeating: 1, count: 8), "every item once (\(threads) threads)")
            let gaveUp = timedOut.load(ordering: .relaxed)
            #expect(!gaveUp, "no worker helped (\(threads) threads)")
            #expect(helpers.withLock { $0.isEmpty } == (threads == 1), "\(threads) threads")
        }
    }

    @Test func aSharedTaskRunsOnceWhoeverRunsIt() throws {
        // Run by a helper, joined by its maker; run by its maker at the join when no helper came;
        // never run once cancelled; a failure is rethrown by the join.
        let count = Atomic<Int>(0)
        let helped = SharedTask { count.add(1, ordering: .relaxed).newValue }
        let helper = SharedTask<Bool> { helped.run() }
        onThreadsOfTheirOwn(2) { k in if k == 1 { _ = helper.run() } }
        #expect(try helper.join() == true)
        #expect(helped.run() == false)
        #expect(try helped.join() == 1)
        let unhelped = SharedTask { count.add(1, ordering: .relaxed).newValue }
        #expect(try unhelped.join() == 2)
        let cancelled = SharedTask { count.add(1, ordering: .relaxed).newValue }
        cancelled.cancel()
        #expect(cancelled.run() == false)
        let runs = count.load(ordering: .relaxed)
        #expect(runs == 2)
        struct Failure: Error {}
        let failing = SharedTask<Int> { throw Failure() }
        let board = WorkBoard()
        board.post(failing)
        #expect(board.help() == true && board.help() == false)
        #expect(throws: Failure.self) { try failing.join() }
    }

    @Test func aWorkerMovedToAnotherCPUKeepsItsWholeAffinityMask() {
        // `cthreadplacement_move_to` narrows the mask to move the thread and widens it back: the
        // thread is never left pinned. CPUs outside the mask (or invalid) are refused unchanged.
        var allowed = [Int32](repeating: -1, count: 1024)
        let count = Int(cthreadplacement_allowed_cpus(&allowed, Int32(allowed.count)))
        #expect(count >= 1)
        let cpus = Array(allowed[0..<max(0, count)])
        #expect(cpus.contains(cthreadplacement_current_cpu()))
        for cpu in cpus {
            #expect(cthreadplacement_move_to(cpu) == 0)
            var after = [Int32](repeating: -1, count: 1024)
            let afterCount = Int(cthreadplacement_allowed_cpus(&after, Int32(after.count)))
            #expect(Array(after[0..<max(0, afterCount)]) == cpus, "after moving to CPU \(cpu)")
        }
        #expect(cthreadplacement_move_to(-1) == -1)
        #expect(cthreadplacement_move_to(1 << 20) == -1)
        // Workers of one run that all start and settle return (each yields for at most 1 ms).
        let placement = WorkerPlacement()
        DispatchQueue.concurrentPerform(iterations: 3) { _ in placement.settle(workers: 3) }
    }

    @Test func orderedParallelMapRethrowsTheFirstFailingChunk() {
        struct Failure: Error, Equatable { var chunk: Int }
        #expect(throws: Failure(chunk: 3)) {
            try orderedParallelMap(chunkCount: 10, threads: 2, window: 10,
                                   makeWorkspace: { _ in 0 },
                                   body: { _, chunk in if chunk >= 3 { throw Failure(chunk: chunk) }; return chunk },
                                   consume: { _, _ in })
        }
    }

    @Test func orderedParallelMapKeepsAtMostAWindowOfChunksUnconsumed() throws {
        // Chunks are claimed only while fewer than `window` are claimed and unconsumed;
        // with uneven chunk times the window slides (no chunk waits for a batch to drain).
        for threads in [2, 5] {
            let inFlight = Atomic<Int>(0), most = Atomic<Int>(0)
            var seen: [Int] = []
            try orderedParallelMap(chunkCount: 200, threads: threads, window: 6,
                                   makeWorkspace: { _ in 0 },
                                   body: { _, chunk in
                                       let now = inFlight.wrappingAdd(1, ordering: .relaxed).newValue
                                       _ = most.max(now, ordering: .relaxed)
                                       if chunk % 7 == 0 { usleep(300) }
                                       return chunk
                                   },
                                   consume: { chunk, value in
                                       #expect(value == chunk)
                                       seen.append(chunk)
                                       inFlight.wrappingSubtract(1, ordering: .relaxed)
                                   })
            #expect(seen == Array(0..<200))
            #expect(most.load(ordering: .relaxed) <= 6)
        }
    }

    @Test func orderedParallelMapStopsOnAFailureOrAStopInsideASmallWindow() {
        // A failure far beyond the first window: the chunks before it are consumed, the workers
        // waiting for a window slot are released, its error is rethrown; a stop request ends the
        // run with CancellationError.
        struct Failure: Error, Equatable { var chunk: Int }
        for threads in [1, 2, 5] {
            var consumed: [Int] = []
            #expect(throws: Failure(chunk: 41)) {
                try orderedParallelMap(chunkCount: 300, threads: threads, window: 4,
                                       makeWorkspace: { _ in 0 },
                                       body: { _, chunk in if chunk == 41 || chunk == 77 { throw Failure(chunk: chunk) }; return chunk },
                                       consume: { chunk, _ in consumed.append(chunk) })
            }
            #expect(consumed == Array(0..<41))
            let calls = Atomic<Int>(0)
            #expect(throws: CancellationError.self) {
                try orderedParallelMap(chunkCount: 300, threads: threads, window: 4,
                                       makeWorkspace: { _ in 0 },
                                       body: { _, chunk in chunk },
                                       consume: { _, _ in },
                                       shouldStop: { calls.wrappingAdd(1, ordering: .relaxed).newValue > 50 })
            }
        }
    }

    @Test func orderedParallelMapReleasesABodyWaitingForConsumptionWhenTheRunStops() {
        // A body that waits for the consumer to catch up (as a time-course writer waits for its
        // batch to be folded) is released by `onStop` when a failure ends the run; without it
        // the waiting workers would hang the run (here: give up after 10 s and fail).
        struct Failure: Error, Equatable {}
        for threads in [2, 3] {
            let condition = NSCondition()
            var consumed = 0, stopped = false, timedOut = false
            #expect(throws: Failure()) {
                try orderedParallelMap(chunkCount: 60, threads: threads, window: 16,
                                       makeWorkspace: { _ in 0 },
                                       body: { _, chunk in
                                           if chunk == 3 { Thread.sleep(forTimeInterval: 0.05); throw Failure() }
                                           condition.lock()
                                           defer { condition.unlock() }
                                           while chunk >= consumed + 2 && !stopped {
                                               if !condition.wait(until: Date(timeIntervalSinceNow: 10)) { timedOut = true; break }
                                           }
                                           return chunk
                                       },
                                       consume: { chunk, _ in
                                           condition.lock(); consumed = chunk + 1; condition.broadcast(); condition.unlock()
                                       },
                                       onStop: { condition.lock(); stopped = true; condition.broadcast(); condition.unlock() })
            }
            #expect(!timedOut, "a waiting body was not released (\(threads) threads)")
        }
    }

    @Test func threadsOfTheirOwnRunAtTheSameTimeEvenInsideAConcurrentPerform() {
        // Two bodies that each wait for the other (a rendezvous) finish only if they run at the
        // same time. Inside a concurrentPerform, a nested concurrentPerform runs its iterations
        // one after another, so the first would wait in vain (here: give up after 10 s).
        let met = Mutex([Bool](repeating: false, count: 2))
        let runs = Mutex([Int](repeating: 0, count: 5))
        DispatchQueue.concurrentPerform(iterations: 2) { outer in
            guard outer == 0 else { return }
            let arrived = [DispatchSemaphore(value: 0), DispatchSemaphore(value: 0)]
            onThreadsOfTheirOwn(2) { k in
                arrived[k].signal()
                let other = arrived[1 - k].wait(timeout: .now() + 10) == .success
                met.withLock { $0[k] = other }
            }
            onThreadsOfTheirOwn(5) { k in runs.withLock { $0[k] += 1 } }
        }
        #expect(met.withLock { $0 } == [true, true])
        #expect(runs.withLock { $0 } == [1, 1, 1, 1, 1], "every body runs once")
    }

    @Test func successCriteriaCountReplicatesMeetingThem() {
        var power = PowerAccumulator()
        let all = SuccessCriterion(id: "BOTH", method: .all, comparisons: [ComparisonReference(endpoint: "E", arm: nil)])
        let any = SuccessCriterion(id: "ONE", method: .any, comparisons: [ComparisonReference(endpoint: "E", arm: 2)])
        // Replicate 1: arm 1 significant, arm 2 not. Replicate 2: both. Replicate 3: arm 2 only.
        for flags in [(true, false), (true, true), (false, true)] {
            power.add(rows: [("E", 1, "WELCH_T", 1.0, flags.0, false), ("E", 2, "WELCH_T", 2.0, flags.1, false)], success: [all, any])
        }
        #expect(power.successMet == [1, 2])
        #expect(power.successReplicates == 3)
        #expect(power.tallies[PowerAccumulator.Key(endpoint: "E", arm: 1, method: "WELCH_T")]?.significant == 2)
    }
}
