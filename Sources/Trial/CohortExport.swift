import Foundation
import Output
import Population

/// `vtrial cohort`: a synthesized cohort as CSV — one row per subject, one column per covariate
/// register (derived ones included), categorical covariates by level name. Subjects are drawn
/// exactly as in replicate 1 of a trial with the same seed, so the file can be used again as
/// `population: { csv: FILE }`.
public enum CohortExport {
    /// Writes to `path` (atomically), or to standard output when `path` is nil.
    /// Input problems (e.g. correlations not positive definite) are thrown before anything is written.
    public static func write(_ spec: PopulationSpec, subjects: Int, seed: UInt64, to path: String?) throws {
        let synthesizer = try CohortSynthesizer(spec)
        if spec.table == nil, !spec.inclusion.isEmpty { _ = try synthesizer.acceptanceRate(seed: seed) }
        // SPEC §3: as-is uses every row once (fewer subjects would leave rows out unnoticed).
        if spec.table?.sampling == .asIs, let rows = synthesizer.tableRowCount, rows != subjects {
            throw PopulationError.asIsSubjectCount(requested: subjects, rows: rows)
        }
        let replicate = synthesizer.replicate(seed: seed, replicate: 1)
        let names = synthesizer.registerNames
        let levels = names.indices.map { synthesizer.levels(ofRegister: $0) }
        var rows = CSVRowEncoder(columnCount: names.count)
        for name in names { rows.field(name) }
        rows.endRow()
        var values = [Double](repeating: 0, count: names.count)
        for s in 0..<subjects {
            try replicate.subject(s, into: &values)
            for (i, v) in values.enumerated() {
                if let l = levels[i] { rows.field(l[Int(v)]) } else { rows.field(v) }
            }
            rows.endRow()
        }
        if let problem = rows.firstProblem { throw PlanError("cohort CSV: \(problem)") }
        if let path {
            do throws(OutputError) {
                _ = try writeFileAtomically(rows.bytes, to: path)
            } catch {
                // Named as the user gave it, not the hidden temporary file it failed on.
                if case let .cannotOpenFile(_, code) = error { throw PlanError("cannot write '\(path)': \(String(cString: strerror(code)))") }
                throw error
            }
        } else {
            FileHandle.standardOutput.write(Data(rows.bytes))
        }
    }
}
