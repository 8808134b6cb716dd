/// The built-in model library: what `vtrial models` prints and what a protocol's parameter names
/// are checked against. Parameter order here is the order of the parameter vector a simulator
/// receives (`ModelLibrary.parameters(for:)`).
public enum ModelLibrary {
    /// PK parameters (SPEC §4). Which of them apply depends on the configuration.
    static let pkParameters: [ParameterDefinition] = [
        ParameterDefinition("CL", "clearance (linear elimination)", .clearance),
        ParameterDefinition("V1", "central volume (V is accepted as a synonym)", .volume, positive: true),
        ParameterDefinition("Q", "intercompartmental clearance, central ↔ peripheral 1", .clearance),
        ParameterDefinition("V2", "peripheral volume 1", .volume, positive: true),
        ParameterDefinition("Q3", "intercompartmental clearance, central ↔ peripheral 2", .clearance),
        ParameterDefinition("V3", "peripheral volume 2", .volume, positive: true),
        ParameterDefinition("KA", "first-order absorption rate constant", .rate),
        ParameterDefinition("F", "bioavailability of oral doses", .dimensionless, default: 1, scale: .logit),
        ParameterDefinition("TLAG", "absorption lag time of oral doses", .time, default: 0),
        ParameterDefinition("VMAX", "maximum elimination rate (Michaelis–Menten)", .amountPerTime),
        ParameterDefinition("KM", "concentration at half-maximal elimination (Michaelis–Menten)", .concentration, positive: true),
    ]

    static let effectCompartmentParameter = ParameterDefinition(
        "KE0", "effect-compartment equilibration rate constant: dCE/dt = KE0·(C − CE)", .rate)

    static let pdParameters: [PDType: [ParameterDefinition]] = [
        .emax: [
            ParameterDefinition("E0", "effect without drug", .dimensionless, scale: .signed),
            ParameterDefinition("EMAX", "maximum drug effect (negative for a decrease)", .dimensionless, scale: .signed),
            ParameterDefinition("EC50", "concentration at half-maximal effect", .concentration),
            ParameterDefinition("HILL", "Hill coefficient (sigmoidicity)", .dimensionless, default: 1),
        ],
        .idr1: idrParameters(inhibition: true),
        .idr2: idrParameters(inhibition: true),
        .idr3: idrParameters(inhibition: false),
        .idr4: idrParameters(inhibition: false),
    ]

    private static func idrParameters(inhibition: Bool) -> [ParameterDefinition] {
        let kin = ParameterDefinition("KIN", "zero-order production rate of the response", .fixed("unit/h"))
        let kout = ParameterDefinition("KOUT", "first-order loss rate constant of the response", .rate, positive: true)
        if inhibition {
            return [kin, kout,
                    ParameterDefinition("IMAX", "maximum fractional inhibition (0–1)", .dimensionless, scale: .logit),
                    ParameterDefinition("IC50", "concentration at half-maximal inhibition", .concentration, positive: true)]
        }
        return [kin, kout,
                ParameterDefinition("EMAX", "maximum fractional stimulation", .dimensionless),
                ParameterDefinition("EC50", "concentration at half-maximal stimulation", .concentration, positive: true)]
    }

    /// The PK parameters a configuration uses, in vector order.
    static func pkParameterNames(_ pk: PKConfiguration) -> [String] {
        var names: [String] = []
        names.append(pk.elimination == .linear ? "CL" : "VMAX")
        if pk.elimination == .michaelisMenten { names.append("KM") }
        names.append("V1")
        if pk.compartments >= 2 { names += ["Q", "V2"] }
        if pk.compartments >= 3 { names += ["Q3", "V3"] }
        if pk.absorption == .oral { names += ["KA", "F", "TLAG"] }
        return names
    }
}

