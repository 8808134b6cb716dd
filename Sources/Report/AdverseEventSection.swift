/// Adverse events: incidence by arm (safety.csv, averaged over replicates) with the averaged
/// Clopper–Pearson limits, and the grade distribution by arm (adverse_events.csv, the first
/// replicate: each subject's worst grade per term).
enum AdverseEventSection {
    static let width = 960.0
    static let labelWidth = 270.0
    static let plotLeft = 280.0
    static let plotRight = 720.0
    static let rowHeight = 24.0
    static let top = 12.0
    static let axisHeight = 46.0

    /// One term × arm of safety.csv averaged over replicates.
    struct IncidenceSummary {
        var term: String
        var arm: String
        var replicates: Int
        var meanCount: Double
        var meanSubjects: Double
        var incidence: Double?
        var lower: Double?
        var upper: Double?
        var meanGradeThreeOrAbove: Double?
    }

    /// safety.csv grouped by term and arm (report order), each column averaged over the
    /// replicates where it is present.
    static func incidenceSummaries(_ context: ReportContext) -> [IncidenceSummary] {
        var summaries: [IncidenceSummary] = []
        for term in context.terms {
            for arm in context.arms {
                let rows = context.data.safety.filter { $0.term == term && $0.arm == arm }
                guard !rows.isEmpty else { continue }
                summaries.append(IncidenceSummary(
                    term: term, arm: arm, replicates: rows.count,
                    meanCount: arithmeticMean(rows.map { Double($0.count) }) ?? 0,
                    meanSubjects: arithmeticMean(rows.map { Double($0.subjects) }) ?? 0,
                    incidence: arithmeticMean(rows.compactMap(\.incidence)),
                    lower: arithmeticMean(rows.compactMap(\.lower)),
                    upper: arithmeticMean(rows.compactMap(\.upper)),
                    meanGradeThreeOrAbove: arithmeticMean(rows.compactMap { $0.gradeThreeOrAbove.map(Double.init) })))
            }
        }
        return summaries
    }

    static func markup(_ context: ReportContext) -> String {
        var markup = "<section id=\"adverse-events\"><h2>Adverse events</h2><h3>Incidence by arm</h3>"
        let summaries = incidenceSummaries(context)
        if summaries.isEmpty {
            markup += noneParagraph("safety.csv has no rows (no adverse-event terms)")
        } else {
            markup += "<p>Dot: INCIDENCE averaged over replicates; line: CI_LOWER and CI_UPPER (Clopper–Pearson) "
                + "averaged over replicates — the typical single-trial interval.</p>"
            markup += incidencePlot(summaries, context: context)
            markup += htmlTable(
                headers: ["Term", "Arm", "Replicates", "Mean N", "Mean subjects", "Mean incidence", "Mean CI lower",
                          "Mean CI upper", "Mean grade ≥ 3"],
                rows: summaries.map {
                    [$0.term, $0.arm, String($0.replicates), displayNumber($0.meanCount), displayNumber($0.meanSubjects),
                     displayNumber($0.incidence), displayNumber($0.lower), displayNumber($0.upper),
                     displayNumber($0.meanGradeThreeOrAbove)]
                },
                numericColumns: [2, 3, 4, 5, 6, 7, 8])
        }
        markup += "<h3>Grade distribution by arm</h3>"
        if let (replicate, events) = firstReplicate(context.data.adverseEvents, replicate: \.replicate) {
            markup += gradeDistribution(events, replicate: replicate, context: context)
        } else {
            markup += noneParagraph("adverse_events.csv has no rows")
        }
        return markup + "</section>"
    }

