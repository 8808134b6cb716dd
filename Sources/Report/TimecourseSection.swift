/// Time courses (timecourse.csv, replicate 1): one plot per output variable; per arm the P05–P95
/// and P25–P75 bands and the P50 line over TIME.
import Output

enum TimecourseSection {
    static let plotHeight = 320.0

    static func markup(_ context: ReportContext) -> String {
        var markup = "<section id=\"timecourses\"><h2>Time courses</h2>"
        let rows = context.data.timecourse
        guard !rows.isEmpty else {
            return markup + noneParagraph("timecourse.csv has no rows") + "</section>"
        }
        markup += "<p>Replicate 1, over each arm’s subjects at every grid time. Bands: P05–P95 (light) and "
            + "P25–P75 (darker); line: median (P50).</p>"
        for variable in orderedUnique(rows.map(\.variable)) {
            markup += plot(variable: variable, rows: rows.filter { $0.variable == variable }, context: context)
        }
        return markup + "</section>"
    }

    /// The five percentiles of a row when all are present.
    private static func percentiles(_ row: TimecourseRecord) -> (Double, Double, Double, Double, Double)? {
        guard let p05 = row.percentile5, let p25 = row.percentile25, let p50 = row.percentile50,
              let p75 = row.percentile75, let p95 = row.percentile95 else { return nil }
        return (p05, p25, p50, p75, p95)
    }

    /// A plotted row: its arm (an index into the arms of `plot`'s rows), time and percentiles.
    private struct Point {
        var arm: Int
        var time: Double
        var percentiles: (p05: Double, p25: Double, p50: Double, p75: Double, p95: Double)
    }

    static func plot(variable: String, rows: [TimecourseRecord], context: ReportContext) -> String {
        // The rows with all five percentiles, read once (W1: 1,346 rows, 8,000 numbers to place).
        var armNames: [String] = []
        var plotted: [Point] = []
        plotted.reserveCapacity(rows.count)
        var low = Double.infinity, high = -Double.infinity
        for row in rows {
            guard let p = percentiles(row) else { continue }
            let arm: Int
            if let known = armNames.firstIndex(of: row.arm) { arm = known } else { arm = armNames.count; armNames.append(row.arm) }
            plotted.append(Point(arm: arm, time: row.time, percentiles: p))
            low = Swift.min(low, p.0, p.1, p.2, p.3, p.4)
            high = Swift.max(high, p.0, p.1, p.2, p.3, p.4)
        }
        let xAxis = PlotAxis.linear(covering: plotted.map(\.time), pixelStart: SVGPlotFrame.plotLeft,
                                    pixelEnd: SVGPlotFrame.plotRight, targetTickCount: 8)
        // (The y axis covers every percentile: its smallest and largest are all it reads.)
        let frame = SVGPlotFrame(height: plotHeight, xAxis: xAxis,
                                 yAxis: .linear(covering: plotted.isEmpty ? [] : [low, high], pixelStart: plotHeight - SVGPlotFrame.bottom,
                                                pixelEnd: SVGPlotFrame.top))
        var markup = "<figure><figcaption>\(escapeHTML(variable))</figcaption>"
        markup += frame.openTag(label: "Time course of \(variable) by arm")
        markup += frame.axesMarkup(xTitle: "TIME (h)", yTitle: variable)
        var legend: [(name: String, colour: String)] = []
        for arm in context.arms {
            guard let index = armNames.firstIndex(of: arm) else { continue }
            let series = plotted.filter { $0.arm == index }.sorted { $0.time < $1.time }
            let colour = context.colour(ofArm: arm)
            legend.append((arm, colour))
            // The pixels of the series' times and of its P05, P25, P50, P75 and P95, computed once each.
            let x = series.map { frame.xAxis.pixel($0.time) }
            let y = [series.map { frame.yAxis.pixel($0.percentiles.p05) }, series.map { frame.yAxis.pixel($0.percentiles.p25) },
                     series.map { frame.yAxis.pixel($0.percentiles.p50) }, series.map { frame.yAxis.pixel($0.percentiles.p75) },
                     series.map { frame.yAxis.pixel($0.percentiles.p95) }]
            // "x,y x,y …" along the series of one percentile (then back along another), written
            // straight into the string's storage.
            func points(_ forth: Int, back: Int? = nil) -> String {
                let count = series.count * (back == nil ? 1 : 2)
                return String(unsafeUninitializedCapacity: count * (2 * maximumNumberLength + 2)) { text in
                    var length = 0
                    func append(_ i: Int, _ value: Double) {
                        if length > 0 { text[length] = UInt8(ascii: " "); length += 1 }
                        length += writeSVGNumber(x[i], to: text.baseAddress! + length)
                        text[length] = UInt8(ascii: ",")
                        length += 1
                        length += writeSVGNumber(value, to: text.baseAddress! + length)
                    }
                    for i in series.indices { append(i, y[forth][i]) }
                    if let back { for i in series.indices.reversed() { append(i, y[back][i]) } }
                    return length
                }
            }
            markup += "<g class=\"arm\" data-arm=\"\(escapeHTML(arm))\">"
            markup += "<polygon class=\"band90\" fill=\"\(colour)\" points=\"\(points(4, back: 0))\"/>"
            markup += "<polygon class=\"band50\" fill=\"\(colour)\" points=\"\(points(3, back: 1))\"/>"
            markup += "<polyline class=\"median\" stroke=\"\(colour)\" points=\"\(points(2))\"/>"
            markup += "</g>"
        }
        markup += frame.legendMarkup(legend)
        return markup + "</svg></figure>"
    }
}
