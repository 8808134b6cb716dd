/// A model configuration turned into something that simulates: built once per protocol,
/// immutable, shared by every worker thread. Each thread makes its own `ModelSimulator`.
///
/// How a subject is simulated:
/// - Linear PK (and anything that is linear in it: AUC, the effect compartment and ∫CE) is
///   advanced exactly between consecutive event and observation times by `LinearPKPropagator`;
///   the right-hand side of solver states reads C(t) and CE(t) in closed form.
/// - Algebraic outputs (`emax` E, `cardio.qtc`) are evaluated from those states.
/// - States without a closed form (IDR responses, disease twins, Michaelis–Menten PK, integrals
///   of non-linear outputs) go through the `Solvers` ODE solver, restarted at every dose and
///   infusion start/stop; with linear PK, C(t) inside their right-hand side is the closed form
///   (`ConcentrationModes`), so the PK is never integrated numerically.
public struct CompiledModel: Sendable {
    public let configuration: ModelConfiguration
    public let solver: SolverSettings
    /// Outputs whose running integral ∫₀ᵗ is written to `integrals`, in that order.
    public let integratedOutputs: [String]
    /// The parameter vector's names (`ModelLibrary.parameters(for:)` order).
    public let parameterNames: [String]
    /// The outputs' names (`ModelLibrary.outputs(for:)` order).
    public let outputNames: [String]

    let outputKinds: [OutputKind]
    let slots: ParameterSlots
    /// The exactly advanced linear system (nil without PK or with Michaelis–Menten elimination).
    let linearSystem: LinearPKSystem?
    /// For each integrated output, where its integral is read.
    let integralSources: [IntegralSource]
    /// The states the solver integrates (nil when there are none).
    let odeLayout: ODELayout?
    let pdCount: Int
    let twinCount: Int
    /// How a custom model simulates (nil for built-in models); see `CustomModelPlan`.
    let custom: CustomModelPlan?

    enum IntegralSource: Sendable, Equatable {
        /// A state of the linear system (AUC for C, ∫CE for CE).
        case linearState(Int)
        /// A state of the ODE (AUC of Michaelis–Menten PK, or a quadrature state).
        case odeState(Int)
        /// `cardio.qtc` with linear PK: QTC = QTC0 + SLOPE·D is affine in its driver D (C, or CE
        /// with KE0), so ∫₀ᵗ QTC = QTC0·t + SLOPE·∫₀ᵗ D and ∫₀ᵗ DQTC = SLOPE·∫₀ᵗ D, read from the
        /// linear state `integral` (∫D), exact like it. `change`: DQTC (no QTC0·t term).
        case correctedQT(integral: Int, change: Bool)
    }

