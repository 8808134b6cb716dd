import Foundation
import Testing
@testable import Report
#if canImport(FoundationXML)
import FoundationXML
#endif

@Suite("report.html")
struct ReportBuilderTests {
    static let sectionIDs = ["summary", "timecourses", "forest", "adverse-events", "kaplan-meier", "power", "efficacy"]

    @Test func pageParsesAsXMLWithEverySection() throws {
        let html = try ReportBuilder.html(resultsDirectory: fixtureResultsPath)
        #expect(tagNestingProblem(in: html) == nil)
        #if canImport(FoundationXML)
        let document = try XMLDocument(xmlString: html, options: [])
        let ids = try document.nodes(forXPath: "//section/@id").compactMap(\.stringValue)
        #expect(ids == Self.sectionIDs)
        #expect(try document.nodes(forXPath: "//script").isEmpty)
        // One time-course plot per variable, one forest plot per endpoint, one KM plot.
        #expect(try document.nodes(forXPath: "//section[@id='timecourses']//figure").count == 2)
        #expect(try document.nodes(forXPath: "//section[@id='forest']//figure").count == 4)
        #expect(try document.nodes(forXPath: "//section[@id='kaplan-meier']//figure").count == 1)
        #expect(try document.nodes(forXPath: "//section[@id='timecourses']//*[local-name()='polygon']").count == 8)
        #endif
        for id in Self.sectionIDs { #expect(html.contains("<section id=\"\(id)\">")) }
        // No network: the only URL is the SVG namespace name, which is never fetched.
        #expect(!html.replacingOccurrences(of: "http://www.w3.org/2000/svg", with: "").contains("http"))
        #expect(!html.contains(fixtureResultsPath))
        #expect(!html.contains("2026-01-31"))  // run times are not shown (SPEC §7)
        #expect(html.contains("18446744073709551615"))
    }

    @Test func kaplanMeierPathsHaveTheHandComputedCorners() throws {
        let html = try ReportBuilder.html(resultsDirectory: fixtureResultsPath)
        // Replicate 1 only. Time axis [0, 4] over x 80…780 px (175 px per h); survival [0, 1] over
        // y 290…20 px (S = 0.75 → 87.5, 0.5 → 155, 0 → 290).
        // placebo: events at 1, 2 (S = 0.75, 0.5), censored at 3, event at 4 (S = 0).
        #expect(html.contains("d=\"M80,20 L255,20 L255,87.5 L430,87.5 L430,155 L780,155 L780,290\""))
        // high-dose: event at 2 (S = 0.75), censored at 3, 4, 4.
        #expect(html.contains("d=\"M80,20 L430,20 L430,87.5 L780,87.5\""))
        // The censoring tick of placebo at t = 3, S = 0.5: ±5 px around y = 155.
        #expect(html.contains("x1=\"605\" y1=\"150\" x2=\"605\" y2=\"160\""))
    }

    @Test func ratiosGetALogAxisAndTheNullLineAtOne() throws {
        let html = try ReportBuilder.html(resultsDirectory: fixtureResultsPath)
        #expect(html.contains("TTE — ratio arm/control (log axis)"))
        #expect(html.contains("AUC — ratio arm/control (log axis)"))
        #expect(html.contains("E_CHG — difference arm − control"))
        #expect(html.contains("AE:Neutropenia — difference arm − control"))
        // E_CHG: estimate 4 [2, 6] on a linear axis [0, 6] over 240…700 px: null at 240, square at
        // 546.67 − 5.
        #expect(html.contains("<line class=\"null\" x1=\"240\""))
        #expect(html.contains("4 [2, 6]"))
    }

    @Test func adverseEventGradesCountReplicateOne() throws {
        let html = try ReportBuilder.html(resultsDirectory: fixtureResultsPath)
        // high-dose Neutropenia in replicate 1: grades 1, 3, 3 (the grade-4 row is replicate 2).
        #expect(html.contains("<tr><td>Neutropenia</td><td>high-dose</td><td class=\"num\">1</td><td class=\"num\">0</td><td class=\"num\">2</td><td class=\"num\">3</td></tr>"))
        #expect(html.contains("Rash, &quot;severe&quot;"))
        // Mean incidence of high-dose Neutropenia over replicates: (0.75 + 0.25) / 2.
        #expect(html.contains("<td>Neutropenia</td><td>high-dose</td><td class=\"num\">2</td><td class=\"num\">4</td><td class=\"num\">2</td><td class=\"num\">0.5</td>"))
    }

    @Test func efficacyShowsReplicateOneAndTheMeanOverReplicates() throws {
        let html = try ReportBuilder.html(resultsDirectory: fixtureResultsPath)
        // TTE placebo: 3 events and MEDIAN_TIME 2 in replicate 1; MEDIAN_TIME 2 and 3 → mean 2.5.
        #expect(html.contains("<td class=\"num\">3</td><td class=\"num\">2</td><td class=\"num\">–</td><td class=\"num\">–</td><td class=\"num\">2.5</td></tr>"))
        // E_CHG placebo: SD 1.2909944487358056 shown to 4 significant digits.
        #expect(html.contains("<td>E_CHG</td><td>placebo</td><td class=\"num\">4</td><td class=\"num\">-8.5</td><td class=\"num\">1.291</td>"))
    }

    @Test func powerShowsSuccessCriteriaRows() throws {
        let html = try ReportBuilder.html(resultsDirectory: fixtureResultsPath)
        #expect(html.contains("ALL_PRIMARY (ALL)"))
        #expect(html.contains("E_CHG · high-dose (WELCH_T)"))
    }

    @Test func twoBuildsAreByteEqualWhereverTheFolderIs() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.cleanUp() }
        let first = try copyFixtureResults(into: scratch, name: "first")
        let second = try copyFixtureResults(into: scratch, name: "second-copy")
        let hash = try ReportBuilder.writeReport(resultsDirectory: first)
        let firstBytes = try readBytes(first + "/report.html")
        try ReportBuilder.writeReport(resultsDirectory: first)  // rebuilding replaces it identically
        try ReportBuilder.writeReport(resultsDirectory: second)
        #expect(try readBytes(first + "/report.html") == firstBytes)
        #expect(try readBytes(second + "/report.html") == firstBytes)
        #expect(hash.count == 64)
        #expect(try ReportBuilder.html(resultsDirectory: first) == String(decoding: firstBytes, as: UTF8.self))
    }

    @Test func headerOnlyFilesGiveNoneSections() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.cleanUp() }
        let folder = try copyFixtureResults(into: scratch)
        for file in ResultsFolderData.fileNames where file.hasSuffix(".csv") {
            try writeText(try headerLine(of: file), to: folder, file: file)
        }
        let html = try ReportBuilder.html(resultsDirectory: folder)
        #expect(tagNestingProblem(in: html) == nil)
        for expected in ["timecourse.csv has no rows", "comparisons.csv has no rows", "safety.csv has no rows",
                         "adverse_events.csv has no rows", "endpoints.csv has no time-to-event rows",
                         "power.csv has no rows", "efficacy.csv has no rows", "subjects.csv has no rows"] {
            #expect(html.contains("<p class=\"none\">none — \(expected)"), "\(expected)")
        }
        #expect(!html.contains("<svg"))
        #if canImport(FoundationXML)
        _ = try XMLDocument(xmlString: html, options: [])
        #endif
    }

    @Test func armNamesAreEscaped() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.cleanUp() }
        let folder = try copyFixtureResults(into: scratch)
        let hostile = "<script>alert(\"x&y\")</script>"
        let quoted = "\"" + hostile.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        for file in ResultsFolderData.fileNames where file.hasSuffix(".csv") {
            let text = try String(contentsOfFile: folder + "/" + file, encoding: .utf8)
            try writeText(text.replacingOccurrences(of: "high-dose", with: quoted), to: folder, file: file)
        }
        let data = try ResultsFolderData(resultsDirectory: folder)
        #expect(data.subjects.arms.last?.name == hostile)
        let html = ReportBuilder.html(for: data)
        #expect(!html.contains("<script"))
        #expect(html.contains("&lt;script&gt;alert(&quot;x&amp;y&quot;)&lt;/script&gt;"))
        #expect(tagNestingProblem(in: html) == nil)
        #if canImport(FoundationXML)
        _ = try XMLDocument(xmlString: html, options: [])
        #endif
    }

    @Test func tagCheckerFindsMisnesting() {
        #expect(tagNestingProblem(in: "<p><b>x</p></b>") == "</p> closes <b>")
        #expect(tagNestingProblem(in: "<div><br><svg/></div>") == nil)
        #expect(tagNestingProblem(in: "<div>") == "unclosed <div>")
    }
}