    static func incidencePlot(_ summaries: [IncidenceSummary], context: ReportContext) -> String {
        let values = summaries.flatMap { [$0.incidence, $0.lower, $0.upper].compactMap { $0 } }
        let axis = PlotAxis.linear(covering: values, alsoInclude: [0], pixelStart: plotLeft, pixelEnd: plotRight)
        let plotBottom = top + rowHeight * Double(summaries.count)
        let height = plotBottom + axisHeight
        var markup = svgOpenTag(width: width, height: height, label: "Adverse-event incidence by arm")
        markup += horizontalAxisMarkup(axis, top: top, bottom: plotBottom, left: plotLeft, right: plotRight)
        markup += "<text class=\"title\" x=\"\(svgNumber((plotLeft + plotRight) / 2))\" y=\"\(svgNumber(height - 6))\" text-anchor=\"middle\">incidence (share of subjects)</text></g>"
        for (index, summary) in summaries.enumerated() {
            let y = svgNumber(top + rowHeight * (Double(index) + 0.5))
            let colour = context.colour(ofArm: summary.arm)
            markup += "<g class=\"row\"><text x=\"\(svgNumber(labelWidth))\" y=\"\(y)\" text-anchor=\"end\" dominant-baseline=\"middle\">\(escapeHTML(summary.term)) · \(escapeHTML(summary.arm))</text>"
            if let lower = summary.lower, let upper = summary.upper {
                markup += "<line class=\"interval\" stroke=\"\(colour)\" x1=\"\(svgNumber(axis.pixel(lower)))\" y1=\"\(y)\" x2=\"\(svgNumber(axis.pixel(upper)))\" y2=\"\(y)\"/>"
            }
            if let incidence = summary.incidence {
                markup += "<circle fill=\"\(colour)\" cx=\"\(svgNumber(axis.pixel(incidence)))\" cy=\"\(y)\" r=\"5\"/>"
                markup += "<text x=\"\(svgNumber(plotRight + 16))\" y=\"\(y)\" dominant-baseline=\"middle\">\(displayNumber(incidence)) [\(displayNumber(summary.lower)), \(displayNumber(summary.upper))]</text>"
            }
            markup += "</g>"
        }
        return markup + "</svg>"
    }

    /// Counts of subjects by worst grade per term and arm, as a table and stacked bars.
    static func gradeDistribution(_ events: [AdverseEventRecord], replicate: Int, context: ReportContext) -> String {
        let maximumGrade = max(events.map(\.grade).max() ?? 1, 1)
        let grades = Array(1...maximumGrade)
        var rows: [(term: String, arm: String, counts: [Int])] = []
        for term in context.terms {
            for arm in context.arms {
                let matching = events.filter { $0.term == term && $0.arm == arm }
                guard !matching.isEmpty else { continue }
                rows.append((term, arm, grades.map { grade in matching.filter { $0.grade == grade }.count }))
            }
        }
        let largestTotal = max(rows.map { $0.counts.reduce(0, +) }.max() ?? 1, 1)
        let barScale = (plotRight - plotLeft) / Double(largestTotal)
        let height = top + rowHeight * Double(rows.count) + 30
        var markup = "<p>Subjects of replicate \(replicate) by the worst grade reached, per term and arm "
            + "(adverse_events.csv). Bar length: number of subjects.</p>"
        markup += svgOpenTag(width: width, height: height, label: "Adverse-event grades by arm")
        for (index, row) in rows.enumerated() {
            let rowTop = top + rowHeight * Double(index)
            let y = svgNumber(rowTop + rowHeight / 2)
            markup += "<g class=\"row\"><text x=\"\(svgNumber(labelWidth))\" y=\"\(y)\" text-anchor=\"end\" dominant-baseline=\"middle\">\(escapeHTML(row.term)) · \(escapeHTML(row.arm))</text>"
            var x = plotLeft
            for (gradeIndex, count) in row.counts.enumerated() where count > 0 {
                let barWidth = Double(count) * barScale
                markup += "<rect class=\"grade\" fill=\"\(GradePalette.colour(grade: grades[gradeIndex]))\" x=\"\(svgNumber(x))\" y=\"\(svgNumber(rowTop + 4))\" width=\"\(svgNumber(barWidth))\" height=\"\(svgNumber(rowHeight - 8))\"/>"
                x += barWidth
            }
            markup += "<text x=\"\(svgNumber(x + 6))\" y=\"\(y)\" dominant-baseline=\"middle\">\(row.counts.reduce(0, +))</text></g>"
        }
        // Grade legend along the bottom.
        let legendY = top + rowHeight * Double(rows.count) + 12
        for (index, grade) in grades.enumerated() {
            let x = plotLeft + Double(index) * 80
            markup += "<rect fill=\"\(GradePalette.colour(grade: grade))\" x=\"\(svgNumber(x))\" y=\"\(svgNumber(legendY - 6))\" width=\"14\" height=\"12\"/>"
            markup += "<text x=\"\(svgNumber(x + 20))\" y=\"\(svgNumber(legendY))\" dominant-baseline=\"middle\">grade \(grade)</text>"
        }
        markup += "</svg>"
        markup += htmlTable(headers: ["Term", "Arm"] + grades.map { "Grade \($0)" } + ["Total"],
                            rows: rows.map { [$0.term, $0.arm] + $0.counts.map(String.init) + [String($0.counts.reduce(0, +))] },
                            numericColumns: Set(2..<(grades.count + 3)))
        return markup
    }
}
