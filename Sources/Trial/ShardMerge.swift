import Foundation
import Output
import Report
import TrialProtocol

/// `vtrial merge DIR/<protocol id>.shards` (SPEC §1, §7): checks that the shard folders written by
/// `vtrial run --shard K/N` form one complete, untouched set, then writes `DIR/<protocol id>/`
/// byte-identical to an unsharded run (manifest.json aside: its clock times and threads).
///
/// Checks, all made before anything is written (every problem found is reported, each naming
/// the shard folder):
/// - every non-hidden entry of the folder is a `K-of-N` folder, all with the same N;
/// - each has a manifest.json that decodes, whose `shard` is its folder's `K/N`, and lists every
///   results CSV with a SHA-256 that the file's bytes match (else: a partial or modified shard);
/// - every shard has the same protocol_sha256 (or the one of `--protocol`), engine and spec
///   version as this vtrial, seed, replicates, subjects and merge facts (else: a foreign shard);
/// - shards 1…N are each present exactly once, and their `shard_replicates` are the replicates
///   r with (r − 1) % N = K − 1, so together they cover 1…replicates exactly.
///
/// Merging: shards hold replicates r ≡ K (mod N), so the per-replicate files (subjects, endpoints,
/// adverse_events, efficacy, safety, comparisons) are interleaved BY REPLICATE, copying each
/// row's bytes unchanged: replicate r's rows come from shard (r − 1) % N + 1. timecourse.csv is
/// the one of the shard holding replicate 1; power.csv is recomputed from the merged
/// comparisons.csv in replicate order (the numbers there are shortest round-trip text, so they
/// parse back to the very doubles the run used) with the facts the shard manifests carry; then
/// manifest.json and report.html are written as `vtrial run` writes them. The folder is published
/// atomically (ResultsFolder): a refused or failed merge writes nothing.
public enum ShardMerge {
    /// The CSV files of a results folder (SPEC §6).
    public static let csvFiles = ["subjects.csv", "endpoints.csv", "adverse_events.csv", "efficacy.csv", "safety.csv",
                                  "comparisons.csv", "power.csv", "timecourse.csv"]
    /// The files with a REPLICATE first column, merged by replicate.
    static let replicateFiles = ["subjects.csv", "endpoints.csv", "adverse_events.csv", "efficacy.csv", "safety.csv",
                                 "comparisons.csv"]
    /// At most this many problems are listed (SPEC §1: up to 20).
    static let problemLimit = 20

    /// One checked shard.
    struct Shard {
        var folderName: String
        var path: String
        var index: Int
        var manifest: ShardManifest
    }

    /// The replicates shard K of N holds (SPEC §1).
    public static func replicates(shard index: Int, of count: Int, total: Int) -> [Int] {
        total < 1 ? [] : (1...total).filter { ($0 - 1) % count == index - 1 }
    }

