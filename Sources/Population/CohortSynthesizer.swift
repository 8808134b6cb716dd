import Sampling

/// Virtual subjects drawn from a `PopulationSpec` (SPEC §3), each from its own random stream
/// (seed, replicate, subject, `.covariates`), so a subject never depends on which thread or shard
/// draws it, or on any other subject.
///
/// Fills the register layout of `PopulationSpec`: covariates (or the cohort table's columns) in
/// order, a categorical one as its level index, then the derived covariates evaluated in order.
///
/// - **Distributions.** Gaussian copula: z ~ N(0, I) over the continuous covariates, correlated
///   by the Cholesky factor of their correlation matrix, then x = F⁻¹(F(a) + Φ(z)·(F(b) − F(a)))
///   for each marginal F truncated to [a, b] (normal, lognormal, uniform). Truncation is exact and
///   acts on the marginal, so the correlations are those of the copula (Spearman's
///   ρ_s = (6/π)·asin(ρ/2) without truncation); the Pearson correlation of the values differs.
/// - **Inclusion** by resampling: candidates are drawn from the same stream until every criterion
///   holds, at most `maximumAttemptsPerSubject` times. Call `acceptanceRate(seed:draws:)` first:
///   it throws when fewer than `minimumAcceptanceRate` of draws pass.
/// - **Cohort tables.** Inclusion filters the rows once, when the synthesizer is made
///   (`tableRowCount` counts those kept). `as-is` gives every kept row once per replicate, in an
///   order drawn by Fisher–Yates from (seed, replicate, `.armPermutation`) — use
///   `replicate(seed:replicate:)` to compute it once per replicate; `bootstrap` draws each
///   subject's row uniformly with the subject's own stream.
///
/// ```swift
/// let cohort = try CohortSynthesizer(spec)
/// _ = try cohort.acceptanceRate(seed: 2026)
/// var values: [Double] = []
/// try cohort.subject(seed: 2026, replicate: 0, subject: 17, into: &values)
/// ```
public struct CohortSynthesizer: Sendable {
    /// SPEC §3: fewer than 1 in 1,000 draws passing the inclusion criteria is an input error.
    public static let minimumAcceptanceRate = 0.001
    /// Candidates one subject may draw before giving up. At the minimum acceptance rate the chance
    /// of reaching it is (1 − 0.001)^100000 ≈ e⁻¹⁰⁰.
    public static let maximumAttemptsPerSubject = 100_000
    /// Draws `acceptanceRate(seed:draws:)` makes by default: at the threshold, about 100 pass.
    public static let defaultAcceptanceDraws = 100_000

    public let spec: PopulationSpec
    /// The register names: covariates (or table columns), then derived covariates.
    public let registerNames: [String]
    public var registerCount: Int { registerNames.count }

    enum Source: Sendable {
        case synthetic(SyntheticCovariates)
        case table(EligibleRows)
    }
    let source: Source
    let covariateCount: Int

    /// Validates the population: distributions, correlations (positive definite, by Cholesky),
    /// and for a cohort table its rows, derived values and inclusion.
    public init(_ spec: PopulationSpec) throws(PopulationError) {
        self.spec = spec
        registerNames = spec.allNames
        if let table = spec.table {
            covariateCount = table.columns.count
            source = .table(try EligibleRows(table: table, derived: spec.derived, inclusion: spec.inclusion))
        } else {
            covariateCount = spec.covariates.count
            source = .synthetic(try SyntheticCovariates(spec: spec))
        }
    }

    /// For a cohort table, the rows that satisfy the inclusion criteria: an `as-is` protocol must
    /// ask for exactly this many subjects per replicate. `nil` for a synthetic population.
    public var tableRowCount: Int? {
        if case let .table(rows) = source { return rows.count }
        return nil
    }

    /// For a cohort table, each row a subject may be drawn from (those that satisfy the inclusion
    /// criteria), with its place in the file when the table was read from one: `body` gets the
    /// place and the row's registers (columns, then derived covariates). Nothing for a synthetic
    /// population.
    public func forEachTableRow(_ body: (_ place: SourcePlace?, _ registers: [Double]) throws -> Void) rethrows {
        guard case let .table(rows) = source, let table = spec.table else { return }
        var values = [Double](repeating: 0, count: rows.width)
        for row in 0..<rows.count {
            rows.copy(row: row, into: &values)
            let index = rows.tableIndices[row]
            let place = table.path.flatMap { path in table.rowLines.map { SourcePlace(file: path, line: $0[index], column: 1) } }
            try body(place, values)
        }
    }

    /// The level names of a categorical register (`values[register]` is an index into them), or
    /// `nil` for a numeric one.
    public func levels(ofRegister register: Int) -> [String]? {
        guard register < covariateCount else { return nil }
        if let table = spec.table { return table.levels[register] }
        if case let .categorical(levels, _) = spec.covariates[register].distribution { return levels }
        return nil
    }

