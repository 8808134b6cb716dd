import Sampling

/// Draws one candidate subject from distributions (SPEC §3): a Gaussian copula over the
/// continuous covariates, categorical ones by their own uniform, then the derived covariates.
///
/// Draw order within one candidate, from the subject's covariate stream: one deviate per covariate
/// in file order — a standard normal for a continuous covariate, a uniform for a categorical one.
/// A rejected candidate is followed by the next one from the same stream.
struct SyntheticCovariates: Sendable {
    enum Draw: Sendable {
        case gaussian
        case categorical(probabilities: [Double])
    }
    /// Per covariate slot, in file order.
    let plan: [Draw]
    /// Slots of the continuous covariates, in copula order (file order).
    let continuousSlots: [Int]
    let marginals: [CovariateMarginal]
    let copula: CopulaCorrelation

    init(spec: PopulationSpec) throws(PopulationError) {
        var plan: [Draw] = []
        var continuous: [Int] = []
        var marginals: [CovariateMarginal] = []
        for (slot, covariate) in spec.covariates.enumerated() {
            if case let .categorical(levels, probabilities) = covariate.distribution {
                try Self.validateCategorical(covariate.name, levels, probabilities)
                plan.append(.categorical(probabilities: probabilities))
            } else {
                marginals.append(try CovariateMarginal(name: covariate.name, covariate.distribution))
                continuous.append(slot)
                plan.append(.gaussian)
            }
        }
        self.plan = plan
        continuousSlots = continuous
        self.marginals = marginals
        copula = try CopulaCorrelation(spec: spec, continuous: continuous)
    }

    static func validateCategorical(_ name: String, _ levels: [String], _ probabilities: [Double]) throws(PopulationError) {
        func fail(_ reason: String) -> PopulationError { .invalidDistribution(covariate: name, reason: reason) }
        guard !levels.isEmpty else { throw fail("a categorical covariate needs at least one level") }
        guard levels.count == probabilities.count else { throw fail("\(levels.count) levels but \(probabilities.count) probabilities") }
        for (level, p) in zip(levels, probabilities) where !(p.isFinite && p >= 0) {
            throw fail("level \(level) has probability \(p); probabilities are between 0 and 1")
        }
        let total = probabilities.reduce(0, +)
        guard Swift.abs(total - 1) <= 1e-9 else { throw fail("level probabilities sum to \(total), not 1") }
    }

    /// Overwrites the covariate slots of `values` (the first `plan.count`) with a fresh candidate.
    @inline(__always)
    func draw(_ rng: inout RandomStream, into values: inout [Double]) {
        for slot in plan.indices {
            switch plan[slot] {
            case .gaussian: values[slot] = rng.nextNormal()
            case let .categorical(probabilities):
                values[slot] = Double(RandomStream.category(for: rng.nextUniform(), probabilities: probabilities))
            }
        }
        copula.correlate(&values, slots: continuousSlots)
        for k in continuousSlots.indices {
            let slot = continuousSlots[k]
            values[slot] = marginals[k].value(at: values[slot])
        }
    }
}
