import Foundation
import LinearAlgebra
import Output
import Population
import Report
import Statistics

/// Runs every replicate of a planned trial and writes the SPEC §6 results folder.
///
/// Replicates run one after another; within a replicate, subjects are simulated in chunks on
/// Dispatch workers and reduced in subject order (`orderedParallelMap`), so every file is
/// identical whatever the thread count. Peak memory holds one replicate's per-subject outcomes
/// (a few numbers per subject and endpoint), one window of encoded CSV rows, and replicate 1's time
/// courses — never all replicates.
public struct TrialRunner {
    public static let specVersion = "1.0"
    public static let engineVersion = "0.1.0"

    public let plan: TrialPlan
    public let options: RunOptions
    /// The protocol file's bytes and base name, for manifest.json.
    public let protocolBytes: [UInt8]
    public let protocolFileName: String

    public init(plan: TrialPlan, options: RunOptions, protocolBytes: [UInt8], protocolFileName: String) {
        var plan = plan
        if let r = options.replicates { plan.replicates = r }
        if let s = options.seed { plan.seed = s }
        self.plan = plan
        self.options = options
        self.protocolBytes = protocolBytes
        self.protocolFileName = protocolFileName
    }

    /// The replicates this run simulates (all, or one shard's).
    public var replicateNumbers: [Int] {
        let all = Array(1...plan.replicates)
        guard let shard = options.shard else { return all }
        return all.filter { ($0 - 1) % shard.count == shard.index - 1 }
    }

    /// Where the results go, relative to the output directory.
    public var relativeResultsPath: String {
        if let shard = options.shard { return "\(plan.protocolID).shards/\(shard.index)-of-\(shard.count)" }
        return plan.protocolID
    }

    /// Runs the trial; returns the final results folder path. On any error the temporary folder
    /// is removed and earlier results stay untouched.
    @discardableResult
    public func run(shouldStop: @escaping @Sendable () -> Bool = { false }) throws -> String {
        let started = Date()
        var trace = PhaseTrace()
        let cohort = plan.cohort
        // OpenBLAS and LAPACKE are opened at run time: without them the process stops now, before
        // the results folder exists, rather than part-way through the statistics.
        LinearAlgebraLibraries.require()
        let folder = try ResultsFolder(outputDirectory: options.outputDirectory, relativePath: relativeResultsPath)
        do {
            var (written, known) = try writeResults(into: folder, cohort: cohort, shouldStop: shouldStop, trace: &trace)
            // The CSV files are still being synced in the background: nothing below but the
            // manifest's file list needs that, so it is waited for only then.
            defer { _ = written.wait() }
            var manifest = Manifest(specVersion: Self.specVersion, engineVersion: Self.engineVersion,
                                    protocolFile: protocolFileName, protocolSHA256: SHA256.hash(protocolBytes),
                                    seed: plan.seed, replicates: plan.replicates, subjects: plan.subjects,
                                    threads: options.threads, started: started, finished: Date(),
                                    wallSeconds: 0, files: [:])
            if let shard = options.shard {
                manifest.extra.append(JSONMember("shard", .string("\(shard.index)/\(shard.count)")))
                manifest.extra.append(JSONMember("shard_replicates", .array(replicateNumbers.map { .integer($0) })))
                // What `vtrial merge` needs to rebuild power.csv without the protocol file.
                manifest.extra.append(JSONMember(ShardFacts.manifestKey, ShardFacts(plan: plan).jsonValue))
                manifest.files = try written.files()
            } else {
                // The report is built from the CSVs and the manifest's protocol facts alone (as
                // `vtrial report` rebuilds it); then the manifest is written with its hash. A
                // shard has no report: `vtrial merge` writes the merged folder's. (Inside the
                // temporary folder no write syncs the directory: `commit` does, once.)
                known.manifest = ManifestSummary(manifest)
                try written.waitUntilWrittenOut()
                let page = try ReportBuilder.writeReport(resultsDirectory: folder.temporaryPath, known: known, syncingDirectory: false)
                trace.mark("report.html")
                manifest.files = try written.files()
                manifest.files[ReportBuilder.fileName] = page
                trace.mark("subject files closed")
            }
            manifest.finished = Date()
            manifest.wallSeconds = manifest.finished.timeIntervalSince(started)
            try manifest.write(to: folder.path(for: "manifest.json"), syncingDirectory: false)
            try folder.commit()
            trace.mark("manifest and commit")
            return folder.finalPath
        } catch {
            folder.abandon()
            throw error
        }
    }

