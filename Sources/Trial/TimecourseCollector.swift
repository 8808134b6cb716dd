import CSummaries
import Dispatch
import Foundation
import Statistics
import Synchronization

/// How the time courses of a large arm are kept (`TimecourseArm`): only its first `prefix`
/// subjects' values stay for the whole run; after them each value is kept only when its bin may
/// hold one of the requested ranks, judged from the histogram of the values folded so far with
/// `z` standard deviations of room, and judged again every `refineEvery` subjects. A rank whose
/// bin was not kept throughout is counted exactly from the arm's subjects simulated again
/// (`TimecourseCollector.rows`): the percentiles are exact either way.
struct TimecourseStreaming: Sendable {
    var prefix: Int
    var refineEvery: Int
    var z: Double

    /// 2,048 subjects whole (W1: 22 MB of 215), windows of 6 standard deviations judged again
    /// every 512 subjects: W1 captures 21 % of the later values (docs/performance.md).
    static let standard = TimecourseStreaming(prefix: 2048, refineEvery: 2048, z: 6)

    /// Whether an arm of `count` time courses is streamed: at least twice the prefix, within the
    /// 16-bit histograms of the first pass (a longer arm has no guessed bins to judge from).
    func streams(count: Int) -> Bool { count >= 2 * prefix && count <= Int(UInt16.max) }
}

/// Collects replicate 1's model values for timecourse.csv: for each arm, the first
/// `limit` subjects (in subject order), each output and grid time chosen by the protocol; then
/// writes exact type-7 percentiles (SPEC §6).
///
/// The workers write each subject's values straight into its arm's `TimecourseArm` (every
/// (arm, subject) has its own place, so no copy passes through the in-order consumer), and as
/// each batch of `tilesPerFold` tiles of an arm completes, it is folded in subject order into
/// that arm's `TimecourseFirstPass` (sums in subject order, ranges, histograms and, past an arm's
/// prefix, the capture of the values that may hold the ranks), mostly by the worker that wrote
/// it (`TimecourseArm.wrote`); `add` counts the subjects in order; `rows` folds what is left and
/// selects the ranks. Memory: per arm its prefix, the batches in flight and the captured values
/// (all of them for an arm too small to stream).
struct TimecourseCollector {
    let outputs: [Int]
    let grid: [Int]
    let limit: Int
    /// Where the workers put the values (shared with them; see `TimecourseStore`).
    let store: TimecourseStore
    /// Per arm, its summaries made as soon as its last time-course subject was added, while the
    /// run still had other subjects to simulate (`add(arm:remainingUnits:)`; the arm's values are
    /// freed then), and the count they cover (nil for a column that needs its values again);
    /// `rows` uses them.
    private var early: [(count: Int, job: TimecourseSummaryJob)?]

    init(plan: TrialPlan, streaming: TimecourseStreaming = .standard, threads: Int = 1) {
        outputs = plan.output.timecourseOutputs
        grid = plan.output.timecourseGrid
        limit = plan.output.timecourseSubjects
        let limit = self.limit
        let expected = plan.arms.indices.map { arm in
            Swift.min(limit, plan.design == .matched ? plan.subjects : plan.armSizes[arm])
        }
        store = TimecourseStore(plan: plan, outputs: outputs, grid: grid, subjectsPerArm: expected, streaming: streaming, threads: threads)
        early = Array(repeating: nil, count: expected.count)
    }

    var stride: Int { outputs.count * grid.count }

    /// Tiles folded into the first pass at a time: each column then takes a few hundred values
    /// while its histogram is in the cache (one tile at a time, the histograms of all columns
    /// would go through the cache for every 32 values).
    static let tilesPerFold = 8

    /// Counts one more subject of `arm` whose values a worker has written to `store` (called in
    /// subject order, by the in-order consumer).
    ///
    /// When this is the arm's last time-course subject and at least as many subjects as the arm
    /// has time courses are still to be simulated (`remainingUnits`), the arm's summaries are
    /// posted now (`TimecourseStore.post`) for the workers to make between their chunks while the
    /// run goes on, instead of after the run where they would hold up its end; the values are
    /// freed when they are made. (Near the end of a run they wait for `rows`, which spreads them
    /// over every thread; so do those of an arm with a rank to count from its subjects simulated
    /// again.) The numbers are the same either way.
    mutating func add(arm: Int, remainingUnits: Int) {
        let timecourses = store.arms[arm]
        timecourses.add()
        if timecourses.count == timecourses.expected, stride > 0, remainingUnits >= timecourses.count, !timecourses.isAbandoned {
            // Only the first pass (for columns to count again) is read after the summaries: the
            // values go then rather than staying through the rest of the run.
            let job = timecourses.summaryJob(whenDone: { timecourses.releaseMemory() })
            early[arm] = (timecourses.count, job)
            store.post(job)
        }
    }

    /// Rows of timecourse.csv: arm, variable, time; N, MEAN, P05, P25, P50, P75, P95.
    ///
    /// The percentiles are exact type-7 order statistics (`OrderStatistics.values`): the same
    /// values as `SampleQuantile.type7` on the sorted column, without sorting it. A column with a
    /// NaN (no total order) or under 64 values is sorted as before.
    ///
    /// Columns are summarised on `threads` Dispatch workers (each column's results go to its own
    /// slots) and emitted afterwards in (arm, output, time) order: the same rows for any thread
    /// count. Columns of a streamed arm whose ranks were not all captured (`TimecourseArm`) are
    /// summarised from the arm's values written again by `refill` (the runner simulates its
    /// time-course subjects again into the `TimecourseArm` it is given). Without `refill`, when a
    /// column needs that, nothing is emitted and false returned (every arm's summaries are made
    /// before any row is emitted). With `sharing`, on a worker of the run while the others have no
    /// chunk left: the summaries not yet made are posted for them (`TimecourseStore.post`) and
    /// made here with their help (a Dispatch apply nested in the run's would run serially).
    @discardableResult
    func rows(plan: TrialPlan, threads: Int = 1, sharing: Bool = false, refill: ((_ arm: Int, _ into: TimecourseArm) throws -> Void)?,
              _ emit: (_ arm: Int, _ output: Int, _ time: Double, _ n: Int, _ mean: Double?, _ percentiles: [Double?]) -> Void) throws -> Bool {
        let stride = self.stride
        if stride == 0 { return true }
        let partials = plan.arms.indices.map { arm in
            if let early = early[arm] {
                precondition(early.count == store.arms[arm].count, "time-course subjects counted after their summaries")
                return early.job.results(threads: sharing ? 1 : threads)
            }
            guard sharing else { return store.arms[arm].summaries(threads: threads) }
            let job = store.arms[arm].summaryJob()
            store.post(job)
            return job.results()
        }
        if refill == nil && partials.contains(where: { $0.contains { $0 == nil } }) { return false }
        for arm in plan.arms.indices {
            let timecourses = store.arms[arm]
            let n = timecourses.count
            let partial = partials[arm]
            var results = partial.map { $0 ?? (nil, []) }
            let missing = partial.indices.filter { partial[$0] == nil }
            if !missing.isEmpty, let refill {
                let full = TimecourseArm(stride: stride, expected: n, streaming: nil)
                try refill(arm, full)
                full.markWritten()
                let redone = full.summaries(columns: missing, firstPass: timecourses.firstPass, threads: threads)
                timecourses.columnsCountedAgain = missing.count
                for (column, result) in zip(missing, redone) { results[column] = result }
            }
            for (offset, result) in results.enumerated() {
                emit(arm, outputs[offset / grid.count], plan.gridTime(grid[offset % grid.count]), n, result.mean, result.percentiles)
            }
        }
        return true
    }

    /// What the time courses kept, per arm (for the phase trace).
    var keptDescription: String {
        store.arms.enumerated().map { arm, t in
            let after = Swift.max(0, t.count - t.kept) * stride
            let captured = Swift.max(t.capturedValues, t.firstPass.candidateTotal)
            return "arm \(arm + 1): \(t.count) time courses, \(Swift.min(t.count, t.kept)) kept whole, "
                + (t.streaming == nil ? "not streamed" : "\(captured) of \(after) later values captured"
                    + String(format: " (%.1f %%)", after > 0 ? 100 * Double(captured) / Double(after) : 0)
                    + ", \(t.columnsCountedAgain) columns counted again")
        }.joined(separator: "; ")
    }

    private static let probabilities = [0.05, 0.25, 0.5, 0.75, 0.95]

    /// The 0-based ranks type-7 P05…P95 read from `n` sorted values, ascending and distinct.
    static func ranks(count n: Int) -> [Int] {
        var ranks: [Int] = []
        for p in probabilities {
            let h = Double(n - 1) * p
            let lo = Int(h.rounded(.down))
            if lo >= n - 1 { ranks.append(n - 1) } else {
                ranks.append(lo)
                if h - Double(lo) != 0 { ranks.append(lo + 1) }
            }
        }
        return Array(Set(ranks)).sorted()
    }

