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
            var nonFinite: DerivedCovariate?
            for (j, d) in derived.enumerated() {
                let value = d.formula.evaluate(values)
                if !value.isFinite, nonFinite == nil { nonFinite = d }
                values[columns + j] = value
            }
            for criterion in inclusion {
                let holds = criterion.condition.evaluate(values)
                if !(holds != 0) || holds.isNaN { continue rows }
            }
            // Not finite for a row the criteria keep (a row they leave out is never drawn).
            if let d = nonFinite {
                let inputs = (0..<columns).map { "\(table.columns[$0]) = " + registerText(row[$0], levels: table.levels[$0]) }.joined(separator: ", ")
                let line = table.rowLines.map { "line \($0[r])" } ?? "row \(r + 2)"
                throw .nonFiniteDerivedCovariate(name: d.name, formula: d.formula.source, inputs: "\(line): \(inputs)")
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