    // MARK: - Writing

    private static let subjectTail = ["DROPOUT_TIME", "DOSES_TAKEN", "DOSE_CHANGES", "DOSE_LAST"]
    static let endpointHeader = ["REPLICATE", "USUBJID", "ARM", "ENDPOINT", "BASE", "AVAL", "CHG", "PCHG", "RESPONDER", "CNSR"]
    static let adverseEventHeader = ["REPLICATE", "USUBJID", "ARM", "AETERM", "AEGRADE", "ONSET_TIME"]
    static let efficacyHeader = ["REPLICATE", "ENDPOINT", "ARM", "N", "MEAN", "SD", "MEDIAN", "Q1", "Q3", "MIN", "MAX",
                                 "RESPONDERS", "RESPONDER_RATE", "EVENTS", "MEDIAN_TIME"]
    static let safetyHeader = ["REPLICATE", "AETERM", "ARM", "N", "SUBJECTS", "INCIDENCE", "CI_LOWER", "CI_UPPER", "GRADE3PLUS"]
    static let comparisonHeader = ["REPLICATE", "ENDPOINT", "ARM", "CONTROL", "METHOD", "ESTIMATE", "CI_LOWER", "CI_UPPER",
                                   "P_VALUE", "P_ADJ", "SIGNIFICANT"]
    static let powerHeader = ["ENDPOINT", "ARM", "CONTROL", "METHOD", "REPLICATES", "SIGNIFICANT", "POWER", "CI_LOWER",
                              "CI_UPPER", "MEAN_ESTIMATE"]
    static let timecourseHeader = ["ARM", "VARIABLE", "TIME", "N", "MEAN", "P05", "P25", "P50", "P75", "P95"]

    /// Units simulated per chunk: large enough that scheduling is negligible, small enough to
    /// balance two workers on a few hundred subjects.
    static let chunkSize = 256
    /// Chunks claimed and not yet consumed at most (`orderedParallelMap`'s window).
    static let window = 64

    private struct ChunkResult {
        var subjects: CSVRowEncoder
        var endpoints: CSVRowEncoder
        var adverseEvents: CSVRowEncoder
        var data: ReplicateData
        /// The arm of each replicate-1 subject of the chunk whose time course the worker stored.
        var timecourseArms: [Int]
        /// The chunk's rows of subjects.csv as runs of one arm, in order (for the report's
        /// `SubjectSummary`).
        var armRuns: [(arm: Int, subjects: Int, dropouts: Int)]
        var analysis: ReplicateAnalysis?
    }

