import Expressions

/// A population to draw virtual subjects from (SPEC §3), already validated: distributions with
/// their parameters, correlations between continuous covariates, derived covariates and
/// inclusion criteria compiled against the covariate register layout below.
///
/// Register layout used by every compiled expression here: slot `i` holds covariate
/// `covariates[i]` (a categorical one as its level index, 0-based, in `levels` order), followed by
/// the derived covariates in `derived` order (slot `covariates.count + j`).
public struct PopulationSpec: Sendable {
    public var name: String
    public var covariates: [CovariateSpec]
    /// Pairwise correlations of the Gaussian copula, between continuous covariates (indices into
    /// `covariates`). Categorical covariates are drawn independently.
    public var correlations: [CovariateCorrelation]
    public var derived: [DerivedCovariate]
    public var inclusion: [InclusionCriterion]
    /// A real cohort instead of distributions (`population: { csv: ..., sample: ... }`).
    public var table: CohortTable?
    /// Where `inclusion` and `correlations` were written, for the errors found only when the
    /// population is drawn from (`PopulationError.place(in:)`); nil for a spec built in code.
    public var inclusionPlace: SourcePlace?
    public var correlationsPlace: SourcePlace?
    /// Where each derived covariate's formula was written (by name), for a formula that is not
    /// finite for a drawn subject or a table row.
    public var derivedPlaces: [String: SourcePlace] = [:]

    public init(name: String, covariates: [CovariateSpec], correlations: [CovariateCorrelation] = [],
                derived: [DerivedCovariate] = [], inclusion: [InclusionCriterion] = [], table: CohortTable? = nil) {
        self.name = name
        self.covariates = covariates
        self.correlations = correlations
        self.derived = derived
        self.inclusion = inclusion
        self.table = table
    }

    /// Covariate names (or the cohort table's columns) then derived names: the register layout,
    /// and the column order of subjects.csv.
    public var allNames: [String] { (table?.columns ?? covariates.map(\.name)) + derived.map(\.name) }

    /// Why `distribution` defines no distribution to draw `name` from (sd ≤ 0, bounds holding no
    /// probability, probabilities not summing to 1, …), or nil: the check the synthesizer makes,
    /// for the decoder to report at the covariate's place, every covariate at once.
    public static func distributionProblem(name: String, _ distribution: CovariateDistribution) -> String? {
        do {
            if case let .categorical(levels, probabilities) = distribution {
                try SyntheticCovariates.validateCategorical(name, levels, probabilities)
            } else {
                _ = try CovariateMarginal(name: name, distribution)
            }
            return nil
        } catch {
            if case let .invalidDistribution(_, reason) = error { return reason }
            return error.description
        }
    }
}

public struct CovariateSpec: Sendable, Equatable {
    public var name: String
    public var distribution: CovariateDistribution
    public init(name: String, distribution: CovariateDistribution) {
        self.name = name
        self.distribution = distribution
    }
}

/// A marginal distribution. `lower`/`upper` truncate it exactly (inverse-CDF sampling inside the
/// bounds, never clipping); `nil` means unbounded.
public enum CovariateDistribution: Sendable, Equatable {
    case normal(mean: Double, sd: Double, lower: Double?, upper: Double?)
    /// ln X ~ N(meanlog, sdlog). From `median`/`cv`: meanlog = ln(median), sdlog = √ln(1 + cv²).
    case lognormal(meanlog: Double, sdlog: Double, lower: Double?, upper: Double?)
    case uniform(lower: Double, upper: Double)
    /// Levels with probabilities summing to 1, in file order.
    case categorical(levels: [String], probabilities: [Double])

    public var isCategorical: Bool { if case .categorical = self { return true } else { return false } }
}

public struct CovariateCorrelation: Sendable, Equatable {
    public var first: Int
    public var second: Int
    public var rho: Double
    public init(first: Int, second: Int, rho: Double) {
        self.first = first
        self.second = second
        self.rho = rho
    }
}

public struct DerivedCovariate: Sendable {
    public var name: String
    public var formula: CompiledExpression
    public init(name: String, formula: CompiledExpression) {
        self.name = name
        self.formula = formula
    }
}

public struct InclusionCriterion: Sendable {
    /// The criterion as written, for messages.
    public var text: String
    /// Non-zero when the subject is included.
    public var condition: CompiledExpression
    public init(text: String, condition: CompiledExpression) {
        self.text = text
        self.condition = condition
    }
}

/// A real cohort read from CSV: one row per patient; numeric columns as numbers, categorical
/// columns as level indices into `levels[column]`.
public struct CohortTable: Sendable {
    public enum Sampling: String, Sendable { case asIs = "as-is", bootstrap }
    public var columns: [String]
    /// Per column: `nil` for numeric, else the level names (sorted by first appearance).
    public var levels: [[String]?]
    /// Row-major values, `rows.count` × `columns.count`.
    public var rows: [[Double]]
    public var sampling: Sampling
    /// The file it was read from and the line of each row (for errors placed at a row); nil for
    /// a table made in code.
    public var path: String?
    public var rowLines: [Int]?
    public init(columns: [String], levels: [[String]?], rows: [[Double]], sampling: Sampling,
                path: String? = nil, rowLines: [Int]? = nil) {
        self.columns = columns
        self.levels = levels
        self.rows = rows
        self.sampling = sampling
        self.path = path
        self.rowLines = rowLines
    }
}

/// A register's value as messages show it: a categorical covariate's level name (the value is
/// its index into `levels`), else the number.
public func registerText(_ value: Double, levels: [String]?) -> String {
    if let levels, value >= 0, value < Double(levels.count) { return levels[Int(value)] }
    return "\(value)"
}

/// A place in an input file: the path as the user gave it (or as resolved relative to the file
/// naming it), 1-based line and column.
public struct SourcePlace: Sendable, Equatable {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }
}
