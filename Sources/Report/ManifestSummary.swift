import Foundation
import Output

/// The parts of manifest.json the report shows: what was run, with which seed and size.
///
/// The run's clock times (`started`, `finished`, `wall_seconds`) and `threads` are deliberately
/// not read: they are the only manifest values that differ between runs of the same protocol
/// (SPEC §7), and report.html must be byte-identical across such runs.
public struct ManifestSummary: Equatable, Sendable, Decodable {
    public var specVersion: String?
    public var engineVersion: String?
    /// The protocol file's base name.
    public var protocolFile: String
    public var protocolSHA256: String?
    public var seed: UInt64
    public var replicates: Int
    /// Subjects per replicate, all arms together.
    public var subjects: Int

    enum CodingKeys: String, CodingKey {
        case specVersion = "spec_version"
        case engineVersion = "engine_version"
        case protocolFile = "protocol"
        case protocolSHA256 = "protocol_sha256"
        case seed, replicates, subjects
    }

    public init(specVersion: String?, engineVersion: String?, protocolFile: String, protocolSHA256: String?,
                seed: UInt64, replicates: Int, subjects: Int) {
        self.specVersion = specVersion
        self.engineVersion = engineVersion
        self.protocolFile = protocolFile
        self.protocolSHA256 = protocolSHA256
        self.seed = seed
        self.replicates = replicates
        self.subjects = subjects
    }

    /// The summary of `manifest`: what `init(jsonBytes:)` reads from the manifest.json it writes
    /// (the run's report is made before that file is written, and reading its JSON back cost
    /// ~0.5 ms at the end of every run, which every thread waited for).
    public init(_ manifest: Manifest) {
        self.init(specVersion: manifest.specVersion, engineVersion: manifest.engineVersion, protocolFile: manifest.protocolFile,
                  protocolSHA256: manifest.protocolSHA256, seed: manifest.seed, replicates: manifest.replicates,
                  subjects: manifest.subjects)
    }

    /// Reads the summary from manifest.json's bytes. Unknown keys are ignored.
    /// - Throws: `ReportError.invalidManifest` naming the missing or mistyped key.
    public init(jsonBytes: Data, fileName: String = "manifest.json") throws(ReportError) {
        do {
            self = try JSONDecoder().decode(ManifestSummary.self, from: jsonBytes)
        } catch let DecodingError.keyNotFound(key, _) {
            throw .invalidManifest(file: fileName, reason: "the key \"\(key.stringValue)\" is missing")
        } catch let DecodingError.typeMismatch(_, context) {
            throw .invalidManifest(file: fileName, reason: "the key \"\(Self.keyPath(context))\" has the wrong type")
        } catch let DecodingError.valueNotFound(_, context) {
            throw .invalidManifest(file: fileName, reason: "the key \"\(Self.keyPath(context))\" is null")
        } catch {
            throw .invalidManifest(file: fileName, reason: "not valid JSON")
        }
    }

    private static func keyPath(_ context: DecodingError.Context) -> String {
        context.codingPath.map(\.stringValue).joined(separator: ".")
    }
}