    /// Verifies the shard set at `shardsDirectory` and writes the merged results folder next to
    /// it (`DIR/<protocol id>/` for `DIR/<protocol id>.shards`).
    ///
    /// - Parameters:
    ///   - protocolSHA256: when given (`--protocol FILE`), every shard must have this hash.
    ///   - threads: written to the merged manifest (the shards' largest when nil).
    /// - Returns: the merged folder's path.
    /// - Throws: `ShardMergeError.invalidShards` (exit 2, nothing written) or `.failed` (exit 1).
    @discardableResult
    public static func merge(shardsDirectory: String, protocolSHA256: String? = nil) throws(ShardMergeError) -> String {
        let started = Date()
        let (shards, protocolID) = try verify(shardsDirectory: shardsDirectory, protocolSHA256: protocolSHA256)
        let reference = shards[0].manifest
        let facts = reference.shardMerge!

        var directory = shardsDirectory
        while directory.count > 1 && directory.hasSuffix("/") { directory.removeLast() }
        let outputDirectory = (directory as NSString).deletingLastPathComponent
        let folder: ResultsFolder
        do {
            folder = try ResultsFolder(outputDirectory: outputDirectory.isEmpty ? "." : outputDirectory, relativePath: protocolID)
        } catch {
            if error.isUsageError { throw .invalidShards(["vtrial: error: \(error)"]) }
            throw .failed("\(error)")
        }
        do throws(ShardMergeError) {
            var files: [String: String] = [:]
            for file in replicateFiles {
                files[file] = try mergeByReplicate(file: file, shards: shards, replicates: reference.replicates,
                                                   into: folder.path(for: file))
            }
            files["timecourse.csv"] = try copyTimecourse(shards: shards, into: folder.path(for: "timecourse.csv"))
            files["power.csv"] = try writePower(facts: facts, replicates: reference.replicates,
                                                comparisons: folder.path(for: "comparisons.csv"),
                                                into: folder.path(for: "power.csv"))

            let formatter = ISO8601DateFormatter()
            let earliest = shards.compactMap { formatter.date(from: $0.manifest.started) }.min() ?? started
            var manifest = Manifest(specVersion: reference.specVersion, engineVersion: reference.engineVersion,
                                    protocolFile: reference.protocolFile, protocolSHA256: reference.protocolSHA256,
                                    seed: reference.seed, replicates: reference.replicates, subjects: reference.subjects,
                                    threads: shards.map(\.manifest.threads).max() ?? 1,
                                    started: earliest, finished: Date(), wallSeconds: 0, files: files)
            do {
                // As TrialRunner: the report reads the manifest, then the manifest gets its hash.
                try manifest.write(to: folder.path(for: "manifest.json"))
                files[ReportBuilder.fileName] = try ReportBuilder.writeReport(resultsDirectory: folder.temporaryPath)
                manifest.files = files
                manifest.finished = Date()
                manifest.wallSeconds = manifest.finished.timeIntervalSince(earliest)
                try manifest.write(to: folder.path(for: "manifest.json"))
                try folder.commit()
            } catch {
                throw ShardMergeError.failed("\(error)")
            }
            return folder.finalPath
        } catch {
            folder.abandon()
            throw error
        }
    }

    // MARK: - Verification

    /// Checks the set (see the type's documentation); returns the shards in order 1…N and the
    /// protocol id.
    static func verify(shardsDirectory: String, protocolSHA256 expectedHash: String?) throws(ShardMergeError) -> ([Shard], String) {
        var directory = shardsDirectory
        while directory.count > 1 && directory.hasSuffix("/") { directory.removeLast() }
        let name = (directory as NSString).lastPathComponent
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw .invalidShards(["\(shardsDirectory): no such folder"])
        }
        guard name.hasSuffix(".shards"), name.count > ".shards".count else {
            throw .invalidShards(["\(shardsDirectory): not a shards folder (vtrial run --shard K/N writes DIR/<protocol id>.shards/)"])
        }
        let protocolID = String(name.dropLast(".shards".count))
        let entries: [String]
        do {
            entries = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        } catch {
            throw .invalidShards(["\(shardsDirectory): cannot be listed: \(error.localizedDescription)"])
        }

