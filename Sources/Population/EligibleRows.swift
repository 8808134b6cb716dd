/// The rows of a cohort table that satisfy the inclusion criteria, each already expanded to the
/// full register layout (columns, then derived covariates), stored flat.
struct EligibleRows: Sendable {
    let registers: [Double]
    let width: Int
    let count: Int
    let totalRows: Int
    let sampling: CohortTable.Sampling
    /// The table's index of each kept row.
    let tableIndices: [Int]

    init(table: CohortTable, derived: [DerivedCovariate], inclusion: [InclusionCriterion]) throws(PopulationError) {
        let columns = table.columns.count
        width = columns + derived.count
        totalRows = table.rows.count
        sampling = table.sampling
        guard columns > 0 else { throw .malformedCohortTable(row: 1, reason: "the table has no columns") }
        guard !table.rows.isEmpty else { throw .malformedCohortTable(row: 0, reason: "the table has no rows") }
        guard table.levels.count == columns else {
            throw .malformedCohortTable(row: 0, reason: "\(table.levels.count) level lists for \(columns) columns")
        }
        var kept: [Double] = []
        var indices: [Int] = []
        var values = [Double](repeating: 0, count: width)
        rows: for (r, row) in table.rows.enumerated() {
            // Rows are numbered as in the file: the header is line 1.
            guard row.count == columns else {
                throw .malformedCohortTable(row: r + 2, reason: "\(row.count) values for \(columns) columns")
            }
            for c in 0..<columns { values[c] = row[c] }
            for (j, d) in derived.enumerated() {
                let value = d.formula.evaluate(values)
                guard value.isFinite else {
                    let inputs = (0..<columns).map { "\(table.columns[$0]) = \(row[$0])" }.joined(separator: ", ")
                    throw .nonFiniteDerivedCovariate(name: d.name, formula: d.formula.source, inputs: "row \(r + 2): \(inputs)")
                }
                values[columns + j] = value
            }
            for criterion in inclusion {
                let holds = criterion.condition.evaluate(values)
                if !(holds != 0) || holds.isNaN { continue rows }
            }
            kept.append(contentsOf: values)
            indices.append(r)
        }
        registers = kept
        tableIndices = indices
        count = kept.count / Swift.max(width, 1)
    }

    @inline(__always)
    func copy(row: Int, into values: inout [Double]) {
        let start = row * width
        for k in 0..<width { values[k] = registers[start + k] }
    }
}
