/// Kaplan–Meier curves (endpoints.csv, the first replicate): per time-to-event endpoint — rows with
/// CNSR present — one product-limit step curve per arm, with a tick at each censoring.
enum KaplanMeierSection {
    static let plotHeight = 340.0
    /// Half the height of a censoring tick, in pixels.
    static let tickHalfHeight = 5.0

    static func markup(_ context: ReportContext) -> String {
        var markup = "<section id=\"kaplan-meier\"><h2>Kaplan–Meier curves</h2>"
        let timeToEvent = context.data.endpoints.filter { $0.censored != nil && $0.value != nil }
        guard let (replicate, rows) = firstReplicate(timeToEvent, replicate: \.replicate) else {
            return markup + noneParagraph("endpoints.csv has no time-to-event rows") + "</section>"
        }
        markup += "<p>Replicate \(replicate). AVAL is the time (h), CNSR 1 a censoring (tick), 0 an event.</p>"
        for endpoint in orderedUnique(rows.map(\.endpoint)) {
            let endpointRows = rows.filter { $0.endpoint == endpoint }
            var curves: [(arm: String, curve: KaplanMeierCurve)] = []
            for arm in context.arms {
                let observations = endpointRows.filter { $0.arm == arm }.map { ($0.value!, $0.censored == 1) }
                if !observations.isEmpty { curves.append((arm, KaplanMeierCurve(observations: observations))) }
            }
            markup += plot(endpoint: endpoint, curves: curves, context: context)
            markup += htmlTable(
                headers: ["Arm", "Subjects", "Events", "Censored", "Survival at last time"],
                rows: curves.map { arm, curve in
                    [arm, String(curve.subjects), String(curve.steps.map(\.events).reduce(0, +)),
                     String(curve.censorings.count), displayNumber(curve.steps.last?.survival ?? 1)]
                },
                numericColumns: [1, 2, 3, 4])
        }
        return markup + "</section>"
    }

    /// The plot's axes: time from 0 over every observed time; survival over exactly [0, 1].
    static func frame(curves: [(arm: String, curve: KaplanMeierCurve)]) -> SVGPlotFrame {
        let xAxis = PlotAxis.linear(covering: curves.map(\.curve.lastTime), alsoInclude: [0],
                                    pixelStart: SVGPlotFrame.plotLeft, pixelEnd: SVGPlotFrame.plotRight,
                                    targetTickCount: 8)
        let yAxis = PlotAxis.fixed(lower: 0, upper: 1, step: 0.2, pixelStart: plotHeight - SVGPlotFrame.bottom,
                                   pixelEnd: SVGPlotFrame.top)
        return SVGPlotFrame(height: plotHeight, xAxis: xAxis, yAxis: yAxis)
    }

    /// The SVG path data of a step curve: `M x,y` then `L x,y` through every corner.
    static func pathData(_ curve: KaplanMeierCurve, frame: SVGPlotFrame) -> String {
        curve.stepPoints.enumerated().map { index, point in
            (index == 0 ? "M" : "L") + svgNumber(frame.xAxis.pixel(point.time)) + "," + svgNumber(frame.yAxis.pixel(point.survival))
        }.joined(separator: " ")
    }

    static func plot(endpoint: String, curves: [(arm: String, curve: KaplanMeierCurve)], context: ReportContext) -> String {
        let frame = frame(curves: curves)
        var markup = "<figure><figcaption>\(escapeHTML(endpoint))</figcaption>"
        markup += frame.openTag(label: "Kaplan–Meier curves of \(endpoint)")
        markup += frame.axesMarkup(xTitle: "time (h)", yTitle: "share without event")
        for (arm, curve) in curves {
            let colour = context.colour(ofArm: arm)
            markup += "<g class=\"arm\" data-arm=\"\(escapeHTML(arm))\">"
            markup += "<path class=\"km\" stroke=\"\(colour)\" d=\"\(pathData(curve, frame: frame))\"/>"
            for censoring in curve.censorings {
                let x = svgNumber(frame.xAxis.pixel(censoring.time))
                let y = frame.yAxis.pixel(censoring.survival)
                markup += "<line class=\"censor\" stroke=\"\(colour)\" x1=\"\(x)\" y1=\"\(svgNumber(y - tickHalfHeight))\" x2=\"\(x)\" y2=\"\(svgNumber(y + tickHalfHeight))\"/>"
            }
            markup += "</g>"
        }
        markup += frame.legendMarkup(curves.map { ($0.arm, context.colour(ofArm: $0.arm)) })
        return markup + "</svg></figure>"
    }
}
