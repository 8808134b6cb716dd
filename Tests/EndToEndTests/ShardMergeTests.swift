import Foundation
import Testing

// `vtrial run --shard K/N` + `vtrial merge` against an unsharded run, through the real binary
// (SPEC §1, §7). Fixture: Fixtures/shard-merge.yaml (7 replicates; log-scale, time-to-event,
// responder, AE endpoints and success criteria, so power.csv's every rule is rebuilt).

/// The `vtrial` executable built next to this test bundle (`swift build --build-tests` builds it).
private let vtrialPath: String = {
    let besideBundle = Bundle.module.bundleURL.deletingLastPathComponent().appendingPathComponent("vtrial").path
    if FileManager.default.isExecutableFile(atPath: besideBundle) { return besideBundle }
    // Fallback: the package's debug build, found from this file's path.
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    return root.appendingPathComponent(".build/debug/vtrial").path
}()

private let fixture = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/shard-merge.yaml").path
private let protocolID = "SHARD-MERGE"
/// Every file whose bytes must equal the unsharded run's (SPEC §7).
private let comparedFiles = ["subjects.csv", "endpoints.csv", "adverse_events.csv", "efficacy.csv", "safety.csv",
                             "comparisons.csv", "power.csv", "timecourse.csv", "report.html"]

private struct Outcome {
    var status: Int32
    var standardError: String
}

/// Runs vtrial with `arguments` in `directory`; returns its exit status and stderr.
private func vtrial(_ arguments: [String], in directory: String, environment: [String: String] = [:]) throws -> Outcome {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: vtrialPath)
    process.arguments = arguments
    process.currentDirectoryURL = URL(fileURLWithPath: directory)
    var env = ProcessInfo.processInfo.environment
    for key in env.keys where key.hasPrefix("SLURM_") { env[key] = nil }
    for (key, value) in environment { env[key] = value }
    process.environment = env
    let errorPipe = Pipe()
    process.standardError = errorPipe
    process.standardOutput = FileHandle.nullDevice
    try process.run()
    let errorData = errorPipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return Outcome(status: process.terminationStatus, standardError: String(decoding: errorData, as: UTF8.self))
}

/// A fresh directory, removed when the test ends.
private final class Scratch {
    let path: String
    init() throws {
        path = FileManager.default.temporaryDirectory.path + "/shard-merge-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }

    func bytes(_ relative: String) -> Data? { FileManager.default.contents(atPath: path + "/" + relative) }
    func exists(_ relative: String) -> Bool { FileManager.default.fileExists(atPath: path + "/" + relative) }
    /// The names in a folder, hidden ones included, sorted.
    func entries(_ relative: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: path + "/" + relative).sorted()
    }
}

/// Runs the unsharded trial into `Full/` and shards 1…count into `Sharded/`.
private func runFullAndShards(_ scratch: Scratch, count: Int, protocolFile: String = fixture) throws {
    let full = try vtrial(["run", protocolFile, "--out", "Full", "--quiet", "--threads", "2"], in: scratch.path)
    #expect(full.status == 0, "\(full.standardError)")
    for k in 1...count {
        let shard = try vtrial(["run", protocolFile, "--out", "Sharded", "--shard", "\(k)/\(count)", "--quiet", "--threads", "1"],
                               in: scratch.path)
        #expect(shard.status == 0, "\(shard.standardError)")
    }
}

