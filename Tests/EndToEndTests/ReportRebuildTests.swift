import Foundation
import Testing

/// `vtrial run` builds report.html from what it already holds of subjects.csv and timecourse.csv
/// (`ResultsFolderData.Known`) instead of reading them back; `vtrial report` reads every file.
/// The two pages must be the same bytes — with every subject-file setting (all, first, none),
/// dropout, several arms and replicates (Fixtures/stats.yaml).
@Suite("report.html: the run's page equals vtrial report's rebuild")
struct ReportRebuildTests {
    @Test(arguments: ["all", "first", "none"])
    func runPageEqualsRebuild(subjects: String) throws {
        let source = try E2E.text(E2E.fixture("stats.yaml"))
        let directory = try E2E.temporaryDirectory()
        let protocolFile = directory.appendingPathComponent("stats.yaml")
        let edited = source.replacingOccurrences(of: "output:\n", with: "output:\n  subjects: \(subjects)\n")
        try #require(edited != source, "the fixture's output section moved")
        try edited.write(to: protocolFile, atomically: true, encoding: .utf8)
        let out = directory.appendingPathComponent("out")
        let run = try E2E.vtrial(["run", protocolFile.path, "--out", out.path, "--quiet", "--threads", "2"])
        try #require(run.status == 0, "stderr: \(run.stderr)")
        let folder = out.appendingPathComponent("E2E-STATS")
        let page = try E2E.bytes(folder.appendingPathComponent("report.html"))
        let rebuild = try E2E.vtrial(["report", folder.path])
        try #require(rebuild.status == 0, "stderr: \(rebuild.stderr)")
        #expect(try E2E.bytes(folder.appendingPathComponent("report.html")) == page)
        // The summary the run handed over is the one the page shows.
        let text = String(decoding: page, as: UTF8.self)
        #expect(text.contains(subjects == "none" ? "subjects.csv has no rows" : "Subjects by arm, replicate 1"))
        // A clean rebuild warns about nothing; after an edit of power.csv it names that file
        // (and still rebuilds the page from the files as they are).
        #expect(!rebuild.stderr.contains("warning"), "\(rebuild.stderr)")
        if subjects == "all" {
            let power = folder.appendingPathComponent("power.csv")
            // The same power with more digits: a valid file, other bytes.
            let text = try E2E.text(power)
            let changed = text.replacingOccurrences(of: ",0.08333333333333333,", with: ",0.083333333333333330,")
            try #require(changed != text, "power.csv of the fixture changed")
            try changed.write(to: power, atomically: true, encoding: .utf8)
            let edited = try E2E.vtrial(["report", folder.path])
            #expect(edited.status == 0)
            #expect(edited.stderr.contains("warning: power.csv no longer has the SHA-256 manifest.json records"), "\(edited.stderr)")
            #expect(!edited.stderr.contains("endpoints.csv"))
        }
    }

    /// A shard's folder has no report (the merge writes one): `vtrial report` refuses it.
    @Test func aShardFolderHasNoReport() throws {
        let directory = try E2E.temporaryDirectory()
        defer { E2E.remove(directory) }
        let out = directory.appendingPathComponent("out")
        let run = try E2E.vtrial(["run", E2E.fixture("stats.yaml").path, "--out", out.path, "--quiet", "--shard", "1/2"])
        try #require(run.status == 0, "stderr: \(run.stderr)")
        let shard = out.appendingPathComponent("E2E-STATS.shards/1-of-2")
        let report = try E2E.vtrial(["report", shard.path])
        #expect(report.status == 2)
        #expect(report.stderr.contains("one shard of a run"), "\(report.stderr)")
        #expect(!FileManager.default.fileExists(atPath: shard.appendingPathComponent("report.html").path))
    }
}
