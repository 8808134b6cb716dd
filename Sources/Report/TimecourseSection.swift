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
            // "x,y x,y …" of `value` along the series (then of `back` along it reversed), written as
            // bytes: ~7,000 points per plot for W1, a string and a join per number before.
            func points(_ value: (TimecourseRecord) -> Double?, back: ((TimecourseRecord) -> Double?)? = nil) -> String {
                var bytes: [UInt8] = []
                bytes.reserveCapacity(series.count * (back == nil ? 16 : 32))
                func append(_ row: TimecourseRecord, _ y: Double?) {
                    if !bytes.isEmpty { bytes.append(UInt8(ascii: " ")) }
                    appendSVGNumber(frame.xAxis.pixel(row.time), to: &bytes)
                    bytes.append(UInt8(ascii: ","))
                    appendSVGNumber(frame.yAxis.pixel(y ?? 0), to: &bytes)
                }
                for row in series { append(row, value(row)) }
                if let back { for row in series.reversed() { append(row, back(row)) } }
                return String(decoding: bytes, as: UTF8.self)
            }
            markup += "<g class=\"arm\" data-arm=\"\(escapeHTML(arm))\">"
            markup += "<polygon class=\"band90\" fill=\"\(colour)\" points=\"\(points({ $0.percentile95 }, back: { $0.percentile5 }))\"/>"
            markup += "<polygon class=\"band50\" fill=\"\(colour)\" points=\"\(points({ $0.percentile75 }, back: { $0.percentile25 }))\"/>"
            markup += "<polyline class=\"median\" stroke=\"\(colour)\" points=\"\(points({ $0.percentile50 }))\"/>"
            markup += "</g>"
        }
        markup += frame.legendMarkup(legend)
        return markup + "</svg></figure>"
    }
}
