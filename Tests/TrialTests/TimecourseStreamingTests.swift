import Foundation
import Sampling
import Statistics
import Synchronization
import Testing
import TrialProtocol
@testable import Trial

// A large arm's time courses are streamed: only its first subjects' values stay, later values
// only where their bin may hold a percentile's rank, and the columns whose ranks were not all
// captured are counted again from the subjects simulated again. The percentiles must be exactly
// those of the sorted columns whichever way a column went.
struct TimecourseStreamingTests {
    /// Column kinds: 0 uniform, 1 log-normal, 2 a constant first tile (no guessed bins: captured
    /// whole), 3 constant, 4 uniform with one NaN (counted again), 5 a rising trend (the early
    /// bins mislead), 6 seven distinct values (crowded bins), 7 uniform with a few +∞.
    private static func value(kind: Int, subject s: Int, count n: Int, _ random: inout RandomStream) -> Double {
        switch kind {
        case 0: return random.nextUniform(lower: 0, upper: 10)
        case 1: return random.nextLogNormal(meanlog: 0, sdlog: 0.3)
        case 2: return s < 40 ? 3 : random.nextUniform(lower: -1, upper: 1)
        case 3: return 7.5
        case 4: return s == n / 2 ? .nan : random.nextUniform(lower: 0, upper: 1)
        case 5: return Double(s) + random.nextUniform(lower: 0, upper: 50)
        case 6: return Double(s % 7)
        default: return s % 997 == 3 ? .infinity : random.nextUniform(lower: -1, upper: 1)
        }
    }

    private static let kinds = 8

    private static func sameBits(_ a: Double?, _ b: Double?) -> Bool {
        a?.bitPattern == b?.bitPattern || (a?.isNaN == true && b?.isNaN == true)
    }

    /// Writes `columns` (column-major values of `n` subjects) into `arm` as the workers do and
    /// tells the arm (`wrote`) with batches completing out of order: each pair of batches is
    /// written second first, each in two reports of half a batch (subjects within in reverse
    /// order), so the second waits complete and unfolded until the completer of the first folds
    /// both, in subject order. Then counts the subjects in order.
    private static func feed(_ columns: [[Double]], into arm: TimecourseArm) {
        let n = columns[0].count
        let batch = TimecourseArm.batchSubjects
        func write(_ subjects: Range<Int>) {
            for s in subjects.reversed() {
                let place = arm.place(of: s)
                for (c, values) in columns.enumerated() { place[c * TimecourseStore.lanes] = values[s] }
            }
            arm.wrote(subjects.count, inBatch: subjects.lowerBound / batch)
        }
        let batches = (n + batch - 1) / batch
        for pair in Swift.stride(from: 0, to: batches, by: 2) {
            for k in [pair + 1, pair] where k < batches {
                let start = k * batch, end = Swift.min(n, start + batch), middle = (start + end) / 2
                write(middle..<end)
                write(start..<middle)
            }
        }
        for _ in 0..<n { arm.add() }
    }

