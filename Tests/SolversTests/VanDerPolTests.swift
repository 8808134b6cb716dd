import Foundation
import Testing
import Solvers

/// Van der Pol with μ = 1000 to t = 3000 — relaxation oscillations with layers of width ~1/μ, the
/// classic test of a stiff solver's step control — against scipy LSODA at rtol 1e-12
/// (Fixtures/make_van_der_pol_reference.py → van_der_pol_reference.json).
@Suite("Van der Pol, μ = 1000")
struct VanDerPolTests {
    struct Reference: Decodable {
        let initial_state: [Double]
        let mu: Double
        let times: [Double]
        let states: [[Double]]
        let cross_check_relative_difference: Double
    }

    @Test("Rodas4 (stiff and auto) matches the reference at t = 500 … 3000")
    func matchesReference() throws {
        let url = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent("van_der_pol_reference.json")
        let reference = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: url))
        #expect(reference.mu == 1000)
        for method in [IntegrationMethod.stiff, .auto] {
            var solver = ODESolver(dimension: 2, options: SolverOptions(rtol: 1e-9, atol: 1e-12, method: method))
            var y = reference.initial_state
            var reads: [[Double]] = []
            try solver.integrate(VanDerPol(), from: 0, to: reference.times.last!, state: &y, outputTimes: reference.times) { _, s in
                reads.append(Array(s))
            }
            // The slow branches are well conditioned; errors in the phase of the fast jumps grow
            // with each period, so the bound is a few hundred times rtol.
            for (t, (read, expected)) in zip(reference.times, zip(reads, reference.states)) {
                #expect(maximumRelativeError(read, expected, floor: 1e-6) < 1e-5, "\(method) at t = \(t): \(read) vs \(expected)")
            }
            if method == .auto { #expect(solver.lastIntervalUsedStiffMethod, "auto switches to Rodas4 on Van der Pol") }
        }
    }
}
