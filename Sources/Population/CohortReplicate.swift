/// The population as seen by one replicate: for an `as-is` cohort table it carries the
/// replicate's row permutation (subject i gets kept row `rowOrder[i]`), drawn once from
/// (seed, replicate) so subjects can then be filled in any order, from any thread.
public struct CohortReplicate: Sendable {
    public let synthesizer: CohortSynthesizer
    public let seed: UInt64
    public let replicate: Int
    /// The `as-is` permutation of the kept table rows; `nil` for a synthetic or bootstrap cohort.
    public let rowOrder: [Int]?

    /// Fills `values` with the given subject (see `CohortSynthesizer.subject(seed:replicate:subject:into:)`).
    public func subject(_ subject: Int, into values: inout [Double]) throws(PopulationError) {
        try synthesizer.draw(seed: seed, replicate: replicate, subject: subject, rowOrder: rowOrder, into: &values)
    }
}
