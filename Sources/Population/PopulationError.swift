/// Why a population cannot be drawn from, or a subject could not be: each case names the
/// covariates or criteria involved and says what to change.
public enum PopulationError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A marginal distribution with parameters that define no distribution (sd ≤ 0, min ≥ max,
    /// bounds holding no probability, probabilities not summing to 1, …).
    case invalidDistribution(covariate: String, reason: String)
    /// A correlation entry that cannot be used (unknown or categorical covariate, |ρ| ≥ 1, the
    /// same pair given twice with different values, a covariate correlated with itself).
    case invalidCorrelation(first: String, second: String, reason: String)
    /// The correlation matrix of the continuous covariates is not positive definite: the
    /// covariates named are the first (in file order) at which Cholesky fails, and those linked
    /// to it by correlations among the covariates before it — the sub-matrix to revise.
    case correlationsNotPositiveDefinite(covariates: [String])
    /// Fewer than `CohortSynthesizer.minimumAcceptanceRate` of the draws satisfy every inclusion
    /// criterion (SPEC §3): the criteria contradict the distributions.
    case inclusionRarelySatisfied(acceptanceRate: Double, accepted: Int, draws: Int, criteria: [String])
    /// A subject drew `attempts` candidates without satisfying the inclusion criteria (the hard
    /// cap that keeps a run from hanging; not reached when the acceptance rate was checked).
    case inclusionAttemptsExhausted(replicate: Int, subject: Int, attempts: Int)
    /// A derived covariate evaluated to NaN or ±∞ for a drawn subject or a table row; `inputs`
    /// lists the covariate values it was evaluated on.
    case nonFiniteDerivedCovariate(name: String, formula: String, inputs: String)
    /// A cohort table row whose length differs from the header.
    case malformedCohortTable(row: Int, reason: String)
    /// An `as-is` cohort asked for a subject beyond its rows (the protocol must ask for exactly
    /// `CohortSynthesizer.tableRowCount` subjects per replicate).
    case subjectBeyondCohortTable(subject: Int, rows: Int)
    /// `vtrial cohort` asked an `as-is` cohort for another number of subjects than its rows.
    case asIsSubjectCount(requested: Int, rows: Int)

    /// Where in the population's file the error lies, when the spec knows it: the `inclusion`
    /// key for criteria that are rarely satisfied, the `correlations` key for correlations, a
    /// derived covariate's formula.
    public func place(in spec: PopulationSpec) -> SourcePlace? {
        switch self {
        case .inclusionRarelySatisfied: return spec.inclusionPlace
        case .invalidCorrelation, .correlationsNotPositiveDefinite: return spec.correlationsPlace
        case let .nonFiniteDerivedCovariate(name, _, _): return spec.derivedPlaces[name]
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case let .invalidDistribution(covariate, reason):
            return "covariate \(covariate): \(reason)"
        case let .invalidCorrelation(first, second, reason):
            return "correlation [\(first), \(second)]: \(reason)"
        case let .correlationsNotPositiveDefinite(covariates):
            return "the correlations among \(covariates.joined(separator: ", ")) are not positive definite: no joint "
                + "distribution has them (check their signs and sizes: e.g. A~B and B~C both strong forces A~C positive)"
        case let .inclusionRarelySatisfied(rate, accepted, draws, criteria):
            return "inclusion criteria (\(criteria.joined(separator: "; "))) are satisfied by \(accepted) of \(draws) draws "
                + "(acceptance rate \(rate)), below the minimum of 1 in 1,000: relax a criterion or change the covariate distributions"
        case let .inclusionAttemptsExhausted(replicate, subject, attempts):
            return "replicate \(replicate), subject \(subject): no draw satisfied the inclusion criteria in \(attempts) attempts"
        case let .nonFiniteDerivedCovariate(name, formula, inputs):
            return "derived covariate \(name) = \(formula) is not finite at \(inputs): guard the formula (e.g. with max or abs) "
                + "or bound the covariates it reads"
        case let .malformedCohortTable(row, reason):
            return "cohort table row \(row): \(reason)"
        case let .asIsSubjectCount(requested, rows):
            return "an as-is cohort uses every row once: ask for exactly \(rows) subjects (--subjects \(rows)), not \(requested)"
        case let .subjectBeyondCohortTable(subject, rows):
            return "subject \(subject) requested from an as-is cohort of \(rows) rows: ask for exactly \(rows) subjects"
        }
    }
}
