import Foundation
import Testing
@testable import Twins

/// Linear PK against the published single-dose closed forms, summed over doses (superposition):
/// Gibaldi & Perrier, Pharmacokinetics (2nd ed.), ch. 1–3; Rowland & Tozer.
@Suite struct LinearPKClosedFormTests {
    /// 1-cmt oral, Bateman: C(t) = F·D·KA/(V·(KA − k))·(e^{−k t} − e^{−KA t}), k = CL/V, t from
    /// dose time + TLAG.
    @Test func oneCompartmentOralBatemanWithLagAndBioavailability() throws {
        let (cl, v, ka, f, tlag) = (3.0, 40.0, 0.7, 0.6, 0.75)
        let k = cl / v
        let doses = [0.0, 12, 24, 30.5, 48].map { Dose(time: $0, amount: 100, route: .oral) }
        let times = grid(until: 96, step: 0.5) + [30.5 + tlag, 100]
        let bateman = ExponentialSum(coefficients: [f * 100 * ka / (v * (ka - k)), -f * 100 * ka / (v * (ka - k))], rates: [k, ka])
        let expectedC = times.map { t in doses.reduce(0) { $0 + bateman.value(t - $1.time - tlag) } }
        let expectedAUC = times.map { t in doses.reduce(0) { $0 + bateman.integral(t - $1.time - tlag) } }
        let config = ModelConfiguration(pk: PKConfiguration(compartments: 1, absorption: .oral))
        let sorted = times.sorted()
        let result = try simulate(config, ["CL": cl, "V1": v, "KA": ka, "F": f, "TLAG": tlag], doses: doses, times: sorted, integrate: ["C"])
        let order = times.indices.sorted { times[$0] < times[$1] }
        expectClose(result.outputs["C"]!, order.map { expectedC[$0] }, "C")
        expectClose(result.outputs["AUC"]!, order.map { expectedAUC[$0] }, "AUC")
        expectClose(result.integrals["C"]!, order.map { expectedAUC[$0] }, "∫C")
        #expect(result.baseline["C"] == 0 && result.baseline["AUC"] == 0)
    }

    /// KA = k makes the Bateman function 0/0; its limit is F·D·KA/V·t·e^{−k t}. The transition
    /// matrix handles the defective case without a special branch.
    @Test func oneCompartmentOralWithAbsorptionEqualToElimination() throws {
        let (cl, v) = (5.0, 50.0)
        let ka = cl / v
        let times = grid(until: 72, step: 0.25)
        let config = ModelConfiguration(pk: PKConfiguration(compartments: 1, absorption: .oral))
        let result = try simulate(config, ["CL": cl, "V1": v, "KA": ka], doses: [Dose(time: 0, amount: 80, route: .oral)], times: times)
        expectClose(result.outputs["C"]!, times.map { 80 * ka / v * $0 * exp(-ka * $0) }, "C")
        // ∫ t·e^{−kt} = (1 − e^{−kt}(1 + kt))/k²
        expectClose(result.outputs["AUC"]!, times.map { 80 * ka / v * (1 - exp(-ka * $0) * (1 + ka * $0)) / (ka * ka) }, "AUC")
    }

    /// 2-cmt oral (BENCHMARKS.md W1): C = D·KA/V1·Σ over {α, β, KA} of (k21 − r)/Π(other − r)·e^{−r t}
    /// with α, β the roots of λ² − (k10 + k12 + k21)λ + k10·k21.
    static func twoCompartmentOral(dose: Double, cl: Double, v1: Double, q: Double, v2: Double, ka: Double) -> ExponentialSum {
        let (k10, k12, k21) = (cl / v1, q / v1, q / v2)
        let s = k10 + k12 + k21
        let root = sqrt(s * s - 4 * k10 * k21)
        let alpha = (s + root) / 2, beta = (s - root) / 2
        let a = (k21 - alpha) / ((ka - alpha) * (beta - alpha))
        let b = (k21 - beta) / ((ka - beta) * (alpha - beta))
        let c = (k21 - ka) / ((alpha - ka) * (beta - ka))
        let scale = dose * ka / v1
        return ExponentialSum(coefficients: [scale * a, scale * b, scale * c], rates: [alpha, beta, ka])
    }

