import Foundation
import Testing
import VirtualTrial

/// Reliability: an interrupted run never leaves partial results. SIGINT and SIGTERM stop the
/// workers, remove the temporary folder and exit 130/143 with the earlier results untouched; a
/// SIGKILLed run leaves a hidden temporary folder that the next run removes.
@Suite("Interrupted runs", .serialized)
struct InterruptTests {
    /// A protocol long enough (in a debug build) to be interrupted mid-run.
    static let longProtocol = """
    protocol: E2E-LONG
    seed: 3
    replicates: 400
    subjects: 200
    population:
      population: flat
      covariates:
        WT: { dist: uniform, min: 60, max: 80 }
    duration: 28 d
    observe: 1 h
    model:
      pk: { compartments: 2, absorption: oral }
      parameters: { CL: 5 L/h, V1: 50 L, Q: 10 L/h, V2: 100 L, KA: 1.0 }
      variability: { CL: 0.3, V1: 0.3 }
    arms:
      - name: a
        dosing: { amount: 100 mg, every: 24 h, doses: 28 }
      - name: b
        dosing: { amount: 200 mg, every: 24 h, doses: 28 }
    endpoints:
      - { id: CMAX, variable: C, summary: max }
    analysis: { control: a }
    """

    /// Starts `vtrial run` on the long protocol, waits until its temporary folder exists, sends
    /// `signal`, and returns the exit status and stderr.
    static func interrupt(with signal: Int32, out: URL, protocolFile: URL) throws -> (status: Int32, reason: Process.TerminationReason, stderr: String) {
        let process = Process()
        process.executableURL = E2E.binary
        process.arguments = ["run", protocolFile.path, "--out", out.path, "--quiet"]
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        // Wait (up to 60 s) for the hidden temporary folder: the run is then writing results.
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: out.path)) ?? []
            if entries.contains(where: { $0.hasPrefix(".E2E-LONG.tmp-") }) { break }
            usleep(20_000)
        }
        usleep(200_000)
        kill(process.processIdentifier, signal)
        process.waitUntilExit()
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return (process.terminationStatus, process.terminationReason, stderr)
    }

    /// A finished earlier run of the same protocol id, as the "earlier results" to protect.
    static func earlierResults(in out: URL) throws -> (URL, [String: Data]) {
        let small = out.appendingPathComponent("small.yaml")
        try longProtocol.replacingOccurrences(of: "replicates: 400", with: "replicates: 2")
            .write(to: small, atomically: true, encoding: .utf8)
        let first = try E2E.vtrial(["run", small.path, "--out", out.path, "--quiet"])
        try #require(first.status == 0, "\(first.stderr)")
        let folder = out.appendingPathComponent("E2E-LONG")
        var files: [String: Data] = [:]
        for name in try E2E.listing(folder) { files[name] = try Data(contentsOf: folder.appendingPathComponent(name)) }
        return (folder, files)
    }

    @Test("SIGINT and SIGTERM: exit 130/143, earlier results byte-identical, no temporary folder left",
          arguments: [(SIGINT, Int32(130)), (SIGTERM, Int32(143))])
    func gracefulSignals(signal: Int32, status: Int32) throws {
        let out = try E2E.temporaryDirectory()
        defer { E2E.remove(out) }
        let (folder, before) = try Self.earlierResults(in: out)
        let protocolFile = out.appendingPathComponent("long.yaml")
        try Self.longProtocol.write(to: protocolFile, atomically: true, encoding: .utf8)
        let result = try Self.interrupt(with: signal, out: out, protocolFile: protocolFile)
        #expect(result.reason == .exit && result.status == status, "exit \(result.status) (\(result.reason)): \(result.stderr)")
        #expect(result.stderr.contains("interrupted"))
        #expect(try E2E.listing(out) == ["E2E-LONG", "long.yaml", "small.yaml"])
        for (name, data) in before { #expect(try Data(contentsOf: folder.appendingPathComponent(name)) == data, "\(name) changed") }
        #expect(try E2E.listing(folder) == before.keys.sorted())
    }

    @Test("SIGKILL: the hidden leftover does not touch earlier results and the next run removes it")
    func killLeavesNothingVisible() throws {
        let out = try E2E.temporaryDirectory()
        defer { E2E.remove(out) }
        let (folder, before) = try Self.earlierResults(in: out)
        let protocolFile = out.appendingPathComponent("long.yaml")
        try Self.longProtocol.write(to: protocolFile, atomically: true, encoding: .utf8)
        let result = try Self.interrupt(with: SIGKILL, out: out, protocolFile: protocolFile)
        #expect(result.reason == .uncaughtSignal)
        for (name, data) in before { #expect(try Data(contentsOf: folder.appendingPathComponent(name)) == data, "\(name) changed") }
        // Only hidden leftovers may remain next to the results.
        #expect(try E2E.listing(out).filter { !$0.hasPrefix(".") } == ["E2E-LONG", "long.yaml", "small.yaml"])
        // The next run of the same protocol id cleans them (their owner is dead).
        let small = out.appendingPathComponent("small.yaml")
        let rerun = try E2E.vtrial(["run", small.path, "--out", out.path, "--quiet"])
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(try E2E.listing(out) == ["E2E-LONG", "long.yaml", "small.yaml"])
    }

    @Test("An unwritable output location is a clear error and writes nothing")
    func unwritableOutput() throws {
        let out = try E2E.temporaryDirectory()
        defer { E2E.remove(out) }
        let blocker = out.appendingPathComponent("file")
        try Data("x".utf8).write(to: blocker)
        let protocolFile = out.appendingPathComponent("small.yaml")
        try Self.longProtocol.replacingOccurrences(of: "replicates: 400", with: "replicates: 1")
            .write(to: protocolFile, atomically: true, encoding: .utf8)
        let result = try E2E.vtrial(["run", protocolFile.path, "--out", blocker.appendingPathComponent("sub").path, "--quiet"])
        #expect(result.status == 1)
        #expect(result.stderr.contains(blocker.path), "the error names the path: \(result.stderr)")
        #expect(try E2E.listing(out) == ["file", "small.yaml"])
    }
}