    /// Writes every CSV file; returns them, still being synced in the background, and what the
    /// report would otherwise read back (subjects.csv's summary, timecourse.csv's rows).
    private func writeResults(into folder: ResultsFolder, cohort: CohortSynthesizer, shouldStop: @escaping @Sendable () -> Bool,
                              trace: inout PhaseTrace) throws -> (written: WrittenFiles, known: ResultsFolderData.Known) {
        trace.mark("start")
        let plan = self.plan
        let subjectsWriter = try CSVWriter(path: folder.path(for: "subjects.csv"),
                                           header: ["REPLICATE", "USUBJID", "ARM"] + plan.covariateNames + Self.subjectTail)
        let endpointsWriter = try CSVWriter(path: folder.path(for: "endpoints.csv"), header: Self.endpointHeader)
        let aeWriter = try CSVWriter(path: folder.path(for: "adverse_events.csv"), header: Self.adverseEventHeader)
        let efficacyWriter = try CSVWriter(path: folder.path(for: "efficacy.csv"), header: Self.efficacyHeader)
        let safetyWriter = try CSVWriter(path: folder.path(for: "safety.csv"), header: Self.safetyHeader)
        let comparisonWriter = try CSVWriter(path: folder.path(for: "comparisons.csv"), header: Self.comparisonHeader)

        var power = PowerAccumulator()
        var timecourse = TimecourseCollector(plan: plan, streaming: options.timecourseStreaming, threads: options.threads)
        let arms = plan.arms.count
        let matched = plan.design == .matched
        let unitsPerReplicate = matched ? plan.subjects * arms : plan.subjects
        let unitsPerArm = matched ? Array(repeating: plan.subjects, count: arms) : plan.armSizes
        let progress = ProgressReporter(enabled: options.progress, replicates: replicateNumbers.count, unitsPerReplicate: unitsPerReplicate)

        // Work items are (replicate, chunk) pairs in output order, so small replicates run in
        // parallel with each other and large ones are split; results are consumed in order.
        let chunksPerReplicate = max(1, (unitsPerReplicate + Self.chunkSize - 1) / Self.chunkSize)
        let replicateList = replicateNumbers
        let subjectColumns = 3 + plan.covariateNames.count + Self.subjectTail.count
        var data = ReplicateData(endpoints: plan.endpoints.count, terms: plan.adverseEvents.count)
        // What the workers use of the time-course collector, copied out: `consume` (which may run
        // on another worker at the same time) mutates the collector itself. The store is shared:
        // each subject has its own place in it.
        let timecourseStore = timecourse.store
        // subjects.csv's summary for the report: the first replicate with rows (SubjectSummary).
        let summaryReplicate = replicateList.first { plan.output.subjects == .all || (plan.output.subjects == .first && $0 == 1) }
        var subjectSummary = SubjectSummary()
        // Work the consumer shares with the workers that have no chunk left: the last replicate's
        // statistics, timecourse.csv's rows.
        let board = WorkBoard()
        // timecourse.csv's rows (and the report's records of them) can be made once replicate 1's
        // time courses are all counted, by the consumption of the last chunk: with more than one
        // thread they are posted then for a worker with no chunk left, while the last replicate's
        // statistics are computed (W1: 1.2 ms that every thread waited for after them; see
        // `writeTimecourseRows`); else, or when a column needs its subjects simulated again
        // (which the run's threads do), afterwards.
        let timecourseWriter = try CSVWriter(path: folder.path(for: "timecourse.csv"), header: Self.timecourseHeader)
        let makesTimecourseRows = replicateNumbers.contains(1)
        let lastItem = replicateList.count * chunksPerReplicate - 1
        var timecourseJob: SharedTask<[TimecourseRecord]?>?
        var subjectFilesClosing: BackgroundClose?, subjectsClosing: BackgroundClose?
        // The last replicate's arrays, freed once the chunks are all consumed.
        var lastReplicate: RetiredReplicate?
        // Until the files are handed back, any early exit waits for the threads writing into the
        // folder.
        var handedBack = false
        defer {
            if !handedBack {
                timecourseJob?.cancel()
                subjectFilesClosing?.wait()
                subjectsClosing?.wait()
            }
        }
        try orderedParallelMap(
            chunkCount: replicateList.count * chunksPerReplicate, threads: options.threads,
            window: max(Self.window, 2 * options.threads),
            makeWorkspace: { _ in WorkerSpace(plan: plan) },
            body: { worker, item in
                let replicate = replicateList[item / chunksPerReplicate]
                let chunk = item % chunksPerReplicate
                let writeSubjects = plan.output.subjects == .all || (plan.output.subjects == .first && replicate == 1)
                let cohortReplicate = cohort.replicate(seed: plan.seed, replicate: replicate)
                var result = ChunkResult(subjects: CSVRowEncoder(columnCount: subjectColumns),
                                         endpoints: CSVRowEncoder(columnCount: Self.endpointHeader.count),
                                         adverseEvents: CSVRowEncoder(columnCount: Self.adverseEventHeader.count),
                                         data: ReplicateData(endpoints: plan.endpoints.count, terms: plan.adverseEvents.count),
                                         timecourseArms: [], armRuns: [], analysis: nil)
                let first = chunk * Self.chunkSize
                let last = min(unitsPerReplicate, first + Self.chunkSize)
                result.data.reserve(last - first)
                if writeSubjects {
                    // Room for the chunk's rows (a typical row is well under 128 bytes), so the
                    // buffers do not grow by copying.
                    result.subjects.reserve(bytes: (last - first) * 128)
                    result.endpoints.reserve(bytes: (last - first) * plan.endpoints.count * 96)
                }
                var label: [UInt8] = []
                func place(_ unit: Int) -> (arm: Int, patient: Int, indexInArm: Int) {
                    if matched { return (unit / plan.subjects, unit % plan.subjects, unit % plan.subjects) }
                    let arm = plan.arm(ofSubject: unit)
                    return (arm, unit, unit - plan.armStart[arm])
                }
                // One simulated subject's rows, outcomes and time course, in subject order.
                func record(_ unit: Int, _ facts: SubjectFacts, _ space: SubjectWorkspace) {
                    let (arm, patient, indexInArm) = place(unit)
                    result.data.append(arm: arm, endpoints: space.endpoints, adverseEvents: space.adverseEvents)
                    if writeSubjects {
                        label.removeAll(keepingCapacity: true)
                        plan.appendSubjectLabel(replicate: replicate, patient: patient, to: &label)
                        Self.encodeSubject(plan: plan, replicate: replicate, label: label, arm: arm, facts: facts,
                                           space: space, into: &result)
                        let dropout = facts.dropoutTime == nil ? 0 : 1
                        if let last = result.armRuns.last, last.arm == arm {
                            result.armRuns[result.armRuns.count - 1] = (arm, last.subjects + 1, last.dropouts + dropout)
                        } else {
                            result.armRuns.append((arm, 1, dropout))
                        }
                    }
                    if replicate == 1 && timecourseStore.wants(arm: arm, index: indexInArm) {
                        result.timecourseArms.append(arm)
                        timecourseStore.write(arm: arm, index: indexInArm, from: space.outputs, tally: worker.tally)
                    }
                }
                // `record` of a workspace in `worker.spaces`, passed in place: read from the array,
                // it would be copied (every array in it retained and released).
                func recordInPlace(_ unit: Int, _ facts: SubjectFacts, _ space: inout SubjectWorkspace) {
                    record(unit, facts, space)
                }
                var unit = first
                var misses = 0
                while unit < last {
                    // Subjects in the lanes of one walk where the model allows (the same results as
                    // one by one); after a few groups that gain nothing (e.g. adherence giving every
                    // subject dose times of its own) the chunk goes on one by one rather than
                    // preparing subjects twice.
                    if worker.grouped, misses < 4 {
                        let count = min(TrialPlan.subjectGroupSize, last - unit), start = unit
                        let done = plan.simulateSubjectGroup(replicate: replicate, count: count,
                                                             subject: { let p = place(start + $0); return (p.patient, p.arm) },
                                                             cohort: cohortReplicate, spaces: &worker.spaces, facts: &worker.facts)
                        for i in 0..<done { recordInPlace(unit + i, worker.facts[i], &worker.spaces[i]) }
                        unit += done
                        if done < min(2, count) { misses += 1 }
                        if done > 0 { continue }
                    }
                    let (arm, patient, _) = place(unit)
                    let facts = try plan.simulateSubject(replicate: replicate, patient: patient, arm: arm,
                                                         cohort: cohortReplicate, space: &worker.spaces[0])
                    recordInPlace(unit, facts, &worker.spaces[0])
                    unit += 1
                }
                timecourseStore.commit(worker.tally)
                // A replicate that is one chunk is analysed on the worker too.
                if chunksPerReplicate == 1 { result.analysis = ReplicateAnalysis(plan: plan, data: result.data) }
                return result
            },
            consume: { item, result in
                let replicate = replicateList[item / chunksPerReplicate]
                subjectsWriter.append(result.subjects)
                endpointsWriter.append(result.endpoints)
                aeWriter.append(result.adverseEvents)
                if item == lastItem {
                    // The subject-level files are complete: written out, hashed and synced in the
                    // background from now, while the last replicate's statistics are computed.
                    // (Started after the run, the background threads took 1-2 ms to wake, and the
                    // manifest waited for them: W1.)
                    subjectFilesClosing = try BackgroundClose(flushing: [aeWriter, endpointsWriter], inBackground: true)
                    subjectsClosing = try BackgroundClose(flushing: [subjectsWriter], inBackground: true)
                }
                // (Units still to simulate after this chunk: when an arm's time courses are
                // complete early enough, its summaries are made while the others simulate.)
                let remainingUnits = (replicateList.count * chunksPerReplicate - item - 1) * Self.chunkSize
                for arm in result.timecourseArms { timecourse.add(arm: arm, remainingUnits: remainingUnits) }
                if item == lastItem, makesTimecourseRows, options.threads > 1 {
                    let rows = TimecourseRows(runner: self, collector: timecourse, writer: timecourseWriter, cohort: cohort,
                                              shouldStop: shouldStop)
                    let job = SharedTask { try rows.write() }
                    board.post(job)
                    timecourseJob = job
                }
                if replicate == summaryReplicate {
                    subjectSummary.replicate = replicate
                    for run in result.armRuns {
                        subjectSummary.count(arm: plan.arms[run.arm].name, subjects: run.subjects, dropouts: run.dropouts)
                    }
                }
                progress.advance(units: result.data.arm.count)
                let analysis: ReplicateAnalysis
                if let done = result.analysis {
                    analysis = done
                } else {
                    // The replicate's arrays are sized once, not grown chunk by chunk (copies and
                    // fresh pages at every doubling).
                    if item % chunksPerReplicate == 0 { data.reserve(unitsPerReplicate, perArm: unitsPerArm) }
                    data.appendChunk(result.data)
                    guard item % chunksPerReplicate == chunksPerReplicate - 1 else { return }
                    // (The last replicate's statistics are shared with the workers, which have no
                    // chunk left; an earlier one's computed on threads of their own, as before,
                    // while the workers go on with the next replicate.)
                    analysis = ReplicateAnalysis(plan: plan, data: data, threads: options.threads,
                                                 board: item == lastItem ? board : nil)
                    // The last replicate's arrays are freed on another thread once every chunk
                    // is consumed (below). Freed here (W1: 5.6 MB, 15 MB before item 56) they
                    // took 1.6-2 ms, which every thread waited for; freed at once on a background
                    // thread, that thread often ran on this one's CPU (the other worker, at hand
                    // for the last consumption, keeping its own busy). Those of an earlier
                    // replicate go now, before the next one's are made: freed in the background
                    // they could coincide with them (W1's peak RSS +12 % once in seven
                    // 3-replicate runs).
                    if item == lastItem {
                        lastReplicate = RetiredReplicate(data)
                    } else {
                        data.discardPages()
                    }
                    data = ReplicateData(endpoints: plan.endpoints.count, terms: plan.adverseEvents.count)
                }
                writeReplicateStatistics(analysis, replicate: replicate, efficacy: efficacyWriter, safety: safetyWriter, comparisons: comparisonWriter)
                power.add(analysis, plan: plan)
                progress.finishReplicate()
            },
            shouldStop: shouldStop,
            onStop: { timecourseStore.abandon() },
            between: { timecourseStore.helpWithSummaries() || board.help() })
        progress.done()
        if let lastReplicate { DispatchQueue.global().async { lastReplicate.free() } }
        trace.mark("subjects simulated")

        // The statistics files are complete too: written out now (they are small, and the report
        // reads them), hashed and synced in the background while power.csv is made and the
        // report built. The report also reads adverse_events.csv's rows (and endpoints.csv's for
        // time-to-event endpoints), never subjects.csv's (its summary is known): it waits for
        // the first two to be written out, which began with the last chunk.
        let statistics = [efficacyWriter, safetyWriter, comparisonWriter]
        let closing = try BackgroundClose(flushing: statistics)
        // (Closed from the last chunk's consumption on; a shard with no replicate had no chunk.)
        let subjectFiles = try subjectFilesClosing ?? BackgroundClose(flushing: [aeWriter, endpointsWriter], inBackground: true)
        let subjects = try subjectsClosing ?? BackgroundClose(flushing: [subjectsWriter], inBackground: true)
        defer { if !handedBack { closing.wait(); subjectFiles.wait(); subjects.wait() } }

        // power.csv and timecourse.csv are closed in the background too (their syncs would
        // otherwise hold up the time-course summaries and the report).
        let powerWriter = try CSVWriter(path: folder.path(for: "power.csv"), header: Self.powerHeader)
        power.write(plan: plan, to: powerWriter)
        let powerClosing = try BackgroundClose(flushing: [powerWriter])
        defer { if !handedBack { powerClosing.wait() } }

        var timecourseRecords: [TimecourseRecord] = []
        if let made = try timecourseJob?.join() ?? nil {
            timecourseRecords = made
        } else if makesTimecourseRows {
            timecourseRecords = try writeTimecourseRows(timecourse, into: timecourseWriter, cohort: cohort, shouldStop: shouldStop)!
        }
        trace.note(timecourse.keptDescription)
        // (Written out already when its rows were made by a worker: `TimecourseRows.write`.)
        let timecourseClosing = try BackgroundClose(flushing: [timecourseWriter])
        // Nothing reads the time courses any more: their memory is returned in the background.
        let store = timecourse.store
        DispatchQueue.global().async { store.releaseMemory() }
        trace.mark("power and time courses")
        handedBack = true
        return (WrittenFiles(closes: [closing, subjectFiles, subjects, powerClosing, timecourseClosing],
                             reportReads: [closing, subjectFiles, powerClosing],
                             writers: [subjectsWriter, endpointsWriter, aeWriter] + statistics + [powerWriter, timecourseWriter]),
                ResultsFolderData.Known(subjects: subjectSummary, timecourse: timecourseRecords))
    }