    @Test(arguments: [
        TimecourseStreaming(prefix: 512, refineEvery: 256, z: 6),
        TimecourseStreaming(prefix: 256, refineEvery: 512, z: 1),
        TimecourseStreaming(prefix: 256, refineEvery: 256, z: -1e9),   // captures nothing but whole columns
    ], [false, true]) func streamedColumnsGiveTheSortedColumnsPercentiles(streaming: TimecourseStreaming, portable: Bool) {
        // (`portable`: the fold's capture in the C kernel's baseline code, else AVX2 where the CPU has it.)
        var random = RandomStream(seed: 11, replicate: 1, subject: streaming.prefix + streaming.refineEvery, stream: .model)
        for n in [1500, 4000] {
            let columns = (0..<2 * Self.kinds).map { c in (0..<n).map { Self.value(kind: c % Self.kinds, subject: $0, count: n, &random) } }
            let arm = TimecourseArm(stride: columns.count, expected: n, streaming: streaming, portable: portable)
            #expect(arm.streaming != nil && arm.kept < n)
            Self.feed(columns, into: arm)
            let partial = arm.summaries(threads: 2)
            let missing = partial.indices.filter { partial[$0] == nil }
            // The columns counted again, from a whole copy, with the streamed arm's first pass.
            let full = TimecourseArm(stride: columns.count, expected: n, streaming: nil)
            for s in (0..<n).reversed() {
                let place = full.place(of: s)
                for (c, values) in columns.enumerated() { place[c * TimecourseStore.lanes] = values[s] }
            }
            full.markWritten()
            let redone = full.summaries(columns: missing, firstPass: arm.firstPass, threads: 2)
            var results = partial
            for (c, result) in zip(missing, redone) { results[c] = result }
            for (c, values) in columns.enumerated() {
                let context: Comment = "n = \(n), column \(c), \(streaming)"
                var sum = CompensatedSum()
                for v in values { sum.add(v) }
                let sorted = values.sorted()
                let expected = [0.05, 0.25, 0.5, 0.75, 0.95].map { SampleQuantile.type7(sorted: sorted, probability: $0) }
                let (mean, percentiles) = results[c]!
                #expect(Self.sameBits(mean, sum.value / Double(n)), context)
                #expect(percentiles.count == 5 && zip(percentiles, expected).allSatisfy { Self.sameBits($0, $1) }, context)
                // Columns whose compensated sum is NaN (a NaN, or an infinity) always need all their
                // values (they are sorted); with room of six standard deviations the independent
                // columns never do; capturing nothing, every column with guessed bins does (those
                // without are captured whole, the constant one needs no values).
                let kind = c % Self.kinds
                if kind == 4 || kind == 7 { #expect(missing.contains(c), context) }
                if streaming.z == 6 && [0, 1, 2, 3, 6].contains(kind) { #expect(!missing.contains(c), context) }
                if streaming.z < 0 && [2, 3].contains(kind) == missing.contains(c) && kind != 7 {
                    Issue.record("column \(c) counted again: \(missing.contains(c)), \(context)")
                }
            }
            arm.releaseMemory()
        }
    }

    @Test func aCompleteHistogramKeepsTheBinsOfTheRanks() {
        // With every value counted (m = n) the prediction is exact: the kept bins are those
        // whose ranks [below, upTo) come within two values of a requested rank.
        var random = RandomStream(seed: 3, replicate: 1, subject: 1, stream: .model)
        let n = 5000, bins = 64
        var histogram = [UInt16](repeating: 0, count: bins)
        for _ in 0..<n { histogram[Int(random.nextUniform() * random.nextUniform() * Double(bins))] += 1 }
        let ranks = TimecourseCollector.ranks(count: n)
        var flags = [UInt8](repeating: 9, count: bins)
        histogram.withUnsafeBufferPointer { h in
            flags.withUnsafeMutableBufferPointer { f in
                TimecourseFirstPass.keptBins(histogram: h.baseAddress!, bins: bins, folded: n, finalCount: n, ranks: ranks, z: 6,
                                             into: f.baseAddress!)
            }
        }
        var below = 0
        for b in 0..<bins {
            let upTo = below + Int(histogram[b])
            let holds = ranks.contains { Double($0) - 2 < Double(upTo) && Double($0) + 2 >= Double(below) }
            #expect(flags[b] == (holds ? 1 : 0), "bin \(b) [\(below), \(upTo))")
            below = upTo
        }
    }

    @Test func aWorkerWaitsRatherThanFillMoreBatchesAheadThanTheBound() throws {
        // A streamed arm of 12 batches after a one-batch prefix. Nothing after the prefix is
        // folded yet, so the batch `batchesAhead` past the next one to fold is not handed out
        // until that batch is folded; then the waiting writer goes on.
        let batch = TimecourseArm.batchSubjects
        let arm = TimecourseArm(stride: 2, expected: batch * 13, streaming: TimecourseStreaming(prefix: batch, refineEvery: batch, z: 6))
        #expect(arm.kept == batch)
        // Every worker can be busy: one batch each, four to spare, at least 6.
        #expect(arm.batchesAhead == 6 && TimecourseArm.batchesAhead(threads: 2) == 6 && TimecourseArm.batchesAhead(threads: 16) == 20)
        func writeAndAdd(_ subjects: Range<Int>) {
            for s in subjects {
                let place = arm.place(of: s)
                place[0] = Double(s); place[TimecourseStore.lanes] = -Double(s)
            }
            arm.wrote(subjects.count, inBatch: subjects.lowerBound / batch)
            for _ in subjects { arm.add() }
        }
        writeAndAdd(0..<batch)                                    // the prefix, folded
        for k in 0..<arm.batchesAhead { _ = arm.place(of: batch + k * batch) }   // within the bound
        let handedOut = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            _ = arm.place(of: batch + arm.batchesAhead * batch)
            handedOut.signal()
        }
        #expect(handedOut.wait(timeout: .now() + 0.2) == .timedOut, "a batch beyond the bound was handed out before any was folded")
        writeAndAdd(batch..<(2 * batch))                          // the first batch after the prefix, folded
        #expect(handedOut.wait(timeout: .now() + 30) == .success, "the waiting writer was not woken by the fold")
        // A run that stops folds no more: `abandon` releases a writer waiting beyond the bound.
        let released = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            _ = arm.place(of: batch + (arm.batchesAhead + 5) * batch)
            released.signal()
        }
        #expect(released.wait(timeout: .now() + 0.2) == .timedOut)
        arm.abandon()
        #expect(released.wait(timeout: .now() + 30) == .success, "abandon did not release the waiting writer")
    }

