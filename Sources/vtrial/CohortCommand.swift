import ArgumentParser
import Foundation
import VirtualTrial

struct CohortCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cohort",
        abstract: "Synthesize a cohort from a population file and write it as CSV.",
        discussion: """
        One row per subject, one column per covariate (derived ones included), categorical
        covariates by level name. The file can be used again as `population: { csv: FILE }`.
        Subjects are drawn exactly as in replicate 1 of a trial with the same seed.

        Example:
          vtrial cohort Cohorts/healthy-adults.yaml --subjects 500 --seed 7 --out cohort.csv
        """)

    @Argument(help: "The population file (YAML).") var populationFile: String
    @Option(name: .long, help: "Number of subjects.") var subjects: Int
    @Option(name: .long, help: "Seed (unsigned 64-bit).") var seed: UInt64 = 1
    @Option(name: .long, help: "Output CSV file (default: standard output).") var out: String?

    func validate() throws {
        if subjects < 1 { throw ValidationError("--subjects must be at least 1, got \(subjects)") }
        if subjects > 100_000_000 { throw ValidationError("--subjects must be at most 100,000,000, got \(subjects)") }
        if out?.isEmpty == true { throw ValidationError("--out must name a file (got an empty path); without --out the cohort goes to standard output") }
    }

    func run() throws {
        let spec: PopulationSpec
        do {
            spec = try ProtocolLoader.loadPopulation(path: populationFile)
        } catch {
            printError(error.description)
            throw ExitCode(2)
        }
        do {
            try CohortExport.write(spec, subjects: subjects, seed: seed, to: out)
        } catch let error as PopulationError {
            // Problems of the population itself (correlations, inclusion rate) are input errors.
            printError(inputErrorLine(error, file: populationFile, population: spec))
            throw ExitCode(2)
        } catch {
            printError("vtrial: error: \(error)")
            throw ExitCode(1)
        }
    }
}