    /// Columns summarised together: 16 adjacent columns' runs fill one 4 KiB page of each tile,
    /// so the second pass reads whole pages tile after tile instead of 256 bytes per tile and
    /// column.
    static let columnsPerBlock = 16

    /// The mean (compensated sum in subject order) and the type-7 P05…P95 of one column, with
    /// its first pass made here (`TimecourseFirstPass` over this column alone).
    static func summarise(_ column: TimecourseColumn, workspace: inout OrderStatistics.Workspace) -> (Double?, [Double?]) {
        let pass = TimecourseFirstPass(columns: 1, expectedCount: column.count, portable: workspace.portable)
        pass.fold(tile: column.base, tileStride: column.tileStride, count: column.count)
        return summarise(columns: 0..<1, of: { _ in column }, firstPass: pass, workspace: &workspace)[0]
    }

    /// The means and P05…P95 of `columns` (`column(c)` gives column c's values; `firstPass` has
    /// folded all of them).
    static func summarise(columns: Range<Int>, of column: (Int) -> TimecourseColumn, firstPass: TimecourseFirstPass,
                          workspace: inout OrderStatistics.Workspace) -> [(Double?, [Double?])] {
        summarise(columns: Array(columns), of: column, firstPass: firstPass, captured: false, workspace: &workspace).map { $0! }
    }

    /// The means and P05…P95 of `columns`. A NaN makes the sum NaN (and so does +∞ with −∞):
    /// such columns are sorted, which gives the same order statistics as selection wherever
    /// selection applies. Otherwise the ranks are selected from the histogram over the guessed
    /// range — the target bins of all the block's columns copied out in one sweep over the tiles
    /// — or (no guess, or a guess that crowded a rank's bin) by counting again over the column's
    /// true range.
    ///
    /// Without `captured`, `column(c)` gives all of column c's values and `firstPass` has folded
    /// them. With `captured`, `firstPass` has folded more (the count of the summaries) and
    /// captured the values after `column(c)`'s (`TimecourseFirstPass.startCapture`): a rank's bin
    /// is then read from both, and a column needs all its values again (nil) when it has a NaN or
    /// a rank in a bin not captured throughout.
    static func summarise(columns: [Int], of column: (Int) -> TimecourseColumn, firstPass: TimecourseFirstPass, captured: Bool,
                          workspace: inout OrderStatistics.Workspace) -> [(Double?, [Double?])?] {
        guard let firstColumn = columns.first else { return [] }
        let n = captured ? firstPass.folded : column(firstColumn).count
        // The values before the capture are the columns'; the rest were offered to the capture.
        precondition(!captured || firstPass.capturedFrom == column(firstColumn).count, "time-course capture out of step with the prefix")
        // SampleQuantile.type7, with the order statistics it reads found by selection.
        let ranks = Self.ranks(count: n)
        func percentiles(_ found: [Double]) -> [Double?] {
            func value(_ rank: Int) -> Double { found[ranks.firstIndex(of: rank)!] }
            return probabilities.map { p -> Double? in
                let h = Double(n - 1) * p
                let lo = Int(h.rounded(.down))
                if lo >= n - 1 { return value(n - 1) }
                let fraction = h - Double(lo)
                if fraction == 0 { return value(lo) }
                return value(lo) + fraction * (value(lo + 1) - value(lo))
            }
        }
        var results = [(Double?, [Double?])?](repeating: nil, count: columns.count)
        var slots: [Int] = [], selections: [(column: TimecourseColumn, selection: OrderStatistics.BinSelection)] = []
        for (slot, c) in columns.enumerated() {
            let values = column(c)
            // The mean is held within the column's range (`meanWithinRange`: a constant column's
            // mean is its value).
            let sum = firstPass.sum(c)
            if sum.isNaN || n < 64 {
                if captured { continue }
                var sorted = values.gathered()
                sorted.sort()
                let mean = n > 0 ? meanWithinRange(sum: sum, count: n, minimum: sorted[0], maximum: sorted[n - 1]) : nil
                results[slot] = (mean, probabilities.map { SampleQuantile.type7(sorted: sorted, probability: $0) })
                continue
            }
            let (minimum, maximum) = firstPass.range(c)
            let mean: Double? = meanWithinRange(sum: sum, count: n, minimum: minimum, maximum: maximum)
            if let guess = firstPass.guess(c) {
                workspace.load(counts: firstPass.histogram(c), bins: guess.bins)
                if let selection = OrderStatistics.BinSelection(ranks: ranks, counted: guess, workspace: workspace, count: n,
                                                                sizeLimit: captured ? Int.max : nil) {
                    if captured && !selection.targetBins.allSatisfy({ firstPass.captures(column: c, bin: $0) }) { continue }
                    results[slot] = (mean, [])
                    slots.append(slot)
                    selections.append((values, selection))
                    continue
                }
            }
            if captured {
                // No guess: every value after the prefix was captured (`startCapture`).
                if maximum - minimum == 0 {
                    results[slot] = (mean, percentiles(ranks.map { _ in minimum }))
                    continue
                }
                var whole = values.gathered()
                whole.append(contentsOf: firstPass.candidates(c))
                precondition(whole.count == n, "time-course column without a guess not captured whole")
                results[slot] = whole.withUnsafeBufferPointer { buffer in
                    let all = TimecourseColumn(base: buffer.baseAddress!, tileStride: TimecourseStore.lanes, count: n)
                    return (mean, percentiles(OrderStatistics.values(ofRanks: ranks, in: all, minimum: minimum, maximum: maximum,
                                                                     workspace: &workspace)))
                }
                continue
            }
            results[slot] = (mean, percentiles(OrderStatistics.values(ofRanks: ranks, in: values, minimum: minimum, maximum: maximum,
                                                                      workspace: &workspace)))
        }
        OrderStatistics.BinSelection.take(selections, portable: workspace.portable)
        if captured {
            for (slot, entry) in zip(slots, selections) {
                let candidates = firstPass.candidates(columns[slot])
                let tail = TimecourseColumn(base: candidates.baseAddress ?? UnsafePointer(firstPass.spareValue),
                                            tileStride: TimecourseStore.lanes, count: candidates.count)
                OrderStatistics.BinSelection.take([(tail, entry.selection)], portable: workspace.portable)
            }
        }
        for (slot, entry) in zip(slots, selections) { results[slot]!.1 = percentiles(entry.selection.values()) }
        return results
    }
}

/// One arm's time courses: its first `kept` subjects' values for the whole run, in tiles of
/// `TimecourseStore.lanes` subjects (within a tile column-major, [column][lane]: a subject's
/// values land in `stride` cache lines that the next few subjects fill too, and a column is read
/// as runs of `lanes` adjacent values); the subjects after them, when the arm is streamed
/// (`TimecourseStreaming`), in buffers of one batch of `TimecourseCollector.tilesPerFold` tiles
/// each, reused once the batch is folded (with the values that may hold a rank captured by the
/// first pass): the memory then stays at the prefix, the batches in flight and the captured
/// values, without fresh pages for every subject. Workers write their subjects' places without
/// locking (each (arm, subject) has its own); the batch buffers are handed out under a lock, at
/// most `batchesAhead` batches beyond the next one to fold (a worker that gets further ahead of
/// the folds waits), so the memory does not depend on how the threads were timed.
final class TimecourseArm: @unchecked Sendable {
    let stride: Int
    /// Time-course subjects the arm will have.
    let expected: Int
    /// Subjects whose values stay for the whole run: all of them unless streamed.
    let kept: Int
    let streaming: TimecourseStreaming?
    let firstPass: TimecourseFirstPass
    /// Subjects counted so far (in order, by `add`).
    private(set) var count = 0
    /// Columns whose ranks were counted from the subjects simulated again (`TimecourseCollector.rows`).
    var columnsCountedAgain = 0
    /// Values the first pass captured (counted when they are freed), for the phase trace.
    private(set) var capturedValues = 0
    private var prefix: UnsafeMutablePointer<Double>?
    private var prefixCapacity: Int
    /// The batch buffers (addresses, and the thread that asked for each) by batch after the
    /// prefix, those free for reuse, and the next batch to fold; guarded by `batchCondition`.
    private var liveBatches: [Int: (address: Int, writer: pthread_t)] = [:]
    private var freeBatches: [(address: Int, writer: pthread_t)] = []
    private var nextBatchToFold = 0
    /// The run stopped (`abandon`): nothing will be folded any more, so nobody waits.
    private var abandoned = false
    /// Subjects written so far of each batch not yet complete (by batch number from subject 0,
    /// `wrote`), the batches folded (in order), the complete batches not yet folded (and the
    /// thread that completed each), the threads waiting to fold, and whether a thread is folding;
    /// guarded by `batchCondition`.
    private var writtenInBatch: [Int: Int] = [:]
    private var batchesFolded = 0
    private var readyBatches: [Int: pthread_t] = [:]
    private var writersWaiting: [pthread_t] = []
    private var folding = false
    /// For tests: called on the folding thread with each whole batch before it is folded, and on
    /// a writer that is about to wait to fold its batch (`wrote`; under the arm's lock: it must
    /// not wait for the arm).
    var willFold: (@Sendable (Int) -> Void)?
    var willWaitToFold: (@Sendable (Int) -> Void)?
    private let batchCondition = NSCondition()

