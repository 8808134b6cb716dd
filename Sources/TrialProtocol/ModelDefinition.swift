import Expressions
import Twins

/// The protocol's `model:` block (SPEC §4), validated against `ModelLibrary`, every value in
/// canonical units.
public struct ModelDefinition: Sendable {
    public var configuration: ModelConfiguration
    /// Every parameter of the configuration, in `ModelLibrary.parameters(for:)` order (the
    /// simulator's parameter vector order), with its typical value and variability.
    public var parameters: [ModelParameter]
    /// `ModelLibrary.outputs(for: configuration)`: output `i` is register slot `i` of every
    /// expression over model outputs (AE and rule conditions).
    public var outputs: [OutputDefinition]
    /// Correlations between the η of two parameters (indices into `parameters`), both with
    /// variability > 0.
    public var etaCorrelations: [ParameterCorrelation]
    /// Covariate effects, in file order: typical value × Π effects.
    public var covariateEffects: [CovariateEffect]
    /// Residual error per output that has one.
    public var residuals: [ResidualError]
    public var solver: SolverOptions

    public init(configuration: ModelConfiguration, parameters: [ModelParameter], outputs: [OutputDefinition],
                etaCorrelations: [ParameterCorrelation] = [], covariateEffects: [CovariateEffect] = [],
                residuals: [ResidualError] = [], solver: SolverOptions = SolverOptions()) {
        self.configuration = configuration
        self.parameters = parameters
        self.outputs = outputs
        self.etaCorrelations = etaCorrelations
        self.covariateEffects = covariateEffects
        self.residuals = residuals
        self.solver = solver
    }

    public func parameterIndex(_ name: String) -> Int? { parameters.firstIndex { $0.name == name } }
    public func outputIndex(_ name: String) -> Int? { outputs.firstIndex { $0.name == name } }
}

/// One model parameter: its library definition, its typical value and the SD of its η.
public struct ModelParameter: Sendable {
    public var definition: ParameterDefinition
    public var value: ParameterValue
    /// SD of η (SPEC §4 "Variability"; on the scale `definition.scale` says); 0 = no variability.
    public var variability: Double

    public var name: String { definition.name }

    public init(definition: ParameterDefinition, value: ParameterValue, variability: Double = 0) {
        self.definition = definition
        self.value = value
        self.variability = variability
    }
}

/// A typical parameter value in the canonical unit of its dimension.
public enum ParameterValue: Sendable {
    case constant(Double)
    /// An expression over the subject's covariates, compiled against the population's register
    /// layout (`PopulationSpec.allNames`: covariates, then derived; categorical ones by level
    /// index). Its result is in the parameter's canonical unit.
    case covariateExpression(CompiledExpression)

    /// The constant, or `nil` for a per-subject expression.
    public var constant: Double? { if case let .constant(v) = self { return v } else { return nil } }

    /// The value for one subject (`registers` in the population's layout).
    public func value(covariates registers: [Double]) -> Double {
        switch self {
        case let .constant(v): return v
        case let .covariateExpression(e): return e.evaluate(registers)
        }
    }
}

public struct ParameterCorrelation: Sendable, Equatable {
    public var first: Int
    public var second: Int
    public var rho: Double
    public init(first: Int, second: Int, rho: Double) {
        self.first = first
        self.second = second
        self.rho = rho
    }
}

/// How one covariate scales one parameter.
public struct CovariateEffect: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// θ · (covariate / reference)^exponent.
        case power(exponent: Double, reference: Double)
        /// θ · multipliers[level index]; levels not named in the protocol have multiplier 1.
        case categorical(multipliers: [Double])
    }
    /// Index into `ModelDefinition.parameters`.
    public var parameter: Int
    /// Register slot of the covariate in the population layout.
    public var covariate: Int
    public var covariateName: String
    public var kind: Kind

    public init(parameter: Int, covariate: Int, covariateName: String, kind: Kind) {
        self.parameter = parameter
        self.covariate = covariate
        self.covariateName = covariateName
        self.kind = kind
    }
}

/// y_obs = y·(1 + ε₁·proportional) + ε₂·additive (SPEC §4).
public struct ResidualError: Sendable, Equatable {
    /// Index into `ModelDefinition.outputs`.
    public var output: Int
    public var proportional: Double
    public var additive: Double
    public init(output: Int, proportional: Double, additive: Double) {
        self.output = output
        self.proportional = proportional
        self.additive = additive
    }
}

public struct SolverOptions: Sendable, Equatable {
    public enum Method: String, Sendable, CaseIterable { case auto, nonstiff, stiff }
    public var relativeTolerance: Double
    public var absoluteTolerance: Double
    public var method: Method
    public init(relativeTolerance: Double = 1e-6, absoluteTolerance: Double = 1e-9, method: Method = .auto) {
        self.relativeTolerance = relativeTolerance
        self.absoluteTolerance = absoluteTolerance
        self.method = method
    }
}