        var problems: [String] = []
        var candidates: [(folder: String, index: Int, count: Int)] = []
        for entry in entries where !entry.hasPrefix(".") {
            let path = directory + "/" + entry
            guard let (k, n) = parseFolderName(entry) else {
                problems.append("\(path): not a shard folder (shard folders are named K-of-N)")
                continue
            }
            var entryIsDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &entryIsDirectory), entryIsDirectory.boolValue else {
                problems.append("\(path): not a folder")
                continue
            }
            candidates.append((entry, k, n))
        }
        guard !candidates.isEmpty else {
            throw .invalidShards(problems + ["\(shardsDirectory): holds no shard folders (K-of-N)"])
        }
        // The split: the count most folders have (ties: the smaller).
        var tally: [Int: Int] = [:]
        for c in candidates { tally[c.count, default: 0] += 1 }
        let count = tally.max { a, b in a.value != b.value ? a.value < b.value : a.key > b.key }!.key
        candidates.sort { ($0.index, $0.folder) < ($1.index, $1.folder) }

        var shards: [Shard] = []
        for c in candidates {
            let path = directory + "/" + c.folder
            guard c.count == count else {
                problems.append("\(path): a shard of a split into \(c.count), the other shards are of a split into \(count) (a shard of another run?)")
                continue
            }
            let manifestPath = path + "/manifest.json"
            guard let data = FileManager.default.contents(atPath: manifestPath) else {
                problems.append("\(path): partial shard: no manifest.json (was its run complete?)")
                continue
            }
            let manifest: ShardManifest
            do {
                manifest = try JSONDecoder().decode(ShardManifest.self, from: data)
            } catch {
                problems.append("\(manifestPath): not a shard manifest: \(decodingProblem(error))")
                continue
            }
            guard manifest.shard != nil, manifest.shardReplicates != nil, manifest.shardMerge != nil else {
                problems.append("\(manifestPath): not a shard manifest (no keys shard, shard_replicates, \(ShardFacts.manifestKey); written by `vtrial run --shard K/N`?)")
                continue
            }
            let claimed = manifest.shard.flatMap(parseShardKey)
            guard let (k, n) = claimed else {
                problems.append("\(manifestPath): shard '\(manifest.shard!)' is not K/N")
                continue
            }
            if (k, n) != (c.index, c.count) {
                problems.append("\(path): its manifest says shard \(k)/\(n), not \(c.index)/\(c.count) (a copied or renamed shard)")
            }
            shards.append(Shard(folderName: c.folder, path: path, index: k, manifest: manifest))
        }

        // The reference protocol: --protocol's hash, else the one most shards have (ties: the
        // first shard's).
        var referenceHash = expectedHash
        if referenceHash == nil {
            var hashes: [String: Int] = [:]
            for s in shards { hashes[s.manifest.protocolSHA256, default: 0] += 1 }
            let best = hashes.values.max() ?? 0
            referenceHash = shards.first { hashes[$0.manifest.protocolSHA256] == best }?.manifest.protocolSHA256
        }
        let reference = shards.first { $0.manifest.protocolSHA256 == referenceHash }
        var kept: [Shard] = []
        for s in shards {
            let m = s.manifest
            var foreign: [String] = []
            if m.protocolSHA256 != referenceHash {
                foreign.append(expectedHash != nil
                    ? "protocol_sha256 \(m.protocolSHA256) is not the given protocol's \(expectedHash!)"
                    : "protocol_sha256 \(m.protocolSHA256) differs from the other shards' \(referenceHash ?? "")")
            }
            if m.engineVersion != TrialRunner.engineVersion {
                foreign.append("engine_version \(m.engineVersion) is not this vtrial's \(TrialRunner.engineVersion)")
            }
            if m.specVersion != TrialRunner.specVersion {
                foreign.append("spec_version \(m.specVersion) is not this vtrial's \(TrialRunner.specVersion)")
            }
            if m.shardMerge!.protocolID != protocolID {
                foreign.append("protocol id \(m.shardMerge!.protocolID) is not \(protocolID) (the folder's name)")
            }
            if let r = reference?.manifest, m.protocolSHA256 == r.protocolSHA256 {
                if m.seed != r.seed { foreign.append("seed \(m.seed) differs from \(r.seed) (another --seed)") }
                if m.replicates != r.replicates { foreign.append("replicates \(m.replicates) differs from \(r.replicates) (another --replicates)") }
                if m.subjects != r.subjects { foreign.append("subjects \(m.subjects) differs from \(r.subjects)") }
                if m.protocolFile != r.protocolFile { foreign.append("protocol file \(m.protocolFile) differs from \(r.protocolFile)") }
                if m.shardMerge!.populationSHA256 != r.shardMerge!.populationSHA256 {
                    foreign.append("its population file's SHA-256 differs from the other shards' (the population file was edited between runs)")
                } else if m.shardMerge != r.shardMerge { foreign.append("its \(ShardFacts.manifestKey) facts differ from the other shards'") }
            }
            if foreign.isEmpty {
                kept.append(s)
            } else {
                problems.append("\(s.path): a shard of another run: " + foreign.joined(separator: "; "))
            }
        }

        // Shards 1…N, each once.
        var byIndex: [Int: [Shard]] = [:]
        for s in kept { byIndex[s.index, default: []].append(s) }
        for k in 1...count {
            let found = byIndex[k] ?? []
            // A K-of-N folder that is partial, foreign or holds another shard has its own problem.
            if found.isEmpty, !candidates.contains(where: { $0.index == k && $0.count == count }),
               !shards.contains(where: { $0.index == k }) {
                problems.append("\(directory): shard \(k) of \(count) is missing (no \(k)-of-\(count) folder holds it: not run, not finished or not copied here)")
            } else if found.count > 1 {
                problems.append("\(directory): shard \(k)/\(count) appears more than once: " + found.map(\.folderName).joined(separator: ", "))
            }
        }
        for (k, found) in byIndex where k < 1 || k > count {
            for s in found { problems.append("\(s.path): shard \(k) is outside 1…\(count)") }
        }

        // Replicates: each shard its own, together 1…replicates exactly.
        if let total = reference?.manifest.replicates {
            var holders = Array(repeating: [String](), count: total + 1)
            for s in kept {
                let list = s.manifest.shardReplicates!
                if list != replicates(shard: s.index, of: count, total: total) {
                    problems.append("\(s.path): shard_replicates are not the replicates r with (r − 1) % \(count) = \(s.index - 1) of 1…\(total)")
                }
                for r in list {
                    if r >= 1 && r <= total { holders[r].append(s.folderName) } else {
                        problems.append("\(s.path): replicate \(r) is outside 1…\(total)")
                    }
                }
            }
            if problems.isEmpty {
                let uncovered = (1...total).filter { holders[$0].isEmpty }
                if !uncovered.isEmpty {
                    problems.append("\(directory): replicates \(uncovered.map(String.init).joined(separator: ", ")) are in no shard")
                }
                for r in 1...total where holders[r].count > 1 {
                    problems.append("\(directory): replicate \(r) is in more than one shard: " + holders[r].joined(separator: ", "))
                }
            }
        }

        // Files: listed, present and matching their SHA-256 (a partial copy or an edited file fails).
        for s in kept {
            for file in csvFiles {
                guard let expected = s.manifest.files[file] else {
                    problems.append("\(s.path): partial shard: manifest.json lists no \(file)")
                    continue
                }
                let path = s.path + "/" + file
                guard let actual = SHA256.ofFile(atPath: path) else {
                    problems.append("\(path): partial shard: the file is missing or unreadable")
                    continue
                }
                if actual != expected {
                    problems.append("\(path): partial or modified shard: SHA-256 \(actual) does not match manifest.json's \(expected)")
                }
            }
        }

        if !problems.isEmpty { throw .invalidShards(problems) }
        return (kept.sorted { $0.index < $1.index }, protocolID)
    }

    static func parseFolderName(_ name: String) -> (Int, Int)? {
        let parts = name.components(separatedBy: "-of-")
        guard parts.count == 2, let k = strictInteger(parts[0]), let n = strictInteger(parts[1]), n >= 1, k >= 1, k <= n else { return nil }
        return (k, n)
    }

    static func parseShardKey(_ text: String) -> (Int, Int)? {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let k = strictInteger(String(parts[0])), let n = strictInteger(String(parts[1])) else { return nil }
        return (k, n)
    }

    /// Plain decimal digits only (no sign, no spaces), as the runner writes them.
    private static func strictInteger(_ text: String) -> Int? {
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return Int(text)
    }

    private static func decodingProblem(_ error: Error) -> String {
        switch error {
        case let DecodingError.keyNotFound(key, _): return "the key \"\(key.stringValue)\" is missing"
        case let DecodingError.typeMismatch(_, context): return "the key \"\(context.codingPath.map(\.stringValue).joined(separator: "."))\" has the wrong type"
        case let DecodingError.valueNotFound(_, context): return "the key \"\(context.codingPath.map(\.stringValue).joined(separator: "."))\" is null"
        default: return "not valid JSON"
        }
    }

    // MARK: - Merging

    /// Opens `file` in every shard and the merged output at `path`, checks that the shards' headers
    /// agree and writes it, then lets `body` copy the data rows; returns the output's SHA-256. On
    /// any failure the output is discarded (nothing partial is left).
    private static func mergeFile(_ file: String, shards: [Shard], into path: String,
                                  _ body: ([CSVRecordReader], OutputFile) throws -> Void) throws(ShardMergeError) -> String {
        var readers: [CSVRecordReader] = []
        defer { for r in readers { r.close() } }
        let output: OutputFile
        do {
            for s in shards { readers.append(try CSVRecordReader(path: s.path + "/" + file)) }
            output = try OutputFile(path: path)
        } catch {
            throw .failed("\(error)")
        }
        do {
            let header = try readers[0].next() ?? []
            for (i, reader) in readers.enumerated().dropFirst() where try reader.next() ?? [] != header {
                throw ShardMergeError.invalidShards(["\(shards[i].path)/\(file): its header differs from \(shards[0].folderName)/\(file)'s"])
            }
            try output.write(header)
            try body(readers, output)
            return try output.close()
        } catch let error as ShardMergeError {
            output.discard()
            throw error
        } catch {
            output.discard()
            throw .failed("\(error)")
        }
    }

    /// Interleaves one per-replicate file of every shard by REPLICATE; returns the SHA-256.
    static func mergeByReplicate(file: String, shards: [Shard], replicates: Int, into path: String) throws(ShardMergeError) -> String {
        try mergeFile(file, shards: shards, into: path) { readers, output in
            let count = shards.count
            if replicates >= 1 {
                for r in 1...replicates {
                    let reader = readers[(r - 1) % count]
                    while let record = try reader.peek(), try replicateOf(record, file: file, shard: shards[(r - 1) % count]) == r {
                        try output.write(record)
                        reader.consume()
                    }
                }
            }
            for (i, reader) in readers.enumerated() {
                if let record = try reader.peek() {
                    let r = try replicateOf(record, file: file, shard: shards[i])
                    throw ShardMergeError.invalidShards(["\(shards[i].path)/\(file): a row of replicate \(r) is out of replicate order or not one of this shard's replicates"])
                }
            }
        }
    }

    /// The REPLICATE (first field) of a record.
    private static func replicateOf(_ record: [UInt8], file: String, shard: Shard) throws(ShardMergeError) -> Int {
        var value = 0
        var digits = 0
        for byte in record {
            if byte == UInt8(ascii: ",") || byte == UInt8(ascii: "\n") { break }
            guard byte >= 0x30 && byte <= 0x39, digits < 18 else { digits = -1; break }
            value = value * 10 + Int(byte - 0x30)
            digits += 1
        }
        guard digits > 0 else {
            throw .invalidShards(["\(shard.path)/\(file): a row does not start with a REPLICATE number"])
        }
        return value
    }

    /// timecourse.csv: the shard holding replicate 1 (shard 1) has the rows; the others only the
    /// same header.
    static func copyTimecourse(shards: [Shard], into path: String) throws(ShardMergeError) -> String {
        let file = "timecourse.csv"
        return try mergeFile(file, shards: shards, into: path) { readers, output in
            for (i, reader) in readers.enumerated().dropFirst() where try reader.peek() != nil {
                throw ShardMergeError.invalidShards(["\(shards[i].path)/\(file): has rows, but only the shard holding replicate 1 has time courses"])
            }
            while let record = try readers[0].next() { try output.write(record) }
        }
    }

    /// power.csv from the merged comparisons.csv, one replicate at a time in replicate order,
    /// exactly as the runner accumulates it.
    static func writePower(facts: ShardFacts, replicates: Int, comparisons: String, into path: String) throws(ShardMergeError) -> String {
        let table: CSVTable
        do {
            guard let data = FileManager.default.contents(atPath: comparisons), let text = String(data: data, encoding: .utf8) else {
                throw ShardMergeError.failed("cannot read the merged comparisons.csv")
            }
            table = try CSVTable(parsing: text, fileName: "comparisons.csv")
        } catch let error as ShardMergeError {
            throw error
        } catch {
            throw .invalidShards(["comparisons.csv of the shards: \(error)"])
        }
        guard let success = facts.successCriteria else {
            throw .invalidShards(["the shards' \(ShardFacts.manifestKey) name an unknown arm or method in a success criterion"])
        }
        let ratio = Set(facts.ratioEndpoints)
        var power = PowerAccumulator()
        var next = 0
        do {
            if replicates >= 1 {
                for r in 1...replicates {
                    var rows: [(endpoint: String, arm: Int, method: String, estimate: Double?, significant: Bool, ratio: Bool)] = []
                    while next < table.rows.count, try table.rows[next].requiredInteger("REPLICATE") == r {
                        let row = table.rows[next]
                        let endpoint = try row.requiredText("ENDPOINT")
                        let armName = try row.requiredText("ARM")
                        guard let arm = facts.arms.firstIndex(of: armName) else {
                            throw ShardMergeError.invalidShards(["comparisons.csv row \(row.rowNumber): arm '\(armName)' is not one of the protocol's arms"])
                        }
                        rows.append((endpoint, arm, try row.requiredText("METHOD"), try row.number("ESTIMATE"),
                                     try row.requiredInteger("SIGNIFICANT") == 1, ratio.contains(endpoint)))
                        next += 1
                    }
                    power.add(rows: rows, success: success)
                }
            }
        } catch let error as ShardMergeError {
            throw error
        } catch {
            throw .invalidShards(["comparisons.csv of the shards: \(error)"])
        }
        do {
            let writer = try CSVWriter(path: path, header: TrialRunner.powerHeader)
            if let control = facts.control, let alphaText = facts.alpha {
                guard let alpha = Double(alphaText) else {
                    throw ShardMergeError.invalidShards(["the shards' \(ShardFacts.manifestKey) alpha '\(alphaText)' is not a number"])
                }
                power.write(alpha: alpha, control: control, armNames: facts.arms, success: success, to: writer)
            }
            try writer.close()
            return writer.sha256 ?? ""
        } catch let error as ShardMergeError {
            throw error
        } catch {
            throw .failed("\(error)")
        }
    }
}

