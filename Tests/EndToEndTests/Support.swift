import Foundation
import Synchronization
import Testing
import VirtualTrial

/// Helpers shared by the end-to-end tests: locating the built `vtrial` binary and the fixtures,
/// running the binary as a separate process, temporary folders and a small RFC 4180 CSV reader.
enum E2E {
    /// The test target's copied `Fixtures` folder.
    static let fixtures: URL = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!

    static func fixture(_ name: String) -> URL { fixtures.appendingPathComponent(name) }

    /// The `vtrial` executable built alongside this test bundle: `$VTRIAL_BINARY` if set, else the
    /// products directory holding this target's resource bundle (so `make test`, building into
    /// `.build`, runs the binary it just built), else the xctest bundle's directory, else a
    /// `.build*/debug/vtrial` next to the package.
    static let binary: URL = {
        let fm = FileManager.default
        if let path = ProcessInfo.processInfo.environment["VTRIAL_BINARY"], fm.isExecutableFile(atPath: path) {
            return URL(fileURLWithPath: path)
        }
        var candidates: [URL] = []
        var dir = Bundle.module.bundleURL.deletingLastPathComponent()
        for _ in 0..<4 {  // .../debug/X.resources or .../X.xctest/Contents/Resources/X.bundle
            candidates.append(dir.appendingPathComponent("vtrial"))
            dir = dir.deletingLastPathComponent()
        }
        if let xctest = Bundle.allBundles.first(where: { $0.bundlePath.hasSuffix(".xctest") }) {
            candidates.append(xctest.bundleURL.deletingLastPathComponent().appendingPathComponent("vtrial"))
        }
        let package = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        for scratch in [".build", ".build-e2e"] {
            candidates.append(package.appendingPathComponent("\(scratch)/debug/vtrial"))
        }
        for url in candidates where fm.isExecutableFile(atPath: url.path) { return url }
        fatalError("vtrial binary not found; build it first (swift build) or set VTRIAL_BINARY. Looked in: "
            + candidates.map(\.path).joined(separator: ", "))
    }()

    struct Result: Sendable {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    private final class DataBox: @unchecked Sendable { var data = Data() }

    /// Runs `vtrial ARGS` (output discarded) for at most `seconds`: its exit status, or nil when it
    /// was still running then (it is killed) — for runs that used to hang.
    static func vtrialWithin(_ seconds: Double, _ arguments: [String]) throws -> Int32? {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = Date(timeIntervalSinceNow: seconds)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        let hung = process.isRunning
        if hung { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        return hung ? nil : process.terminationStatus
    }

    /// Runs `vtrial ARGS` with stdout and stderr as pipes (so stderr is not a terminal).
    @discardableResult
    static func vtrial(_ arguments: [String], in directory: URL? = nil) throws -> Result {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let errBox = DataBox()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            errBox.data = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return Result(status: process.terminationStatus,
                      stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errBox.data, as: UTF8.self))
    }

    /// A fresh temporary directory (not created: callers get a path that does not exist yet unless
    /// `create` is true).
    /// Every such directory is also removed when the test process exits (the shared runs below
    /// live as long as the process, and a failing test may not reach its own clean-up).
    static func temporaryDirectory(create: Bool = true) throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("vtrial-e2e-\(UUID().uuidString)", isDirectory: true)
        TemporaryDirectories.register(url)
        if create { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) }
        return url
    }

    static func remove(_ url: URL) { try? FileManager.default.removeItem(at: url) }

    /// Runs a fixture protocol into a new temporary folder; returns the results folder.
    static func runFixture(_ name: String, protocolID: String, extra: [String] = []) throws -> (folder: URL, result: Result) {
        let out = try temporaryDirectory()
        let result = try vtrial(["run", fixture(name).path, "--out", out.path, "--quiet"] + extra)
        return (out.appendingPathComponent(protocolID), result)
    }

    /// The run of Fixtures/stats.yaml (`--threads 2`) shared by the suites that only read it.
    static let statsRun: (folder: URL, result: Result) = try! runFixture(
        "stats.yaml", protocolID: "E2E-STATS", extra: ["--threads", "2"])

    static func bytes(_ url: URL) throws -> Data { try Data(contentsOf: url) }

    static func text(_ url: URL) throws -> String { String(decoding: try Data(contentsOf: url), as: UTF8.self) }

    static func sha256(_ url: URL) throws -> String { Output.SHA256.hash([UInt8](try Data(contentsOf: url))) }

    /// Files (including hidden ones) directly inside a folder, sorted.
    static func listing(_ url: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: url.path).sorted()
    }

    /// A CSV file as header + rows (RFC 4180: quoted fields with doubled quotes).
    struct CSV {
        var header: [String]
        var rows: [[String]]

        func column(_ name: String) -> Int? { header.firstIndex(of: name) }

        func records() -> [[String: String]] {
            rows.map { Dictionary(uniqueKeysWithValues: zip(header, $0).map { ($0, $1) }) }
        }
    }

    static func csv(_ url: URL) throws -> CSV {
        let lines = parseCSV(try text(url))
        return CSV(header: lines.first ?? [], rows: Array(lines.dropFirst()))
    }

    static func parseCSV(_ text: String) -> [[String]] {
        var rows: [[String]] = []
        var row: [String] = []
        var field = ""
        var quoted = false
        var chars = Array(text.unicodeScalars)[...]
        var fieldStarted = false
        while let c = chars.popFirst() {
            if quoted {
                if c == "\"" {
                    if chars.first == "\"" { field.unicodeScalars.append("\""); chars.removeFirst() } else { quoted = false }
                } else {
                    field.unicodeScalars.append(c)
                }
            } else if c == "\"" {
                quoted = true
                fieldStarted = true
            } else if c == "," {
                row.append(field); field = ""; fieldStarted = true
            } else if c == "\n" {
                row.append(field); rows.append(row); row = []; field = ""; fieldStarted = false
            } else {
                field.unicodeScalars.append(c); fieldStarted = true
            }
        }
        if fieldStarted || !row.isEmpty { row.append(field); rows.append(row) }
        return rows
    }

    /// `|actual − expected| ≤ rel·|expected| + abs`.
    static func close(_ actual: Double, _ expected: Double, rel: Double, abs: Double = 0) -> Bool {
        Swift.abs(actual - expected) <= rel * Swift.abs(expected) + abs
    }

    static let resultFiles = ["subjects.csv", "endpoints.csv", "adverse_events.csv", "efficacy.csv", "safety.csv",
                              "comparisons.csv", "power.csv", "timecourse.csv"]
}

/// The temporary directories of this test process, removed at exit.
enum TemporaryDirectories {
    private static let paths = Mutex<[String]?>(nil)

    static func register(_ url: URL) {
        paths.withLock { list in
            if list == nil {
                list = []
                atexit { TemporaryDirectories.removeAll() }
            }
            list!.append(url.path)
        }
    }

    private static func removeAll() {
        let all = paths.withLock { list -> [String] in defer { list = [] }; return list ?? [] }
        for path in all { try? FileManager.default.removeItem(atPath: path) }
    }
}
