import ArgumentParser
import Foundation
import VirtualTrial

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate a protocol, its population and model without simulating; print what would run.",
        discussion: """
        Exit status 0 when the protocol is valid, 2 with located errors (FILE:LINE:COL) when not.

        Example:
          vtrial check Protocols/emax-dose-ranging.yaml
        """)

    @Argument(help: "The protocol file (YAML).") var protocolFile: String

    func run() throws {
        let definition = try loadProtocol(protocolFile)
        do {
            let plan = try TrialPlan(definition)
            print(definition.summary, terminator: definition.summary.hasSuffix("\n") ? "" : "\n")
            print(plan.costEstimate(threads: RunOptions.defaultThreads))
        } catch {
            printError(inputErrorLine(error, file: protocolFile, population: definition.population))
            throw ExitCode(2)
        }
    }
}