    /// Writes timecourse.csv's rows (replicate 1's time courses, all counted in `timecourse`) to
    /// `writer` and returns them as the report reads them back. Reads only the collector and the
    /// plan (it may run while the last replicate's statistics are computed); simulates subjects
    /// again on the run's threads for the columns that need it (`TimecourseCollector.rows`). When
    /// run `onAWorker` of the run (the others with no chunk left, at hand), it shares the summaries
    /// not yet made with them, and writes nothing and returns nil when a column needs its subjects
    /// simulated again.
    private func writeTimecourseRows(_ timecourse: TimecourseCollector, into writer: CSVWriter, cohort: CohortSynthesizer,
                                     onAWorker: Bool = false, shouldStop: @escaping @Sendable () -> Bool) throws -> [TimecourseRecord]? {
        let plan = self.plan
        let names = plan.model.outputNames
        // The report's rows: the numbers as timecourse.csv gives them back (a non-finite value is
        // an empty field, −0 is written 0).
        func asWritten(_ v: Double?) -> Double? { v.flatMap { $0.isFinite ? ($0 == 0 ? 0 : $0) : nil } }
        let store = timecourse.store
        let refill = { (arm: Int, full: TimecourseArm) throws in
            try self.simulateTimecoursesAgain(arm: arm, into: full, store: store, cohort: cohort, shouldStop: shouldStop)
        }
        var records: [TimecourseRecord] = []
        let written = try timecourse.rows(plan: plan, threads: options.threads, sharing: onAWorker,
                                          refill: onAWorker ? nil : refill) { arm, output, time, n, mean, percentiles in
            writer.field(plan.arms[arm].name)
            writer.field(names[output])
            writer.field(time)
            writer.field(n)
            writer.field(mean)
            for p in percentiles { writer.field(p) }
            writer.endRow()
            records.append(TimecourseRecord(arm: plan.arms[arm].name, variable: names[output], time: asWritten(time)!, count: n,
                                            mean: asWritten(mean), percentiles: percentiles.map(asWritten)))
        }
        return written ? records : nil
    }

