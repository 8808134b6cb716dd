import Foundation
import Testing
@testable import Twins

/// The closed-form C(t) that ODE right-hand sides read, against the exact propagator, including
/// the confluent case KA = a disposition eigenvalue.
@Suite struct ConcentrationModesTests {
    func compare(compartments: Int, rates: LinearPKSystem.Rates, start: [Double], infusionRate: Double) {
        let system = LinearPKSystem(compartments: compartments, oral: true, effectCompartment: false, integrateEffect: false)
        let propagator = LinearPKPropagator(system: system)
        propagator.setRates(rates)
        var modes = ConcentrationModes(compartments: compartments)
        modes.setRates(rates)
        modes.setSegment(depot: start[0], amounts: { start[1 + $0] }, infusionRate: infusionRate)
        for tau in stride(from: 0.0, through: 48, by: 0.37) {
            var state = start + [0]
            #expect(propagator.advance(&state, by: tau, infusionRate: infusionRate))
            let exact = state[system.central] / rates.centralVolume
            let modal = modes.concentration(at: tau)
            #expect(abs(modal - exact) <= 1e-12 * max(1, abs(exact)), "τ = \(tau): \(modal) vs \(exact)")
        }
    }

    @Test func threeCompartmentsWithDepotAndInfusion() {
        compare(compartments: 3, rates: .init(clearance: 4, centralVolume: 25, intercompartmentalClearance: [6, 1],
                                              peripheralVolume: [50, 120], absorptionRate: 0.8),
                start: [50, 30, 10, 5], infusionRate: 12)
    }

    /// CE(τ) in closed form (C's modes convolved once more with KE0's) against the exact
    /// propagator of the linear system with the effect compartment (a matrix exponential), through
    /// the confluent cases KE0 = KA, KE0 = −λ and all three equal, nearly equal rates, KE0 far
    /// from the rest, KE0 = 0 (CE stays), without a depot and with an infusion.
    func compareEffect(compartments: Int, rates: LinearPKSystem.Rates, start: [Double], effect: Double, infusionRate: Double) {
        let system = LinearPKSystem(compartments: compartments, oral: true, effectCompartment: true, integrateEffect: false)
        let propagator = LinearPKPropagator(system: system)
        propagator.setRates(rates)
        var modes = ConcentrationModes(compartments: compartments)
        modes.setRates(rates)
        modes.setSegment(depot: start[0], amounts: { start[1 + $0] }, infusionRate: infusionRate, effect: effect)
        for tau in Array(stride(from: 0.0, through: 72, by: 0.29)) + [168, 400.5, 672, 1000] {
            var state = start + [effect, 0]
            #expect(propagator.advance(&state, by: tau, infusionRate: infusionRate))
            let exact = state[system.effect!]
            let closed = modes.effectConcentration(at: tau)
            #expect(abs(closed - exact) <= 1e-12 * max(1, abs(exact)), "τ = \(tau): \(closed) vs \(exact), \(rates)")
            let both = modes.segmentCurve.concentrationAndEffect(at: tau)
            #expect(both.concentration.bitPattern == modes.concentration(at: tau).bitPattern && both.effect.bitPattern == closed.bitPattern)
        }
    }

    @Test func effectCompartmentInClosedForm() {
        compareEffect(compartments: 3, rates: .init(clearance: 4, centralVolume: 25, intercompartmentalClearance: [6, 1],
                                                    peripheralVolume: [50, 120], absorptionRate: 0.8, effectRate: 0.35),
                      start: [50, 30, 10, 5], effect: 0.7, infusionRate: 12)
        compareEffect(compartments: 2, rates: .init(clearance: 5, centralVolume: 50, intercompartmentalClearance: [10, 0],
                                                    peripheralVolume: [100, 1], absorptionRate: 1.0, effectRate: 40),
                      start: [100, 0, 0], effect: 0, infusionRate: 0)
        // 1 compartment: λ = −CL/V = −0.1.
        for (ka, ke0) in [(0.1, 0.1), (0.7, 0.1), (0.1, 0.4), (0.1, 0.1 + 1e-9), (0.1 + 1e-7, 0.1 - 1e-7), (2.0, 0.0)] {
            compareEffect(compartments: 1, rates: .init(clearance: 5, centralVolume: 50, absorptionRate: ka, effectRate: ke0),
                          start: [100, 20], effect: 0.3, infusionRate: 3)
        }
        // KE0 equal to the slow disposition rate of 2 compartments (β of the biexponential).
        let (k10, k12, k21) = (5.0 / 50, 10.0 / 50, 10.0 / 100)
        let a = k10 + k12 + k21, beta = (a - (a * a - 4 * k10 * k21).squareRoot()) / 2
        compareEffect(compartments: 2, rates: .init(clearance: 5, centralVolume: 50, intercompartmentalClearance: [10, 0],
                                                    peripheralVolume: [100, 1], absorptionRate: 1.0, effectRate: beta),
                      start: [100, 10, 5], effect: 0.2, infusionRate: 4)
        // No elimination (λ = 0) with an infusion: the nodes −KE0, 0, 0.
        compareEffect(compartments: 1, rates: .init(clearance: 0, centralVolume: 20, absorptionRate: 0.5, effectRate: 0.3),
                      start: [0, 10], effect: 0, infusionRate: 2)
        // No depot, a bolus in the central compartment only.
        compareEffect(compartments: 2, rates: .init(clearance: 3, centralVolume: 30, intercompartmentalClearance: [2, 0],
                                                    peripheralVolume: [40, 1], absorptionRate: 0, effectRate: 0.4),
                      start: [0, 200, 0], effect: 0, infusionRate: 0)
    }

    @Test func absorptionEqualToEliminationIsConfluent() {
        compare(compartments: 1, rates: .init(clearance: 5, centralVolume: 50, absorptionRate: 0.1), start: [100, 20], infusionRate: 3)
    }
}