    /// Batches a worker may fill beyond the next one to fold
    /// (`batchesAhead(threads:)`). The batch holding the next subject in order is always within
    /// it, so the run always goes on.
    let batchesAhead: Int

    /// Four batches beyond one per worker (a batch is one chunk of the runner), at least 6: every
    /// worker can be busy, with slack for the consumer's pauses. W1 (2 threads): peak RSS
    /// 116-135 MiB with the batches unbounded (a worker ran up to the window of 64 chunks ahead
    /// when the other was descheduled), see docs/performance.md item 36.
    static func batchesAhead(threads: Int) -> Int { Swift.max(6, threads + 4) }

    static var batchSubjects: Int { TimecourseCollector.tilesPerFold * TimecourseStore.lanes }

    /// `portable` as `TimecourseFirstPass.portable` (for tests); `threads`: the run's workers.
    init(stride: Int, expected: Int, streaming: TimecourseStreaming?, threads: Int = 1, portable: Bool = false) {
        self.stride = stride
        batchesAhead = Self.batchesAhead(threads: threads)
        self.expected = expected
        let streams = streaming.map { stride > 0 && $0.streams(count: expected) } ?? false
        self.streaming = streams ? streaming : nil
        // The prefix is whole batches, so that the batches after it start at a fold.
        kept = streams ? Swift.max(1, streaming!.prefix / Self.batchSubjects) * Self.batchSubjects : expected
        firstPass = TimecourseFirstPass(columns: stride, expectedCount: expected, portable: portable)
        prefixCapacity = Swift.max(1, (kept + TimecourseStore.lanes - 1) / TimecourseStore.lanes * TimecourseStore.lanes * stride)
        prefix = .allocate(capacity: prefixCapacity)
    }

    deinit { releaseMemory() }

    /// Distance from a tile to the next.
    var tileStride: Int { TimecourseStore.lanes * stride }

    /// Where subject `index`'s value of column 0 goes; column c's is `c · lanes` further.
    func place(of index: Int) -> UnsafeMutablePointer<Double> {
        precondition(index < expected, "time-course subject beyond the reserved count")
        let lanes = TimecourseStore.lanes
        if index < kept { return prefix! + (index / lanes) * tileStride + index % lanes }
        let offset = (index - kept) % Self.batchSubjects
        return batch(containing: index) + (offset / lanes) * tileStride + index % lanes
    }

    /// The buffer of the batch holding subject `index` (past the prefix), made or reused on first use.
    private func batch(containing index: Int) -> UnsafeMutablePointer<Double> {
        let key = (index - kept) / Self.batchSubjects
        let size = Self.batchSubjects * stride
        batchCondition.lock()
        defer { batchCondition.unlock() }
        if let live = liveBatches[key] { return UnsafeMutablePointer(bitPattern: live.address)! }
        while key >= nextBatchToFold + batchesAhead && !abandoned { batchCondition.wait() }
        if let live = liveBatches[key] { return UnsafeMutablePointer(bitPattern: live.address)! }
        // A buffer this thread wrote last, if any: folded by it too (`wrote`), its lines are in
        // this core's caches or the shared one, not the other cores'.
        let me = pthread_self()
        let address: Int
        if let mine = freeBatches.lastIndex(where: { pthread_equal($0.writer, me) != 0 }) {
            address = freeBatches.remove(at: mine).address
        } else {
            address = freeBatches.popLast()?.address ?? Int(bitPattern: UnsafeMutablePointer<Double>.allocate(capacity: size))
        }
        liveBatches[key] = (address, me)
        return UnsafeMutablePointer(bitPattern: address)!
    }

    /// Tile `index` (subjects lanes·index …): column c's run starts at c · lanes. Tiles of one
    /// batch (or of the prefix) are `tileStride` apart.
    private func tile(_ index: Int) -> UnsafePointer<Double> {
        let subject = index * TimecourseStore.lanes
        if subject < kept { return UnsafePointer(prefix! + index * tileStride) }
        return UnsafePointer(place(of: subject))
    }

    /// Counts every subject as written, without folding (the values of a streamed arm written
    /// again, summarised with that arm's first pass).
    func markWritten() {
        precondition(streaming == nil && count == 0, "time-course subjects counted twice")
        count = expected
    }

    /// Counts one more subject (in subject order; its values written, and `wrote` told).
    func add() {
        count += 1
    }

    /// Records that a worker wrote `subjects` more subjects of batch `batch` (subjects
    /// `batch · batchSubjects ..<` the next batch's). A complete batch is folded in subject order
    /// (`foldBatch`), by the worker that completed it when it can be, so that its values are read
    /// on the core that wrote them:
    /// - at once when the batches before it are folded and no fold is under way;
    /// - after waiting when every batch before it is complete and only folds are in the way: the
    ///   folder stops before the first batch completed by a worker that waits, which folds it and
    ///   the ones after it (its own, mostly). Usually one fold's wait, never a wait for a batch
    ///   still being written;
    /// - otherwise (a batch before it is still being written) it is left to the thread that folds
    ///   the batches before it, which goes on with every complete batch that follows, up to one
    ///   whose writer waits.
    ///
    /// (A folder that went on with every complete batch while the other worker completed more
    /// folded all of them, another core's values, for up to 120 ms of W1's run: the chunk it was
    /// in could not be consumed meanwhile, the other worker filled the window of 64 chunks and
    /// peak RSS rose by up to 20 MB; docs/performance.md, item 55.) The arm's last batch, if not
    /// whole, is folded when the summaries are made (`foldRest`).
    func wrote(_ subjects: Int, inBatch batch: Int) {
        guard stride > 0, subjects > 0 else { return }
        batchCondition.lock()
        let total = (writtenInBatch[batch] ?? 0) + subjects
        guard total == Self.batchSubjects else {
            writtenInBatch[batch] = total
            batchCondition.unlock()
            return
        }
        writtenInBatch[batch] = nil
        let me = pthread_self()
        readyBatches[batch] = me
        if folding && !abandoned && batch > batchesFolded && (batchesFolded + 1 ..< batch).allSatisfy({ readyBatches[$0] != nil }) {
            // Only folds are in the way: wait for the folder to stop before a batch of this
            // worker's (or of another waiting worker, which folds its own and stops before ours).
            writersWaiting.append(me)
            willWaitToFold?(batch)
            while !abandoned && (folding || nextBatchIsAnotherWaitingWriters(me)) { batchCondition.wait() }
            writersWaiting.removeAll { pthread_equal($0, me) != 0 }
        }
        // The next batch to fold is complete and no other worker waits to fold it (this one is
        // no longer among the waiting).
        guard !folding, !abandoned, let writer = readyBatches[batchesFolded], !isWaiting(writer) else {
            batchCondition.unlock()
            return
        }
        folding = true
        while !abandoned, let writer = readyBatches[batchesFolded], !isWaiting(writer) {
            let next = batchesFolded
            batchCondition.unlock()
            foldBatch(next)
            batchCondition.lock()
            readyBatches[next] = nil
            batchesFolded = next + 1
        }
        folding = false
        batchCondition.broadcast()
        batchCondition.unlock()
    }

    /// Whether `thread` waits to fold (`wrote`); under `batchCondition`.
    private func isWaiting(_ thread: pthread_t) -> Bool {
        writersWaiting.contains { pthread_equal($0, thread) != 0 }
    }

    /// Whether the next batch to fold was completed by a waiting worker other than `me`, which
    /// folds it; under `batchCondition`.
    private func nextBatchIsAnotherWaitingWriters(_ me: pthread_t) -> Bool {
        guard let writer = readyBatches[batchesFolded] else { return false }
        return pthread_equal(writer, me) == 0 && isWaiting(writer)
    }

    /// Waits until no batch is being folded.
    private func waitForFolds() {
        batchCondition.lock()
        while folding && !abandoned { batchCondition.wait() }
        batchCondition.unlock()
    }

    /// Folds batch `batch` into the first pass, starts or judges again the capture at the
    /// streaming's checkpoints, and hands the batch's buffer back for reuse.
    private func foldBatch(_ batch: Int) {
        willFold?(batch)
        let start = batch * Self.batchSubjects, end = start + Self.batchSubjects
        firstPass.fold(tile: tile(start / TimecourseStore.lanes), tileStride: tileStride, count: Self.batchSubjects)
        if let streaming {
            if start >= kept { recycle(batch: (start - kept) / Self.batchSubjects) }
            if end == kept {
                firstPass.startCapture(finalCount: expected, z: streaming.z)
            } else if end > kept, (end - kept) % streaming.refineEvery == 0, end < expected {
                firstPass.refineCapture(finalCount: expected, z: streaming.z)
            }
        }
    }

