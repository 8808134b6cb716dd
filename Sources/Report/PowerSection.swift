/// Power (power.csv): the table as written, and a bar per row — endpoint × arm × method, then the
/// success criteria (empty ARM) — with the exact Clopper–Pearson interval of the power.
enum PowerSection {
    static let width = 960.0
    static let labelWidth = 330.0
    static let plotLeft = 340.0
    static let plotRight = 780.0
    static let rowHeight = 24.0
    static let top = 12.0
    static let axisHeight = 46.0
    /// A conventional design target, drawn as a dashed reference line.
    static let targetPower = 0.8
    /// The colour of success-criterion rows, which belong to no arm.
    static let criterionColour = "#555555"

    static func label(_ row: PowerRecord) -> String {
        if let arm = row.arm { return "\(row.endpoint) · \(arm) (\(row.method))" }
        return "\(row.endpoint) (\(row.method))"
    }

    static func markup(_ context: ReportContext) -> String {
        var markup = "<section id=\"power\"><h2>Power</h2>"
        let rows = context.data.power
        guard !rows.isEmpty else {
            return markup + noneParagraph("power.csv has no rows (no analysis, or a single arm)") + "</section>"
        }
        markup += "<p>Bar: POWER, the share of replicates with SIGNIFICANT = 1; line: its Clopper–Pearson "
            + "interval (CI_LOWER, CI_UPPER). Grey bars are success criteria (ALL / ANY over comparisons). "
            + "Dashed: 80 %.</p>"
        markup += chart(rows, context: context)
        markup += htmlTable(
            headers: ["Endpoint", "Arm", "Control", "Method", "Replicates", "Significant", "Power", "CI lower",
                      "CI upper", "Mean estimate"],
            rows: rows.map {
                [$0.endpoint, $0.arm ?? "–", $0.control ?? "–", $0.method, String($0.replicates), String($0.significant),
                 displayNumber($0.power), displayNumber($0.lower), displayNumber($0.upper), displayNumber($0.meanEstimate)]
            },
            numericColumns: [4, 5, 6, 7, 8, 9])
        return markup + "</section>"
    }

    static func chart(_ rows: [PowerRecord], context: ReportContext) -> String {
        let axis = PlotAxis.fixed(lower: 0, upper: 1, step: 0.2, pixelStart: plotLeft, pixelEnd: plotRight)
        let plotBottom = top + rowHeight * Double(rows.count)
        let height = plotBottom + axisHeight
        var markup = svgOpenTag(width: width, height: height, label: "Power by endpoint and arm")
        markup += horizontalAxisMarkup(axis, top: top, bottom: plotBottom, left: plotLeft, right: plotRight)
        let targetX = svgNumber(axis.pixel(targetPower))
        markup += "<line class=\"null\" x1=\"\(targetX)\" y1=\"\(svgNumber(top))\" x2=\"\(targetX)\" y2=\"\(svgNumber(plotBottom))\"/>"
        markup += "<text class=\"title\" x=\"\(svgNumber((plotLeft + plotRight) / 2))\" y=\"\(svgNumber(height - 6))\" text-anchor=\"middle\">power</text></g>"
        for (index, row) in rows.enumerated() {
            let rowTop = top + rowHeight * Double(index)
            let y = svgNumber(rowTop + rowHeight / 2)
            let colour = row.arm.map { context.colour(ofArm: $0) } ?? criterionColour
            markup += "<g class=\"row\"><text x=\"\(svgNumber(labelWidth))\" y=\"\(y)\" text-anchor=\"end\" dominant-baseline=\"middle\">\(escapeHTML(label(row)))</text>"
            if let power = row.power {
                markup += "<rect class=\"bar\" fill=\"\(colour)\" x=\"\(svgNumber(plotLeft))\" y=\"\(svgNumber(rowTop + 5))\" width=\"\(svgNumber(axis.pixel(power) - plotLeft))\" height=\"\(svgNumber(rowHeight - 10))\"/>"
            }
            if let lower = row.lower, let upper = row.upper {
                markup += "<line class=\"interval\" stroke=\"#000000\" x1=\"\(svgNumber(axis.pixel(lower)))\" y1=\"\(y)\" x2=\"\(svgNumber(axis.pixel(upper)))\" y2=\"\(y)\"/>"
            }
            markup += "<text x=\"\(svgNumber(plotRight + 16))\" y=\"\(y)\" dominant-baseline=\"middle\">\(displayNumber(row.power)) [\(displayNumber(row.lower)), \(displayNumber(row.upper))]</text></g>"
        }
        return markup + "</svg>"
    }
}