    /// The fraction of candidates that satisfy every inclusion criterion, estimated from `draws`
    /// candidates of a stream kept for this purpose (`.acceptanceEstimate`), so estimating changes
    /// no subject. For a cohort table it is the exact fraction of rows kept.
    ///
    /// Throws `.inclusionRarelySatisfied` with the observed rate when it is below
    /// `minimumAcceptanceRate` (SPEC §3).
    public func acceptanceRate(seed: UInt64, draws: Int = defaultAcceptanceDraws) throws(PopulationError) -> Double {
        let accepted: Int, total: Int
        switch source {
        case let .table(rows):
            (accepted, total) = (rows.count, rows.totalRows)
        case let .synthetic(synthetic):
            var rng = RandomStream(seed: seed, replicate: 0, subject: 0, stream: .acceptanceEstimate)
            var values = [Double](repeating: 0, count: registerCount)
            var passed = 0
            for _ in 0..<Swift.max(draws, 1) {
                synthetic.draw(&rng, into: &values)
                if try completeAndCheck(&values) { passed += 1 }
            }
            (accepted, total) = (passed, Swift.max(draws, 1))
        }
        let rate = total > 0 ? Double(accepted) / Double(total) : 0
        if rate < Self.minimumAcceptanceRate {
            throw .inclusionRarelySatisfied(acceptanceRate: rate, accepted: accepted, draws: total,
                                            criteria: spec.inclusion.map(\.text))
        }
        return rate
    }

    /// Fills `values` (resized to `registerCount` if it has another size; otherwise nothing is
    /// allocated) with subject `subject` of replicate `replicate`.
    ///
    /// For an `as-is` table this computes the replicate's row permutation (O(rows)); when drawing
    /// many subjects use `replicate(seed:replicate:)` once and its `subject(_:into:)`.
    public func subject(seed: UInt64, replicate: Int, subject: Int, into values: inout [Double]) throws(PopulationError) {
        if case let .table(rows) = source, rows.sampling == .asIs {
            try self.replicate(seed: seed, replicate: replicate).subject(subject, into: &values)
            return
        }
        try draw(seed: seed, replicate: replicate, subject: subject, rowOrder: nil, into: &values)
    }

    /// One replicate's view of the population: holds the `as-is` row permutation, drawn once.
    public func replicate(seed: UInt64, replicate: Int) -> CohortReplicate {
        var order: [Int]?
        if case let .table(rows) = source, rows.sampling == .asIs {
            order = Self.permutation(count: rows.count, seed: seed, replicate: replicate)
        }
        return CohortReplicate(synthesizer: self, seed: seed, replicate: replicate, rowOrder: order)
    }

    /// A uniformly random permutation of 0..<count by Fisher–Yates (Durstenfeld's form: for
    /// i = n−1 … 1 swap i with a uniform j ≤ i), from (seed, replicate, `.armPermutation`).
    static func permutation(count: Int, seed: UInt64, replicate: Int) -> [Int] {
        var rng = RandomStream(seed: seed, replicate: replicate, subject: 0, stream: .armPermutation)
        var order = Array(0..<count)
        var i = count - 1
        while i > 0 {
            order.swapAt(i, rng.nextIndex(below: i + 1))
            i -= 1
        }
        return order
    }

    func draw(seed: UInt64, replicate: Int, subject: Int, rowOrder: [Int]?, into values: inout [Double]) throws(PopulationError) {
        if values.count != registerCount { values = [Double](repeating: 0, count: registerCount) }
        switch source {
        case let .table(rows):
            let row: Int
            if let rowOrder {
                guard subject < rowOrder.count else { throw .subjectBeyondCohortTable(subject: subject, rows: rowOrder.count) }
                row = rowOrder[subject]
            } else {
                guard rows.count > 0 else {
                    throw .inclusionRarelySatisfied(acceptanceRate: 0, accepted: 0, draws: rows.totalRows,
                                                    criteria: spec.inclusion.map(\.text))
                }
                var rng = RandomStream(seed: seed, replicate: replicate, subject: subject, stream: .covariates)
                row = rng.nextIndex(below: rows.count)
            }
            rows.copy(row: row, into: &values)
        case let .synthetic(synthetic):
            var rng = RandomStream(seed: seed, replicate: replicate, subject: subject, stream: .covariates)
            for _ in 0..<Self.maximumAttemptsPerSubject {
                synthetic.draw(&rng, into: &values)
                if try completeAndCheck(&values) { return }
            }
            throw .inclusionAttemptsExhausted(replicate: replicate, subject: subject, attempts: Self.maximumAttemptsPerSubject)
        }
    }

    /// Evaluates the derived covariates in order, then the inclusion criteria; `true` when every
    /// criterion holds (a NaN criterion value does not). A derived covariate that is not finite
    /// is an error only for a candidate the criteria accept: one they reject (`X > 0` with
    /// `LX: log(X)`) is drawn again like any other (SPEC §3: criteria are enforced by resampling).
    @inline(__always)
    func completeAndCheck(_ values: inout [Double]) throws(PopulationError) -> Bool {
        var nonFinite: (index: Int, inputs: String)?
        for (j, derived) in spec.derived.enumerated() {
            let value = derived.formula.evaluate(values)
            if !value.isFinite, nonFinite == nil { nonFinite = (j, describe(values, count: covariateCount + j)) }
            values[covariateCount + j] = value
        }
        if let (j, inputs) = nonFinite {
            for criterion in spec.inclusion {
                let holds = criterion.condition.evaluate(values)
                if !(holds != 0) || holds.isNaN { return false }
            }
            let derived = spec.derived[j]
            throw .nonFiniteDerivedCovariate(name: derived.name, formula: derived.formula.source, inputs: inputs)
        }
        for criterion in spec.inclusion {
            let holds = criterion.condition.evaluate(values)
            if !(holds != 0) || holds.isNaN { return false }
        }
        return true
    }

    /// "NAME = value, …" for the first `count` registers of `values` (level names for categorical
    /// ones), as error messages show a subject or a row.
    public func describe(_ values: [Double], count: Int) -> String {
        (0..<count).map { "\(registerNames[$0]) = " + registerText(values[$0], levels: levels(ofRegister: $0)) }.joined(separator: ", ")
    }
}