    /// `writeTimecourseRows`'s arguments, handed to the worker that runs it (the collector and the
    /// writer are used by nothing else until it has been joined).
    private struct TimecourseRows: @unchecked Sendable {
        let runner: TrialRunner
        let collector: TimecourseCollector
        let writer: CSVWriter
        let cohort: CohortSynthesizer
        let shouldStop: @Sendable () -> Bool

        /// The rows, written out too (here rather than by a background thread woken later); nil
        /// (nothing written) when a column needs its subjects simulated again.
        func write() throws -> [TimecourseRecord]? {
            guard let records = try runner.writeTimecourseRows(collector, into: writer, cohort: cohort, onAWorker: true,
                                                               shouldStop: shouldStop) else { return nil }
            try writer.flush()
            return records
        }
    }

    /// Simulates replicate 1's first `full.expected` subjects of `arm` again, on the run's threads,
    /// and writes their time courses into `full`: for the columns of a streamed arm whose ranks
    /// were not all captured (`TimecourseArm`). Every subject's results are the run's own.
    private func simulateTimecoursesAgain(arm: Int, into full: TimecourseArm, store: TimecourseStore,
                                          cohort: CohortSynthesizer, shouldStop: () -> Bool) throws {
        let plan = self.plan
        let cohortReplicate = cohort.replicate(seed: plan.seed, replicate: 1)
        let matched = plan.design == .matched
        let n = full.expected
        try orderedParallelMap(
            chunkCount: (n + Self.chunkSize - 1) / Self.chunkSize, threads: options.threads,
            window: max(Self.window, 2 * options.threads),
            makeWorkspace: { _ in SubjectWorkspace(plan: plan) },
            body: { space, chunk in
                for index in chunk * Self.chunkSize..<min(n, (chunk + 1) * Self.chunkSize) {
                    let patient = matched ? index : plan.armStart[arm] + index
                    _ = try plan.simulateSubject(replicate: 1, patient: patient, arm: arm, cohort: cohortReplicate, space: &space)
                    store.write(into: full, index: index, from: space.outputs)
                }
            },
            consume: { _, _ in },
            shouldStop: shouldStop)
    }