    @Test func aWorkerFoldsItsOwnBatchesRatherThanLeaveThemToABusyFolder() throws {
        // Two writers, A and B, of a streamed arm (a one-batch prefix). A completes batch 1 while
        // batch 0 is unwritten (left to whoever folds 0); B completes batch 0 and folds it, held
        // there. A then completes batch 2 with only folds in the way: it waits, B stops after its
        // fold, and A folds batches 1 and 2, its own. (Before, B went on with them: a folder could
        // keep folding the other worker's batches for 120 ms of W1's run.) Then a batch whose
        // writer goes on (A's 4, while 3 is unwritten) is folded by the folder of the one before.
        let batch = TimecourseArm.batchSubjects
        let arm = TimecourseArm(stride: 2, expected: batch * 6, streaming: TimecourseStreaming(prefix: batch, refineEvery: batch, z: 6))
        final class Log: Sendable {
            let folds = Mutex<[(batch: Int, thread: pthread_t)]>([])
            let threads = Mutex<[String: pthread_t]>([:])
            func folder(of batch: Int) -> String? {
                guard let thread = folds.withLock({ $0.first { $0.batch == batch }?.thread }) else { return nil }
                return threads.withLock { $0.first { pthread_equal($0.value, thread) != 0 }?.key }
            }
        }
        let log = Log()
        let foldOfZeroStarted = DispatchSemaphore(value: 0), releaseFoldOfZero = DispatchSemaphore(value: 0)
        let waiting = DispatchSemaphore(value: 0)
        arm.willWaitToFold = { _ in waiting.signal() }
        arm.willFold = { k in
            log.folds.withLock { $0.append((k, pthread_self())) }
            if k == 0 { foldOfZeroStarted.signal(); releaseFoldOfZero.wait() }
        }
        @Sendable func write(_ k: Int) {
            for s in k * batch..<(k + 1) * batch {
                let place = arm.place(of: s)
                place[0] = Double(s); place[TimecourseStore.lanes] = -Double(s)
            }
            arm.wrote(batch, inBatch: k)
        }
        // Runs `steps` on a thread of its own named `name`, one step per signal of `go`; `done` after each.
        func writer(_ name: String, _ steps: [Int], go: DispatchSemaphore, done: DispatchSemaphore) {
            Thread.detachNewThread {
                log.threads.withLock { $0[name] = pthread_self() }
                for k in steps { go.wait(); write(k); done.signal() }
            }
        }
        let goA = DispatchSemaphore(value: 0), doneA = DispatchSemaphore(value: 0)
        let goB = DispatchSemaphore(value: 0), doneB = DispatchSemaphore(value: 0)
        writer("A", [1, 2, 4], go: goA, done: doneA)
        writer("B", [0, 3], go: goB, done: doneB)
        goA.signal()
        #expect(doneA.wait(timeout: .now() + 30) == .success)              // A: batch 1, left
        #expect(log.folds.withLock { $0.isEmpty })
        goB.signal()
        #expect(foldOfZeroStarted.wait(timeout: .now() + 30) == .success)  // B folds 0, held
        goA.signal()
        #expect(waiting.wait(timeout: .now() + 5) == .success, "A did not wait to fold its batches")
        #expect(doneA.wait(timeout: .now() + 0.05) == .timedOut)
        releaseFoldOfZero.signal()
        #expect(doneB.wait(timeout: .now() + 30) == .success)
        #expect(doneA.wait(timeout: .now() + 30) == .success)
        #expect(log.folder(of: 0) == "B" && log.folder(of: 1) == "A" && log.folder(of: 2) == "A")
        goA.signal()
        #expect(doneA.wait(timeout: .now() + 30) == .success)              // A: batch 4, left (3 unwritten)
        #expect(log.folds.withLock { $0.count } == 3)
        goB.signal()
        #expect(doneB.wait(timeout: .now() + 30) == .success)              // B: 3, then A's 4
        #expect(log.folder(of: 3) == "B" && log.folder(of: 4) == "B")
        #expect(log.folds.withLock { $0.map(\.batch) } == [0, 1, 2, 3, 4])
        // The folds were the batches' values in subject order: the range of column 0.
        #expect(arm.firstPass.folded == 5 * batch && arm.firstPass.range(0) == (0, Double(5 * batch - 1)))
    }

