/// Time courses (timecourse.csv, replicate 1): one plot per output variable; per arm the P05–P95
/// and P25–P75 bands and the P50 line over TIME.
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
    private static func percentiles(_ row: TimecourseRecord) -> [Double]? {
        guard let p05 = row.percentile5, let p25 = row.percentile25, let p50 = row.percentile50,
              let p75 = row.percentile75, let p95 = row.percentile95 else { return nil }
        return [p05, p25, p50, p75, p95]
    }

    static func plot(variable: String, rows: [TimecourseRecord], context: ReportContext) -> String {
        let plotted = rows.filter { percentiles($0) != nil }
        let xAxis = PlotAxis.linear(covering: plotted.map(\.time), pixelStart: SVGPlotFrame.plotLeft,
                                    pixelEnd: SVGPlotFrame.plotRight, targetTickCount: 8)
        let values = plotted.flatMap { percentiles($0) ?? [] }
        let frame = SVGPlotFrame(height: plotHeight, xAxis: xAxis,
                                 yAxis: .linear(covering: values, pixelStart: plotHeight - SVGPlotFrame.bottom,
                                                pixelEnd: SVGPlotFrame.top))
        var markup = "<figure><figcaption>\(escapeHTML(variable))</figcaption>"
        markup += frame.openTag(label: "Time course of \(variable) by arm")
        markup += frame.axesMarkup(xTitle: "TIME (h)", yTitle: variable)
        var legend: [(name: String, colour: String)] = []
        for arm in context.arms {
            let series = plotted.filter { $0.arm == arm }.sorted { $0.time < $1.time }
            guard !series.isEmpty else { continue }
            let colour = context.colour(ofArm: arm)
            legend.append((arm, colour))
            func point(_ row: TimecourseRecord, _ value: Double?) -> String {
                svgNumber(frame.xAxis.pixel(row.time)) + "," + svgNumber(frame.yAxis.pixel(value ?? 0))
            }
            func band(_ lower: KeyPath<TimecourseRecord, Double?>, _ upper: KeyPath<TimecourseRecord, Double?>) -> String {
                (series.map { point($0, $0[keyPath: upper]) } + series.reversed().map { point($0, $0[keyPath: lower]) })
                    .joined(separator: " ")
            }
            markup += "<g class=\"arm\" data-arm=\"\(escapeHTML(arm))\">"
            markup += "<polygon class=\"band90\" fill=\"\(colour)\" points=\"\(band(\.percentile5, \.percentile95))\"/>"
            markup += "<polygon class=\"band50\" fill=\"\(colour)\" points=\"\(band(\.percentile25, \.percentile75))\"/>"
            markup += "<polyline class=\"median\" stroke=\"\(colour)\" points=\"\(series.map { point($0, $0.percentile50) }.joined(separator: " "))\"/>"
            markup += "</g>"
        }
        markup += frame.legendMarkup(legend)
        return markup + "</svg></figure>"
    }
}
