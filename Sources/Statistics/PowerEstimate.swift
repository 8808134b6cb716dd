/// Simulated power: the share of replicates with a significant result, with its exact
/// Clopper–Pearson interval (SPEC §5, power.csv POWER, CI_LOWER, CI_UPPER).
public struct PowerEstimate: Sendable, Equatable {
    public var significant: Int
    public var replicates: Int
    /// significant / replicates; nil with no replicates.
    public var power: Double?
    public var lower: Double?
    public var upper: Double?

    /// The interval is two-sided at 1 − alpha.
    public init(significant: Int, replicates: Int, alpha: Double) {
        precondition(significant >= 0 && significant <= replicates, "significant must lie in 0…replicates")
        self.significant = significant
        self.replicates = replicates
        guard replicates > 0 else { return }
        power = Double(significant) / Double(replicates)
        let ci = ProportionInterval.clopperPearson(successes: significant, trials: replicates, confidence: 1 - alpha)
        lower = ci?.lower
        upper = ci?.upper
    }
}