    @Test func keptBinsMeetTheIntervalsBinByBin() {
        // The binary searches against the definition, bin by bin: kept where [below, upTo)
        // meets an interval (upTo > low and below ≤ high), on sparse histograms with empty bins,
        // intervals that end exactly at a bin edge, share a bin, or lie outside every count.
        var random = RandomStream(seed: 11, replicate: 1, subject: 1, stream: .model)
        for trial in 0..<500 {
            let bins = 1 + random.nextIndex(below: 40)
            let histogram = (0..<bins).map { _ in random.nextUniform() < 0.4 ? UInt16(0) : UInt16(random.nextIndex(below: 6)) }
            let total = histogram.reduce(0) { $0 + Int($1) }
            var intervals: [(low: Double, high: Double)] = []
            var at = -3.0
            for _ in 0..<random.nextIndex(below: 4) {
                let low = at + Double(random.nextIndex(below: 8)) + (random.nextUniform() < 0.5 ? 0 : 0.5)
                let high = low + Double(random.nextIndex(below: 6))
                intervals.append((low, high))
                at = high + (random.nextUniform() < 0.3 ? 0 : 1)
            }
            var flags = [UInt8](repeating: 9, count: bins)
            histogram.withUnsafeBufferPointer { h in
                flags.withUnsafeMutableBufferPointer { f in
                    TimecourseFirstPass.keptBins(histogram: h.baseAddress!, bins: bins, intervals: intervals, into: f.baseAddress!)
                }
            }
            var below = 0
            for b in 0..<bins {
                let upTo = below + Int(histogram[b])
                let meets = intervals.contains { Double(upTo) > $0.low && Double(below) <= $0.high }
                #expect(flags[b] == (meets ? 1 : 0), "trial \(trial): bin \(b) [\(below), \(upTo)) of \(total), intervals \(intervals)")
                below = upTo
            }
        }
    }

    /// Two arms of 700 subjects (`groupProtocolText`), large enough to stream with a 256-subject
    /// prefix, 2 replicates (so the arms' summaries are made early).
    private static let protocolText = groupProtocolText(extra: "replicates: 2", subjects: 1400)

    @Test func aStoppedRunMakesNoSummariesFromFoldsLeftPartWay() throws {
        // After `abandon` (a stop or a failure) a complete batch is no longer folded, but the
        // chunks before the failing one are still consumed: counting an arm's last time course
        // must then not make its summaries, which would fold everything not yet folded as one
        // run of subjects, across batch buffers.
        let definition = try ProtocolLoader.load(bytes: Array(Self.protocolText.utf8), path: "groups.yaml")
        let plan = try TrialPlan(definition)
        var collector = TimecourseCollector(plan: plan, streaming: TimecourseStreaming(prefix: 256, refineEvery: 256, z: 6), threads: 2)
        let store = collector.store, arm = store.arms[0]
        #expect(arm.expected == 700 && arm.kept == 256 && arm.streaming != nil)
        let outputs = [Double](repeating: 1.5, count: plan.model.outputNames.count * plan.observationTimes.count)
        let tally = TimecourseTally()
        for index in 0..<256 { store.write(arm: 0, index: index, from: outputs, tally: tally) }
        store.commit(tally)
        #expect(arm.firstPass.folded == 256)
        store.abandon()
        for index in 256..<700 { store.write(arm: 0, index: index, from: outputs, tally: tally) }
        store.commit(tally)
        for _ in 0..<700 { collector.add(arm: 0, remainingUnits: 10_000) }
        #expect(arm.isAbandoned && arm.count == 700)
        #expect(arm.firstPass.folded == 256, "summaries made from a stopped run's folds")
    }