    /// Releases every writer waiting for a batch or a fold (the run failed or was stopped, so the
    /// batches will not all be folded); later batches are handed out without the bound.
    func abandon() {
        batchCondition.lock()
        abandoned = true
        batchCondition.broadcast()
        batchCondition.unlock()
    }

    /// Whether the run was stopped (`abandon`): the folds stopped part-way, so no summaries may
    /// be made (they would fold what is left as one run of subjects, across batch buffers), and
    /// summaries under way stop at their next block.
    var isAbandoned: Bool {
        batchCondition.lock()
        defer { batchCondition.unlock() }
        return abandoned
    }

    private func recycle(batch key: Int) {
        batchCondition.lock()
        if let live = liveBatches.removeValue(forKey: key) { freeBatches.append(live) }
        nextBatchToFold = Swift.max(nextBatchToFold, key + 1)
        batchCondition.broadcast()
        batchCondition.unlock()
    }

    /// Folds the subjects after the last whole batch (those were folded as they completed).
    private func foldRest() {
        waitForFolds()
        let folded = firstPass.folded
        guard count > folded else { return }
        firstPass.fold(tile: tile(folded / TimecourseStore.lanes), tileStride: tileStride, count: count - folded)
        if folded >= kept { recycle(batch: (folded - kept) / Self.batchSubjects) }
    }

    /// Column `column` of the kept subjects (all counted ones when the arm is not streamed).
    func column(_ column: Int) -> TimecourseColumn {
        TimecourseColumn(base: UnsafePointer(prefix! + column * TimecourseStore.lanes), tileStride: tileStride,
                         count: Swift.min(count, kept))
    }

    /// The mean and P05…P95 of every column over the subjects counted so far, on `threads`
    /// Dispatch workers (each column's results go to its own slot: the same numbers for any
    /// thread count); nil for a column of a streamed arm that needs all its values again
    /// (`TimecourseCollector.summarise(columns:of:firstPass:captured:workspace:)`).
    func summaries(threads: Int) -> [(mean: Double?, percentiles: [Double?])?] {
        summaryJob().results(threads: threads)
    }

    /// The work of `summaries(threads:)`, to be made by whichever threads help with it
    /// (`TimecourseSummaryJob`); `whenDone` runs once its last block is made.
    func summaryJob(whenDone: @escaping @Sendable () -> Void = {}) -> TimecourseSummaryJob {
        foldRest()
        precondition(firstPass.folded == count, "time-course first pass out of step with the subjects counted")
        return TimecourseSummaryJob(arm: self, columns: Array(0..<stride), firstPass: firstPass,
                                    captured: streaming != nil && count > kept, whenDone: whenDone)
    }

    /// The mean and P05…P95 of `columns` of this (not streamed) arm, whose values are those
    /// `firstPass` folded: for the columns of a streamed arm that need all their values again.
    func summaries(columns: [Int], firstPass: TimecourseFirstPass, threads: Int) -> [(mean: Double?, percentiles: [Double?])] {
        precondition(streaming == nil && count == expected && firstPass.folded == count, "time-course values written again in part")
        return TimecourseSummaryJob(arm: self, columns: columns, firstPass: firstPass, captured: false)
            .results(threads: threads).map { $0! }
    }

    /// Frees the values now (no column may be read afterwards; the first pass stays). The
    /// collector does it once an arm's summaries are made early; the runner frees whatever is
    /// left on a background thread while the report is built (unmapping takes milliseconds).
    /// Freeing again does nothing.
    func releaseMemory() {
        if let buffer = prefix {
            // The pages go first, with madvise (which holds the address-space lock only for
            // reading, so the other threads' page faults and allocations go on); the unmapping
            // that follows (which holds it for writing) then has nothing left to free.
            let bytes = prefixCapacity * MemoryLayout<Double>.stride
            let page = Int(sysconf(Int32(_SC_PAGESIZE)))
            let start = (Int(bitPattern: buffer) + page - 1) / page * page
            let end = (Int(bitPattern: buffer) + bytes) / page * page
            if end > start { _ = madvise(UnsafeMutableRawPointer(bitPattern: start), end - start, MADV_DONTNEED) }
            buffer.deallocate()
            prefix = nil
        }
        batchCondition.lock()
        let addresses = (Array(liveBatches.values) + freeBatches).map(\.address)
        liveBatches = [:]
        freeBatches = []
        batchCondition.unlock()
        for address in addresses { UnsafeMutablePointer<Double>(bitPattern: address)!.deallocate() }
        capturedValues = Swift.max(capturedValues, firstPass.candidateTotal)
        firstPass.releaseCandidates()
    }
}

/// The means and P05…P95 of some columns of one arm (`TimecourseCollector.summarise`), made in
/// blocks of `TimecourseCollector.columnsPerBlock` columns by whichever threads call `help`: each
/// block's results go to their own slots, so the numbers do not depend on which thread made
/// which block. The run's workers help with the summaries of an arm whose time courses are
/// complete between their chunks (`TimecourseStore.helpWithSummaries`), so that neither the
/// in-order consumer (which would otherwise make them alone, holding up the consumption of the
/// chunks) nor the end of the run waits for them. Helpers read the values and the first pass only.
final class TimecourseSummaryJob: @unchecked Sendable {
    typealias Summary = (mean: Double?, percentiles: [Double?])
    private let arm: TimecourseArm
    private let columns: [Int]
    private let firstPass: TimecourseFirstPass
    private let captured: Bool
    private let blocks: Int
    private let slots: UnsafeMutablePointer<Summary?>
    private let nextBlock = Atomic<Int>(0)
    private let whenDone: @Sendable () -> Void
    /// Blocks made so far, and whether `whenDone` has run after the last; guarded by `condition`.
    private var blocksMade = 0
    private var finished = false
    private let condition = NSCondition()

    init(arm: TimecourseArm, columns: [Int], firstPass: TimecourseFirstPass, captured: Bool,
         whenDone: @escaping @Sendable () -> Void = {}) {
        self.arm = arm
        self.columns = columns
        self.firstPass = firstPass
        self.captured = captured
        self.whenDone = whenDone
        blocks = (columns.count + TimecourseCollector.columnsPerBlock - 1) / TimecourseCollector.columnsPerBlock
        slots = .allocate(capacity: Swift.max(1, columns.count))
        slots.initialize(repeating: nil, count: columns.count)
    }

    deinit {
        slots.deinitialize(count: columns.count)
        slots.deallocate()
    }

    /// Whether every block has been claimed (some may still be in the making).
    var isClaimed: Bool { nextBlock.load(ordering: .relaxed) >= blocks }

    /// Whether the run stopped (no block is made any more: `help` returns at once).
    var isAbandoned: Bool { arm.isAbandoned }

    /// Makes blocks not yet claimed until none is left.
    func help() {
        var workspace: OrderStatistics.Workspace?
        while true {
            // Blocks of columns that share the tiles' pages (see `columnsPerBlock`).
            // (A stopped run needs no summaries: its workers go on to stop.)
            if arm.isAbandoned { return }
            let block = nextBlock.wrappingAdd(1, ordering: .relaxed).oldValue
            if block >= blocks { return }
            if workspace == nil { workspace = OrderStatistics.Workspace() }
            let first = block * TimecourseCollector.columnsPerBlock
            let range = first..<Swift.min(columns.count, first + TimecourseCollector.columnsPerBlock)
            let made = TimecourseCollector.summarise(columns: Array(columns[range]), of: { self.arm.column($0) }, firstPass: firstPass,
                                                     captured: captured, workspace: &workspace!)
            for (slot, result) in zip(range, made) { slots[slot] = result }
            condition.lock()
            blocksMade += 1
            let last = blocksMade == blocks
            condition.unlock()
            if last {
                whenDone()
                condition.lock()
                finished = true
                condition.broadcast()
                condition.unlock()
            }
        }
    }

    /// The results, in `columns` order, once every block is made and `whenDone` has run: the
    /// blocks not yet claimed are made here, on `threads` Dispatch workers, then this waits for
    /// those in the making.
    func results(threads: Int = 1) -> [Summary?] {
        let workers = Swift.max(1, Swift.min(threads, blocks))
        if workers == 1 || isClaimed {
            help()
        } else {
            DispatchQueue.concurrentPerform(iterations: workers) { _ in self.help() }
        }
        condition.lock()
        while !finished && blocks > 0 { condition.wait() }
        condition.unlock()
        return Array(UnsafeBufferPointer(start: slots, count: columns.count))
    }
}