    private static func encodeSubject(plan: TrialPlan, replicate: Int, label: [UInt8], arm: Int, facts: SubjectFacts,
                                      space: SubjectWorkspace, into result: inout ChunkResult) {
        label.withUnsafeBufferPointer { label in encodeSubject(plan: plan, replicate: replicate, label: label, arm: arm, facts: facts,
                                                              space: space, into: &result) }
    }

    private static func encodeSubject(plan: TrialPlan, replicate: Int, label: UnsafeBufferPointer<UInt8>, arm: Int, facts: SubjectFacts,
                                      space: SubjectWorkspace, into result: inout ChunkResult) {
        let armName = plan.arms[arm].name
        result.subjects.field(replicate)
        result.subjects.field(utf8: label)
        result.subjects.field(armName)
        for (i, value) in space.covariates.enumerated() {
            if let levels = plan.covariateLevels[i] { result.subjects.field(levels[Int(value)]) } else { result.subjects.field(value) }
        }
        result.subjects.field(facts.dropoutTime)
        result.subjects.field(facts.dosesTaken)
        result.subjects.field(facts.doseChanges)
        result.subjects.field(facts.lastDose)
        result.subjects.endRow()

        // Endpoints read in place (a copy of each plan would retain and release its contents).
        plan.endpoints.withUnsafeBufferPointer { endpoints in for e in endpoints.indices {
            let o = space.endpoints[e]
            result.endpoints.field(replicate)
            result.endpoints.field(utf8: label)
            result.endpoints.field(armName)
            result.endpoints.field(endpoints[e].definition.id)
            result.endpoints.field(o.base)
            result.endpoints.field(o.value)
            result.endpoints.field(o.change)
            result.endpoints.field(o.percentChange)
            result.endpoints.field(o.responder)
            result.endpoints.field(o.censored)
            result.endpoints.endRow()
        } }
        for (k, event) in plan.adverseEvents.enumerated() where space.adverseEvents[k].grade > 0 {
            result.adverseEvents.field(replicate)
            result.adverseEvents.field(utf8: label)
            result.adverseEvents.field(armName)
            result.adverseEvents.field(event.term)
            result.adverseEvents.field(space.adverseEvents[k].grade)
            result.adverseEvents.field(space.adverseEvents[k].onset)
            result.adverseEvents.endRow()
        }
    }

