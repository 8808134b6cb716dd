/// The efficacy summary (efficacy.csv): the first replicate's row per endpoint and arm, and the
/// mean over all replicates of MEAN, RESPONDER_RATE and MEDIAN_TIME (each over the replicates
/// where it is present).
enum EfficacySection {
    static func markup(_ context: ReportContext) -> String {
        var markup = "<section id=\"efficacy\"><h2>Efficacy summary</h2>"
        guard let (replicate, firstRows) = firstReplicate(context.data.efficacy, replicate: \.replicate) else {
            return markup + noneParagraph("efficacy.csv has no rows (no endpoints)") + "</section>"
        }
        let all = context.data.efficacy
        var rows: [[String]] = []
        for endpoint in orderedUnique(firstRows.map(\.endpoint)) {
            for row in firstRows where row.endpoint == endpoint {
                let replicates = all.filter { $0.endpoint == endpoint && $0.arm == row.arm }
                rows.append([
                    row.endpoint, row.arm, displayInteger(row.count), displayNumber(row.mean),
                    displayNumber(row.standardDeviation), displayNumber(row.median), displayNumber(row.firstQuartile),
                    displayNumber(row.thirdQuartile), displayNumber(row.minimum), displayNumber(row.maximum),
                    displayInteger(row.responders), displayNumber(row.responderRate), displayInteger(row.events),
                    displayNumber(row.medianTime),
                    displayNumber(arithmeticMean(replicates.compactMap(\.mean))),
                    displayNumber(arithmeticMean(replicates.compactMap(\.responderRate))),
                    displayNumber(arithmeticMean(replicates.compactMap(\.medianTime))),
                ])
            }
        }
        markup += "<p>Columns N … MEDIAN_TIME: replicate \(replicate). The last three columns (“all reps”): the "
            + "mean over replicates. A time-to-event endpoint has N, EVENTS and the Kaplan–Meier MEDIAN_TIME only.</p>"
        markup += htmlTable(
            headers: ["Endpoint", "Arm", "N", "Mean", "SD", "Median", "Q1", "Q3", "Min", "Max", "Responders",
                      "Resp. rate", "Events", "Median time", "Mean (all reps)", "Resp. rate (all reps)",
                      "Median time (all reps)"],
            rows: rows, numericColumns: Set(2...16))
        return markup + "</section>"
    }
}