/// Replicate 1's time-course values of every arm (`TimecourseArm`), written by the workers from
/// the simulator's output buffers.
final class TimecourseStore: @unchecked Sendable {
    /// Subjects per tile. Defined by the C kernels of the summaries (`CSUMMARIES_RUN`), whose loops
    /// over a column's run are compiled for this length.
    static let lanes = Int(CSUMMARIES_RUN)
    let stride: Int
    let arms: [TimecourseArm]
    /// Column c of a subject is `simulated[sourceIndex[c]]` of the simulator's output buffer.
    private let sourceIndex: [Int]
    private let requiredSourceCount: Int

    init(plan: TrialPlan, outputs: [Int], grid: [Int], subjectsPerArm: [Int], streaming: TimecourseStreaming, threads: Int) {
        stride = outputs.count * grid.count
        let timeCount = plan.observationTimes.count
        sourceIndex = outputs.flatMap { o in grid.map { k in o * timeCount + plan.gridTimeIndex[k] } }
        requiredSourceCount = (sourceIndex.max() ?? -1) + 1
        let stride = self.stride
        arms = subjectsPerArm.map { TimecourseArm(stride: stride, expected: $0, streaming: streaming, threads: threads) }
    }

    /// `TimecourseArm.abandon` for every arm.
    func abandon() { for arm in arms { arm.abandon() } }

    /// Summaries posted for the workers to help with (`helpWithSummaries`), and whether any
    /// may have blocks left (read without the lock, between every two chunks).
    private let summaryJobs = Mutex<[TimecourseSummaryJob]>([])
    private let summaryJobsPosted = Atomic<Bool>(false)

    /// Posts an arm's summaries for the workers to make between their chunks.
    func post(_ job: TimecourseSummaryJob) {
        summaryJobs.withLock { $0.append(job) }
        summaryJobsPosted.store(true, ordering: .releasing)
    }

    /// Makes the blocks left of every posted summaries (called by a worker between chunks);
    /// whether there were any.
    func helpWithSummaries() -> Bool {
        guard summaryJobsPosted.load(ordering: .acquiring) else { return false }
        var helped = false
        while let job = summaryJobs.withLock({ jobs -> TimecourseSummaryJob? in
            // (A stopped run's jobs are dropped: their blocks are never claimed.)
            jobs.removeAll { $0.isClaimed || $0.isAbandoned }
            if jobs.isEmpty { summaryJobsPosted.store(false, ordering: .relaxed) }
            return jobs.first
        }) {
            job.help()
            helped = true
        }
        return helped
    }

    /// Frees every arm's values now (see `TimecourseArm.releaseMemory`).

    func releaseMemory() {
        for arm in arms { arm.releaseMemory() }
    }

    /// Whether replicate 1's subject `index` (0-based within `arm`) has a time course to store.
    func wants(arm: Int, index: Int) -> Bool { index < arms[arm].expected && stride > 0 }

    /// Stores subject `index` (0-based within `arm`, below its expected count) from a simulator
    /// output buffer (`outputs[o * times + k]`). Called by the worker that simulated the subject,
    /// with its `tally` of the subjects it wrote of the current batch (`commit`); different
    /// subjects touch disjoint memory.
    func write(arm: Int, index: Int, from simulated: [Double], tally: TimecourseTally) {
        let batch = index / TimecourseArm.batchSubjects
        if tally.arm != arm || tally.batch != batch {
            // (Before the write, which may wait for a batch buffer: what this worker wrote before
            // may be what the fold that frees one needs.)
            commit(tally)
            tally.arm = arm
            tally.batch = batch
        }
        write(into: arms[arm], index: index, from: simulated)
        tally.subjects += 1
        if index % TimecourseArm.batchSubjects == TimecourseArm.batchSubjects - 1 { commit(tally) }
    }

    /// Tells the arm what `tally` counted (`TimecourseArm.wrote`: a batch this completes is folded
    /// here or by the thread folding the batches before it). Called at a batch's last subject and
    /// by the worker when it has recorded its chunk (a batch may span two chunks).
    func commit(_ tally: TimecourseTally) {
        if tally.subjects > 0 { arms[tally.arm].wrote(tally.subjects, inBatch: tally.batch) }
        tally.subjects = 0
        tally.arm = -1
        tally.batch = -1
    }

    /// The same into an arm of its own (the values of a streamed arm written again).
    func write(into timecourses: TimecourseArm, index: Int, from simulated: [Double]) {
        let place = timecourses.place(of: index)
        simulated.withUnsafeBufferPointer { source in
            sourceIndex.withUnsafeBufferPointer { sourceIndex in
                precondition(source.count >= requiredSourceCount, "simulator output buffer too small")
                let from = source.baseAddress!
                for column in 0..<sourceIndex.count { place[column &* Self.lanes] = from[sourceIndex[column]] }
            }
        }
    }
}

/// The subjects one worker wrote of one batch of one arm and has not yet told the arm
/// (`TimecourseStore.write(arm:index:from:tally:)`, `TimecourseArm.wrote`): one call per batch
/// and chunk instead of one per subject.
final class TimecourseTally {
    var arm = -1, batch = -1, subjects = 0
    init() {}
}

/// The first pass of the time-course summaries over every column of one arm, fed whole tiles of
/// `TimecourseArm` in subject order: per column the compensated sum in subject order (exactly
/// `CompensatedSum.add`, value after value), the minimum and maximum, and a histogram of the
/// values over a range guessed from the column's first `TimecourseStore.lanes` values
/// (`OrderStatistics.BinMap(guessingFrom:)`), which spares the second pass its own counting.
///
/// Once `startCapture` has run, each later value whose bin may hold a requested rank (judged from
/// the histogram so far, `keptBins`) is also appended to its column's candidates, so that the
/// second pass needs only the values before the capture and the candidates.
///
/// The folding is the C kernel `csummaries_fold`: four columns in the lanes of vector operations,
/// each lane doing the scalar operations of its column, so the results are bit for bit those of
/// one column at a time while the columns' dependency chains overlap.
final class TimecourseFirstPass: @unchecked Sendable {
    let columns: Int
    /// Histogram bins per column: `BinMap.binCount` of the expected count, at most 512 — the
    /// histograms of all columns (updated batch by batch, four columns at a time) then take 1 KB
    /// per column, which keeps the cache misses of the increments low, and the target bins of the
    /// second pass still hold only a few hundred of 20,000 values.
    let bins: Int
    /// For tests: the fold runs the kernel's baseline code (SSE2 on x86-64) even where the AVX2
    /// code would run. Both must give the same bits.
    let portable: Bool
    /// Whether the expected count fits the 16-bit histograms.
    private let countsFit: Bool
    /// Values folded per column so far.
    private(set) var folded = 0
    /// Values folded when the capture started (nil before).
    private(set) var capturedFrom: Int?
    private let sums: UnsafeMutablePointer<Double>, compensations: UnsafeMutablePointer<Double>
    private let minima: UnsafeMutablePointer<Double>, maxima: UnsafeMutablePointer<Double>
    /// The guessed bin map per column (`low`, `scale`); `hasGuess[c]` is false until the first
    /// whole tile, or when its values give no range.
    private let lows: UnsafeMutablePointer<Double>, scales: UnsafeMutablePointer<Double>
    private let hasGuess: UnsafeMutablePointer<Bool>
    /// 16-bit counts (each column's histogram is 1 KB, so a batch's increments stay in a few
    /// cache lines); a column longer than `UInt16.max` values gets no guess (its second pass
    /// counts for itself). After the columns' histograms, one more that takes the increments of
    /// the columns without a guess (the kernel counts every lane).
    private let counts: UnsafeMutablePointer<UInt16>
    /// The capture: per column and bin whether its values are kept (and `bins` clear flags more
    /// for the kernel's spare lanes), per column the candidates (`candidateCounts` of
    /// `candidateCapacities` used), and the spare lanes' one-value sink.
    private var keeps: UnsafeMutablePointer<UInt8>?
    private let candidateBuffers: UnsafeMutablePointer<UnsafeMutablePointer<Double>?>
    private let candidateCounts: UnsafeMutablePointer<Int>
    private var candidateCapacities: [Int]
    /// The candidates' first buffers, one mapping for all columns (`startCapture`), so that their
    /// pages go back to the kernel when the capture is released: allocated one by one they stayed
    /// in the allocator's arenas (W1: ~55 MB) until the process exited, and the kernel's teardown
    /// of them was serial time at the end of the run (docs/performance.md, item 45). A column that
    /// outgrows its slice moves to an allocation of its own.
    private var region: (base: UnsafeMutableRawPointer, bytes: Int)?
    let spareValue: UnsafeMutablePointer<Double>
    /// The arrays above, as the kernel reads them.
    private var kernel: csummaries_first_pass

