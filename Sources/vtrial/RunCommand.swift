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
    @Option(name: .long, help: "Worker threads (default: active processors).") var threads: Int?
    @Option(name: .long, help: "Override the protocol's number of replicate trials.") var replicates: Int?
    @Option(name: .long, help: "Override the protocol's seed (unsigned 64-bit).") var seed: UInt64?
    @Option(name: .long, help: "Run one shard of the replicates: K/N (1 ≤ K ≤ N), or 'slurm' to read SLURM_ARRAY_TASK_*.") var shard: String?
    @Flag(name: .long, help: "No progress bar.") var quiet = false

    func validate() throws {
        if let t = threads, t < 1 { throw ValidationError("--threads must be at least 1, got \(t)") }
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
        let options = RunOptions(outputDirectory: out, threads: threads ?? ProcessInfo.processInfo.activeProcessorCount,
                                 replicates: replicates, seed: seed, shard: shardSpec.map { ($0.index, $0.count) },
                                 progress: !quiet && isatty(STDERR_FILENO) == 1)
        let runner = TrialRunner(plan: plan, options: options, protocolBytes: definition.sourceBytes,
                                 protocolFileName: definition.fileName)
        InterruptHandling.install()
        do {
            try runner.run(shouldStop: InterruptHandling.stopRequested)
        } catch is CancellationError {
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
            guard let id = environment["SLURM_ARRAY_TASK_ID"].flatMap(Int.init),
                  let count = environment["SLURM_ARRAY_TASK_COUNT"].flatMap(Int.init) else {
                throw ValidationError("--shard slurm needs SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT in the environment (run it inside a Slurm job array)")
            }
            let minimum = environment["SLURM_ARRAY_TASK_MIN"].flatMap(Int.init) ?? 0
            let index = id - minimum + 1
            guard count >= 1, index >= 1, index <= count else {
                throw ValidationError("--shard slurm: task id \(id) with SLURM_ARRAY_TASK_MIN \(minimum) is not within 1…\(count) tasks")
            }
            return ShardSpecification(index: index, count: count)
        }
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let k = Int(parts[0]), let n = Int(parts[1]), n >= 1, k >= 1, k <= n else {
            throw ValidationError("--shard must be K/N with 1 ≤ K ≤ N (e.g. 2/8) or 'slurm', got '\(text)'")
        }
        return ShardSpecification(index: k, count: n)
    }
}
