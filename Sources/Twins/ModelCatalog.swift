/// What a protocol's `model:` block selects (SPEC §4): a PK block, a PD type, a disease twin or a
/// custom model, in the combinations SPEC allows. Built by TrialProtocol; turned into a runnable
/// model by Twins.
public struct ModelConfiguration: Sendable, Equatable {
    public var pk: PKConfiguration?
    public var pd: PDType?
    /// A disease twin id such as `oncology.tgi`.
    public var twin: String?
    /// True when the parameters include KE0: the PD or twin reads CE, dCE/dt = KE0·(C − CE).
    public var effectCompartment: Bool
    /// A custom ODE model (SPEC §4 "Custom models"), alone or on top of `pk` (never with `pd` or
    /// `twin`).
    public var custom: CustomModel?

    public init(pk: PKConfiguration? = nil, pd: PDType? = nil, twin: String? = nil, effectCompartment: Bool = false,
                custom: CustomModel? = nil) {
        self.pk = pk
        self.pd = pd
        self.twin = twin
        self.effectCompartment = effectCompartment
        self.custom = custom
    }
}

public struct PKConfiguration: Sendable, Equatable {
    public enum Absorption: String, Sendable, CaseIterable { case ivBolus = "iv-bolus", infusion, oral }
    public enum Elimination: String, Sendable, CaseIterable { case linear, michaelisMenten = "michaelis-menten" }
    public var compartments: Int
    public var absorption: Absorption
    public var elimination: Elimination
    public init(compartments: Int, absorption: Absorption, elimination: Elimination = .linear) {
        self.compartments = compartments
        self.absorption = absorption
        self.elimination = elimination
    }
}

public enum PDType: String, Sendable, CaseIterable {
    case emax, idr1, idr2, idr3, idr4
}

/// How a parameter's between-subject variability is applied (SPEC §4 "Variability").
public enum ParameterScale: Sendable, Equatable {
    /// θ·exp(η): strictly positive parameters.
    case logNormal
    /// logit(p) = logit(θ) + η: parameters bounded in [0, 1] (F, IMAX, the t2d EMAX).
    case logit
    /// θ·exp(η) too, but the typical value may be of either sign (E0, EMAX of `emax`): the sign
    /// is kept.
    case signed
}

extension ParameterScale {
    /// What a typical value θ must be for the scale's variability model to be defined (SPEC §4),
    /// or nil when θ is admitted: θ·exp(η) needs θ ≥ 0 (> 0 with variability), logit needs θ in
    /// [0, 1] ((0, 1) with variability), a signed θ with variability must not be 0; a `positive`
    /// θ·exp(η) (`ParameterDefinition.positive`: the model is undefined at 0) needs θ > 0. The one
    /// rule for a constant in the protocol (checked when it is read) and for a value computed from a
    /// subject's covariates (checked per subject); both check that θ is finite first.
    public func typicalValueRequirement(_ theta: Double, hasVariability: Bool, positive: Bool = false) -> String? {
        switch self {
        case .logNormal:
            if positive && !hasVariability && !(theta > 0) { return "> 0" }
            if hasVariability ? !(theta > 0) : !(theta >= 0) { return hasVariability ? "> 0 (it has variability)" : "≥ 0" }
        case .logit:
            if hasVariability ? !(theta > 0 && theta < 1) : !(theta >= 0 && theta <= 1) {
                return hasVariability ? "in (0, 1) (its variability is on the logit scale)" : "in [0, 1]"
            }
        case .signed:
            if hasVariability && theta == 0 { return "other than 0 (it has variability, θ·exp(η))" }
        }
        return nil
    }
}

/// One parameter of a built-in model, as `vtrial models` prints it.
public struct ParameterDefinition: Sendable, Equatable {
    public var name: String
    public var meaning: String
    public var dimension: QuantityDimension
    /// `nil`: the protocol must give a value.
    public var defaultValue: Double?
    public var scale: ParameterScale
    /// Where the default comes from.
    public var source: String?
    /// Whether the model is undefined at 0 (a volume, or a constant it divides by, such as KOUT
    /// in R(0) = KIN/KOUT): then the value must be > 0 even without variability.
    public var positive: Bool

    public init(_ name: String, _ meaning: String, _ dimension: QuantityDimension, default defaultValue: Double? = nil,
                scale: ParameterScale = .logNormal, positive: Bool = false, source: String? = nil) {
        self.name = name
        self.meaning = meaning
        self.dimension = dimension
        self.defaultValue = defaultValue
        self.scale = scale
        self.positive = positive
        self.source = source
    }

    /// What a typical value θ must be (`ParameterScale.typicalValueRequirement`, and > 0 where
    /// the model needs it), or nil when θ is admitted.
    public func typicalValueRequirement(_ theta: Double, hasVariability: Bool) -> String? {
        scale.typicalValueRequirement(theta, hasVariability: hasVariability, positive: positive)
    }
}

/// One output of a model that endpoints, AEs and time courses may read.
public struct OutputDefinition: Sendable, Equatable {
    public var name: String
    public var meaning: String
    public var dimension: QuantityDimension
    public init(_ name: String, _ meaning: String, _ dimension: QuantityDimension) {
        self.name = name
        self.meaning = meaning
        self.dimension = dimension
    }
}

/// A component of the model library: a PK structure, a PD type or a disease twin.
public struct ModelComponent: Sendable, Equatable {
    public enum Kind: String, Sendable { case pk, pd, twin }
    public var kind: Kind
    /// `pk`, `emax`, `idr1`, …, `oncology.tgi`, …
    public var id: String
    public var title: String
    /// Equations in plain text, as docs/models.md shows them.
    public var equations: [String]
    public var parameters: [ParameterDefinition]
    public var outputs: [OutputDefinition]
    public var source: String
}