    init(columns: Int, expectedCount: Int, portable: Bool = false) {
        self.columns = columns
        self.portable = portable
        bins = Swift.min(512, OrderStatistics.BinMap.binCount(expectedCount))
        countsFit = expectedCount <= Int(UInt16.max)
        let slots = Swift.max(1, columns)
        func doubles(_ value: Double) -> UnsafeMutablePointer<Double> {
            let p = UnsafeMutablePointer<Double>.allocate(capacity: slots)
            p.initialize(repeating: value, count: slots)
            return p
        }
        sums = doubles(0); compensations = doubles(0)
        minima = doubles(.infinity); maxima = doubles(-.infinity)
        lows = doubles(0); scales = doubles(0)
        hasGuess = .allocate(capacity: slots)
        hasGuess.initialize(repeating: false, count: slots)
        counts = .allocate(capacity: (columns + 1) * bins)
        counts.initialize(repeating: 0, count: (columns + 1) * bins)
        candidateBuffers = .allocate(capacity: slots)
        candidateBuffers.initialize(repeating: nil, count: slots)
        candidateCounts = .allocate(capacity: slots)
        candidateCounts.initialize(repeating: 0, count: slots)
        candidateCapacities = Array(repeating: 0, count: slots)
        spareValue = .allocate(capacity: 1)
        spareValue.initialize(to: 0)
        kernel = csummaries_first_pass(columns: columns, bins: bins, sums: sums, compensations: compensations,
                                       minima: minima, maxima: maxima, lows: lows, scales: scales, has_guess: hasGuess,
                                       counts: counts, keeps: nil, candidates: nil, candidate_counts: nil, spare: nil)
    }

    deinit {
        for p in [sums, compensations, minima, maxima, lows, scales] { p.deallocate() }
        hasGuess.deallocate()
        counts.deallocate()
        releaseCandidates()
        candidateBuffers.deallocate()
        candidateCounts.deallocate()
        spareValue.deallocate()
    }

    /// Column `c`'s running compensated sum (the same state as `CompensatedSum.add` of its values).
    func compensatedSum(_ c: Int) -> CompensatedSum { CompensatedSum(sum: sums[c], compensation: compensations[c]) }
    /// The compensated sum of column `c`'s values (`CompensatedSum.value`).
    func sum(_ c: Int) -> Double { compensatedSum(c).value }
    func range(_ c: Int) -> (minimum: Double, maximum: Double) { (minima[c], maxima[c]) }
    func guess(_ c: Int) -> OrderStatistics.BinMap? {
        hasGuess[c] ? OrderStatistics.BinMap(low: lows[c], scale: scales[c], bins: bins) : nil
    }
    func histogram(_ c: Int) -> UnsafePointer<UInt16> { UnsafePointer(counts + c * bins) }

    /// Folds the next `count` values of every column, in subject order: they start at tile
    /// `tile` (column c's run at `tile + c · TimecourseStore.lanes`) and go on in the tiles
    /// `tileStride` apart, whole tiles except perhaps the last. Only the last fold may end with a
    /// partial tile. Each four columns go through all of their values before the next, so their
    /// histograms stay in the cache for a few hundred increments.
    func fold(tile: UnsafePointer<Double>, tileStride: Int, count: Int) {
        let run = TimecourseStore.lanes
        precondition(folded % run == 0, "time-course tiles folded out of order")
        if folded == 0 && count >= run && countsFit {
            for c in 0..<columns {
                guard let map = OrderStatistics.BinMap(guessingFrom: tile + c * run, count: run, bins: bins) else { continue }
                lows[c] = map.low; scales[c] = map.scale; hasGuess[c] = true
            }
        }
        if keeps != nil {
            // The kernel stores every value at its column's next place (advancing only for the
            // kept ones): room for all of this fold's values.
            for c in 0..<columns where candidateCapacities[c] - candidateCounts[c] < count {
                growCandidates(c, to: Swift.max(2 * candidateCapacities[c], candidateCounts[c] + count))
            }
        }
        withUnsafePointer(to: kernel) { csummaries_fold($0, tile, tileStride, count, portable ? 1 : 0) }
        folded += count
    }

    private func growCandidates(_ c: Int, to capacity: Int) {
        let grown = UnsafeMutablePointer<Double>.allocate(capacity: capacity)
        if let old = candidateBuffers[c] {
            grown.update(from: old, count: candidateCounts[c])
            if !inRegion(old) { old.deallocate() }
        }
        candidateBuffers[c] = grown
        candidateCapacities[c] = capacity
    }

    private func inRegion(_ p: UnsafeMutablePointer<Double>) -> Bool {
        guard let region else { return false }
        let address = UnsafeMutableRawPointer(p)
        return address >= region.base && address < region.base + region.bytes
    }

    /// Gives each column c its first `capacities[c]` places as a slice of one anonymous mapping
    /// (`region`); false when the mapping cannot be made (the caller allocates them one by one).
    private func mapCandidates(_ capacities: [Int]) -> Bool {
        let stride = MemoryLayout<Double>.stride
        // Slices start on 64-byte boundaries (the kernel's stores into two columns never share a line).
        let places = capacities.map { ($0 * stride + 63) / 64 * 64 }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let bytes = (places.reduce(0, +) + page - 1) / page * page
        guard bytes > 0 else { return false }
        let base = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        guard let base, base != MAP_FAILED else { return false }
        region = (base, bytes)
        var offset = 0
        for c in capacities.indices {
            candidateBuffers[c] = (base + offset).bindMemory(to: Double.self, capacity: capacities[c])
            candidateCapacities[c] = capacities[c]
            offset += places[c]
        }
        return true
    }

    /// Starts capturing (at the current count of folded values, `capturedFrom`): from the next
    /// fold on, a value of column c is kept when its bin may hold one of the ranks of
    /// `finalCount` values (`keptBins` with `z`); every value of a column without a guess is.
    func startCapture(finalCount: Int, z: Double) {
        precondition(keeps == nil && folded > 0, "time-course capture started twice or before any value")
        let flags = UnsafeMutablePointer<UInt8>.allocate(capacity: (columns + 1) * bins)
        flags.initialize(repeating: 0, count: (columns + 1) * bins)
        keeps = flags
        capturedFrom = folded
        let intervals = Self.keptCounts(folded: folded, finalCount: finalCount, ranks: TimecourseCollector.ranks(count: finalCount),
                                        z: z)
        let remaining = Swift.max(0, finalCount - folded)
        var capacities: [Int] = []
        capacities.reserveCapacity(columns)
        for c in 0..<columns {
            let columnFlags = flags + c * bins
            if hasGuess[c] {
                Self.keptBins(histogram: histogram(c), bins: bins, intervals: intervals, into: columnFlags)
            } else {
                columnFlags.update(repeating: 1, count: bins)
            }
            // Room for the values expected in the kept bins, with some to spare.
            var kept = 0
            for b in 0..<bins where columnFlags[b] != 0 { kept += Int(counts[c * bins + b]) }
            let expected = hasGuess[c] ? remaining * kept / Swift.max(1, folded) : remaining
            capacities.append(Swift.max(64, expected + expected / 4))
        }
        if !mapCandidates(capacities) {
            for c in 0..<columns { growCandidates(c, to: capacities[c]) }
        }
        kernel.keeps = UnsafePointer(flags)
        kernel.candidates = UnsafePointer(candidateBuffers)
        kernel.candidate_counts = candidateCounts
        kernel.spare = spareValue
    }

    /// Judges the kept bins again from the histogram now (narrower, with more values folded): a
    /// bin stays kept only if it was and still may hold a rank, so a bin kept at the end has been
    /// kept since `capturedFrom`.
    func refineCapture(finalCount: Int, z: Double) {
        guard let flags = keeps else { return }
        let intervals = Self.keptCounts(folded: folded, finalCount: finalCount, ranks: TimecourseCollector.ranks(count: finalCount),
                                        z: z)
        withUnsafeTemporaryAllocation(of: Int.self, capacity: bins + 1) { prefix in
            for c in 0..<columns where hasGuess[c] {
                // Bins outside every kept range are dropped; those inside keep their flag.
                let columnFlags = flags + c * bins
                var next = 0
                Self.forEachKeptRange(histogram: histogram(c), bins: bins, intervals: intervals, prefix: prefix.baseAddress!) { first, last in
                    if first > next { (columnFlags + next).update(repeating: 0, count: first - next) }
                    next = Swift.max(next, last + 1)
                }
                if next < bins { (columnFlags + next).update(repeating: 0, count: bins - next) }
            }
        }
    }

    /// Whether column c's values in `bin` have all been kept since the capture started (those
    /// before are the caller's).
    func captures(column c: Int, bin: Int) -> Bool { keeps.map { $0[c * bins + bin] != 0 } ?? false }

    /// Column c's captured values, in subject order.
    func candidates(_ c: Int) -> UnsafeBufferPointer<Double> {
        UnsafeBufferPointer(start: candidateBuffers[c], count: candidateBuffers[c] == nil ? 0 : candidateCounts[c])
    }

