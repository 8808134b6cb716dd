import Foundation
import Testing
import VirtualTrial

/// SPEC §6: results are written to a temporary sibling and renamed into place only when complete;
/// a failed run (invalid, or failing while running) leaves earlier results untouched and no
/// partial or hidden folder.
@Suite("Earlier results untouched (SPEC §6)")
struct EarlierResultsTests {
    @Test("a failing run with the same protocol id leaves the first results byte-identical")
    func failedRunsKeepEarlierResults() throws {
        let out = try E2E.temporaryDirectory()
        defer { E2E.remove(out) }
        let first = try E2E.vtrial(["run", E2E.fixture("closed-form-bolus.yaml").path, "--out", out.path, "--quiet"])
        try #require(first.status == 0, "stderr: \(first.stderr)")
        let folder = out.appendingPathComponent("E2E-CF-BOLUS")
        let names = try E2E.listing(folder)
        let before = try names.map { try E2E.bytes(folder.appendingPathComponent($0)) }

        let runtime = try E2E.vtrial(["run", E2E.fixture("same-id-runtime-failure.yaml").path, "--out", out.path, "--quiet"])
        #expect(runtime.status == 1, "a run-time failure exits 1; stderr: \(runtime.stderr)")
        #expect(!runtime.stderr.isEmpty)
        #expect(try E2E.listing(out) == ["E2E-CF-BOLUS"], "leftovers after a run-time failure")
        #expect(try E2E.listing(folder) == names)
        #expect(try names.map { try E2E.bytes(folder.appendingPathComponent($0)) } == before)

        let invalid = try E2E.vtrial(["run", E2E.fixture("same-id-invalid.yaml").path, "--out", out.path, "--quiet"])
        #expect(invalid.status == 2, "stderr: \(invalid.stderr)")
        #expect(try E2E.listing(out) == ["E2E-CF-BOLUS"], "leftovers after an invalid protocol")
        #expect(try E2E.listing(folder) == names)
        #expect(try names.map { try E2E.bytes(folder.appendingPathComponent($0)) } == before)

        // A successful rerun replaces the folder and leaves nothing else behind.
        let rerun = try E2E.vtrial(["run", E2E.fixture("closed-form-bolus.yaml").path, "--out", out.path, "--quiet"])
        #expect(rerun.status == 0)
        #expect(try E2E.listing(out) == ["E2E-CF-BOLUS"])
        for (name, data) in zip(names, before) where name.hasSuffix(".csv") {
            #expect(try E2E.bytes(folder.appendingPathComponent(name)) == data, "\(name) after a rerun")
        }
    }

    @Test("a folder or file at DIR/<protocol id> that is not a results folder is refused with exit 2 and kept")
    func somethingElseAtTheResultsPathIsKept() throws {
        let out = try E2E.temporaryDirectory()
        defer { E2E.remove(out) }
        let folder = out.appendingPathComponent("E2E-CF-BOLUS")
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("mydata"), withIntermediateDirectories: true)
        try Data("important".utf8).write(to: folder.appendingPathComponent("mydata/thesis.txt"))
        let run = try E2E.vtrial(["run", E2E.fixture("closed-form-bolus.yaml").path, "--out", out.path, "--quiet"])
        #expect(run.status == 2, "stderr: \(run.stderr)")
        #expect(run.stderr.contains("E2E-CF-BOLUS' exists and is not a results folder (no manifest.json)"))
        #expect(try E2E.listing(out) == ["E2E-CF-BOLUS"])
        #expect(try E2E.listing(folder) == ["mydata"])
        #expect(try String(contentsOf: folder.appendingPathComponent("mydata/thesis.txt"), encoding: .utf8) == "important")
    }

    @Test("time courses with huge, nearly equal values: the run finishes with its report (it hung building the axis ticks)")
    func hugeTimecourseValuesFinish() throws {
        let out = try E2E.temporaryDirectory()
        defer { E2E.remove(out) }
        let status = try E2E.vtrialWithin(120, ["run", E2E.fixture("huge-values-report.yaml").path, "--out", out.path, "--quiet"])
        #expect(status == 0, "exit status \(status.map(String.init) ?? "none: the run did not finish within 120 s")")
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("E2E-HUGE-VALUES/report.html").path))
    }

    @Test("a subject failing inside a streamed time-course arm ends the run with status 1 on 2 and 12 threads (no hang)")
    func failureWhileStreamingTimecourses() throws {
        for threads in ["2", "12"] {
            let out = try E2E.temporaryDirectory()
            defer { E2E.remove(out) }
            // A worker waiting for a fold that never comes would hang the run (whether one waits
            // depends on timing; TimecourseStreamingTests and the orderedParallelMap tests force
            // it): give it 120 s.
            let status = try E2E.vtrialWithin(120, ["run", E2E.fixture("streamed-failure.yaml").path, "--out", out.path, "--quiet", "--threads", threads])
            #expect(status != nil, "the failing run did not end within 120 s on \(threads) threads")
            #expect(status == 1, "\(threads) threads")
            #expect(try E2E.listing(out).isEmpty, "leftovers after the failure")
        }
    }
}