    private func writeReplicateStatistics(_ analysis: ReplicateAnalysis, replicate: Int, efficacy: CSVWriter, safety: CSVWriter, comparisons: CSVWriter) {
        for row in analysis.efficacy {
            efficacy.field(replicate)
            efficacy.field(row.endpoint)
            efficacy.field(plan.arms[row.arm].name)
            efficacy.field(row.n)
            let s = row.summary
            efficacy.field(s?.mean)
            efficacy.field(s?.standardDeviation)
            efficacy.field(s?.median)
            efficacy.field(s?.firstQuartile)
            efficacy.field(s?.thirdQuartile)
            efficacy.field(s?.minimum)
            efficacy.field(s?.maximum)
            efficacy.field(row.responders)
            efficacy.field(row.responderRate)
            efficacy.field(row.events)
            efficacy.field(row.medianTime)
            efficacy.endRow()
        }
        for row in analysis.safety {
            safety.field(replicate)
            safety.field(row.term)
            safety.field(plan.arms[row.arm].name)
            safety.field(row.n)
            safety.field(row.subjects)
            safety.field(row.incidence)
            safety.field(row.interval?.lower)
            safety.field(row.interval?.upper)
            safety.field(row.grade3Plus)
            safety.endRow()
        }
        let controlName = plan.analysis.map { plan.arms[$0.control].name } ?? ""
        for row in analysis.comparisons {
            comparisons.field(replicate)
            comparisons.field(row.endpoint)
            comparisons.field(plan.arms[row.arm].name)
            comparisons.field(controlName)
            comparisons.field(row.method)
            comparisons.field(row.result.estimate)
            comparisons.field(row.result.lower)
            comparisons.field(row.result.upper)
            comparisons.field(row.result.pValue)
            comparisons.field(row.adjusted)
            comparisons.field(row.significant ? 1 : 0)
            comparisons.endRow()
        }
    }
}