extension ModelLibrary {
    /// Disease twins by id (SPEC §4). Each reads `C` (or `CE` with KE0) from the PK block.
    public static let twins: [ModelComponent] = [
        ModelComponent(kind: .twin, id: "oncology.tgi", title: "Tumour growth inhibition, exposure-driven (Claret et al. 2009)",
                       equations: ["dTS/dt = KL·TS − KD·C·exp(−LAMBDA·t)·TS, TS(0) = TS0"],
                       parameters: [
                           ParameterDefinition("TS0", "baseline tumour size (sum of longest diameters)", .fixed("mm")),
                           ParameterDefinition("KL", "tumour growth rate constant", .rate),
                           ParameterDefinition("KD", "drug kill rate per unit concentration", .inverseConcentrationPerTime),
                           ParameterDefinition("LAMBDA", "rate of resistance appearance", .rate),
                       ],
                       outputs: [OutputDefinition("TS", "tumour size", .fixed("mm"))],
                       source: "Claret L et al. J Clin Oncol 2009;27:4103-4108"),
        ModelComponent(kind: .twin, id: "oncology.myelosuppression", title: "Semi-mechanistic myelosuppression (Friberg et al. 2002)",
                       equations: ["ktr = 4/MTT; E = SLOPE·C",
                                   "dP/dt = ktr·P·(1 − E)·(CIRC0/N)^GAMMA − ktr·P",
                                   "dT1/dt = ktr·(P − T1); dT2/dt = ktr·(T1 − T2); dT3/dt = ktr·(T2 − T3)",
                                   "dN/dt = ktr·(T3 − N); all states start at CIRC0"],
                       parameters: [
                           ParameterDefinition("CIRC0", "baseline absolute neutrophil count", .fixed("10^9/L"), default: 5.05, positive: true,
                                               source: "Friberg 2002, docetaxel (neutrophils)"),
                           ParameterDefinition("MTT", "mean transit time through the maturation chain", .time, default: 88.7, positive: true,
                                               source: "Friberg 2002, docetaxel (neutrophils)"),
                           ParameterDefinition("GAMMA", "feedback exponent", .dimensionless, default: 0.161,
                                               source: "Friberg 2002, docetaxel (neutrophils)"),
                           ParameterDefinition("SLOPE", "linear drug effect on proliferation", .inverseConcentration),
                       ],
                       outputs: [OutputDefinition("ANC", "absolute neutrophil count (= N)", .fixed("10^9/L"))],
                       source: "Friberg LE et al. J Clin Oncol 2002;20:4713-4721"),
        ModelComponent(kind: .twin, id: "diabetes.t2d", title: "FPG–HbA1c turnover for type 2 diabetes",
                       equations: ["dFPG/dt = KOUT_FPG·FPG0·(1 − EMAX·C/(EC50 + C)) − KOUT_FPG·FPG",
                                   "dHBA1C/dt = KOUT_HB·(HBA1C0 + SLOPE_HB·(FPG − FPG0) − HBA1C)",
                                   "FPG(0) = FPG0, HBA1C(0) = HBA1C0"],
                       parameters: [
                           ParameterDefinition("FPG0", "baseline fasting plasma glucose", .fixed("mmol/L")),
                           ParameterDefinition("HBA1C0", "baseline HbA1c", .fixed("%")),
                           ParameterDefinition("KOUT_FPG", "FPG turnover rate constant", .rate),
                           ParameterDefinition("KOUT_HB", "HbA1c turnover rate constant", .rate),
                           ParameterDefinition("EMAX", "maximum fractional FPG lowering (0–1)", .dimensionless, scale: .logit),
                           ParameterDefinition("EC50", "concentration at half-maximal FPG lowering", .concentration, positive: true),
                           ParameterDefinition("SLOPE_HB", "HbA1c change per FPG change", .fixed("%/(mmol/L)"), default: 1 / 1.59,
                                               source: "ADAG: Nathan DM et al. Diabetes Care 2008;31:1473-1478"),
                       ],
                       outputs: [OutputDefinition("FPG", "fasting plasma glucose", .fixed("mmol/L")),
                                 OutputDefinition("HBA1C", "glycated haemoglobin", .fixed("%"))],
                       source: "Hamrén B et al. Clin Pharmacol Ther 2008;84:228-235; Møller JB et al. CPT:PSP 2013"),
        ModelComponent(kind: .twin, id: "cardio.qtc", title: "Linear concentration–QTc (ICH E14)",
                       equations: ["QTC = QTC0 + SLOPE·C", "DQTC = QTC − QTC0"],
                       parameters: [
                           ParameterDefinition("QTC0", "baseline QTc", .fixed("ms")),
                           ParameterDefinition("SLOPE", "QTc change per unit concentration", .fixed("ms·L/mg"), scale: .signed),
                       ],
                       outputs: [OutputDefinition("QTC", "corrected QT interval", .fixed("ms")),
                                 OutputDefinition("DQTC", "change of QTc from baseline", .fixed("ms"))],
                       source: "Garnett CE et al. J Clin Pharmacol 2008;48:13-18; ICH E14"),
    ]

    /// Every parameter a configuration uses, in the order of the simulator's parameter vector:
    /// PK, then KE0 (with an effect compartment), then PD, then the disease twin, then the custom
    /// model's declared parameters.
    public static func parameters(for configuration: ModelConfiguration) -> [ParameterDefinition] {
        var out: [ParameterDefinition] = []
        if let pk = configuration.pk {
            for name in pkParameterNames(pk) { out.append(pkParameters.first { $0.name == name }!) }
        }
        if configuration.effectCompartment { out.append(effectCompartmentParameter) }
        if let pd = configuration.pd { out += pdParameters[pd]! }
        if let id = configuration.twin, let twin = twins.first(where: { $0.id == id }) { out += twin.parameters }
        if let custom = configuration.custom { out += custom.parameters }
        return out
    }

    /// Every output of a configuration, in the order `vtrial models` lists them and timecourse.csv
    /// writes them: C and AUC (PK), CE (effect compartment), then the PD, twin or custom outputs.
    public static func outputs(for configuration: ModelConfiguration) -> [OutputDefinition] {
        var out: [OutputDefinition] = []
        if configuration.pk != nil {
            out.append(OutputDefinition("C", "central concentration = central amount / V1", .concentration))
            out.append(OutputDefinition("AUC", "cumulative area under C", .exposure))
        }
        if configuration.effectCompartment { out.append(OutputDefinition("CE", "effect-compartment concentration", .concentration)) }
        if let pd = configuration.pd {
            out.append(pd == .emax ? OutputDefinition("E", "drug effect", .dimensionless) : OutputDefinition("R", "response", .fixed("unit")))
        }
        if let id = configuration.twin, let twin = twins.first(where: { $0.id == id }) { out += twin.outputs }
        if let custom = configuration.custom {
            for o in custom.outputs {
                switch o.source {
                case .state: out.append(OutputDefinition(o.name, "custom model state", .dimensionless))
                case .derived: out.append(OutputDefinition(o.name, "custom model derived value", .dimensionless))
                }
            }
        }
        return out
    }
}
