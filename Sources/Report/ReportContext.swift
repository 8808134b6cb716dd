/// The names the report is organised by — arms, endpoints, AE terms, output variables — in a
/// fixed order taken from the files themselves (first appearance), never from dictionary order,
/// and each arm's colour.
struct ReportContext {
    let data: ResultsFolderData
    /// Arms in first-appearance order over subjects, timecourse, efficacy, safety, comparisons
    /// (arm, then control), power, endpoints and adverse_events: the engine writes arms in
    /// protocol order, so this is the protocol order wherever the arms appear.
    let arms: [String]
    /// Endpoints (efficacy.csv, then comparisons.csv, then endpoints.csv), first-appearance order.
    let endpoints: [String]
    /// AE terms (safety.csv, then adverse_events.csv), first-appearance order.
    let terms: [String]
    /// Control arms named in comparisons.csv or power.csv.
    let controls: [String]
    private let armIndex: [String: Int]

    init(_ data: ResultsFolderData) {
        self.data = data
        var armNames: [String] = []
        armNames += data.subjects.arms.map(\.name)
        armNames += data.timecourse.map(\.arm)
        armNames += data.efficacy.map(\.arm)
        armNames += data.safety.map(\.arm)
        for comparison in data.comparisons { armNames += [comparison.arm, comparison.control] }
        for row in data.power { armNames += [row.arm, row.control].compactMap { $0 } }
        armNames += data.endpoints.map(\.arm)
        armNames += data.adverseEvents.map(\.arm)
        arms = orderedUnique(armNames)
        var index: [String: Int] = [:]
        for (position, arm) in arms.enumerated() { index[arm] = position }
        armIndex = index
        endpoints = orderedUnique(data.efficacy.map(\.endpoint) + data.comparisons.map(\.endpoint)
                                  .filter { !$0.hasPrefix("AE:") } + data.endpoints.map(\.endpoint))
        terms = orderedUnique(data.safety.map(\.term) + data.adverseEvents.map(\.term))
        controls = orderedUnique(data.comparisons.map(\.control) + data.power.compactMap(\.control))
    }

    /// The arm's colour (by its place in `arms`).
    func colour(ofArm arm: String) -> String {
        ArmPalette.colour(armIndex[arm] ?? 0)
    }
}

/// `values` without repeats, each kept at its first appearance.
func orderedUnique(_ values: [String]) -> [String] {
    var seen = Set<String>()
    return values.filter { seen.insert($0).inserted }
}

/// The arithmetic mean of `values` summed in the given order, or `nil` for none.
func arithmeticMean(_ values: [Double]) -> Double? {
    values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
}

/// The rows of the first (lowest-numbered) replicate present — replicate 1 in a complete run.
func firstReplicate<Row>(_ rows: [Row], replicate: (Row) -> Int) -> (number: Int, rows: [Row])? {
    guard let first = rows.map(replicate).min() else { return nil }
    return (first, rows.filter { replicate($0) == first })
}