extension ReplicateData {
    mutating func appendChunk(_ other: ReplicateData) {
        // The chunk's own lists (made by the worker), shifted to the replicate's units.
        let offset = arm.count
        for (a, units) in other.members.enumerated() where !units.isEmpty {
            ensureMembers(through: a)
            members[a].append(contentsOf: units.lazy.map { $0 + offset })
        }
        arm.append(contentsOf: other.arm)
        for e in analysed.indices {
            analysed[e].append(contentsOf: other.analysed[e])
            base[e].append(contentsOf: other.base[e])
            responder[e].append(contentsOf: other.responder[e])
            censored[e].append(contentsOf: other.censored[e])
        }
        for a in aeGrade.indices { aeGrade[a].append(contentsOf: other.aeGrade[a]) }
    }
}

/// A replicate's arrays on their way to be freed, held by nothing else (`ReplicateData.discardPages`).
private final class RetiredReplicate: @unchecked Sendable {
    private var data: ReplicateData?
    init(_ data: consuming ReplicateData) { self.data = data }
    func free() {
        data?.discardPages()
        data = nil
    }
}

/// Flushes writers, then closes them (hash, fsync) one after another on a background queue; `wait`
/// returns the first error. Nothing else touches the writers until `wait` has returned.
private final class BackgroundClose: @unchecked Sendable {
    private let group = DispatchGroup()
    private let writtenOut = DispatchGroup()
    private var error: OutputError?
    private var writeError: OutputError?

    /// Writes out the writers' buffered rows — now, or with `inBackground` first thing on a
    /// background thread (`waitUntilWrittenOut` before the files are read, e.g. by the report) —
    /// then closes them (hash and sync) in the background.
    init(flushing writers: [CSVWriter], inBackground: Bool = false) throws(OutputError) {
        if !inBackground {
            for writer in writers { try writer.flush() }
        }
        let handed = UncheckedSendable(writers)
        // (Written out already unless `inBackground`: not signalled from the background thread,
        // which may start a millisecond or two later.)
        if inBackground { writtenOut.enter() }
        DispatchQueue.global().async(group: group) { [self] in
            if inBackground {
                for writer in handed.value {
                    do throws(OutputError) { try writer.flush() } catch {
                        if self.writeError == nil { self.writeError = error }
                    }
                }
                writtenOut.leave()
            }
            for writer in handed.value {
                do throws(OutputError) { try writer.close() } catch {
                    if self.error == nil { self.error = error }
                }
            }
        }
    }

    /// Waits until the rows are in the files; throws the first failure to write them.
    func waitUntilWrittenOut() throws(OutputError) {
        writtenOut.wait()
        if let writeError { throw writeError }
    }

    /// Waits for the closes (again: no-op) and returns the first error: of the rows' writing
    /// out, else of the closes.
    @discardableResult
    func wait() -> OutputError? {
        group.wait()
        return writeError ?? error
    }
}

/// CSV files written out whose hash and sync run in the background (`BackgroundClose`).
private struct WrittenFiles {
    let closes: [BackgroundClose]
    /// Those of `closes` whose files the report reads.
    let reportReads: [BackgroundClose]
    let writers: [CSVWriter]

    /// Waits until the rows of every file the report reads are written out
    /// (`BackgroundClose.waitUntilWrittenOut`).
    func waitUntilWrittenOut() throws(OutputError) {
        for close in reportReads { try close.waitUntilWrittenOut() }
    }

    /// Waits for every close; the first error, if any.
    func wait() -> OutputError? {
        closes.compactMap { $0.wait() }.first
    }

    /// Waits for every close and returns the files' hashes by name, or throws the first error.
    func files() throws -> [String: String] {
        if let error = wait() { throw error }
        var hashes: [String: String] = [:]
        for writer in writers { hashes[(writer.path as NSString).lastPathComponent] = writer.sha256 }
        return hashes
    }
}

/// A worker's subject workspaces: `spaces[0]` for subjects simulated one by one, and one for each
/// lane of a group walk when the model allows it (`TrialPlan.simulateSubjectGroup`), with the
/// group's facts.
private struct WorkerSpace {
    var spaces: [SubjectWorkspace]
    var facts: [SubjectFacts] = []
    let grouped: Bool
    /// The time-course subjects of the current batch the worker wrote (`TimecourseStore.commit`).
    let tally = TimecourseTally()

    init(plan: TrialPlan) {
        let space = SubjectWorkspace(plan: plan)
        grouped = space.simulator.oralTwoCompartment
        spaces = [space]
        if grouped {
            for _ in 1..<TrialPlan.subjectGroupSize { spaces.append(SubjectWorkspace(plan: plan)) }
            facts.reserveCapacity(TrialPlan.subjectGroupSize)
        }
    }
}
