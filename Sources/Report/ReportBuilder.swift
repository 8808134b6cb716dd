import Foundation
import Output

/// Builds report.html — one self-contained page (inline CSS and SVG, no script, no network) — from
/// the files of a results folder (SPEC §6) alone.
///
/// The page is byte-deterministic: the same CSV files and manifest give the same bytes. It holds
/// no clock time (the manifest's `started`/`finished` are not shown, see `ManifestSummary`), no
/// path, and every order comes from the files. Numbers are rounded by `displayNumber` (4
/// significant digits) and SVG coordinates to 0.01 px, both with exact decimal scaling.
///
/// ```
/// try ReportBuilder.writeReport(resultsDirectory: "Results/PKPD-EMAX-DEMO")
/// ```
public enum ReportBuilder {
    /// The name of the page inside the results folder.
    public static let fileName = "report.html"

    /// Reads the results folder at `resultsDirectory` and writes `report.html` into it atomically
    /// (readers see the old page or the complete new one).
    /// - Returns: the SHA-256 of the page's bytes, for a manifest.
    /// - Throws: `ReportError` naming the file (row, column) at fault, or `.writeFailed`.
    /// `known`: what the caller (the runner that wrote the folder) already holds of it, which is
    /// then not read back (`ResultsFolderData.Known`); the page is the same. `syncingDirectory`
    /// as `writeFileAtomically`'s.
    @discardableResult
    public static func writeReport(resultsDirectory: String, known: ResultsFolderData.Known = .init(),
                                   syncingDirectory: Bool = true) throws(ReportError) -> String {
        let html = html(for: try ResultsFolderData(resultsDirectory: resultsDirectory, known: known))
        do {
            return try writeFileAtomically(html, to: resultsDirectory + "/" + fileName, syncingDirectory: syncingDirectory)
        } catch {
            throw .writeFailed(error)
        }
    }

    /// The page text for the results folder at `resultsDirectory`.
    public static func html(resultsDirectory: String) throws(ReportError) -> String {
        html(for: try ResultsFolderData(resultsDirectory: resultsDirectory))
    }

    /// The page text for already-read results.
    public static func html(for data: ResultsFolderData) -> String {
        let context = ReportContext(data)
        let title = "VirtualTrial report — " + data.manifest.protocolFile
        var page = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"/>"
        page += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>"
        page += "<title>\(escapeHTML(title))</title><style>\(PageStyle.css)</style></head>\n<body>"
        page += "<h1>\(escapeHTML(title))</h1>"
        page += "<nav><a href=\"#summary\">Summary</a><a href=\"#timecourses\">Time courses</a>"
            + "<a href=\"#forest\">Comparisons</a><a href=\"#adverse-events\">Adverse events</a>"
            + "<a href=\"#kaplan-meier\">Kaplan–Meier</a><a href=\"#power\">Power</a>"
            + "<a href=\"#efficacy\">Efficacy</a></nav>\n"
        for section in [SummarySection.markup, TimecourseSection.markup, ForestPlotSection.markup,
                        AdverseEventSection.markup, KaplanMeierSection.markup, PowerSection.markup,
                        EfficacySection.markup] {
            page += section(context) + "\n"
        }
        page += "</body></html>\n"
        return page
    }
}
