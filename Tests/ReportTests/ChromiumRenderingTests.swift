import Foundation
import Testing
@testable import Report

/// Renders report.html in headless Chromium (Debian's `chromium` package) and checks that a real
/// page comes out: exit status 0, a PNG 1200 px wide, and more bytes than a screenshot of an empty
/// page taken the same way (a blank or failed page compresses to almost nothing).
@Suite("report.html in headless Chromium")
struct ChromiumRenderingTests {
    static let windowWidth = 1200

    /// The chromium executable on PATH, or `nil`.
    static func chromiumPath() -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = String(directory) + "/chromium"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Screenshots `htmlPath` into `pngPath`; returns chromium's exit status.
    static func screenshot(chromium: String, htmlPath: String, pngPath: String, profile: String) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: chromium)
        process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                             "--user-data-dir=" + profile, "--screenshot=" + pngPath,
                             "--window-size=\(windowWidth),3000", URL(fileURLWithPath: htmlPath).absoluteString]
        // Chromium's diagnostics (D-Bus, GPU) are noise here; the exit status and the file decide.
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// The width in the IHDR chunk of a PNG, or `nil` if `bytes` is not a PNG.
    static func pngWidth(_ bytes: [UInt8]) -> Int? {
        let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        guard bytes.count >= 24, Array(bytes[0..<8]) == signature, Array(bytes[12..<16]) == Array("IHDR".utf8) else {
            return nil
        }
        return bytes[16..<20].reduce(0) { $0 << 8 | Int($1) }
    }

    @Test func rendersANonBlankPage() throws {
        guard let chromium = Self.chromiumPath() else {
            Issue.record("chromium is not installed: run `make test`, which installs it (apt-get install -y chromium)")
            return
        }
        let scratch = try ScratchDirectory()
        defer { scratch.cleanUp() }
        let folder = try copyFixtureResults(into: scratch)
        try ReportBuilder.writeReport(resultsDirectory: folder)
        let emptyPage = scratch.path + "/empty.html"
        try writeText("<!DOCTYPE html><html><head><meta charset=\"utf-8\"/></head><body></body></html>",
                      to: scratch.path, file: "empty.html")

        let reportPNG = scratch.path + "/report.png"
        let emptyPNG = scratch.path + "/empty.png"
        #expect(try Self.screenshot(chromium: chromium, htmlPath: folder + "/report.html", pngPath: reportPNG,
                                    profile: scratch.path + "/profile-report") == 0)
        #expect(try Self.screenshot(chromium: chromium, htmlPath: emptyPage, pngPath: emptyPNG,
                                    profile: scratch.path + "/profile-empty") == 0)
        let report = try readBytes(reportPNG)
        let empty = try readBytes(emptyPNG)
        #expect(Self.pngWidth(report) == Self.windowWidth)
        #expect(Self.pngWidth(empty) == Self.windowWidth)
        // A page of plots and tables compresses far worse than white: demand at least 4 times the bytes.
        #expect(report.count > 4 * empty.count, "report \(report.count) bytes, empty page \(empty.count) bytes")
    }

    @Test func pngWidthReadsIHDR() {
        let header: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13] + Array("IHDR".utf8)
            + [0, 0, 4, 0xB0, 0, 0, 0x0B, 0xB8]
        #expect(Self.pngWidth(header) == 1200)
        #expect(Self.pngWidth(Array(header.dropFirst())) == nil)
    }
}
