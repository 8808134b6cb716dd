import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The contents of `manifest.json` (SPEC §6): what produced a results folder and the SHA-256 of
/// each file in it.
///
/// `jsonText()` writes the keys in the SPEC's order — spec_version, engine_version, protocol,
/// protocol_sha256, seed, replicates, subjects, threads, started, finished, wall_seconds, files —
/// then the `extra` members in their given order (e.g. shard information). `files` is written
/// sorted by the names' UTF-8 bytes. Layout as `JSONValue.jsonText()`, plus a final newline.
/// Only `started`, `finished`, `wall_seconds` and `threads` vary between runs of the same
/// protocol and options (SPEC §7).
///
/// ```
/// var manifest = Manifest(specVersion: "1.0", engineVersion: "0.1.0", protocolFile: "abc.yaml",
///                         protocolSHA256: SHA256.hash(protocolBytes), seed: 42, replicates: 200,
///                         subjects: 300, threads: 2, started: start, finished: Date(),
///                         wallSeconds: 12.5)
/// manifest.files["subjects.csv"] = subjectsWriter.sha256
/// try manifest.write(to: folder.path(for: "manifest.json"))
/// ```
public struct Manifest: Equatable, Sendable {
    public var specVersion: String
    public var engineVersion: String
    /// The protocol file's base name (SPEC §6 "Paths": no absolute paths in outputs).
    public var protocolFile: String
    /// SHA-256 of the protocol file's bytes.
    public var protocolSHA256: String
    public var seed: UInt64
    public var replicates: Int
    public var subjects: Int
    public var threads: Int
    /// Written as ISO 8601 UTC to the second, e.g. "2026-01-31T09:05:03Z".
    public var started: Date
    public var finished: Date
    public var wallSeconds: Double
    /// File name → SHA-256 (64 lowercase hex digits).
    public var files: [String: String]
    /// Members written after `files`, in this order.
    public var extra: [JSONMember]

    public init(specVersion: String, engineVersion: String, protocolFile: String, protocolSHA256: String,
                seed: UInt64, replicates: Int, subjects: Int, threads: Int, started: Date, finished: Date,
                wallSeconds: Double, files: [String: String] = [:], extra: [JSONMember] = []) {
        self.specVersion = specVersion
        self.engineVersion = engineVersion
        self.protocolFile = protocolFile
        self.protocolSHA256 = protocolSHA256
        self.seed = seed
        self.replicates = replicates
        self.subjects = subjects
        self.threads = threads
        self.started = started
        self.finished = finished
        self.wallSeconds = wallSeconds
        self.files = files
        self.extra = extra
    }

    /// The manifest as a JSON object, keys in the SPEC's order.
    public var jsonValue: JSONValue {
        let sortedFiles = files.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
        return .object([
            JSONMember("spec_version", .string(specVersion)),
            JSONMember("engine_version", .string(engineVersion)),
            JSONMember("protocol", .string(protocolFile)),
            JSONMember("protocol_sha256", .string(protocolSHA256)),
            JSONMember("seed", .unsignedInteger(seed)),
            JSONMember("replicates", .integer(replicates)),
            JSONMember("subjects", .integer(subjects)),
            JSONMember("threads", .integer(threads)),
            JSONMember("started", .string(iso8601UTC(started))),
            JSONMember("finished", .string(iso8601UTC(finished))),
            JSONMember("wall_seconds", .number(wallSeconds)),
            JSONMember("files", .object(sortedFiles.map { JSONMember($0.key, .string($0.value)) })),
        ] + extra)
    }

    /// The text of manifest.json, ending with a newline.
    public func jsonText() -> String {
        jsonValue.jsonText() + "\n"
    }

    /// Writes manifest.json atomically (see `writeFileAtomically`).
    /// `syncingDirectory` as `writeFileAtomically`'s.
    public func write(to path: String, syncingDirectory: Bool = true) throws(OutputError) {
        try writeFileAtomically(jsonText(), to: path, syncingDirectory: syncingDirectory)
    }
}

/// `date` as ISO 8601 in UTC to the whole second (fraction dropped toward the past):
/// "YYYY-MM-DDTHH:MM:SSZ". Independent of locale and time zone.
///
/// The civil date is computed from the day number (proleptic Gregorian calendar, Hinnant's
/// `civil_from_days`) rather than by `gmtime_r`, whose first call reads and parses the system's
/// time-zone file (/etc/localtime): 0.4–0.6 ms at the end of every run, between the report and
/// the commit.
public func iso8601UTC(_ date: Date) -> String {
    let seconds = Int64(floor(date.timeIntervalSince1970))
    let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
    let secondOfDay = seconds - days * 86_400
    let z = days + 719_468
    let era = (z >= 0 ? z : z - 146_096) / 146_097
    let dayOfEra = z - era * 146_097
    let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
    let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
    let monthIndex = (5 * dayOfYear + 2) / 153
    let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
    let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
    let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
    func padded(_ value: Int64, _ width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
    return padded(year, 4) + "-" + padded(month, 2) + "-" + padded(day, 2) + "T" + padded(secondOfDay / 3_600, 2) + ":"
        + padded(secondOfDay % 3_600 / 60, 2) + ":" + padded(secondOfDay % 60, 2) + "Z"
}
