import ArgumentParser
import Foundation
import VirtualTrial

/// `vtrial` — the command line of VirtualTrial (SPEC §1). It only parses arguments and calls the
/// library; every rule lives in the library modules.
@main
struct VTrialCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vtrial",
        abstract: "Virtual clinical trials: cohorts, digital-twin models, efficacy and safety statistics, power.",
        discussion: """
        Examples:
          vtrial run Protocols/emax-dose-ranging.yaml --out Results
          vtrial check Protocols/emax-dose-ranging.yaml
          vtrial cohort Cohorts/healthy-adults.yaml --subjects 100 --seed 7
          vtrial models
          vtrial report Results/PKPD-EMAX-DEMO
          vtrial run Protocols/emax-dose-ranging.yaml --shard 2/8   (then: vtrial merge Results/PKPD-EMAX-DEMO.shards)
        """,
        version: TrialRunner.engineVersion,
        subcommands: [RunCommand.self, CheckCommand.self, CohortCommand.self, MergeCommand.self, ModelsCommand.self, ReportCommand.self])

    /// `vtrial` without a subcommand is a usage error (SPEC §1): the help goes to standard error
    /// (standard output is for results) and the status is 2. `vtrial --help` prints it to
    /// standard output with status 0.
    mutating func run() throws {
        printError(Self.helpMessage())
        throw ExitCode(2)
    }

    /// Exit statuses (SPEC §1): 0 success, 2 invalid input or usage, 1 failure while running.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let code as ExitCode {
            Foundation.exit(code.rawValue)
        } catch {
            let code = exitCode(for: error)
            if code == .success { exit(withError: error) }
            // ArgumentParser's own usage errors (64) become SPEC's 2.
            FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
            Foundation.exit(2)
        }
    }
}

/// Writes `message` to standard error, with a final newline.
func printError(_ message: String) {
    FileHandle.standardError.write(Data((message.hasSuffix("\n") ? message : message + "\n").utf8))
}

/// The line for an input error found after the files were read (planning a trial, drawing a
/// cohort): at its place in the population's file when it has one (SPEC §1), else naming `file`.
func inputErrorLine(_ error: Error, file: String, population: PopulationSpec?) -> String {
    if let error = error as? PopulationError, let population, let place = error.place(in: population) {
        return "\(place.file):\(place.line):\(place.column): error: \(error)"
    }
    if let error = error as? PlanError, let place = error.place {
        return "\(place.file):\(place.line):\(place.column): error: \(error)"
    }
    return "\(file): error: \(error)"
}