/// Why a merge was refused or failed.
public enum ShardMergeError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The shard set is incomplete, has duplicates, partial or foreign shards (exit 2; nothing
    /// was written). Each problem names the shard folder or file.
    case invalidShards([String])
    /// Writing the merged folder failed (exit 1; nothing was written).
    case failed(String)

    public var description: String {
        switch self {
        case let .invalidShards(problems):
            var lines = problems.prefix(ShardMerge.problemLimit).map { $0.contains(": error: ") ? $0 : Self.located($0) }
            if problems.count > ShardMerge.problemLimit { lines.append("… and \(problems.count - ShardMerge.problemLimit) more problems") }
            return lines.joined(separator: "\n")
        case let .failed(message):
            return "vtrial: error: merge failed: \(message)"
        }
    }

    /// "PATH: MESSAGE" → "PATH: error: MESSAGE".
    private static func located(_ problem: String) -> String {
        guard let range = problem.range(of: ": ") else { return "error: " + problem }
        return problem[..<range.lowerBound] + ": error: " + problem[range.upperBound...]
    }
}

/// The parts of a shard's manifest.json the merge reads.
struct ShardManifest: Decodable {
    var specVersion: String
    var engineVersion: String
    var protocolFile: String
    var protocolSHA256: String
    var seed: UInt64
    var replicates: Int
    var subjects: Int
    var threads: Int
    var started: String
    var files: [String: String]
    var shard: String?
    var shardReplicates: [Int]?
    var shardMerge: ShardFacts?

    enum CodingKeys: String, CodingKey {
        case specVersion = "spec_version"
        case engineVersion = "engine_version"
        case protocolFile = "protocol"
        case protocolSHA256 = "protocol_sha256"
        case seed, replicates, subjects, threads, started, files, shard
        case shardReplicates = "shard_replicates"
        case shardMerge = "shard_merge"
    }
}