    public init(configuration: ModelConfiguration, solver: SolverSettings = .init(), integratedOutputs: [String] = []) throws {
        self.configuration = configuration
        self.solver = solver
        self.integratedOutputs = integratedOutputs
        let parameters = ModelLibrary.parameters(for: configuration)
        parameterNames = parameters.map(\.name)
        let outputs = ModelLibrary.outputs(for: configuration)
        outputNames = outputs.map(\.name)
        outputKinds = OutputKind.kinds(for: configuration)
        slots = ParameterSlots(configuration: configuration)
        pdCount = slots.pdRange.count
        twinCount = slots.twinRange.count

        if let program = configuration.custom {
            // Custom models have their own simulation path (CustomModelSimulation).
            custom = try CustomModelPlan(configuration: configuration, program: program, integratedOutputs: integratedOutputs)
            linearSystem = nil
            odeLayout = nil
            integralSources = []
            return
        }
        custom = nil
        if let pk = configuration.pk {
            guard (1...3).contains(pk.compartments) else {
                throw ModelConfigurationError("pk compartments must be 1, 2 or 3 (got \(pk.compartments))")
            }
        } else if configuration.effectCompartment {
            throw ModelConfigurationError("an effect compartment (KE0) needs a pk block that supplies C")
        }
        if let twin = configuration.twin, !ModelLibrary.twins.contains(where: { $0.id == twin }) {
            throw ModelConfigurationError("unknown disease twin '\(twin)'; known: \(ModelLibrary.twins.map(\.id).joined(separator: ", "))")
        }
        if configuration.pd != nil, configuration.twin != nil {
            throw ModelConfigurationError("a model has either a pd block or a disease twin, not both")
        }
        var integralKinds: [OutputKind] = []
        for name in integratedOutputs {
            guard let index = outputNames.firstIndex(of: name) else {
                throw ModelConfigurationError("cannot integrate '\(name)': not an output of this model (outputs: \(outputNames.joined(separator: ", ")))")
            }
            guard outputKinds[index] != .areaUnderCurve else {
                throw ModelConfigurationError("cannot integrate 'AUC': it is itself the integral of C")
            }
            integralKinds.append(outputKinds[index])
        }

        let linearPK = configuration.pk.map { $0.elimination == .linear } ?? false
        // The solver is needed for states without a closed form, and for integrals of outputs
        // that are not affine in the linear PK states (QTc's are: `IntegralSource.correctedQT`).
        let correctedQT: Set<OutputKind> = [.correctedQT, .correctedQTChange]
        let integratesQTC = linearPK && integralKinds.contains { correctedQT.contains($0) }
        let needsSolver = outputKinds.contains(where: \.needsSolver)
            || configuration.pk?.elimination == .michaelisMenten
            || integralKinds.contains { kind in
                !(kind == .concentration || kind == .effectConcentration || (linearPK && correctedQT.contains(kind)))
            }
        // With linear PK the effect compartment (and ∫CE) is a state of the linear system, advanced
        // exactly, also when a solver integrates other states: their right-hand side reads CE in
        // closed form (`ConcentrationModes.Curve.effectConcentration`), as it reads C.
        if let pk = configuration.pk, linearPK {
            linearSystem = LinearPKSystem(compartments: pk.compartments, oral: pk.absorption == .oral,
                                          effectCompartment: configuration.effectCompartment,
                                          integrateEffect: integratedOutputs.contains("CE")
                                              || (integratesQTC && configuration.effectCompartment))
        } else {
            linearSystem = nil
        }
        odeLayout = needsSolver
            ? ODELayout(configuration: configuration, quadratures: integralKinds, linearPK: linearPK, effectInClosedForm: true)
            : nil

        var sources: [IntegralSource] = []
        for kind in integralKinds {
            if kind == .concentration, let linear = linearSystem {
                sources.append(.linearState(linear.auc))
            } else if kind == .concentration, let layout = odeLayout, let auc = layout.areaUnderCurve {
                sources.append(.odeState(auc))
            } else if kind == .effectConcentration, let linear = linearSystem, let state = linear.effectIntegral {
                sources.append(.linearState(state))
            } else if correctedQT.contains(kind), let linear = linearSystem,
                      let integral = configuration.effectCompartment ? linear.effectIntegral : linear.auc {
                sources.append(.correctedQT(integral: integral, change: kind == .correctedQTChange))
            } else if let layout = odeLayout, let q = layout.quadrature(of: kind) {
                sources.append(.odeState(q))
            } else {
                throw ModelConfigurationError("cannot integrate output \(kind) in this configuration")
            }
        }
        integralSources = sources
    }

    /// A simulator with its own workspace, for one thread; reuse it for every subject.
    public func makeSimulator() -> ModelSimulator { ModelSimulator(model: self) }
}

extension CompiledModel {
    /// True when some states are integrated numerically (PD/twin/custom ODEs, Michaelis–Menten),
    /// false when the model is advanced entirely in closed form: a cost class for run-time estimates.
    public var integratesNumerically: Bool { odeLayout != nil || custom != nil }
}