    /// Captured values in all, for the phase trace.
    var candidateTotal: Int { (0..<columns).reduce(0) { $0 + (candidateBuffers[$1] == nil ? 0 : candidateCounts[$1]) } }

    /// Frees the captured values (none may be read afterwards) and stops the capture.
    func releaseCandidates() {
        for c in 0..<Swift.max(1, columns) {
            if let buffer = candidateBuffers[c], !inRegion(buffer) { buffer.deallocate() }
            candidateBuffers[c] = nil
            candidateCounts[c] = 0
        }
        if let (base, bytes) = region {
            // The pages first, with madvise (the address-space lock for reading only, so the
            // other threads' page faults go on), then the unmapping has nothing left to free.
            _ = madvise(base, bytes, MADV_DONTNEED)
            _ = munmap(base, bytes)
            region = nil
        }
        candidateCapacities = Array(repeating: 0, count: candidateCapacities.count)
        keeps?.deallocate()
        keeps = nil
        kernel.keeps = nil
    }

    /// The final counts up to a bin edge that may hold one of `ranks` (0-based) of `finalCount`
    /// values, judging from the first `folded` of them: for each rank r at p = (r + ½)/n, r within
    /// `z` standard deviations of the prediction (and two values), as an interval of the counts
    /// so far (the final count of values up to a bin edge is predicted as the count so far scaled
    /// by n / m; its standard deviation is √(p(1 − p)·((n − m) + (n − m)²/m)): the later values'
    /// binomial count, and the error of the fraction p estimated from m values). Overlapping
    /// intervals are merged; ascending.
    static func keptCounts(folded m: Int, finalCount n: Int, ranks: [Int], z: Double) -> [(low: Double, high: Double)] {
        let rest = Double(Swift.max(0, n - m)), seen = Double(m)
        let toSeen = seen / Double(n)
        var intervals: [(low: Double, high: Double)] = []
        let widths = ranks.map { r -> (low: Double, high: Double) in
            let p = (Double(r) + 0.5) / Double(n)
            let sd = (p * (1 - p) * (rest + rest * rest / seen)).squareRoot()
            let margin = z * sd + 2
            return ((Double(r) - margin) * toSeen, (Double(r) + margin) * toSeen)
        }
        for interval in widths.sorted(by: { $0.low < $1.low }) where interval.low <= interval.high {
            if let last = intervals.last, interval.low <= last.high {
                intervals[intervals.count - 1].high = Swift.max(last.high, interval.high)
            } else {
                intervals.append(interval)
            }
        }
        return intervals
    }

    /// Sets `flags[b]` (for b in 0..<bins) to 1 where bin b may hold one of the ranks, else 0:
    /// where the bin's counts so far [below, upTo) meet one of `intervals` (`keptCounts`).
    static func keptBins(histogram: UnsafePointer<UInt16>, bins: Int, intervals: [(low: Double, high: Double)],
                         into flags: UnsafeMutablePointer<UInt8>) {
        flags.update(repeating: 0, count: bins)
        withUnsafeTemporaryAllocation(of: Int.self, capacity: bins + 1) { prefix in
            forEachKeptRange(histogram: histogram, bins: bins, intervals: intervals, prefix: prefix.baseAddress!) { first, last in
                (flags + first).update(repeating: 1, count: last - first + 1)
            }
        }
    }

    /// Calls `body(first, last)` for each interval's bins, ascending (the ranges of neighbouring
    /// intervals may share a bin): bin b meets an interval [low, high] of counts when
    /// upTo_b > low and below_b ≤ high, and both bounds grow with b, so each interval's bins are
    /// one run, found by two binary searches in the histogram's prefix sums (`prefix`: room for
    /// bins + 1 counts) instead of a scan of every bin.
    @inline(__always)
    static func forEachKeptRange(histogram: UnsafePointer<UInt16>, bins: Int, intervals: [(low: Double, high: Double)],
                                 prefix: UnsafeMutablePointer<Int>, _ body: (Int, Int) -> Void) {
        // prefix[b] = below_b, prefix[b + 1] = upTo_b.
        var cumulative = 0
        prefix[0] = 0
        for b in 0..<bins {
            cumulative &+= Int(histogram[b])
            prefix[b &+ 1] = cumulative
        }
        /// The first index i in lower..<upper with prefix[i] > x (upper when none).
        func firstAbove(_ x: Double, _ lower: Int, _ upper: Int) -> Int {
            var low = lower, high = upper
            while low < high {
                let middle = (low &+ high) >> 1
                if Double(prefix[middle]) > x { high = middle } else { low = middle &+ 1 }
            }
            return low
        }
        for interval in intervals {
            let first = firstAbove(interval.low, 1, bins &+ 1) &- 1
            let last = firstAbove(interval.high, 0, bins) &- 1
            if first <= last { body(first, last) }
        }
    }

    /// `keptBins` for a histogram of the first `m` of `finalCount` values (for tests).
    static func keptBins(histogram: UnsafePointer<UInt16>, bins: Int, folded m: Int, finalCount n: Int, ranks: [Int], z: Double,
                         into flags: UnsafeMutablePointer<UInt8>) {
        keptBins(histogram: histogram, bins: bins, intervals: keptCounts(folded: m, finalCount: n, ranks: ranks, z: z), into: flags)
    }
}

/// One column of a `TimecourseArm`: `count` values in subject order, stored as runs of
/// `TimecourseStore.lanes` adjacent values, one run per tile.
struct TimecourseColumn {
    let base: UnsafePointer<Double>
    let tileStride: Int
    let count: Int

    /// Calls `body` with each run of adjacent values (and its length), in subject order.
    @inline(__always) func forEachRun(_ body: (UnsafePointer<Double>, Int) -> Void) {
        var remaining = count
        var run = base
        while remaining > 0 {
            let width = Swift.min(remaining, TimecourseStore.lanes)
            body(run, width)
            remaining -= width
            run += tileStride
        }
    }

    /// Calls `body` with every value, in subject order.
    @inline(__always) func forEach(_ body: (Double) -> Void) {
        forEachRun { run, width in for i in 0..<width { body(run[i]) } }
    }

    /// The values, in subject order, as one array.
    func gathered() -> [Double] {
        var values: [Double] = []
        values.reserveCapacity(count)
        forEach { values.append($0) }
        return values
    }
}

/// Exact order statistics of NaN-free data without sorting it.
enum OrderStatistics {
    /// Scratch memory reused from column to column.
    struct Workspace {
        var counts: [Int32] = []
        /// For tests: the C kernels of the summaries (`csummaries_take`, and `csummaries_fold` of
        /// the first pass `TimecourseCollector.summarise(_:workspace:)` makes) run their baseline
        /// code even where the AVX2 code would run. Both must give the same bits.
        var portable = false

        /// The counts of a histogram made elsewhere (`bins` of them).
        mutating func load(counts histogram: UnsafePointer<UInt16>, bins: Int) {
            prepare(bins: bins)
            counts.withUnsafeMutableBufferPointer { counts in for b in 0..<bins { counts[b] = Int32(histogram[b]) } }
        }

        /// `bins` zeroed counts.
        mutating func prepare(bins: Int) {
            if counts.count != bins {
                counts = [Int32](repeating: 0, count: bins)
            } else {
                counts.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
            }
        }
    }

    /// A non-decreasing map from values to bins 0..<bins: (v − low)·scale clamped to
    /// [0, bins − 1] and rounded to an integer. Each step (subtracting a constant, multiplying by
    /// a positive constant, clamping, rounding) is monotone under IEEE arithmetic, so every value
    /// in a lower bin is smaller than every value in a higher one, whatever `low` and `scale`
    /// are: a bin map is exact for selection even over a guessed range (values outside it only
    /// crowd the edge bins). NaN maps to the last bin.
    struct BinMap {
        let low: Double
        let scale: Double
        let bins: Int

        /// Bins for `count` values: about 8 values per bin, a power of two in 64…8192.
        static func binCount(_ count: Int) -> Int {
            Swift.max(64, Swift.min(8192, 1 << (Swift.max(6, Int.bitWidth - (count / 8).leadingZeroBitCount) - 1)))
        }

        init?(low: Double, high: Double, count: Int) {
            self.init(low: low, high: high, bins: Self.binCount(count))
        }

        init?(low: Double, high: Double, bins: Int) {
            let span = high - low
            self.bins = bins
            scale = Double(bins) / span
            self.low = low
            guard span > 0, span.isFinite, scale.isFinite, scale > 0 else { return nil }
        }

        /// A map made before (`low` and `scale` as that map computed them).
        init(low: Double, scale: Double, bins: Int) {
            self.low = low
            self.scale = scale
            self.bins = bins
        }

