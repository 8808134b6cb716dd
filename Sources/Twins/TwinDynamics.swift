import Foundation
import Solvers

/// The right-hand side the solver integrates over one discontinuity-free segment: Michaelis–
/// Menten PK (when elimination is not linear), the effect compartment, the IDR response or the
/// disease twin's states, and quadrature states for integrated outputs. With linear PK, C(t)
/// comes from `ConcentrationModes` (closed form), so the PK is not integrated.
///
/// Equations (SPEC §4; rates in 1/h):
/// - Michaelis–Menten: dA1/dt = KA·Ad + R − VMAX·C/(KM + C) − Σₚ(k1p·A1 − kp1·Ap), C = A1/V1
///   (Rowland & Tozer, ch. 20); dAUC/dt = C.
/// - Effect compartment: dCE/dt = KE0·(C − CE) (Sheiner et al. 1979); the driver d is CE then,
///   else C. With linear PK, CE too comes in closed form (no state).
/// - IDR I–IV (Dayneka, Garg & Jusko 1993, J Pharmacokinet Biopharm 21:457).
/// - `oncology.tgi` (Claret et al. 2009), `oncology.myelosuppression` (Friberg et al. 2002),
///   `diabetes.t2d` (FPG–HbA1c turnover) as in `ModelLibrary.twins`.
struct TwinDynamics: ODESystem {
    enum Dynamics: Sendable { case none, idr(PDType), tumourGrowth, myelosuppression, glucose }

    let layout: ODELayout
    let dynamics: Dynamics
    let parameters: SubjectParameters
    /// Linear PK: C(t) = modes.concentration(at: t − segmentStart).
    let modes: ConcentrationModes?
    let segmentStart: Double
    let infusionRate: Double
    /// Time of the first dose: the tumour model's resistance term runs from treatment start.
    let treatmentStart: Double
    /// The effect compartment's CE comes from `modes` in closed form (linear PK; no CE state).
    let closedFormEffect: Bool

    var dimension: Int { layout.dimension }

    /// The common case — linear PK in closed form driving one IDR response, no other states —
    /// as a one-state system, or nil for any other layout. See ``ClosedFormIDR``.
    static func closedFormIDR(layout: ODELayout, dynamics: Dynamics, parameters: SubjectParameters,
                              modes: ConcentrationModes?, segmentStart: Double, closedFormEffect: Bool) -> ClosedFormIDR? {
        guard case let .idr(type) = dynamics, let modes, layout.central == nil, layout.effect == nil, !closedFormEffect,
              layout.quadratureKinds.isEmpty, layout.dimension == 1, layout.dynamicStates.lowerBound == 0,
              parameters.pd.count >= 4 else { return nil }
        let p = parameters.pd
        return ClosedFormIDR(curve: modes.segmentCurve, segmentStart: segmentStart, type: type,
                             kin: p[0], kout: p[1], maximum: p[2], potency: p[3])
    }

    /// R′ of an IDR model driven by C(t) in closed form, R the only state: what `TwinDynamics`
    /// computes for that layout, with everything the right-hand side reads copied into plain
    /// values (no arrays, no reference counts, no optionals). The solver's scalar path
    /// (``ScalarODESystem``) integrates it.
    ///
    /// Bit-identical to the general path: `forcing(at:)` is the inhibition (or stimulation)
    /// fraction Imax·C/(IC50 + C) and `derivative(_:y:)` the IDR equation, each the same
    /// expression as in `derivatives(t:y:dydt:)`; the fraction depends on `t` alone, so the solver
    /// may evaluate it once for the two Dormand–Prince stages at the same time.
    struct ClosedFormIDR: ScalarODESystem, Sendable {
        let curve: ConcentrationModes.Curve
        let segmentStart: Double
        let type: PDType
        let kin: Double, kout: Double, maximum: Double, potency: Double

        @inline(__always)
        func forcing(at t: Double) -> Double {
            let driver = curve.concentration(at: t - segmentStart)
            return maximum * driver / (potency + driver)
        }

        @inline(__always)
        func derivative(_ fraction: Double, y: Double) -> Double {
            switch type {
            case .idr1: return kin * (1 - fraction) - kout * y
            case .idr2: return kin - kout * (1 - fraction) * y
            case .idr3: return kin * (1 + fraction) - kout * y
            case .idr4: return kin - kout * (1 + fraction) * y
            case .emax: return 0
            }
        }
    }

    init(layout: ODELayout, dynamics: Dynamics, parameters: SubjectParameters, modes: ConcentrationModes?,
         segmentStart: Double, infusionRate: Double, treatmentStart: Double, closedFormEffect: Bool) {
        self.layout = layout
        self.closedFormEffect = closedFormEffect && modes != nil && layout.effect == nil
        self.dynamics = dynamics
        self.parameters = parameters
        self.modes = modes
        self.segmentStart = segmentStart
        self.infusionRate = infusionRate
        self.treatmentStart = treatmentStart
    }

