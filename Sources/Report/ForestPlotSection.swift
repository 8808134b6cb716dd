/// Forest plots of comparisons.csv: per endpoint (or AE term) one plot, a row per arm versus the
/// control, with the replicate-averaged estimate and interval (see `ComparisonSummary`) and the
/// no-effect line — 0 for differences, 1 on a logarithmic axis for ratios.
enum ForestPlotSection {
    static let width = 960.0
    static let labelWidth = 230.0
    static let plotLeft = 240.0
    static let plotRight = 700.0
    static let rowHeight = 28.0
    static let top = 16.0
    static let axisHeight = 46.0

    static func markup(_ context: ReportContext) -> String {
        var markup = "<section id=\"forest\"><h2>Comparisons (forest plots)</h2>"
        let summaries = ComparisonSummary.summaries(of: context.data.comparisons)
        guard !summaries.isEmpty else {
            return markup + noneParagraph("comparisons.csv has no rows (no analysis, or a single arm)") + "</section>"
        }
        markup += "<p>Square: the estimate averaged over replicates (geometric mean for ratios); line: the "
            + "averaged confidence limits (the typical single-trial interval). Dashed: no effect.</p>"
        // One plot per endpoint and scale, in first-appearance order.
        var groupKeys: [String] = []
        for summary in summaries {
            let key = summary.endpoint + (summary.isRatio ? "\u{1F}ratio" : "\u{1F}difference")
            if !groupKeys.contains(key) { groupKeys.append(key) }
        }
        for key in groupKeys {
            let group = summaries.filter { $0.endpoint + ($0.isRatio ? "\u{1F}ratio" : "\u{1F}difference") == key }
            markup += plot(group, context: context)
        }
        let rows = summaries.map { summary -> [String] in
            [summary.endpoint, summary.arm, summary.control, summary.method, summary.isRatio ? "ratio" : "difference",
             displayNumber(summary.estimate), displayNumber(summary.lower), displayNumber(summary.upper),
             "\(summary.definedReplicates)/\(summary.replicates)",
             displayNumber(summary.firstEstimate) + " [" + displayNumber(summary.firstLower) + ", "
                + displayNumber(summary.firstUpper) + "]",
             "\(summary.significant)/\(summary.replicates)"]
        }
        markup += htmlTable(headers: ["Endpoint", "Arm", "Control", "Method", "Scale", "Mean estimate",
                                      "Mean CI lower", "Mean CI upper", "Replicates averaged",
                                      "Replicate 1 [CI]", "Significant"],
                            rows: rows, numericColumns: [5, 6, 7, 8, 10])
        return markup + "</section>"
    }

    static func plot(_ group: [ComparisonSummary], context: ReportContext) -> String {
        let isRatio = group[0].isRatio
        let values = group.flatMap { [$0.estimate, $0.lower, $0.upper].compactMap { $0 } }
        let null = isRatio ? 1.0 : 0.0
        let axis = isRatio
            ? PlotAxis.logarithmic(covering: values, alsoInclude: [null], pixelStart: plotLeft, pixelEnd: plotRight)
            : PlotAxis.linear(covering: values, alsoInclude: [null], pixelStart: plotLeft, pixelEnd: plotRight)
        let plotBottom = top + rowHeight * Double(group.count)
        let height = plotBottom + axisHeight
        let endpoint = group[0].endpoint
        var markup = "<figure><figcaption>\(escapeHTML(endpoint))"
            + (isRatio ? " — ratio arm/control (log axis)" : " — difference arm − control") + "</figcaption>"
        markup += svgOpenTag(width: width, height: height, label: "Forest plot of \(endpoint)")
        // Axis: ticks, labels, no-effect line.
        markup += horizontalAxisMarkup(axis, top: top, bottom: plotBottom, left: plotLeft, right: plotRight)
        let nullX = svgNumber(axis.pixel(null))
        markup += "<line class=\"null\" x1=\"\(nullX)\" y1=\"\(svgNumber(top - 6))\" x2=\"\(nullX)\" y2=\"\(svgNumber(plotBottom))\"/>"
        markup += "<text class=\"title\" x=\"\(svgNumber((plotLeft + plotRight) / 2))\" y=\"\(svgNumber(height - 6))\" text-anchor=\"middle\">"
            + (isRatio ? "ratio (log scale)" : "difference") + "</text>"
        markup += "</g>"
        for (index, summary) in group.enumerated() {
            let y = svgNumber(top + rowHeight * (Double(index) + 0.5))
            let colour = context.colour(ofArm: summary.arm)
            markup += "<g class=\"row\">"
            markup += "<text x=\"\(svgNumber(labelWidth))\" y=\"\(y)\" text-anchor=\"end\" dominant-baseline=\"middle\">\(escapeHTML(summary.arm)) vs \(escapeHTML(summary.control))</text>"
            if let lower = summary.lower, let upper = summary.upper {
                markup += "<line class=\"interval\" stroke=\"\(colour)\" x1=\"\(svgNumber(axis.pixel(lower)))\" y1=\"\(y)\" x2=\"\(svgNumber(axis.pixel(upper)))\" y2=\"\(y)\"/>"
            }
            if let estimate = summary.estimate {
                let x = axis.pixel(estimate)
                markup += "<rect fill=\"\(colour)\" x=\"\(svgNumber(x - 5))\" y=\"\(svgNumber(top + rowHeight * (Double(index) + 0.5) - 5))\" width=\"10\" height=\"10\"/>"
            }
            let text = summary.estimate == nil
                ? "undefined in every replicate"
                : displayNumber(summary.estimate) + " [" + displayNumber(summary.lower) + ", " + displayNumber(summary.upper) + "]"
            markup += "<text x=\"\(svgNumber(plotRight + 16))\" y=\"\(y)\" dominant-baseline=\"middle\">\(escapeHTML(text))</text>"
            markup += "</g>"
        }
        return markup + "</svg></figure>"
    }
}
