/// Which state of the solver's vector holds what, for one configuration:
///
///     [PK (Michaelis–Menten only): depot?, A1, A2?, A3?, AUC] [CE?] [PD or twin states] [quadratures]
///
/// With linear PK neither the PK nor CE is integrated (both come from `ConcentrationModes` in
/// closed form; CE and ∫CE are states of the linear system). Quadrature states integrate outputs
/// that are not linear in the PK (∫E, ∫R, ∫TS, …) to solver tolerance.
struct ODELayout: Sendable, Equatable {
    let depot: Int?
    let central: Int?
    let peripherals: [Int]
    let areaUnderCurve: Int?
    let effect: Int?
    /// The PD response R, or the twin's states in its equations' order (TS; P, T1, T2, T3, N;
    /// FPG, HBA1C).
    let dynamicStates: Range<Int>
    let quadratureKinds: [OutputKind]
    let quadratureStart: Int
    let dimension: Int

    /// - Parameter effectInClosedForm: with linear PK, CE comes from its closed form
    ///   (`ConcentrationModes.Curve.effectConcentration`), so it is no state here, nor is its
    ///   integral (a state of the linear system); false keeps CE a solver state.
    init(configuration: ModelConfiguration, quadratures: [OutputKind], linearPK: Bool, effectInClosedForm: Bool) {
        var next = 0
        func take() -> Int { defer { next += 1 }; return next }
        if let pk = configuration.pk, !linearPK {
            depot = pk.absorption == .oral ? take() : nil
            central = take()
            peripherals = (1..<max(1, pk.compartments)).map { _ in take() }
            areaUnderCurve = take()
        } else {
            depot = nil; central = nil; peripherals = []; areaUnderCurve = nil
        }
        let closedFormEffect = effectInClosedForm && linearPK
        effect = configuration.effectCompartment && !closedFormEffect ? take() : nil
        var dynamicCount = 0
        if let pd = configuration.pd, pd != .emax { dynamicCount += 1 }
        switch configuration.twin {
        case "oncology.tgi": dynamicCount += 1
        case "oncology.myelosuppression": dynamicCount += 5
        case "diabetes.t2d": dynamicCount += 2
        default: break
        }
        dynamicStates = next..<(next + dynamicCount)
        next += dynamicCount
        // Integrals of C are the AUC state; everything else that is asked for gets a quadrature.
        var kinds: [OutputKind] = []
        for kind in quadratures where !(kind == .concentration) && !(closedFormEffect && kind == .effectConcentration)
            && !kinds.contains(kind) { kinds.append(kind) }
        quadratureKinds = kinds
        quadratureStart = next
        next += kinds.count
        dimension = next
    }

    func quadrature(of kind: OutputKind) -> Int? {
        quadratureKinds.firstIndex(of: kind).map { quadratureStart + $0 }
    }
}
