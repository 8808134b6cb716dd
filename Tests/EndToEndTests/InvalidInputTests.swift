import Foundation
import Testing
import VirtualTrial

/// SPEC §1: invalid input → exit status 2, errors on stderr as `FILE:LINE:COLUMN: error: MESSAGE`
/// placed at the offending line, every error of a file reported in one run, nothing written.
@Suite("Invalid input (SPEC §1)")
struct InvalidInputTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var file: String
        /// Lines any of which is a correct place for the error.
        var lines: ClosedRange<Int>
        /// The column, where it is unambiguous.
        var column: Int?
        /// Words the message must contain (the key, the offending value …).
        var words: [String]
        var testDescription: String { file }
    }

    static let cases: [Case] = [
        Case(file: "unknown-key.yaml", lines: 9...9, column: 1, words: ["obsreve"]),
        Case(file: "wrong-unit.yaml", lines: 13...13, column: 21, words: ["CL"]),
        Case(file: "unknown-variable.yaml", lines: 20...20, column: 15, words: ["EFFECT"]),
        Case(file: "bad-expression.yaml", lines: 26...26, column: nil, words: ["when"]),
        Case(file: "missing-seed.yaml", lines: 1...1, column: 1, words: ["seed"]),
        // libyaml notices the unclosed flow mapping of line 13 on the next line.
        Case(file: "yaml-syntax.yaml", lines: 13...14, column: nil, words: []),
        // The correlations block (lines 10–13) is the place of this error; it names the covariates.
        Case(file: "not-positive-definite.yaml", lines: 10...13, column: nil, words: ["WT", "HT", "AGE"]),
        Case(file: "unknown-control.yaml", lines: 23...23, column: 12, words: ["plaecbo", "control"]),
        // Correlations between etas (model.correlations, line 15) that no covariance matrix has.
        Case(file: "eta-not-positive-definite.yaml", lines: 15...15, column: nil, words: ["CL", "KA"]),
        // Broken custom models: the error points into the expression.
        Case(file: "custom-unknown-name.yaml", lines: 15...15, column: 22, words: ["KINN"]),
        Case(file: "custom-cycle.yaml", lines: 15...15, column: 19, words: ["cycle"]),
        Case(file: "custom-state-without-ode.yaml", lines: 14...14, column: 7, words: ["B", "ODE"]),
        Case(file: "custom-syntax.yaml", lines: 15...15, column: 20, words: ["expected ')'"]),
        // Found only when drawing (fewer than 1 in 1,000 candidates pass): placed at `inclusion`.
        Case(file: "inclusion-rarely-satisfied.yaml", lines: 9...9, column: 3, words: ["Z > 3.5", "of 100000 draws"]),
        // A volume of 0 (no subject could be simulated): refused when read, not by the run.
        Case(file: "zero-volume.yaml", lines: 13...13, column: 31, words: ["V1", "> 0"]),
        // A derived covariate that is not finite for the drawn covariates: found in candidates
        // drawn before the run, placed at the formula.
        Case(file: "derived-not-finite.yaml", lines: 9...9, column: 10, words: ["LWT", "not finite"]),
    ]

    struct Diagnostic { var path: String; var line: Int; var column: Int; var message: String }

    /// Parses `FILE:LINE:COL: error: MESSAGE`; nil for a line of another form.
    static func diagnostic(_ line: Substring) -> Diagnostic? {
        guard let range = line.range(of: ": error: ") else { return nil }
        let place = line[..<range.lowerBound].split(separator: ":", omittingEmptySubsequences: false)
        guard place.count >= 3, let l = Int(place[place.count - 2]), let c = Int(place[place.count - 1]) else { return nil }
        return Diagnostic(path: place.dropLast(2).joined(separator: ":"), line: l, column: c,
                          message: String(line[range.upperBound...]))
    }

    static func run(_ arguments: [String]) throws -> (result: E2E.Result, outExists: Bool) {
        let out = try E2E.temporaryDirectory(create: false)
        defer { E2E.remove(out) }
        let result = try E2E.vtrial(arguments + ["--out", out.path])
        return (result, FileManager.default.fileExists(atPath: out.path))
    }

    @Test("a broken protocol: exit 2, a located error on the right line, nothing written", arguments: cases)
    func brokenProtocol(_ c: Case) throws {
        let path = E2E.fixture("invalid/\(c.file)").path
        let (result, outExists) = try Self.run(["run", path])
        #expect(result.status == 2, "exit status; stderr: \(result.stderr)")
        #expect(!outExists, "the --out directory was created")
        #expect(result.stdout.isEmpty)
        let lines = result.stderr.split(separator: "\n")
        #expect(!lines.isEmpty)
        let located = lines.compactMap(Self.diagnostic)
        #expect(located.count == lines.count, "every stderr line is FILE:LINE:COL: error: …; got:\n\(result.stderr)")
        let hit = located.first { $0.path == path && c.lines.contains($0.line) && (c.column == nil || $0.column == c.column) }
        #expect(hit != nil, "no error at \(c.file):\(c.lines)\(c.column.map { ":\($0)" } ?? ""); got:\n\(result.stderr)")
        if let hit {
            for word in c.words { #expect(hit.message.contains(word), "message lacks \(word): \(hit.message)") }
        }
        // `check` agrees.
        let check = try E2E.vtrial(["check", path])
        #expect(check.status == 2, "vtrial check exit status; stderr: \(check.stderr)")
    }

    @Test("criteria rarely satisfied in a population file: the error is placed in that file, for run, check and cohort")
    func rareInclusionInAPopulationFile() throws {
        let population = E2E.fixture("invalid/rare-inclusion-population.yaml").path
        let protocolPath = E2E.fixture("invalid/rare-inclusion-by-file.yaml").path
        for arguments in [["run", protocolPath], ["check", protocolPath], ["cohort", population, "--subjects", "3"]] {
            let result = arguments[0] == "run" ? try Self.run(arguments).result : try E2E.vtrial(arguments)
            #expect(result.status == 2, "\(arguments[0]): stderr \(result.stderr)")
            #expect(result.stdout.isEmpty || arguments[0] == "check")
            let located = result.stderr.split(separator: "\n").compactMap(Self.diagnostic)
            #expect(located.count == 1, "\(arguments[0]): \(result.stderr)")
            let hit = try #require(located.first)
            #expect(URL(fileURLWithPath: hit.path).standardizedFileURL.path == URL(fileURLWithPath: population).standardizedFileURL.path,
                    "\(arguments[0]) names \(hit.path)")
            #expect(hit.line == 7 && hit.column == 1 && hit.message.contains("Z > 3.5"), "\(arguments[0]): \(result.stderr)")
        }
    }

    @Test("a cohort table row that gives a parameter no valid value is refused at that row, by run and check")
    func cohortRowWithAnInvalidParameter() throws {
        let protocolPath = E2E.fixture("invalid/cohort-row-invalid.yaml").path
        for arguments in [["run", protocolPath], ["check", protocolPath]] {
            let result = arguments[0] == "run" ? try Self.run(arguments).result : try E2E.vtrial(arguments)
            #expect(result.status == 2, "\(arguments[0]): stderr \(result.stderr)")
            let located = result.stderr.split(separator: "\n").compactMap(Self.diagnostic)
            #expect(located.count == 1, "\(arguments[0]): \(result.stderr)")
            let hit = try #require(located.first)
            #expect(hit.path.hasSuffix("cohort-row-invalid.csv") && hit.line == 3 && hit.column == 1, "\(arguments[0]): \(result.stderr)")
            #expect(hit.message == "the typical value of CL for this cohort row (arm active) is -nan and is not finite (WT = -70.0, SEX = M)")
        }
    }

    @Test("several errors of one file are reported in one run")
    func severalErrors() throws {
        let path = E2E.fixture("invalid/several-errors.yaml").path
        let (result, outExists) = try Self.run(["run", path])
        #expect(result.status == 2)
        #expect(!outExists)
        let located = result.stderr.split(separator: "\n").compactMap(Self.diagnostic)
        let places = located.filter { $0.path == path }.map { [$0.line, $0.column] }
        for expected in [[9, 1], [20, 15], [23, 12]] {
            #expect(places.contains(expected), "missing error at line \(expected[0]):\(expected[1]); got:\n\(result.stderr)")
        }
    }

    @Test("an existing --out directory is left unchanged by an invalid protocol")
    func existingOutUnchanged() throws {
        let out = try E2E.temporaryDirectory()
        defer { E2E.remove(out) }
        let marker = out.appendingPathComponent("keep.txt")
        try Data("keep\n".utf8).write(to: marker)
        let result = try E2E.vtrial(["run", E2E.fixture("invalid/unknown-key.yaml").path, "--out", out.path])
        #expect(result.status == 2)
        #expect(try E2E.listing(out) == ["keep.txt"])
        #expect(try E2E.text(marker) == "keep\n")
    }

    @Test("bad options: --threads 0, --shard 3/2, --shard abc, --shard 0/2 → exit 2, nothing written",
          arguments: [["--threads", "0"], ["--shard", "3/2"], ["--shard", "abc"], ["--shard", "0/2"]])
    func badOptions(_ options: [String]) throws {
        let (result, outExists) = try Self.run(["run", E2E.fixture("closed-form-bolus.yaml").path] + options)
        #expect(result.status == 2, "stderr: \(result.stderr)")
        #expect(!outExists)
        #expect(result.stdout.isEmpty)
        #expect(!result.stderr.isEmpty)
    }

    @Test("vtrial without a subcommand is a usage error: exit 2, the help on stderr, nothing on stdout")
    func noSubcommand() throws {
        let result = try E2E.vtrial([])
        #expect(result.status == 2)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains("USAGE: vtrial <subcommand>") && result.stderr.contains("check"))
        let help = try E2E.vtrial(["--help"])
        #expect(help.status == 0 && help.stdout.contains("USAGE: vtrial <subcommand>"))
    }

    @Test("a missing protocol file → exit 2")
    func missingFile() throws {
        let (result, outExists) = try Self.run(["run", E2E.fixture("no-such-protocol.yaml").path])
        #expect(result.status == 2, "stderr: \(result.stderr)")
        #expect(!outExists)
    }
}
