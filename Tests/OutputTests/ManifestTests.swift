import Foundation
import Testing
@testable import Output

@Suite struct ManifestTests {
    @Test func manifestTextIsExact() {
        var manifest = Manifest(
            specVersion: "1.0", engineVersion: "0.1.0", protocolFile: "abc-101.yaml",
            protocolSHA256: String(repeating: "ab", count: 32), seed: 18_446_744_073_709_551_615,
            replicates: 200, subjects: 300, threads: 2,
            started: Date(timeIntervalSince1970: 1_700_000_000.75),  // 2023-11-14T22:13:20Z
            finished: Date(timeIntervalSince1970: 1_700_000_012), wallSeconds: 11.25,
            extra: [JSONMember("shard", .object([JSONMember("index", .integer(2)), JSONMember("count", .integer(8))]))])
        manifest.files["subjects.csv"] = String(repeating: "1", count: 64)
        manifest.files["adverse_events.csv"] = String(repeating: "2", count: 64)
        manifest.files["Z.csv"] = String(repeating: "3", count: 64)
        let expected = """
        {
          "spec_version": "1.0",
          "engine_version": "0.1.0",
          "protocol": "abc-101.yaml",
          "protocol_sha256": "\(String(repeating: "ab", count: 32))",
          "seed": 18446744073709551615,
          "replicates": 200,
          "subjects": 300,
          "threads": 2,
          "started": "2023-11-14T22:13:20Z",
          "finished": "2023-11-14T22:13:32Z",
          "wall_seconds": 11.25,
          "files": {
            "Z.csv": "\(String(repeating: "3", count: 64))",
            "adverse_events.csv": "\(String(repeating: "2", count: 64))",
            "subjects.csv": "\(String(repeating: "1", count: 64))"
          },
          "shard": {
            "index": 2,
            "count": 8
          }
        }

        """
        #expect(manifest.jsonText() == expected)
    }

    @Test func stringsAreEscaped() {
        let value = JSONValue.string("q\" b\\ /\n\r\t\u{8}\u{c}\u{1}\u{1f} é 😀")
        #expect(value.jsonText() == "\"q\\\" b\\\\ /\\n\\r\\t\\b\\f\\u0001\\u001f é 😀\"")
    }

    @Test func containersAndScalarsHaveOneLayout() {
        let value = JSONValue.object([
            JSONMember("empty_object", .object([])), JSONMember("empty_array", .array([])),
            JSONMember("list", .array([.integer(-1), .number(-0.0), .number(.nan), .bool(true), .null])),
        ])
        #expect(value.jsonText() == """
        {
          "empty_object": {},
          "empty_array": [],
          "list": [
            -1,
            0,
            null,
            true,
            null
          ]
        }
        """)
    }

    /// Foundation's JSON parser must read the text back to the same values.
    @Test func textParsesAsJSON() throws {
        let manifest = Manifest(
            specVersion: "1.0", engineVersion: "x\"y", protocolFile: "p.yaml", protocolSHA256: "00",
            seed: 7, replicates: 1, subjects: 2, threads: 3, started: Date(timeIntervalSince1970: 0),
            finished: Date(timeIntervalSince1970: 86_399), wallSeconds: 1e-5, files: ["a.csv": "ff"])
        let object = try JSONSerialization.jsonObject(with: Data(manifest.jsonText().utf8)) as? [String: Any]
        #expect(object?["engine_version"] as? String == "x\"y")
        #expect(object?["started"] as? String == "1970-01-01T00:00:00Z")
        #expect(object?["finished"] as? String == "1970-01-01T23:59:59Z")
        #expect((object?["wall_seconds"] as? NSNumber)?.doubleValue == 1e-5)
        #expect((object?["files"] as? [String: String]) == ["a.csv": "ff"])
    }

    @Test func isoDatesBeforeTheEpochAndLeapDays() {
        #expect(iso8601UTC(Date(timeIntervalSince1970: -0.5)) == "1969-12-31T23:59:59Z")
        #expect(iso8601UTC(Date(timeIntervalSince1970: 951_782_400)) == "2000-02-29T00:00:00Z")
        // Against the C library's gmtime_r (an independent calendar): around every Feb 28, Feb 29
        // (or Mar 1) and New Year from 1900 to 2400, at the last second of one day and the first
        // of the next, and at times spread through the days (a step of 9,999,991 s, prime to the
        // day).
        func expectAgreement(_ probe: Int64) {
            var seconds = time_t(probe)
            var parts = tm()
            gmtime_r(&seconds, &parts)
            let expected = String(format: "%04d-%02d-%02dT%02d:%02d:%02dZ", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday,
                                  parts.tm_hour, parts.tm_min, parts.tm_sec)
            #expect(iso8601UTC(Date(timeIntervalSince1970: Double(probe))) == expected)
        }
        var day: Int64 = -25_567   // 1900-01-01
        while day < 157_054 {      // 2400-01-01 + a year
            var seconds = time_t(day * 86_400)
            var parts = tm()
            gmtime_r(&seconds, &parts)
            let (month, date) = (parts.tm_mon + 1, parts.tm_mday)
            if (month == 2 && date >= 28) || (month == 3 && date == 1) || (month == 1 && date == 1) || (month == 12 && date == 31) {
                expectAgreement(day * 86_400 - 1)
                expectAgreement(day * 86_400)
                expectAgreement(day * 86_400 + 86_399)
            }
            day += 1
        }
        var t: Int64 = -2_208_988_800
        while t < 13_574_563_200 {
            expectAgreement(t)
            t += 9_999_991
        }
        #expect(iso8601UTC(Date(timeIntervalSince1970: 4_107_542_400)) == "2100-03-01T00:00:00Z")   // 2100 is not a leap year
        #expect(iso8601UTC(Date(timeIntervalSince1970: 4_107_542_399)) == "2100-02-28T23:59:59Z")
    }
}
