import Foundation
@testable import Report

/// A fresh, empty directory under the system's temporary directory, removed by `cleanUp()`.
struct ScratchDirectory {
    let path: String
    init() throws {
        path = FileManager.default.temporaryDirectory.path + "/report-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    func cleanUp() {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// The committed example results folder (Fixtures/results): two arms, two replicates, every file.
let fixtureResultsPath = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/results").path

/// Copies the fixture results folder to `scratch/name` and returns its path.
func copyFixtureResults(into scratch: ScratchDirectory, name: String = "DEMO") throws -> String {
    let destination = scratch.path + "/" + name
    try FileManager.default.copyItem(atPath: fixtureResultsPath, toPath: destination)
    return destination
}

/// Writes `text` to `folder/file`, replacing it.
func writeText(_ text: String, to folder: String, file: String) throws {
    try Data(text.utf8).write(to: URL(fileURLWithPath: folder + "/" + file))
}

func readBytes(_ path: String) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
}

/// The header line of a fixture file: a header-only copy makes an "empty" file.
func headerLine(of file: String) throws -> String {
    let text = try String(contentsOfFile: fixtureResultsPath + "/" + file, encoding: .utf8)
    return String(text.split(separator: "\n", maxSplits: 1)[0]) + "\n"
}

/// Checks that start and end tags nest properly (void and self-closed elements aside); returns
/// the first problem, or `nil`. A small stand-in for an XML parser where none is available.
func tagNestingProblem(in html: String) -> String? {
    let voidElements: Set<String> = ["meta", "br", "hr", "img", "input", "link"]
    var stack: [String] = []
    var remainder = html[...]
    while let open = remainder.firstIndex(of: "<") {
        guard let close = remainder[open...].firstIndex(of: ">") else { return "unterminated tag" }
        let tag = remainder[remainder.index(after: open)..<close]
        remainder = remainder[remainder.index(after: close)...]
        if tag.hasPrefix("!") { continue }
        let selfClosing = tag.hasSuffix("/")
        let isEnd = tag.hasPrefix("/")
        let name = String(tag.drop { $0 == "/" }.prefix { !$0.isWhitespace && $0 != "/" })
        if selfClosing || voidElements.contains(name) { continue }
        if isEnd {
            guard stack.last == name else { return "</\(name)> closes <\(stack.last ?? "nothing")>" }
            stack.removeLast()
        } else {
            stack.append(name)
        }
    }
    return stack.isEmpty ? nil : "unclosed <\(stack.last!)>"
}
