/// The registry `vtrial models` prints and docs/models.md shows: every PK structure, PD type and
/// disease twin with its equations, parameters (unit, default, source) and outputs.
extension ModelLibrary {
    public static var components: [ModelComponent] {
        [pkComponent] + PDType.allCases.map(pdComponent) + twins
    }

    static let pkComponent = ModelComponent(
        kind: .pk, id: "pk",
        title: "Linear or Michaelis–Menten compartmental PK (1–3 compartments; iv bolus, infusion or first-order oral absorption)",
        equations: [
            "k10 = CL/V1, k12 = Q/V1, k21 = Q/V2, k13 = Q3/V1, k31 = Q3/V3",
            "dAd/dt = −KA·Ad                                  (oral; a dose D enters Ad as F·D at t + TLAG)",
            "dA1/dt = KA·Ad + R(t) − k10·A1 − k12·A1 + k21·A2 − k13·A1 + k31·A3   (R: infusion rate)",
            "dA2/dt = k12·A1 − k21·A2;  dA3/dt = k13·A1 − k31·A3",
            "Michaelis–Menten: k10·A1 is replaced by VMAX·C/(KM + C)",
            "C = A1/V1;  AUC = ∫₀ᵗ C dt",
            "with KE0 (effect compartment): dCE/dt = KE0·(C − CE), CE(0) = 0; PD and twins then read CE",
            "linear PK is advanced exactly (transition matrix exp(K·h)); Michaelis–Menten with the ODE solver",
        ],
        parameters: pkParameters + [effectCompartmentParameter],
        outputs: [OutputDefinition("C", "central concentration = central amount / V1", .concentration),
                  OutputDefinition("AUC", "cumulative area under C", .exposure),
                  OutputDefinition("CE", "effect-compartment concentration (with KE0)", .concentration)],
        source: "Gibaldi M, Perrier D. Pharmacokinetics, 2nd ed. 1982; Sheiner LB et al. Clin Pharmacol Ther 1979;25:358-371 (effect compartment)")

    static func pdComponent(_ type: PDType) -> ModelComponent {
        let idrSource = "Dayneka NL, Garg V, Jusko WJ. J Pharmacokinet Biopharm 1993;21:457-478"
        let output = OutputDefinition("R", "response", .fixed("unit"))
        switch type {
        case .emax:
            return ModelComponent(kind: .pd, id: "emax", title: "Sigmoid Emax (direct effect)",
                                  equations: ["E = E0 + EMAX·C^HILL/(EC50^HILL + C^HILL)"],
                                  parameters: pdParameters[.emax]!,
                                  outputs: [OutputDefinition("E", "drug effect", .dimensionless)],
                                  source: "Holford NHG, Sheiner LB. Clin Pharmacokinet 1981;6:429-453")
        case .idr1:
            return ModelComponent(kind: .pd, id: "idr1", title: "Indirect response I: inhibition of production",
                                  equations: ["dR/dt = KIN·(1 − IMAX·C/(IC50 + C)) − KOUT·R", "R(0) = KIN/KOUT"],
                                  parameters: pdParameters[.idr1]!, outputs: [output], source: idrSource)
        case .idr2:
            return ModelComponent(kind: .pd, id: "idr2", title: "Indirect response II: inhibition of loss",
                                  equations: ["dR/dt = KIN − KOUT·(1 − IMAX·C/(IC50 + C))·R", "R(0) = KIN/KOUT"],
                                  parameters: pdParameters[.idr2]!, outputs: [output], source: idrSource)
        case .idr3:
            return ModelComponent(kind: .pd, id: "idr3", title: "Indirect response III: stimulation of production",
                                  equations: ["dR/dt = KIN·(1 + EMAX·C/(EC50 + C)) − KOUT·R", "R(0) = KIN/KOUT"],
                                  parameters: pdParameters[.idr3]!, outputs: [output], source: idrSource)
        case .idr4:
            return ModelComponent(kind: .pd, id: "idr4", title: "Indirect response IV: stimulation of loss",
                                  equations: ["dR/dt = KIN − KOUT·(1 + EMAX·C/(EC50 + C))·R", "R(0) = KIN/KOUT"],
                                  parameters: pdParameters[.idr4]!, outputs: [output], source: idrSource)
        }
    }
}
