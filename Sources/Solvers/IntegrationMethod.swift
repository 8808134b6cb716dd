/// Which integration method the solver uses (the protocol's `solver.method`, SPEC §2).
public enum IntegrationMethod: String, Sendable, CaseIterable, Codable {
    /// Start every interval with Dormand–Prince 5(4); switch to Rodas4 for the rest of the
    /// interval as soon as Hairer's stiffness test fires (see ``StiffnessDetector``).
    /// Deterministic: the decision depends only on the steps taken.
    case auto
    /// Dormand–Prince 5(4) only (explicit; inefficient on stiff problems).
    case nonstiff
    /// Rodas4 only (linearly implicit Rosenbrock; one Jacobian and one LU per step).
    case stiff
}
