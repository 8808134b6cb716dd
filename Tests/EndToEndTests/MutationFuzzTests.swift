import Foundation
import Testing
import VirtualTrial

/// A seeded mutation fuzz test (issue: reliability): random edits of valid protocols — deleted,
/// duplicated and swapped lines, junk values, stray characters, truncation — must each be either
/// accepted or rejected with located errors: decoding and planning never crash, and the binary
/// exits 0 or 2 (never a signal, never a hang). The generator is seeded, so a failure names a
/// mutant that can be reproduced exactly.
@Suite("Mutation fuzzing of protocol files")
struct MutationFuzzTests {
    /// SplitMix64 (Steele et al. 2014): a tiny, seedable generator for choosing edits.
    struct SplitMix64 {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(max(1, n))) }
    }

    static let junk = ["-1", "0", "abc", "1e400", "", "[", "{", "nan", ".inf", "-.inf", "1e12", "\"x\"", "?", "~",
                       "5 furlongs", "10 mg/kg", "[1, 2]", "{a: 1}", "999999999999999999999", "0.0000001", "\"1 +\"",
                       "\"log(-1)\"", "\"if(1, 2)\"", "true", "\u{00e9}", "\"\u{0000}\""]
    static let stray = ["#", ":", "- ", "  ", "\t", "&a", "*a", "!!", "%", "@", "`", "\"", "'", "{", "]", ",", "|", ">"]

    /// One random edit of `text`.
    static func mutate(_ text: String, _ rng: inout SplitMix64) -> String {
        var lines = text.components(separatedBy: "\n")
        guard !lines.isEmpty else { return text }
        let i = rng.below(lines.count)
        switch rng.below(7) {
        case 0: lines.remove(at: i)
        case 1: lines.insert(lines[i], at: i)
        case 2:
            let j = rng.below(lines.count)
            lines.swapAt(i, j)
        case 3:
            // Replace the value after the last ':' (or the whole line) by junk.
            if let colon = lines[i].lastIndex(of: ":") {
                lines[i] = String(lines[i][...colon]) + " " + junk[rng.below(junk.count)]
            } else {
                lines[i] = junk[rng.below(junk.count)]
            }
        case 4:
            var chars = Array(lines[i])
            chars.insert(contentsOf: stray[rng.below(stray.count)], at: rng.below(chars.count + 1))
            lines[i] = String(chars)
        case 5:
            // Replace a number anywhere in the line by a random other number.
            let numbers = ["0", "-3", "1e-300", "1e300", "0.5", "100000000", "2.5"]
            lines[i] = lines[i].replacingOccurrences(of: #"\d+(\.\d+)?"#, with: numbers[rng.below(numbers.count)],
                                                     options: .regularExpression)
        default:
            return String(text.prefix(rng.below(text.count)))
        }
        return lines.joined(separator: "\n")
    }

    static let bases = ["stats.yaml", "closed-form-bolus.yaml", "closed-form-w1.yaml"]

    @Test("Hundreds of mutants: decoding and planning accept or reject, never crash")
    func decodeAndPlanNeverCrash() throws {
        var rng = SplitMix64(state: 20_261_126)
        var accepted = 0, rejected = 0
        for base in Self.bases {
            let text = try E2E.text(E2E.fixture(base))
            for _ in 0..<200 {
                var mutant = Self.mutate(text, &rng)
                if rng.below(3) == 0 { mutant = Self.mutate(mutant, &rng) }
                do {
                    let definition = try ProtocolLoader.load(bytes: Array(mutant.utf8), path: "mutant.yaml")
                    _ = try TrialPlan(definition)
                    accepted += 1
                } catch let error as ProtocolLoadError {
                    #expect(!error.diagnostics.isEmpty, "a rejected mutant must say why:\n\(mutant)")
                    for d in error.diagnostics { #expect(d.line >= 1 && d.column >= 1, "unlocated: \(d)") }
                    rejected += 1
                } catch {
                    rejected += 1
                }
            }
        }
        // Both outcomes must occur, or the mutations are not exercising anything.
        #expect(accepted > 20 && rejected > 100, "accepted \(accepted), rejected \(rejected)")
    }

    @Test("Mutants through the binary: exit 0 or 2, no signal, no hang")
    func binaryExitsCleanly() throws {
        var rng = SplitMix64(state: 7)
        let directory = try E2E.temporaryDirectory()
        defer { E2E.remove(directory) }
        let text = try E2E.text(E2E.fixture("closed-form-bolus.yaml"))
        for n in 0..<40 {
            let mutant = Self.mutate(text, &rng)
            let file = directory.appendingPathComponent("mutant-\(n).yaml")
            try mutant.write(to: file, atomically: true, encoding: .utf8)
            let check = try E2E.vtrial(["check", file.path])
            #expect(check.status == 0 || check.status == 2, "check exited \(check.status) on mutant \(n):\n\(mutant)\n\(check.stderr)")
            guard check.status == 0 else {
                #expect(check.stderr.contains(": error: "), "mutant \(n) rejected without an error message")
                continue
            }
            // Run only mutants that stay small, so a legitimately long run is not mistaken for a hang.
            guard let definition = try? ProtocolLoader.load(path: file.path),
                  Double(definition.subjects) * Double(definition.replicates) * Double(definition.gridCount) < 2e6 else { continue }
            let out = directory.appendingPathComponent("out-\(n)")
            let run = try E2E.vtrial(["run", file.path, "--out", out.path, "--quiet"])
            // A run may fail numerically (exit 1, with a message) but never crash.
            #expect([0, 1, 2].contains(run.status), "run exited \(run.status) on mutant \(n):\n\(mutant)\n\(run.stderr)")
            if run.status != 0 { #expect(!run.stderr.isEmpty) }
        }
    }
}
