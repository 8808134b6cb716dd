import Foundation
import Testing
import Solvers

/// Van der Pol with μ = 1000 in the form of the stiff test set (MATLAB's vdp1000):
/// y₁′ = y₂, y₂′ = μ(1 − y₁²)y₂ − y₁, y(0) = (2, 0), to t = 3000 — two relaxation periods of
/// ≈ 1614 with jumps of width ~1/μ, the classic test of a stiff solver's step control.
struct VanDerPolRelaxation: ODESystem {
    var mu = 1000.0
    var dimension: Int { 2 }
    var isAutonomous: Bool { true }
    func derivatives(t: Double, y: UnsafeBufferPointer<Double>, dydt: UnsafeMutableBufferPointer<Double>) {
        dydt[0] = y[1]
        dydt[1] = mu * (1 - y[0] * y[0]) * y[1] - y[0]
    }
    func jacobian(t: Double, y: UnsafeBufferPointer<Double>, into j: UnsafeMutableBufferPointer<Double>) -> Bool {
        j[0] = 0; j[1] = -2 * mu * y[0] * y[1] - 1
        j[2] = 1; j[3] = mu * (1 - y[0] * y[0])
        return true
    }
}

/// Against scipy LSODA at rtol 1e-12 (Fixtures/make_van_der_pol_reference.py →
/// van_der_pol_reference.json; its own cross-check at rtol 1e-10 agrees to 4e-8).
@Suite("Van der Pol, μ = 1000")
struct VanDerPolTests {
    struct Reference: Decodable {
        let initial_state: [Double]
        let mu: Double
        let times: [Double]
        let states: [[Double]]
        let cross_check_relative_difference: Double
    }

    @Test("Rodas4 (stiff, and auto switching to it) matches the reference at t = 500 … 3000")
    func matchesReference() throws {
        let url = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent("van_der_pol_reference.json")
        let reference = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: url))
        #expect(reference.mu == 1000 && reference.cross_check_relative_difference < 1e-6)
        for method in [IntegrationMethod.stiff, .auto] {
            var solver = ODESolver(dimension: 2, options: SolverOptions(rtol: 1e-8, atol: 1e-10, method: method))
            var y = reference.initial_state
            var reads: [[Double]] = []
            try solver.integrate(VanDerPolRelaxation(), from: 0, to: reference.times.last!, state: &y, outputTimes: reference.times) { _, s in
                reads.append(Array(s))
            }
            // Global error (measured: ~1e-7 at rtol 1e-8): the phase error accumulated over the
            // jumps dominates; 1e-5 is 1000·rtol, far below what a wrong method or controller
            // produces (order-one errors once a jump is misplaced).
            for (t, (read, expected)) in zip(reference.times, zip(reads, reference.states)) {
                #expect(maximumRelativeError(read, expected, floor: 1e-6) < 1e-5, "\(method) at t = \(t): \(read) vs \(expected)")
            }
            // A stiff solver needs thousands of steps here, not millions.
            #expect(solver.statistics.acceptedSteps < 50_000, "\(method): \(solver.statistics)")
            if method == .auto { #expect(solver.statistics.stiffSwitches >= 1, "auto switches to Rodas4") }
        }
    }
}
