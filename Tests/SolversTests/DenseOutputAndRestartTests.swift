import Foundation
import Testing
import Solvers

@Suite("Dense output and restarts")
struct DenseOutputAndRestartTests {
    @Test("Grid reads from dense output match the closed form to the tolerance", arguments: [IntegrationMethod.nonstiff, .stiff])
    func gridAgainstClosedForm(method: IntegrationMethod) throws {
        let system = DampedRotation()
        var solver = ODESolver(dimension: 2, options: SolverOptions(rtol: 1e-9, atol: 1e-12, method: method))
        var y = [1.0, 0.0]
        let grid = (1...40).map { Double($0) * 0.25 }
        var reads: [(Double, [Double])] = []
        try solver.integrate(system, from: 0, to: 10, state: &y, outputTimes: grid) { t, state in reads.append((t, Array(state))) }
        #expect(reads.map(\.0) == grid)
        // The grid does not shorten steps: the same steps are taken without it.
        var plain = ODESolver(dimension: 2, options: solver.options)
        var z = [1.0, 0.0]
        try plain.integrate(system, from: 0, to: 10, state: &z)
        #expect(plain.statistics == solver.statistics)
        for (t, state) in reads { #expect(maximumAbsoluteError(state, system.exact(t)) < 1e-7, "t = \(t)") }
        // The state returned at t1 is the last step's own solution, identical to the read at t1.
        #expect(y == reads.last!.1)
    }

    @Test("Outputs at t0 give the initial state; t0 == t1 leaves the state unchanged")
    func outputsAtStart() throws {
        var solver = ODESolver(dimension: 1)
        var y = [2.0]
        var reads: [[Double]] = []
        try solver.integrate(ExponentialDecay(), from: 3, to: 3, state: &y, outputTimes: [3.0, 3.0]) { _, s in reads.append(Array(s)) }
        #expect(y == [2.0])
        #expect(reads == [[2.0], [2.0]])
    }

    @Test("Reading the grid by dense output equals integrating to each grid time", arguments: [IntegrationMethod.nonstiff, .stiff])
    func denseOutputVersusSeparateIntegrations(method: IntegrationMethod) throws {
        let system = OneCompartmentOral()
        let options = SolverOptions(rtol: 1e-8, atol: 1e-10, method: method)
        var solver = ODESolver(dimension: 2, options: options)
        var y = [100.0, 0.0]
        let grid = [0.5, 1, 2, 3, 5, 8, 12.0]
        var reads: [[Double]] = []
        try solver.integrate(system, from: 0, to: 12, state: &y, outputTimes: grid) { _, s in reads.append(Array(s)) }
        for (t, read) in zip(grid, reads) {
            var separate = ODESolver(dimension: 2, options: options)
            var z = [100.0, 0.0]
            try separate.integrate(system, from: 0, to: t, state: &z)
            // Two different step sequences, each within the tolerance of the closed form.
            #expect(maximumRelativeError(read, z) < 1e-6, "t = \(t)")
            #expect(maximumRelativeError(read, system.afterBolus(100, t)) < 1e-6, "t = \(t)")
        }
    }

    @Test("A restart at a dose gives the same result as two separate integrations, and the superposition closed form",
          arguments: [IntegrationMethod.auto, .nonstiff, .stiff])
    func restartAtDose(method: IntegrationMethod) throws {
        let system = OneCompartmentOral()
        let options = SolverOptions(rtol: 1e-9, atol: 1e-12, method: method)
        let firstGrid = [1.0, 4, 12, 24], secondGrid = [25.0, 30, 36, 48]

        // One reused solver across the discontinuity.
        var solver = ODESolver(dimension: 2, options: options)
        var y = [100.0, 0.0]
        var reused: [[Double]] = []
        try solver.integrate(system, from: 0, to: 24, state: &y, outputTimes: firstGrid) { _, s in reused.append(Array(s)) }
        y[0] += 100
        try solver.integrate(system, from: 24, to: 48, state: &y, outputTimes: secondGrid) { _, s in reused.append(Array(s)) }

        // The two pieces with fresh solvers.
        var pieces: [[Double]] = []
        var z = [100.0, 0.0]
        var first = ODESolver(dimension: 2, options: options)
        try first.integrate(system, from: 0, to: 24, state: &z, outputTimes: firstGrid) { _, s in pieces.append(Array(s)) }
        z[0] += 100
        var second = ODESolver(dimension: 2, options: options)
        try second.integrate(system, from: 24, to: 48, state: &z, outputTimes: secondGrid) { _, s in pieces.append(Array(s)) }

        // No state leaks between calls: bit-for-bit identical.
        #expect(reused == pieces)
        #expect(y == z)

        // And both agree with superposition of the two bolus responses.
        for (index, (t, read)) in zip(firstGrid + secondGrid, reused).enumerated() {
            var expected = system.afterBolus(100, t)
            if index >= firstGrid.count { expected = zip(expected, system.afterBolus(100, t - 24)).map { $0 + $1 } }
            // Relative to amounts ≥ 1e-3 mg; the depot's tail (≤ 1e-10 mg) is held by atol.
            #expect(maximumRelativeError(read, expected, floor: 1e-3) < 1e-6, "t = \(t)")
        }
    }

    @Test("The step-size hint lets a restart skip the starting heuristic and stays accurate")
    func restartWithHint() throws {
        let system = OneCompartmentOral()
        var solver = ODESolver(dimension: 2, options: SolverOptions(rtol: 1e-9, atol: 1e-12, method: .nonstiff))
        var y = [100.0, 0.0]
        try solver.integrate(system, from: 0, to: 24, state: &y)
        let hint = try #require(solver.stepSizeHint)
        #expect(hint > 0)
        y[0] += 100
        try solver.integrate(system, from: 24, to: 48, state: &y, initialStepSize: hint)
        let expected = zip(system.afterBolus(100, 48), system.afterBolus(100, 24)).map { $0 + $1 }
        #expect(maximumRelativeError(y, expected, floor: 1e-3) < 1e-6)
    }
}