/// manifest.json as a dictionary, without the members SPEC §7 lets differ.
private func comparableManifest(_ data: Data?) throws -> NSDictionary {
    let object = try JSONSerialization.jsonObject(with: try #require(data)) as! [String: Any]
    var kept = object
    for key in ["started", "finished", "wall_seconds", "threads"] { kept[key] = nil }
    return kept as NSDictionary
}

private func expectMergedEqualsFull(_ scratch: Scratch) throws {
    for file in comparedFiles {
        let full = try #require(scratch.bytes("Full/\(protocolID)/\(file)"), "unsharded \(file)")
        let merged = try #require(scratch.bytes("Sharded/\(protocolID)/\(file)"), "merged \(file)")
        #expect(full == merged, "\(file) differs between the unsharded run and the merge")
    }
    let fullManifest = try comparableManifest(scratch.bytes("Full/\(protocolID)/manifest.json"))
    let mergedManifest = try comparableManifest(scratch.bytes("Sharded/\(protocolID)/manifest.json"))
    #expect(fullManifest == mergedManifest)
}

/// Merges `Sharded/SHARD-MERGE.shards` expecting a refusal: exit 2, stderr naming `culprit`,
/// and nothing new in `Sharded/`.
private func expectRefused(_ scratch: Scratch, naming culprit: String, saying phrase: String,
                           extraArguments: [String] = [], sourceLocation: SourceLocation = #_sourceLocation) throws {
    let before = try scratch.entries("Sharded")
    let merge = try vtrial(["merge", "Sharded/\(protocolID).shards"] + extraArguments, in: scratch.path)
    #expect(merge.status == 2, "exit status", sourceLocation: sourceLocation)
    #expect(merge.standardError.contains(culprit), "stderr names \(culprit): \(merge.standardError)", sourceLocation: sourceLocation)
    #expect(merge.standardError.contains(phrase), "stderr says '\(phrase)': \(merge.standardError)", sourceLocation: sourceLocation)
    #expect(try scratch.entries("Sharded") == before, "nothing written", sourceLocation: sourceLocation)
    #expect(!scratch.exists("Sharded/\(protocolID)"), sourceLocation: sourceLocation)
}

@Suite struct ShardMergeTests {
    @Test func threeShardsMergedEqualAnUnshardedRunByteForByte() throws {
        let scratch = try Scratch()
        try runFullAndShards(scratch, count: 3)

        // Shards: their own folders and manifests; only the shard holding replicate 1 has time
        // courses, and no shard has a report.
        let shards = "Sharded/\(protocolID).shards"
        #expect(try scratch.entries(shards) == ["1-of-3", "2-of-3", "3-of-3"])
        let expectedReplicates = [1: [1, 4, 7], 2: [2, 5], 3: [3, 6]]
        let header = "ARM,VARIABLE,TIME,N,MEAN,P05,P25,P50,P75,P95\n"
        let protocolHash = try sha256Hex(try #require(FileManager.default.contents(atPath: fixture)))
        for k in 1...3 {
            let manifest = try JSONSerialization.jsonObject(with: try #require(scratch.bytes("\(shards)/\(k)-of-3/manifest.json"))) as! [String: Any]
            #expect(manifest["shard"] as? String == "\(k)/3")
            #expect(manifest["shard_replicates"] as? [Int] == expectedReplicates[k])
            #expect(manifest["replicates"] as? Int == 7)
            #expect(manifest["engine_version"] as? String != nil)
            #expect(manifest["protocol_sha256"] as? String == protocolHash)
            #expect(!scratch.exists("\(shards)/\(k)-of-3/report.html"))
            let timecourse = String(decoding: try #require(scratch.bytes("\(shards)/\(k)-of-3/timecourse.csv")), as: UTF8.self)
            if k == 1 { #expect(timecourse.count > header.count) } else { #expect(timecourse == header) }
        }

        let merge = try vtrial(["merge", shards], in: scratch.path)
        #expect(merge.status == 0, "\(merge.standardError)")
        try expectMergedEqualsFull(scratch)
        // The merged folder is published atomically: no leftovers beside it.
        #expect(try scratch.entries("Sharded") == ["\(protocolID)", "\(protocolID).shards"])
    }

    @Test func oneShardOfOneEqualsTheUnshardedRun() throws {
        let scratch = try Scratch()
        try runFullAndShards(scratch, count: 1)
        let merge = try vtrial(["merge", "Sharded/\(protocolID).shards", "--protocol", fixture], in: scratch.path)
        #expect(merge.status == 0, "\(merge.standardError)")
        try expectMergedEqualsFull(scratch)
    }

    @Test func moreShardsThanReplicatesStillMergeExactly() throws {
        // Shards 8 and 9 of 9 hold no replicate (7 replicates).
        let scratch = try Scratch()
        try runFullAndShards(scratch, count: 9)
        let merge = try vtrial(["merge", "Sharded/\(protocolID).shards"], in: scratch.path)
        #expect(merge.status == 0, "\(merge.standardError)")
        try expectMergedEqualsFull(scratch)
    }

    @Test func shardSlurmTakesTheShardFromTheArrayTask() throws {
        let scratch = try Scratch()
        // Task ids 4…6: task 5 is shard 2 of 3.
        let run = try vtrial(["run", fixture, "--out", "Out", "--shard", "slurm", "--quiet"], in: scratch.path,
                             environment: ["SLURM_ARRAY_TASK_ID": "5", "SLURM_ARRAY_TASK_COUNT": "3", "SLURM_ARRAY_TASK_MIN": "4"])
        #expect(run.status == 0, "\(run.standardError)")
        #expect(try scratch.entries("Out/\(protocolID).shards") == ["2-of-3"])
        let manifest = try JSONSerialization.jsonObject(with: try #require(scratch.bytes("Out/\(protocolID).shards/2-of-3/manifest.json"))) as! [String: Any]
        #expect(manifest["shard_replicates"] as? [Int] == [2, 5])

        let outside = try vtrial(["run", fixture, "--out", "Out", "--shard", "slurm", "--quiet"], in: scratch.path)
        #expect(outside.status == 2)
        #expect(outside.standardError.contains("SLURM_ARRAY_TASK_ID"))

        // `--array=1-5:2` (ids 1, 3, 5): task 5 is shard 3 of 3.
        let stepped = try vtrial(["run", fixture, "--out", "Stepped", "--shard", "slurm", "--quiet"], in: scratch.path,
                                 environment: ["SLURM_ARRAY_TASK_ID": "5", "SLURM_ARRAY_TASK_COUNT": "3", "SLURM_ARRAY_TASK_MIN": "1",
                                               "SLURM_ARRAY_TASK_MAX": "5", "SLURM_ARRAY_TASK_STEP": "2"])
        #expect(stepped.status == 0, "\(stepped.standardError)")
        #expect(try scratch.entries("Stepped/\(protocolID).shards") == ["3-of-3"])
        // No MIN, a list that is not evenly spaced (`--array=1,2,7`: MIN 1, MAX 7, 3 tasks), an id
        // off the steps: usage errors, nothing written.
        for (environment, words) in [
            (["SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_COUNT": "3"], "SLURM_ARRAY_TASK_MIN"),
            (["SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_COUNT": "3", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_MAX": "7"], "evenly spaced"),
            (["SLURM_ARRAY_TASK_ID": "4", "SLURM_ARRAY_TASK_COUNT": "3", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_STEP": "2"], "is not one of"),
        ] {
            let refused = try vtrial(["run", fixture, "--out", "Refused", "--shard", "slurm", "--quiet"], in: scratch.path, environment: environment)
            #expect(refused.status == 2, "\(environment)")
            #expect(refused.standardError.contains(words), "\(refused.standardError)")
            #expect(!FileManager.default.fileExists(atPath: scratch.path + "/Refused"))
        }
    }

    @Test func aMissingShardIsRefused() throws {
        let scratch = try Scratch()
        try runFullAndShards(scratch, count: 3)
        try FileManager.default.removeItem(atPath: scratch.path + "/Sharded/\(protocolID).shards/2-of-3")
        try expectRefused(scratch, naming: "shard 2 of 3", saying: "missing")
    }

    @Test func aDuplicateShardIsRefused() throws {
        let scratch = try Scratch()
        try runFullAndShards(scratch, count: 3)
        let shards = scratch.path + "/Sharded/\(protocolID).shards"
        try FileManager.default.removeItem(atPath: shards + "/3-of-3")
        try FileManager.default.copyItem(atPath: shards + "/1-of-3", toPath: shards + "/3-of-3")
        try expectRefused(scratch, naming: "3-of-3", saying: "more than once")
    }

    @Test func aShardOfAnotherProtocolIsRefused() throws {
        let scratch = try Scratch()
        try runFullAndShards(scratch, count: 3)
        // The same protocol id with another seed: another protocol file, another SHA-256.
        let text = String(decoding: try #require(FileManager.default.contents(atPath: fixture)), as: UTF8.self)
        let other = scratch.path + "/other.yaml"
        try text.replacingOccurrences(of: "seed: 97", with: "seed: 98").write(toFile: other, atomically: true, encoding: .utf8)
        let shards = scratch.path + "/Sharded/\(protocolID).shards"
        try FileManager.default.removeItem(atPath: shards + "/2-of-3")
        let run = try vtrial(["run", other, "--out", "Sharded", "--shard", "2/3", "--quiet"], in: scratch.path)
        #expect(run.status == 0, "\(run.standardError)")
        try expectRefused(scratch, naming: "2-of-3", saying: "protocol_sha256")
        // With --protocol, the given file decides which shards are foreign.
        try expectRefused(scratch, naming: "1-of-3", saying: "is not the given protocol's", extraArguments: ["--protocol", other])
    }

    @Test func aShardRunWithAnEditedPopulationFileIsRefused() throws {
        // The protocol file is unchanged (same SHA-256), the population file it names is not.
        let scratch = try Scratch()
        let text = String(decoding: try #require(FileManager.default.contents(atPath: fixture)), as: UTF8.self)
        let inline = try #require(text.range(of: "population:\n  population: shard-adults\n"))
        let covariatesEnd = try #require(text.range(of: "duration:"))
        let population = "population: shard-adults\n" + text[inline.upperBound..<covariatesEnd.lowerBound]
            .split(separator: "\n", omittingEmptySubsequences: false).map { $0.dropFirst(2) }.joined(separator: "\n")
        try population.write(toFile: scratch.path + "/population.yaml", atomically: true, encoding: .utf8)
        let protocolText = text[..<inline.lowerBound] + "population: population.yaml\n" + text[covariatesEnd.lowerBound...]
        let protocolFile = scratch.path + "/protocol.yaml"
        try String(protocolText).write(toFile: protocolFile, atomically: true, encoding: .utf8)
        try runFullAndShards(scratch, count: 3, protocolFile: protocolFile)

        try population.replacingOccurrences(of: "max: 60", with: "max: 65")
            .write(toFile: scratch.path + "/population.yaml", atomically: true, encoding: .utf8)
        try FileManager.default.removeItem(atPath: scratch.path + "/Sharded/\(protocolID).shards/2-of-3")
        let rerun = try vtrial(["run", protocolFile, "--out", "Sharded", "--shard", "2/3", "--quiet"], in: scratch.path)
        #expect(rerun.status == 0, "\(rerun.standardError)")
        try expectRefused(scratch, naming: "2-of-3", saying: "population file")
    }

    @Test func aPartialShardIsRefused() throws {
        let scratch = try Scratch()
        try runFullAndShards(scratch, count: 3)
        let file = scratch.path + "/Sharded/\(protocolID).shards/3-of-3/endpoints.csv"
        let bytes = try #require(FileManager.default.contents(atPath: file))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: file))   // a half-copied file
        try expectRefused(scratch, naming: "3-of-3/endpoints.csv", saying: "SHA-256")
    }

    @Test func aShardWithoutManifestIsRefused() throws {
        let scratch = try Scratch()
        try runFullAndShards(scratch, count: 3)
        try FileManager.default.removeItem(atPath: scratch.path + "/Sharded/\(protocolID).shards/1-of-3/manifest.json")
        try expectRefused(scratch, naming: "1-of-3", saying: "no manifest.json")
    }

    @Test func aRefusedMergeLeavesEarlierMergedResultsUntouched() throws {
        let scratch = try Scratch()
        try runFullAndShards(scratch, count: 3)
        let first = try vtrial(["merge", "Sharded/\(protocolID).shards"], in: scratch.path)
        #expect(first.status == 0, "\(first.standardError)")
        let before = try #require(scratch.bytes("Sharded/\(protocolID)/manifest.json"))
        try FileManager.default.removeItem(atPath: scratch.path + "/Sharded/\(protocolID).shards/3-of-3")
        let second = try vtrial(["merge", "Sharded/\(protocolID).shards"], in: scratch.path)
        #expect(second.status == 2)
        #expect(scratch.bytes("Sharded/\(protocolID)/manifest.json") == before)
        #expect(try scratch.entries("Sharded") == ["\(protocolID)", "\(protocolID).shards"])
    }
}

/// SHA-256 as 64 lowercase hex digits, via the system's sha256sum (independent of the engine's).
private func sha256Hex(_ data: Data) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["sha256sum"]
    let input = Pipe(), output = Pipe()
    process.standardInput = input
    process.standardOutput = output
    try process.run()
    input.fileHandleForWriting.write(data)
    try input.fileHandleForWriting.close()
    let result = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return String(String(decoding: result, as: UTF8.self).prefix(64))
}
