import Foundation
import Testing
import VirtualTrial

/// SPEC §7: the same protocol and options give byte-identical CSV files on any thread count and
/// on a rerun; only started/finished/wall_seconds/threads of manifest.json may differ.
@Suite("Determinism (SPEC §7)")
struct DeterminismTests {
    @Test("--threads 1, --threads 2 and a rerun write byte-identical CSVs")
    func threadsAndRerun() throws {
        let reference = E2E.statsRun
        try #require(reference.result.status == 0, "stderr: \(reference.result.stderr)")
        let one = try E2E.runFixture("stats.yaml", protocolID: "E2E-STATS", extra: ["--threads", "1"])
        defer { E2E.remove(one.folder.deletingLastPathComponent()) }
        let again = try E2E.runFixture("stats.yaml", protocolID: "E2E-STATS", extra: ["--threads", "2"])
        defer { E2E.remove(again.folder.deletingLastPathComponent()) }
        try #require(one.result.status == 0, "stderr: \(one.result.stderr)")
        try #require(again.result.status == 0, "stderr: \(again.result.stderr)")
        for name in E2E.resultFiles {
            let expected = try E2E.bytes(reference.folder.appendingPathComponent(name))
            #expect(try E2E.bytes(one.folder.appendingPathComponent(name)) == expected, "\(name): --threads 1 vs 2")
            #expect(try E2E.bytes(again.folder.appendingPathComponent(name)) == expected, "\(name): rerun")
        }
        // manifest.json: equal apart from the run-dependent keys.
        func stable(_ folder: URL) throws -> NSDictionary {
            let data = try E2E.bytes(folder.appendingPathComponent("manifest.json"))
            var json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            for key in ["started", "finished", "wall_seconds", "threads"] { json.removeValue(forKey: key) }
            return json as NSDictionary
        }
        #expect(try stable(one.folder) == stable(reference.folder))
        #expect(try stable(again.folder) == stable(reference.folder))
        let threads = try JSONSerialization.jsonObject(
            with: E2E.bytes(one.folder.appendingPathComponent("manifest.json"))) as? [String: Any]
        #expect((threads?["threads"] as? NSNumber)?.intValue == 1)
    }

    @Test("--shard 1/2 and 2/2 then `vtrial merge` give byte-identical CSVs")
    func shardAndMerge() throws {
        let reference = E2E.statsRun
        try #require(reference.result.status == 0, "stderr: \(reference.result.stderr)")
        let out = try E2E.temporaryDirectory()
        defer { E2E.remove(out) }
        for k in 1...2 {
            let shard = try E2E.vtrial(["run", E2E.fixture("stats.yaml").path, "--out", out.path, "--quiet", "--shard", "\(k)/2"])
            try #require(shard.status == 0, "shard \(k): \(shard.stderr)")
            let subjects = try E2E.csv(out.appendingPathComponent("E2E-STATS.shards/\(k)-of-2/subjects.csv"))
            // (replicate − 1) % N == K − 1
            #expect(Set(subjects.rows.map { Int($0[0])! }) == Set(stride(from: k, through: 12, by: 2)))
        }
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("E2E-STATS").path))
        let merge = try E2E.vtrial(["merge", out.appendingPathComponent("E2E-STATS.shards").path])
        try #require(merge.status == 0, "vtrial merge: \(merge.stderr)")
        for name in E2E.resultFiles {
            #expect(try E2E.bytes(out.appendingPathComponent("E2E-STATS/\(name)"))
                        == E2E.bytes(reference.folder.appendingPathComponent(name)), "\(name) after shard + merge")
        }
    }
}
