/// The linear compartment system of a model with linear elimination, written as
/// `dx/dt = K·x + e_central·R(t)` with `R` the total infusion rate (mg/h):
///
///     dA_depot/dt = −KA·A_depot                                   (oral only)
///     dA1/dt      =  KA·A_depot − (k10 + k12 + k13)·A1 + k21·A2 + k31·A3 + R
///     dA2/dt      =  k12·A1 − k21·A2                              (2–3 compartments)
///     dA3/dt      =  k13·A1 − k31·A3                              (3 compartments)
///     dCE/dt      =  KE0·(A1/V1 − CE)                             (effect compartment)
///     dAUC/dt     =  A1/V1
///     dAUCE/dt    =  CE                                           (∫CE, when asked for)
///
/// with k10 = CL/V1, k12 = Q/V1, k21 = Q/V2, k13 = Q3/V1, k31 = Q3/V3 (Gibaldi & Perrier,
/// Pharmacokinetics, 2nd ed., ch. 2–3). The effect compartment and the integrals are states of
/// the same linear system, so they are advanced exactly with it.
struct LinearPKSystem: Sendable {
    let depot: Int?
    let central: Int
    let peripherals: [Int]
    let effect: Int?
    let auc: Int
    let effectIntegral: Int?
    let count: Int

    init(compartments: Int, oral: Bool, effectCompartment: Bool, integrateEffect: Bool) {
        var next = 0
        func take() -> Int { defer { next += 1 }; return next }
        depot = oral ? take() : nil
        central = take()
        peripherals = (1..<max(1, compartments)).map { _ in take() }
        effect = effectCompartment ? take() : nil
        auc = take()
        effectIntegral = effectCompartment && integrateEffect ? take() : nil
        count = next
    }

    /// Per-subject rate constants of the system.
    struct Rates: Sendable, Equatable {
        var clearance = 0.0, centralVolume = 1.0
        var intercompartmentalClearance: SIMD2<Double> = [0, 0]
        var peripheralVolume: SIMD2<Double> = [1, 1]
        var absorptionRate = 0.0
        var effectRate = 0.0
    }

    /// Writes K (row-major, count × count) into `matrix`.
    func fillRateMatrix(_ r: Rates, into matrix: inout [Double]) {
        let n = count
        for k in 0..<(n * n) { matrix[k] = 0 }
        let v1 = r.centralVolume
        matrix[central * n + central] = -r.clearance / v1
        if let d = depot {
            matrix[d * n + d] = -r.absorptionRate
            matrix[central * n + d] = r.absorptionRate
        }
        for (i, p) in peripherals.enumerated() {
            let out = r.intercompartmentalClearance[i] / v1
            let back = r.intercompartmentalClearance[i] / r.peripheralVolume[i]
            matrix[central * n + central] -= out
            matrix[central * n + p] = back
            matrix[p * n + central] = out
            matrix[p * n + p] = -back
        }
        if let e = effect {
            matrix[e * n + central] = r.effectRate / v1
            matrix[e * n + e] = -r.effectRate
        }
        matrix[auc * n + central] = 1 / v1
        if let ie = effectIntegral, let e = effect { matrix[ie * n + e] = 1 }
    }
}
