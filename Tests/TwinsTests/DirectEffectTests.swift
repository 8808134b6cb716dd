import Foundation
import Testing
@testable import Twins

/// `emax` PD, the effect compartment and the QTc twin: algebraic in the exactly advanced linear
/// states (SPEC §4).
@Suite struct DirectEffectTests {
    /// 1-cmt bolus with an effect compartment: CE(t) = D/V·KE0/(KE0 − k)·(e^{−k t} − e^{−KE0 t})
    /// (Sheiner et al. 1979, Clin Pharmacol Ther 25:358), E = E0 + EMAX·CE^h/(EC50^h + CE^h).
    @Test func effectCompartmentDrivesSigmoidEmax() throws {
        let (cl, v, ke0) = (4.0, 20.0, 0.35)
        let k = cl / v
        let (e0, emax, ec50, hill) = (80.0, -50.0, 1.5, 2.3)
        let doses = [Dose(time: 0, amount: 100, route: .bolus), Dose(time: 12, amount: 60, route: .bolus)]
        let single = ExponentialSum(coefficients: [ke0 / (ke0 - k) / v, -ke0 / (ke0 - k) / v], rates: [k, ke0])
        let times = grid(until: 48, step: 0.5)
        let ce = times.map { t in doses.reduce(0) { $0 + $1.amount * single.value(t - $1.time) } }
        let integral = times.map { t in doses.reduce(0) { $0 + $1.amount * single.integral(t - $1.time) } }
        let config = ModelConfiguration(pk: PKConfiguration(compartments: 1, absorption: .ivBolus), pd: .emax, effectCompartment: true)
        let result = try simulate(config, ["CL": cl, "V1": v, "KE0": ke0, "E0": e0, "EMAX": emax, "EC50": ec50, "HILL": hill],
                                  doses: doses, times: times, integrate: ["CE"])
        expectClose(result.outputs["CE"]!, ce, "CE")
        expectClose(result.integrals["CE"]!, integral, "∫CE")
        expectClose(result.outputs["E"]!, ce.map { e0 + emax * pow($0, hill) / (pow(ec50, hill) + pow($0, hill)) }, "E")
        #expect(result.baseline["E"] == e0)
    }

    /// Emax on C of a 2-cmt oral model (hyperbolic, HILL = 1 by default).
    @Test func emaxOnCentralConcentration() throws {
        let single = LinearPKClosedFormTests.twoCompartmentOral(dose: 100, cl: 5, v1: 50, q: 10, v2: 100, ka: 1)
        let times = grid(until: 48)
        let c = times.map { single.value($0) + single.value($0 - 24) }
        let config = ModelConfiguration(pk: PKConfiguration(compartments: 2, absorption: .oral), pd: .emax)
        let result = try simulate(config, ["CL": 5, "V1": 50, "Q": 10, "V2": 100, "KA": 1, "E0": 100, "EMAX": -40, "EC50": 1],
                                  doses: [Dose(time: 0, amount: 100, route: .oral), Dose(time: 24, amount: 100, route: .oral)], times: times)
        expectClose(result.outputs["E"]!, c.map { 100 - 40 * $0 / (1 + $0) }, "E")
    }

    /// ICH E14 linear concentration–QTc: QTC = QTC0 + SLOPE·C, DQTC = SLOPE·C.
    @Test func linearQTc() throws {
        let (cl, v) = (10.0, 100.0)
        let times = grid(until: 24)
        let config = ModelConfiguration(pk: PKConfiguration(compartments: 1, absorption: .ivBolus), twin: "cardio.qtc")
        let result = try simulate(config, ["CL": cl, "V1": v, "QTC0": 410, "SLOPE": 2.5],
                                  doses: [Dose(time: 0, amount: 400, route: .bolus)], times: times)
        let c = times.map { 4 * exp(-0.1 * $0) }
        expectClose(result.outputs["QTC"]!, c.map { 410 + 2.5 * $0 }, "QTC")
        expectClose(result.outputs["DQTC"]!, c.map { 2.5 * $0 }, relative: 1e-9, absolute: 1e-10, "DQTC")
        #expect(result.baseline["QTC"] == 410 && result.baseline["DQTC"] == 0)
    }

    /// QTC and DQTC are affine in C (or CE), so their integrals (mean and auc endpoints) are exact
    /// with linear PK, as ∫C is (SPEC §2: closed form for linear PK; §4: to 1e-9): ∫₀ᵗ QTC =
    /// QTC0·t + SLOPE·∫C, here against the closed forms of a 1-compartment bolus, ∫C =
    /// (D/V)(1 − e^{−kt})/k and, with KE0, ∫CE = (D/V)·KE0/(KE0 − k)·((1 − e^{−kt})/k − (1 − e^{−KE0·t})/KE0).
    /// No solver is involved (they were integrated by it, ~4e-6 off at the default rtol).
    @Test func linearQTcIntegralsAreExact() throws {
        let (cl, v, ke0, dose) = (10.0, 100.0, 0.35, 400.0)
        let k = cl / v
        let times = grid(until: 48).map { $0 + 0.3 }
        let pk = PKConfiguration(compartments: 1, absorption: .ivBolus)
        for effect in [false, true] {
            let config = ModelConfiguration(pk: pk, twin: "cardio.qtc", effectCompartment: effect)
            let model = try CompiledModel(configuration: config, integratedOutputs: ["QTC", "DQTC"])
            #expect(!model.integratesNumerically)
            let result = try simulate(config, ["CL": cl, "V1": v, "KE0": ke0, "QTC0": 410, "SLOPE": 2.5],
                                      doses: [Dose(time: 0, amount: dose, route: .bolus)], times: times, integrate: ["QTC", "DQTC"])
            let driverIntegral = times.map { t in
                effect ? dose / v * ke0 / (ke0 - k) * ((1 - exp(-k * t)) / k - (1 - exp(-ke0 * t)) / ke0) : dose / v * (1 - exp(-k * t)) / k
            }
            expectClose(result.integrals["QTC"]!, zip(times, driverIntegral).map { 410 * $0 + 2.5 * $1 }, relative: 1e-12, absolute: 1e-12,
                        "∫QTC (effect \(effect))")
            expectClose(result.integrals["DQTC"]!, driverIntegral.map { 2.5 * $0 }, relative: 1e-12, absolute: 1e-12, "∫DQTC (effect \(effect))")
        }
    }
}