    @inline(__always)
    func concentration(t: Double, y: UnsafeBufferPointer<Double>) -> Double {
        if let modes { return modes.concentration(at: t - segmentStart) }
        if let central = layout.central { return y[central] / parameters.centralVolume }
        return 0
    }

    func derivatives(t: Double, y: UnsafeBufferPointer<Double>, dydt: UnsafeMutableBufferPointer<Double>) {
        let p = parameters
        var c: Double, effect = 0.0
        if closedFormEffect, let modes {
            (c, effect) = modes.segmentCurve.concentrationAndEffect(at: t - segmentStart)
        } else {
            c = concentration(t: t, y: y)
        }
        if let central = layout.central {
            var input = infusionRate
            if let depot = layout.depot {
                dydt[depot] = -p.absorptionRate * y[depot]
                input += p.absorptionRate * y[depot]
            }
            var flow = input - p.maximumEliminationRate * c / (p.michaelisConstant + c)
            for (k, peripheral) in layout.peripherals.enumerated() {
                let transfer = p.intercompartmentalClearance[k] * (c - y[peripheral] / p.peripheralVolume[k])
                flow -= transfer
                dydt[peripheral] = transfer
            }
            dydt[central] = flow
            if let auc = layout.areaUnderCurve { dydt[auc] = c }
        }
        var driver = c
        if let effect = layout.effect {
            dydt[effect] = p.effectRate * (c - y[effect])
            driver = y[effect]
        } else if closedFormEffect {
            driver = effect
        }
        let s = layout.dynamicStates.lowerBound
        switch dynamics {
        case .none:
            break
        case let .idr(type):
            let (kin, kout, maximum, potency) = (p.pd[0], p.pd[1], p.pd[2], p.pd[3])
            let fraction = maximum * driver / (potency + driver)
            switch type {
            case .idr1: dydt[s] = kin * (1 - fraction) - kout * y[s]
            case .idr2: dydt[s] = kin - kout * (1 - fraction) * y[s]
            case .idr3: dydt[s] = kin * (1 + fraction) - kout * y[s]
            case .idr4: dydt[s] = kin - kout * (1 + fraction) * y[s]
            case .emax: dydt[s] = 0
            }
        case .tumourGrowth:
            let (kl, kd, lambda) = (p.twin[1], p.twin[2], p.twin[3])
            let resistance = t > treatmentStart ? exp(-lambda * (t - treatmentStart)) : 1
            dydt[s] = kl * y[s] - kd * driver * resistance * y[s]
        case .myelosuppression:
            let (circ0, mtt, gamma, slope) = (p.twin[0], p.twin[1], p.twin[2], p.twin[3])
            let ktr = 4 / mtt
            let feedback = pow(circ0 / y[s + 4], gamma)
            dydt[s] = ktr * y[s] * (1 - slope * driver) * feedback - ktr * y[s]
            dydt[s + 1] = ktr * (y[s] - y[s + 1])
            dydt[s + 2] = ktr * (y[s + 1] - y[s + 2])
            dydt[s + 3] = ktr * (y[s + 2] - y[s + 3])
            dydt[s + 4] = ktr * (y[s + 3] - y[s + 4])
        case .glucose:
            let (fpg0, hba1c0, koutFPG, koutHB, emax, ec50, slope) = (p.twin[0], p.twin[1], p.twin[2], p.twin[3], p.twin[4], p.twin[5], p.twin[6])
            dydt[s] = koutFPG * fpg0 * (1 - emax * driver / (ec50 + driver)) - koutFPG * y[s]
            dydt[s + 1] = koutHB * (hba1c0 + slope * (y[s] - fpg0) - y[s + 1])
        }
        for (j, kind) in layout.quadratureKinds.enumerated() {
            dydt[layout.quadratureStart + j] = value(of: kind, concentration: c, driver: driver, y: y)
        }
    }

    /// An output that a quadrature state integrates (never C or AUC: those have exact states).
    @inline(__always)
    func value(of kind: OutputKind, concentration c: Double, driver: Double, y: UnsafeBufferPointer<Double>) -> Double {
        let s = layout.dynamicStates.lowerBound
        switch kind {
        case .concentration: return c
        case .areaUnderCurve: return layout.areaUnderCurve.map { y[$0] } ?? 0
        case .effectConcentration: return layout.effect.map { y[$0] } ?? (closedFormEffect ? driver : c)
        case .effect: return AlgebraicEffects.emax(driver, parameters.pd)
        case .correctedQT: return AlgebraicEffects.correctedQT(driver, parameters.twin)
        case .correctedQTChange: return AlgebraicEffects.correctedQT(driver, parameters.twin) - parameters.twin[0]
        case .response, .tumourSize, .glucose: return y[s]
        case .neutrophils: return y[s + 4]
        case .glycatedHaemoglobin: return y[s + 1]
        }
    }
}
