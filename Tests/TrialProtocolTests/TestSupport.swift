import Foundation
import Testing
@testable import TrialProtocol

/// Writes files into a fresh temporary folder and loads them as the user would.
struct TemporaryFolder {
    let path: String

    init() {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("trialprotocol-tests-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    @discardableResult
    func write(_ name: String, _ text: String) -> String {
        let file = path + "/" + name
        try? FileManager.default.createDirectory(atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: file, contents: Data(text.utf8))
        return file
    }

    @discardableResult
    func write(_ name: String, bytes: [UInt8]) -> String {
        let file = path + "/" + name
        _ = FileManager.default.createFile(atPath: file, contents: Data(bytes))
        return file
    }
}

enum Fixtures {
    static var folder: String { Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.path }
}

/// Loads `yaml` as a protocol and returns its diagnostics as `LINE:COLUMN: error: MESSAGE` (the
/// file name stripped; other files keep `FILE:` with their base name). Empty when it loads.
func protocolErrors(_ yaml: String, files: [String: String] = [:]) -> [String] {
    let folder = TemporaryFolder()
    for (name, text) in files { folder.write(name, text) }
    let path = folder.write("protocol.yaml", yaml)
    return errors { () throws(ProtocolLoadError) in _ = try ProtocolLoader.load(path: path) }
}

func populationErrors(_ yaml: String, files: [String: String] = [:]) -> [String] {
    let folder = TemporaryFolder()
    for (name, text) in files { folder.write(name, text) }
    let path = folder.write("population.yaml", yaml)
    return errors { () throws(ProtocolLoadError) in _ = try ProtocolLoader.loadPopulation(path: path) }
}

private func errors(_ body: () throws(ProtocolLoadError) -> Void) -> [String] {
    do {
        try body()
        return []
    } catch {
        return error.diagnostics.map { d in
            let base = d.file.split(separator: "/").last.map(String.init) ?? d.file
            let prefix = base == "protocol.yaml" || base == "population.yaml" ? "" : base + ":"
            return "\(prefix)\(d.line):\(d.column): error: \(d.message)"
        }
    }
}

func loadProtocol(_ yaml: String, files: [String: String] = [:]) throws(ProtocolLoadError) -> ProtocolDefinition {
    let folder = TemporaryFolder()
    for (name, text) in files { folder.write(name, text) }
    return try ProtocolLoader.load(path: folder.write("protocol.yaml", yaml))
}

/// A small valid protocol; tests replace one line to provoke one error.
let minimalProtocol = """
protocol: TEST
seed: 1
subjects: 40
duration: 7 d
population:
  covariates:
    WT: { dist: normal, mean: 70, sd: 10 }
    SEX: { dist: categorical, levels: { M: 0.5, F: 0.5 } }
model:
  pk: { compartments: 1, absorption: oral }
  pd: { type: emax }
  parameters: { CL: 5 L/h, V: 50 L, KA: 1, E0: 100, EMAX: -40, EC50: 1 }
arms:
  - name: placebo
  - name: active
    dosing: { amount: 100 mg, every: 24 h, doses: 7 }
endpoints:
  - id: E_D7
    variable: E
    at: 7 d
adverse_events:
  - term: Hypotension
    when: "E < 60"
analysis:
  control: placebo
  sided: two

"""

extension String {
    /// The text with `old` replaced by `new` (exactly once; the test fails to find its error
    /// otherwise).
    func replacing(_ old: String, with new: String) -> String {
        if !self.contains(old) { Issue.record("fixture does not contain \(old)") }
        return self.replacingOccurrences(of: old, with: new)
    }
}
