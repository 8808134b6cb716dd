import Foundation
import Output
import Testing
@testable import Report

@Suite("Display numbers, axes, Kaplan–Meier, ratio rule")
struct NumbersAndEstimatorsTests {
    @Test func displayNumberRoundsToFourSignificantDigits() {
        #expect(displayNumber(2.0 / 3.0) == "0.6667")
        #expect(displayNumber(1_234_567) == "1235000")
        #expect(displayNumber(-1.23456) == "-1.235")
        #expect(displayNumber(0.5) == "0.5")
        #expect(displayNumber(0) == "0")
        #expect(displayNumber(-0.0) == "0")
        #expect(displayNumber(0.1 + 0.2) == "0.3")
        #expect(displayNumber(nil as Double?) == "–")
        #expect(svgNumber(87.5) == "87.5")
        #expect(svgNumber(1.0 / 3.0) == "0.33")
    }

    @Test func svgCoordinatesWrittenFromTheirHundredthsAreFormatNumbersText() {
        // `writeSVGNumber`'s integer path against `formatNumber` of the rounded value: every
        // hundredth within ±2,000, then values around powers of ten, halves, and large ones (up
        // to 10¹⁰, and beyond, where `formatNumber` writes them).
        func written(_ v: Double) -> String {
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: maximumNumberLength) { text in
                String(decoding: UnsafeBufferPointer(rebasing: text[0..<writeSVGNumber(v, to: text.baseAddress!)]), as: UTF8.self)
            }
        }
        var values = (-200_000...200_000).map { Double($0) / 100 }
        for e in -3...14 {
            let p = pow(10, Double(e))
            values += [p, -p, p.nextUp, p.nextDown, p * 1.005, p + 0.005, p - 0.005, p * 0.999_999]
        }
        values += [0.004_999, 0.005, -0.005, 0.015, 1e12 / 100 - 0.01, 123_456_789.125, 9_999_999_999.995, .pi * 1e9, -0.0, 0]
        for v in values {
            #expect(written(v) == svgNumber(v), "\(v)")
        }
        #expect(written(87.5) == "87.5" && written(-0.1) == "-0.1" && written(100) == "100" && written(0.004) == "0")
    }

    @Test func linearAxisSnapsToNiceSteps() {
        let axis = PlotAxis.linear(covering: [0.3, 4.2], pixelStart: 0, pixelEnd: 100, targetTickCount: 4)
        // (4.2 − 0.3) / 4 = 0.975 → step 1; interval widened to [0, 5].
        #expect(axis.lower == 0)
        #expect(axis.upper == 5)
        #expect(axis.ticks == [0, 1, 2, 3, 4, 5])
        #expect(axis.pixel(2.5) == 50)
    }

    /// Values that differ only in their last digits: with a step of their range, the tick
    /// indices would be near 2^53, where adding 1 changes nothing, and the ticks never ended (a
    /// run hung building its report). The step is at least 2^-50 of the magnitude: 1e17 and
    /// 1e17 + 16 get the step 100 (≥ 1e17·2^-50 = 88.8) and ticks 1e17 − 0 … on whole steps.
    @Test func linearAxisOfValuesCloseTogetherFarFromZero() {
        let axis = PlotAxis.linear(covering: [1e17, 1e17 + 16], pixelStart: 0, pixelEnd: 100)
        #expect(axis.ticks == [1e17, 1e17 + 100])
        #expect(axis.lower == 1e17 && axis.upper == 1e17 + 100)
        let wide = PlotAxis.linear(covering: [-1e308, 1e308], pixelStart: 0, pixelEnd: 100)
        #expect(wide.ticks == [-1e308, 1e308])
    }

    @Test func logarithmicAxisTicksAtOneTwoFive() {
        let axis = PlotAxis.logarithmic(covering: [0.05, 1.25], alsoInclude: [1], pixelStart: 0, pixelEnd: 100)
        #expect(axis.ticks == [0.05, 0.1, 0.2, 0.5, 1])
        #expect(axis.pixel(axis.lower) == 0)
    }

    @Test func kaplanMeierOfFourSubjects() {
        // Events at 1 and 2 (4 then 3 at risk), a censoring at 3, an event at 4 (1 at risk):
        // S = 3/4, 3/4 · 2/3 = 1/2, 1/2 · 0 = 0.
        let curve = KaplanMeierCurve(observations: [(4, false), (3, true), (1, false), (2, false)])
        #expect(curve.steps.map(\.survival) == [0.75, 0.5, 0])
        #expect(curve.steps.map(\.atRisk) == [4, 3, 1])
        #expect(curve.censorings.map(\.time) == [3])
        #expect(curve.censorings.map(\.survival) == [0.5])
        #expect(curve.stepPoints.map(\.time) == [0, 1, 1, 2, 2, 4, 4])
        #expect(curve.stepPoints.map(\.survival) == [1, 1, 0.75, 0.75, 0.5, 0.5, 0])
    }

    @Test func kaplanMeierCountsACensoringAtAnEventTimeAsAtRisk() {
        // Tied at 2: the event sees 2 at risk (the censored subject included): S = 1/2.
        let curve = KaplanMeierCurve(observations: [(2, true), (2, false)])
        #expect(curve.steps == [KaplanMeierCurve.Step(time: 2, survival: 0.5, atRisk: 2, events: 1)])
        #expect(curve.censorings.map(\.survival) == [0.5])
    }

    @Test func ratioRule() {
        // exp(d ± h): symmetric on the log scale only.
        let logInterval = (estimate: exp(0.1), lower: exp(-0.1), upper: exp(0.3))
        #expect(ComparisonSummary.isRatio(method: "WELCH_T", intervals: [logInterval]))
        #expect(ComparisonSummary.isRatio(method: "ANCOVA", intervals: [logInterval]))
        // d ± h with positive bounds: a difference.
        #expect(!ComparisonSummary.isRatio(method: "WELCH_T", intervals: [(1.1, 0.9, 1.3)]))
        #expect(!ComparisonSummary.isRatio(method: "WELCH_T", intervals: [(4, 2, 6)]))
        // Hazard ratios always; risk differences never; no interval: a difference.
        #expect(ComparisonSummary.isRatio(method: "COX_PH", intervals: []))
        #expect(!ComparisonSummary.isRatio(method: "RISK_DIFF", intervals: [logInterval]))
        #expect(!ComparisonSummary.isRatio(method: "WELCH_T", intervals: []))
    }

    @Test func forestSummaryAveragesRatiosGeometrically() throws {
        let data = try ResultsFolderData(resultsDirectory: fixtureResultsPath)
        let summaries = ComparisonSummary.summaries(of: data.comparisons)
        #expect(summaries.map(\.endpoint) == ["E_CHG", "AUC", "TTE", "AE:Neutropenia"])
        #expect(summaries.map(\.isRatio) == [false, true, true, false])
        #expect(summaries[0].estimate == 4)
        // Replicates exp(0.1 ± 0.2) and exp(0.3 ± 0.2): geometric mean exp(0.2) (to rounding).
        let auc = try #require(summaries[1].estimate)
        #expect(abs(auc - exp(0.2)) <= 1e-12)
        #expect(summaries[1].firstEstimate == exp(0.1))
        #expect(summaries[0].significant == 2)
    }
}
