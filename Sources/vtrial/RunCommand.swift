import ArgumentParser
import Foundation
import VirtualTrial

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run every replicate trial of a protocol and write its results folder.",
        discussion: """
        Writes DIR/<protocol id>/ (subjects.csv, endpoints.csv, adverse_events.csv, efficacy.csv,
        safety.csv, comparisons.csv, power.csv, timecourse.csv, manifest.json). Results never
        depend on --threads. A failed or interrupted run leaves earlier results untouched.

        With --shard K/N only the replicates r with (r - 1) % N == K - 1 run, into
        DIR/<protocol id>.shards/K-of-N/; `vtrial merge DIR/<protocol id>.shards` then writes
        DIR/<protocol id>/, byte-identical to an unsharded run (docs/cluster.md).

        Example:
          vtrial run Protocols/emax-dose-ranging.yaml --out Results --threads 2
        """)

    @Argument(help: "The protocol file (YAML).") var protocolFile: String
    @Option(name: .long, help: "Parent folder of the results (default ./Results).") var out: String = "Results"
    @Option(name: .long, help: "Worker threads (default: the processors this process may use).") var threads: Int?
    @Option(name: .long, help: "Override the protocol's number of replicate trials.") var replicates: Int?
    @Option(name: .long, help: "Override the protocol's seed (unsigned 64-bit).") var seed: UInt64?
    @Option(name: .long, help: "Run one shard of the replicates: K/N (1 ≤ K ≤ N), or 'slurm' to read SLURM_ARRAY_TASK_*.") var shard: String?
    @Flag(name: .long, help: "No progress bar.") var quiet = false

    func validate() throws {
        if let t = threads, t < 1 { throw ValidationError("--threads must be at least 1, got \(t)") }
        if out.isEmpty { throw ValidationError("--out must name a folder (got an empty path); it defaults to ./Results") }
        if let r = replicates, r < 1 { throw ValidationError("--replicates must be at least 1, got \(r)") }
        if let s = shard { _ = try ShardSpecification.parse(s, environment: ProcessInfo.processInfo.environment) }
    }

    func run() throws {
        let definition = try loadProtocol(protocolFile)
        let shardSpec = try shard.map { try ShardSpecification.parse($0, environment: ProcessInfo.processInfo.environment) }
        let plan: TrialPlan
        do {
            plan = try TrialPlan(definition)
        } catch {
            printError(inputErrorLine(error, file: protocolFile, population: definition.population))
            throw ExitCode(2)
        }
        let options = RunOptions(outputDirectory: out, threads: threads ?? RunOptions.defaultThreads,
                                 replicates: replicates, seed: seed, shard: shardSpec.map { ($0.index, $0.count) },
                                 progress: !quiet && isatty(STDERR_FILENO) == 1)
        let runner = TrialRunner(plan: plan, options: options, protocolBytes: definition.sourceBytes,
                                 protocolFileName: definition.fileName)
        InterruptHandling.install()
        do {
            try runner.run(shouldStop: InterruptHandling.stopRequested)
        } catch is CancellationError {
            // The progress bar's line is cleared first (it is redrawn in place, without a newline).
            if options.progress { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
            printError("vtrial: interrupted; earlier results are untouched")
            throw ExitCode(InterruptHandling.exitStatus)
        } catch let error as OutputError where error.isUsageError {
            printError("vtrial: error: \(error)")
            throw ExitCode(2)
        } catch {
            printError("vtrial: error: \(error)")
            throw ExitCode(1)
        }
    }
}

/// Loads a protocol; on invalid input prints every located error and exits with status 2.
func loadProtocol(_ path: String) throws -> ProtocolDefinition {
    do {
        return try ProtocolLoader.load(path: path)
    } catch {
        printError(error.description)
        throw ExitCode(2)
    }
}

/// `--shard K/N` or `--shard slurm` (SPEC §1).
struct ShardSpecification {
    var index: Int
    var count: Int

    static func parse(_ text: String, environment: [String: String]) throws -> ShardSpecification {
        if text == "slurm" {
            // K = (ID − MIN)/STEP + 1 of N = COUNT tasks (`--array=0-7`, `1-8` and `1-15:2` all give
            // shards 1…8). Every variable Slurm sets for an array is read and checked, so that a
            // list such as `--array=1,2,7` (no step between its ids) or a partial environment is a
            // usage error rather than a wrong shard.
            func number(_ name: String) throws -> Int? {
                guard let text = environment[name] else { return nil }
                guard let value = Int(text.trimmingCharacters(in: .whitespaces)) else {
                    throw ValidationError("--shard slurm: \(name) must be an integer, got '\(text)'")
                }
                return value
            }
            guard let id = try number("SLURM_ARRAY_TASK_ID"), let count = try number("SLURM_ARRAY_TASK_COUNT"),
                  let minimum = try number("SLURM_ARRAY_TASK_MIN") else {
                throw ValidationError("--shard slurm needs SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_COUNT and SLURM_ARRAY_TASK_MIN in the environment (run it inside a Slurm job array)")
            }
            let step = try number("SLURM_ARRAY_TASK_STEP") ?? 1
            guard count >= 1, step >= 1 else {
                throw ValidationError("--shard slurm: SLURM_ARRAY_TASK_COUNT (\(count)) and SLURM_ARRAY_TASK_STEP (\(step)) must be at least 1")
            }
            if let maximum = try number("SLURM_ARRAY_TASK_MAX"), maximum - minimum != (count - 1) * step {
                throw ValidationError("--shard slurm: the array \(minimum)-\(maximum) with step \(step) is not \(count) evenly spaced tasks (SLURM_ARRAY_TASK_COUNT); give --array a range, e.g. --array=1-\(count)")
            }
            let offset = id - minimum
            guard offset >= 0, offset % step == 0, offset / step < count else {
                throw ValidationError("--shard slurm: task id \(id) is not one of the \(count) tasks \(minimum), \(minimum + step), … (SLURM_ARRAY_TASK_MIN, _STEP, _COUNT)")
            }
            return ShardSpecification(index: offset / step + 1, count: count)
        }
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let k = Int(parts[0]), let n = Int(parts[1]), n >= 1, k >= 1, k <= n else {
            throw ValidationError("--shard must be K/N with 1 ≤ K ≤ N (e.g. 2/8) or 'slurm', got '\(text)'")
        }
        return ShardSpecification(index: k, count: n)
    }
}
