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
        do {
            try ReportBuilder.writeReport(resultsDirectory: resultsDirectory)
        } catch {
            printError(error.located(in: resultsDirectory))
            throw ExitCode(2)
        }
    }
}