    @Test func twoCompartmentOralMatchesSuperposition() throws {
        let p = (cl: 4.0, v1: 30.0, q: 7.0, v2: 80.0, ka: 1.3)
        let single = Self.twoCompartmentOral(dose: 1, cl: p.cl, v1: p.v1, q: p.q, v2: p.v2, ka: p.ka)
        let doses = [Dose(time: 0, amount: 50, route: .oral), Dose(time: 8, amount: 25, route: .oral), Dose(time: 8, amount: 25, route: .oral),
                     Dose(time: 20.3, amount: 100, route: .oral)]
        let times = grid(until: 120, step: 0.7)
        let expected = times.map { t in doses.reduce(0) { $0 + $1.amount * single.value(t - $1.time) } }
        let expectedAUC = times.map { t in doses.reduce(0) { $0 + $1.amount * single.integral(t - $1.time) } }
        let config = ModelConfiguration(pk: PKConfiguration(compartments: 2, absorption: .oral))
        let result = try simulate(config, ["CL": p.cl, "V1": p.v1, "Q": p.q, "V2": p.v2, "KA": p.ka], doses: doses, times: times)
        expectClose(result.outputs["C"]!, expected, "C")
        expectClose(result.outputs["AUC"]!, expectedAUC, "AUC")
    }

    /// W1 typical patient (BENCHMARKS.md): Cmax over the hourly grid 1.661612724, C(672)
    /// 0.4816201058, ∫₆₄₈⁶⁷² C dt = 19.9999997547.
    @Test func w1TypicalPatient() throws {
        let config = ModelConfiguration(pk: PKConfiguration(compartments: 2, absorption: .oral))
        let doses = (0..<28).map { Dose(time: Double($0) * 24, amount: 100, route: .oral) }
        let times = grid(until: 672)
        let result = try simulate(config, ["CL": 5, "V1": 50, "Q": 10, "V2": 100, "KA": 1], doses: doses, times: times, integrate: ["C"])
        let c = result.outputs["C"]!
        #expect(abs(c.max()! - 1.661612724) < 1e-9)
        #expect(abs(c[672] - 0.4816201058) < 1e-10)
        let auc = result.integrals["C"]!
        #expect(abs(auc[672] - auc[648] - 19.9999997547) < 1e-9)
        // Also the independent superposition at every grid point.
        let single = Self.twoCompartmentOral(dose: 100, cl: 5, v1: 50, q: 10, v2: 100, ka: 1)
        expectClose(c, times.map { t in doses.reduce(0) { $0 + single.value(t - $1.time) } }, "C")
    }

    /// 1-cmt infusion: C = R/(k·V)·(1 − e^{−k·min(t, T)})·e^{−k·max(0, t − T)}, spanning several
    /// grid points, with a bolus during the infusion and a second, overlapping infusion.
    @Test func oneCompartmentInfusionsAndBolusDuringInfusion() throws {
        let (cl, v) = (6.0, 25.0)
        let k = cl / v
        func infusion(_ t: Double, start: Double, amount: Double, duration: Double) -> Double {
            let tau = t - start
            if tau <= 0 { return 0 }
            let rate = amount / duration
            return rate / (k * v) * (1 - exp(-k * min(tau, duration))) * exp(-k * max(0, tau - duration))
        }
        func infusionAUC(_ t: Double, start: Double, amount: Double, duration: Double) -> Double {
            let tau = t - start
            if tau <= 0 { return 0 }
            let rate = amount / duration
            let during = min(tau, duration)
            let plateau = rate / (k * v)
            var auc = plateau * (during - (1 - exp(-k * during)) / k)
            if tau > duration { auc += plateau * (1 - exp(-k * duration)) * (1 - exp(-k * (tau - duration))) / k }
            return auc
        }
        let doses = [Dose(time: 0, amount: 500, route: .infusion(duration: 5.5)),
                     Dose(time: 3, amount: 100, route: .bolus),
                     Dose(time: 4, amount: 200, route: .infusion(duration: 2))]
        let times = grid(until: 30, step: 0.5)
        let expected = times.map { t in
            infusion(t, start: 0, amount: 500, duration: 5.5) + (t >= 3 ? 100 / v * exp(-k * (t - 3)) : 0)
                + infusion(t, start: 4, amount: 200, duration: 2)
        }
        let expectedAUC = times.map { t in
            infusionAUC(t, start: 0, amount: 500, duration: 5.5) + (t >= 3 ? 100 / v * (1 - exp(-k * (t - 3))) / k : 0)
                + infusionAUC(t, start: 4, amount: 200, duration: 2)
        }
        let config = ModelConfiguration(pk: PKConfiguration(compartments: 1, absorption: .infusion))
        let result = try simulate(config, ["CL": cl, "V1": v], doses: doses, times: times)
        expectClose(result.outputs["C"]!, expected, "C")
        expectClose(result.outputs["AUC"]!, expectedAUC, "AUC")
        // The bolus at t = 3 is included in the value read at t = 3.
        #expect(result.outputs["C"]![6] > result.outputs["C"]![5])
    }

