import ArgumentParser
import Foundation
import VirtualTrial

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "(Re)write report.html of a finished run from its CSV files.",
        discussion: """
        The page is self-contained (inline SVG, no network) and byte-deterministic: the same CSVs
        always give the same page. docs/report.md describes each section.

        Example:
          vtrial report Results/PKPD-EMAX-DEMO
        """)

    @Argument(help: "A results folder written by `vtrial run`.") var resultsDirectory: String

    func run() throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: resultsDirectory, isDirectory: &isDirectory), isDirectory.boolValue else {
            printError("vtrial: error: '\(resultsDirectory)' is not a folder (give a results folder written by `vtrial run`)")
            throw ExitCode(2)
        }
        let check = ReportBuilder.manifestCheck(resultsDirectory: resultsDirectory)
        if check.isShard {
            printError("vtrial: error: '\(resultsDirectory)' is one shard of a run, which has no report: merge the shards (vtrial merge DIR/<protocol id>.shards), whose folder has one")
            throw ExitCode(2)
        }
        for name in check.changedFiles {
            printError("vtrial: warning: \(name) no longer has the SHA-256 manifest.json records (changed after the run?); the report shows it as it is now")
        }
        do {
            try ReportBuilder.writeReport(resultsDirectory: resultsDirectory)
        } catch {
            printError(error.located(in: resultsDirectory))
            throw ExitCode(2)
        }
    }
}
