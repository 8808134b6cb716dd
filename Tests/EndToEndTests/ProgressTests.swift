import Foundation
import Testing
import VirtualTrial

/// SPEC §1: a progress bar on stderr when it is a terminal, silenced by --quiet, and never on
/// stdout (the pipe case is covered in CLITests). A real pseudo-terminal comes from util-linux's
/// `script`, which runs the command with stdin, stdout and stderr on a new pty and records them.
@Suite("Progress bar on a terminal")
struct ProgressTests {
    static func runOnTerminal(_ arguments: [String]) throws -> (status: Int32, transcript: String) {
        let directory = try E2E.temporaryDirectory()
        defer { E2E.remove(directory) }
        let transcript = directory.appendingPathComponent("typescript")
        let command = ([E2E.binary.path] + arguments).map { "'\($0)'" }.joined(separator: " ")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        process.arguments = ["-q", "-e", "-c", command, transcript.path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return (process.terminationStatus, try E2E.text(transcript))
    }

    @Test("A terminal shows replicates, subjects, rate and time left; --quiet shows nothing")
    func progressOnlyOnATerminal() throws {
        let out = try E2E.temporaryDirectory()
        defer { E2E.remove(out) }
        let shown = try Self.runOnTerminal(["run", E2E.fixture("stats.yaml").path, "--out", out.appendingPathComponent("a").path])
        #expect(shown.status == 0)
        #expect(shown.transcript.contains("\r["), "a redrawn bar")
        #expect(shown.transcript.contains("replicates 12/12"))
        #expect(shown.transcript.contains("subjects 720/720"))
        #expect(shown.transcript.contains("/s"))
        #expect(shown.transcript.contains("left"))
        let quiet = try Self.runOnTerminal(["run", E2E.fixture("stats.yaml").path, "--out", out.appendingPathComponent("b").path, "--quiet"])
        #expect(quiet.status == 0)
        #expect(!quiet.transcript.contains("replicates"), "no bar with --quiet: \(quiet.transcript)")
    }
}