    /// 3-cmt iv bolus: C = D/V1·Σᵢ (k21 − λᵢ)(k31 − λᵢ)/Π_{j≠i}(λⱼ − λᵢ)·e^{−λᵢ t}, λᵢ the roots of
    /// λ³ − a₂λ² + a₁λ − a₀ (a₂ = k10+k12+k13+k21+k31, a₁ = k10k21 + k10k31 + k12k31 + k13k21 + k21k31,
    /// a₀ = k10k21k31), found here by the trigonometric cubic formula (Gibaldi & Perrier, App. C).
    @Test func threeCompartmentBolusTriExponential() throws {
        let (cl, v1, q, v2, q3, v3) = (2.5, 12.0, 9.0, 30.0, 1.5, 140.0)
        let (k10, k12, k21, k13, k31) = (cl / v1, q / v1, q / v2, q3 / v1, q3 / v3)
        let a2 = k10 + k12 + k13 + k21 + k31
        let a1 = k10 * k21 + k10 * k31 + k12 * k31 + k13 * k21 + k21 * k31
        let a0 = k10 * k21 * k31
        let p = a1 - a2 * a2 / 3
        let qq = -2 * a2 * a2 * a2 / 27 + a2 * a1 / 3 - a0
        let r = sqrt(-p * p * p / 27)
        let phi = acos(-qq / (2 * r))
        let m = 2 * cbrt(r)
        let roots = [0.0, 1, 2].map { a2 / 3 + m * cos((phi + 2 * .pi * $0) / 3) }
        let coefficients = roots.indices.map { i -> Double in
            let others = roots.indices.filter { $0 != i }.map { roots[$0] - roots[i] }
            return 1 / v1 * (k21 - roots[i]) * (k31 - roots[i]) / (others[0] * others[1])
        }
        let single = ExponentialSum(coefficients: coefficients, rates: roots)
        #expect(abs(single.value(0) - 1 / v1) < 1e-15)
        let doses = [Dose(time: 0, amount: 1000, route: .bolus), Dose(time: 48, amount: 500, route: .bolus)]
        let times = grid(until: 240, step: 2)
        let config = ModelConfiguration(pk: PKConfiguration(compartments: 3, absorption: .ivBolus))
        let result = try simulate(config, ["CL": cl, "V1": v1, "Q": q, "V2": v2, "Q3": q3, "V3": v3], doses: doses, times: times)
        expectClose(result.outputs["C"]!, times.map { t in doses.reduce(0) { $0 + $1.amount * single.value(t - $1.time) } }, "C")
        expectClose(result.outputs["AUC"]!, times.map { t in doses.reduce(0) { $0 + $1.amount * single.integral(t - $1.time) } }, "AUC")
    }

    @Test func placeboGivesZero() throws {
        let config = ModelConfiguration(pk: PKConfiguration(compartments: 2, absorption: .oral))
        let result = try simulate(config, ["CL": 5, "V1": 50, "Q": 10, "V2": 100, "KA": 1], doses: [], times: grid(until: 48))
        #expect(result.outputs["C"]!.allSatisfy { $0 == 0 })
        #expect(result.outputs["AUC"]!.allSatisfy { $0 == 0 })
    }

    @Test func invalidInputIsATypedError() throws {
        let config = ModelConfiguration(pk: PKConfiguration(compartments: 1, absorption: .ivBolus))
        #expect(throws: SimulationError.self) {
            _ = try simulate(config, ["CL": 5, "V1": 50], doses: [Dose(time: 0, amount: 10, route: .oral)], times: [0, 1])
        }
        #expect(throws: SimulationError.self) {
            _ = try simulate(config, ["CL": 5, "V1": -50], doses: [], times: [0, 1])
        }
        #expect(throws: SimulationError.self) {
            _ = try simulate(config, ["CL": .nan, "V1": 50], doses: [], times: [0, 1])
        }
        #expect(throws: ModelConfigurationError.self) {
            _ = try CompiledModel(configuration: config, integratedOutputs: ["E"])
        }
    }

    /// The catalogue contract: names and order come from ModelLibrary.
    @Test func namesFollowTheCatalogue() throws {
        let config = ModelConfiguration(pk: PKConfiguration(compartments: 3, absorption: .oral), pd: .emax, effectCompartment: true)
        let model = try CompiledModel(configuration: config)
        #expect(model.parameterNames == ["CL", "V1", "Q", "V2", "Q3", "V3", "KA", "F", "TLAG", "KE0", "E0", "EMAX", "EC50", "HILL"])
        #expect(model.outputNames == ["C", "AUC", "CE", "E"])
    }
}
