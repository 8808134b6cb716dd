/// The purpose a random stream serves: one of the four words of its Philox counter, so the
/// streams of one subject never overlap (see `RandomStream`).
///
/// Raw values are part of the reproducibility contract: a published result is re-created only if
/// every draw comes from the same (seed, replicate, subject, stream). Never renumber a case; add
/// new purposes with new numbers (16 bits leave room for 65,535). Values 0 and 16–31 are unused
/// and reserved; 32… are free for modules outside the population and trial layers.
public enum StreamID: UInt16, Sendable, CaseIterable {
    /// Covariates of a synthetic subject, including inclusion resampling, or its bootstrap row.
    case covariates = 1
    /// Between-subject random effects η.
    case eta = 2
    /// Residual (measurement) error ε.
    case residual = 3
    /// Whether each scheduled dose is taken.
    case adherence = 4
    /// Time of dropout.
    case dropout = 5
    /// The permutation of an `as-is` cohort table over the subjects of one replicate (drawn with
    /// subject index 0: it belongs to the replicate, not to a subject).
    case armPermutation = 6
    /// Bootstrap resampling in the analysis.
    case bootstrap = 7
    /// The up-front estimate of the inclusion acceptance rate (kept apart from every subject's
    /// own draws, so estimating never changes a cohort).
    case acceptanceEstimate = 8
    /// Random elements of a twin model (stochastic events inside the disease model).
    case model = 9
}