        /// A range guessed from the first `count` values at `values`, widened by its width on
        /// each side (nil when those values are all equal or not finite).
        init?(guessingFrom values: UnsafePointer<Double>, count: Int, bins: Int) {
            var low = Double.infinity, high = -Double.infinity
            for i in 0..<count {
                let v = values[i]
                if v < low { low = v }
                if v > high { high = v }
            }
            let width = high - low
            self.init(low: low - width, high: high + width, bins: bins)
        }

        @inline(__always) func bin(_ v: Double) -> Int {
            // ⌊·⌉ by adding 2⁵²: for x in [0, 2⁵²) the low bits of x + 2⁵² are x rounded to the
            // nearest integer — monotone, and without the range checks of Int(x).
            let upper = Double(bins - 1)
            let x = (v - low) * scale
            let clamped = x < 0 ? 0 : (x < upper ? x : upper)
            return Int(truncatingIfNeeded: (clamped + 0x1p52).bitPattern &- (0x1p52 as Double).bitPattern)
        }
    }

    /// The values at the given ranks (0-based, ascending) of the sorted column, i.e. the same
    /// numbers as `column.gathered().sorted()[rank]`; `minimum` and `maximum` are the column's.
    ///
    /// Histogram selection over the column's range (`BinMap`): one pass counts the bins, a
    /// prefix sum finds the bin of each rank (the k-th smallest value is the (k − below)-th
    /// smallest of its bin), a second pass copies out only those bins' values (a few hundred of
    /// 20,000), and the ranks are selected among them. A column with an infinity, or whose range
    /// is too narrow to scale, takes the multi-rank quickselect on a copy instead; both give the
    /// sorted column's values.
    static func values(ofRanks ranks: [Int], in column: TimecourseColumn, minimum: Double, maximum: Double,
                       workspace w: inout Workspace) -> [Double] {
        let n = column.count
        if maximum - minimum == 0 { return ranks.map { _ in minimum } }
        guard let map = BinMap(low: minimum, high: maximum, count: n) else {
            var copy = column.gathered()
            return copy.withUnsafeMutableBufferPointer { buffer in
                select(buffer, ranks: ranks[...], low: 0, high: n - 1, budget: 2 * (64 - n.leadingZeroBitCount) + 8)
                return ranks.map { buffer[$0] }
            }
        }
        w.prepare(bins: map.bins)
        w.counts.withUnsafeMutableBufferPointer { counts in
            column.forEach { counts[map.bin($0)] &+= 1 }
        }
        return values(ofRanks: ranks, in: column, counted: map, workspace: &w, sizeLimit: Int.max)!
    }

    /// The second half of `values(ofRanks:in:minimum:maximum:workspace:)` for a column whose
    /// values `w.counts` holds counted by `map`; nil (nothing copied) when a rank's bin holds more
    /// than `sizeLimit` values — a guessed range that missed.
    static func values(ofRanks ranks: [Int], in column: TimecourseColumn, counted map: BinMap, workspace w: inout Workspace,
                       sizeLimit: Int? = nil) -> [Double]? {
        guard let selection = BinSelection(ranks: ranks, counted: map, workspace: w, count: column.count, sizeLimit: sizeLimit) else {
            return nil
        }
        BinSelection.take([(column, selection)], portable: w.portable)
        return selection.values()
    }

    /// The second pass of histogram selection for one column: the bins that hold the requested
    /// ranks (from the counts), those bins' values copied out run by run as the column is read
    /// (in subject order), and the ranks selected among them.
    final class BinSelection {
        private let map: BinMap
        private let ranks: [Int]
        /// Per target bin (slot): the bin, the values in lower bins, its size, where its values go.
        private(set) var targetBins: [Int] = []
        private var below: [Int] = [], sizes: [Int] = [], offsets: [Int] = []
        private let slotOfBin: UnsafeMutablePointer<UInt8>
        private let fill: UnsafeMutablePointer<Int>
        private let scratch: UnsafeMutablePointer<Double>

        /// nil when a rank's bin holds more than `sizeLimit` values (default: 16 × the mean bin
        /// size, at least 256) — a guessed range that missed.
        init?(ranks: [Int], counted map: BinMap, workspace w: Workspace, count: Int, sizeLimit: Int? = nil) {
            let limit = sizeLimit ?? Swift.max(256, 16 * count / map.bins)
            var cumulative = 0, b = 0
            for rank in ranks {
                while cumulative + Int(w.counts[b]) <= rank {
                    cumulative += Int(w.counts[b])
                    b += 1
                }
                if targetBins.last != b {
                    guard Int(w.counts[b]) <= limit else { return nil }
                    targetBins.append(b)
                    below.append(cumulative)
                    sizes.append(Int(w.counts[b]))
                }
            }
            self.map = map
            self.ranks = ranks
            slotOfBin = .allocate(capacity: map.bins)
            slotOfBin.initialize(repeating: .max, count: map.bins)
            var total = 0
            for (slot, t) in targetBins.enumerated() {
                slotOfBin[t] = UInt8(slot)
                offsets.append(total)
                total += sizes[slot]
            }
            fill = .allocate(capacity: Swift.max(1, offsets.count))
            fill.initialize(from: offsets, count: offsets.count)
            scratch = .allocate(capacity: Swift.max(1, total))
        }

        deinit {
            slotOfBin.deallocate()
            fill.deallocate()
            scratch.deallocate()
        }

        /// Copies out, in subject order, the values of each column that fall in its selection's
        /// target bins (the C kernel `csummaries_take`). The columns have the same count and tile
        /// stride; they are read in one sweep, tile after tile, each column's run in turn, so that
        /// adjacent columns read the tiles' pages together. `portable` as `Workspace.portable`.
        static func take(_ columns: [(column: TimecourseColumn, selection: BinSelection)], portable: Bool) {
            guard let first = columns.first?.column else { return }
            let kernels = columns.map { column, selection in
                csummaries_selection(column: column.base, low: selection.map.low, scale: selection.map.scale,
                                     bins: selection.map.bins, slot_of_bin: selection.slotOfBin, fill: selection.fill,
                                     scratch: selection.scratch)
            }
            withExtendedLifetime(columns) {
                csummaries_take(kernels, kernels.count, first.tileStride, first.count, portable ? 1 : 0)
            }
        }

        /// The values copied to `slot` (the values of `targetBins[slot]`, in subject order), once
        /// every value has been taken.
        func taken(_ slot: Int) -> UnsafeMutableBufferPointer<Double> {
            precondition(fill[slot] == offsets[slot] + sizes[slot], "bin selection: values taken differ from the counts")
            return UnsafeMutableBufferPointer(start: scratch + offsets[slot], count: sizes[slot])
        }

        /// The values at `ranks` of the sorted column, once every value has been taken.
        func values() -> [Double] {
            var result = [Double](repeating: 0, count: ranks.count)
            for (slot, _) in targetBins.enumerated() {
                let part = taken(slot)
                let local = ranks.filter { $0 >= below[slot] && $0 < below[slot] + sizes[slot] }
                select(part, ranks: local.map { $0 - below[slot] }[...], low: 0, high: part.count - 1,
                       budget: 2 * (64 - part.count.leadingZeroBitCount) + 8)
                for rank in local { result[ranks.firstIndex(of: rank)!] = part[rank - below[slot]] }
            }
            return result
        }
    }

    /// Places the values of the given ranks (sorted) of a NaN-free buffer at their sorted
    /// positions (quickselect on several ranks at once, as `numpy.partition` with a list of kth:
    /// a partition recurses only into the sides that hold requested ranks; median-of-three pivot,
    /// small ranges and degenerate partitioning fall back to sorting the range).
    static func select(_ a: UnsafeMutableBufferPointer<Double>, ranks: ArraySlice<Int>, low: Int, high: Int, budget: Int) {
        guard let first = ranks.first, let last = ranks.last, first <= high, last >= low else { return }
        if high - low < 24 || budget == 0 {
            var range = UnsafeMutableBufferPointer(rebasing: a[low...high])
            range.sort()
            return
        }
        let mid = low + (high - low) / 2
        var x = a[low], y = a[mid], z = a[high]
        if y < x { swap(&x, &y) }
        if z < y { swap(&y, &z); if y < x { swap(&x, &y) } }
        let pivot = y
        // Hoare partition: [low, j] ≤ pivot ≤ [i, high], and (j, i) holds only the pivot value.
        var i = low, j = high
        while i <= j {
            while a[i] < pivot { i += 1 }
            while pivot < a[j] { j -= 1 }
            if i <= j {
                a.swapAt(i, j)
                i += 1; j -= 1
            }
        }
        let left = ranks.filter { $0 <= j }, right = ranks.filter { $0 >= i }
        if !left.isEmpty { select(a, ranks: left[...], low: low, high: j, budget: budget - 1) }
        if !right.isEmpty { select(a, ranks: right[...], low: i, high: high, budget: budget - 1) }
    }
}
