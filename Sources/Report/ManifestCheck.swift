import Foundation
import Output

extension ReportBuilder {
    /// What `vtrial report` checks before it rewrites the page of `resultsDirectory` (read from
    /// its manifest.json; nothing when the manifest cannot be read, which the report itself then
    /// reports): whether the folder is a shard's (shards have no report: `vtrial merge` writes
    /// the merged folder's, docs/cluster.md), and which files the manifest lists whose bytes no
    /// longer have the SHA-256 it records (edited or damaged after the run: the page shows them
    /// as they are now, and the manifest no longer describes them).
    public static func manifestCheck(resultsDirectory: String) -> (isShard: Bool, changedFiles: [String]) {
        guard let data = FileManager.default.contents(atPath: resultsDirectory + "/manifest.json"),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return (false, []) }
        let isShard = object["shard"] != nil
        let files = object["files"] as? [String: String] ?? [:]
        var changed: [String] = []
        for (name, recorded) in files.sorted(by: { $0.key < $1.key }) where name != fileName {
            if SHA256.ofFile(atPath: resultsDirectory + "/" + name) != recorded { changed.append(name) }
        }
        return (isShard, changed)
    }
}
