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

    @Test func absorptionEqualToEliminationIsConfluent() {
        compare(compartments: 1, rates: .init(clearance: 5, centralVolume: 50, absorptionRate: 0.1), start: [100, 20], infusionRate: 3)
    }
}