    @Test func helpingWithAStoppedRunsSummariesReturns() throws {
        // Summaries posted, then the run stops (`abandon`): no block of them is made any more, and a
        // worker asking for work between its chunks (or with no chunk left) must get none rather
        // than the same job again and again.
        let definition = try ProtocolLoader.load(bytes: Array(Self.protocolText.utf8), path: "groups.yaml")
        let plan = try TrialPlan(definition)
        var collector = TimecourseCollector(plan: plan, streaming: TimecourseStreaming(prefix: 256, refineEvery: 256, z: 6), threads: 2)
        let store = collector.store
        let outputs = [Double](repeating: 1.5, count: plan.model.outputNames.count * plan.observationTimes.count)
        let tally = TimecourseTally()
        for index in 0..<700 { store.write(arm: 0, index: index, from: outputs, tally: tally) }
        store.commit(tally)
        for _ in 0..<700 { collector.add(arm: 0, remainingUnits: 10_000) }
        store.abandon()
        let returned = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            _ = store.helpWithSummaries()
            returned.signal()
        }
        #expect(returned.wait(timeout: .now() + 10) == .success, "helping with a stopped run's summaries did not return")
    }

    @Test func aStreamedRunStoppedWhileAnArmsTimecoursesCompleteEndsCleanly() throws {
        // Stopped at the claim of chunk 3 while chunk 2 (the first arm's last time courses) may
        // still be running: the run ends with CancellationError, nothing committed.
        let definition = try ProtocolLoader.load(bytes: Array(Self.protocolText.utf8), path: "groups.yaml")
        let plan = try TrialPlan(definition)
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("tcs-stop-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        for attempt in 0..<6 {
            var options = RunOptions(outputDirectory: root, threads: 2)
            options.timecourseStreaming = TimecourseStreaming(prefix: 256, refineEvery: 256, z: 6)
            let claims = Atomic<Int>(0)
            let runner = TrialRunner(plan: plan, options: options, protocolBytes: definition.sourceBytes, protocolFileName: "groups.yaml")
            #expect(throws: CancellationError.self, "attempt \(attempt)") {
                _ = try runner.run(shouldStop: { claims.wrappingAdd(1, ordering: .relaxed).newValue > 3 })
            }
            let left = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
            #expect(left.isEmpty, "attempt \(attempt): \(left)")
        }
    }

    @Test(arguments: [1, 2]) func aRunsTimecoursesDoNotDependOnHowTheyWereKept(threads: Int) throws {
        // Not streamed (the arms are small for the standard prefix), streamed, and streamed with
        // nothing captured (every column counted again from its subjects simulated again): the
        // same timecourse.csv, byte for byte, and the same subject files.
        let definition = try ProtocolLoader.load(bytes: Array(Self.protocolText.utf8), path: "groups.yaml")
        let plan = try TrialPlan(definition)
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("tcs-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        var files: [[String: Data]] = []
        for (i, streaming) in [TimecourseStreaming.standard, TimecourseStreaming(prefix: 256, refineEvery: 256, z: 6),
                               TimecourseStreaming(prefix: 256, refineEvery: 256, z: -1e9)].enumerated() {
            #expect(streaming.streams(count: 700) == (i > 0))
            var options = RunOptions(outputDirectory: root + "/\(i)", threads: threads)
            options.timecourseStreaming = streaming
            let folder = try TrialRunner(plan: plan, options: options, protocolBytes: definition.sourceBytes,
                                         protocolFileName: "groups.yaml").run()
            var contents: [String: Data] = [:]
            for name in ["timecourse.csv", "subjects.csv", "endpoints.csv", "efficacy.csv"] {
                contents[name] = try Data(contentsOf: URL(fileURLWithPath: folder + "/" + name))
            }
            files.append(contents)
        }
        #expect(files[0]["timecourse.csv"]!.count > 1000)
        #expect(files[1] == files[0])
        #expect(files[2] == files[0])
    }
}
