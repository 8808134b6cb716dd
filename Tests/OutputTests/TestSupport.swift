import Foundation
@testable import Output

/// SplitMix64 (Steele, Lea & Flood 2014): a small seeded generator so random tests repeat exactly.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}

/// The lines of a committed fixture (see Fixtures/make_fixtures.py), header dropped.
func fixtureRows(_ name: String) throws -> [[Substring]] {
    let url = Bundle.module.resourceURL!.appendingPathComponent("Fixtures").appendingPathComponent(name)
    let text = try String(contentsOf: url, encoding: .utf8)
    return text.split(separator: "\n").dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false) }
}

/// A fresh, empty directory under the system's temporary directory, removed by `cleanUp()`.
struct ScratchDirectory {
    let path: String
    init() throws {
        let base = FileManager.default.temporaryDirectory.path
        path = base + "/output-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    func cleanUp() {
        try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
        try? FileManager.default.removeItem(atPath: path)
    }
    func contents(of relativePath: String = "") -> [String] {
        let full = relativePath.isEmpty ? path : path + "/" + relativePath
        return ((try? FileManager.default.contentsOfDirectory(atPath: full)) ?? []).sorted()
    }
}

func readBytes(_ path: String) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
}

func readText(_ path: String) throws -> String {
    String(decoding: try readBytes(path), as: UTF8.self)
}
