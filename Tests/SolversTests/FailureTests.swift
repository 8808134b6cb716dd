import Foundation
import Testing
import Solvers

@Suite("Typed failures")
struct FailureTests {
    @Test("y′ = y², y(0) = 1 blows up at t = 1: a typed error with t near 1", arguments: IntegrationMethod.allCases)
    func blowUp(method: IntegrationMethod) throws {
        var solver = ODESolver(dimension: 1, options: SolverOptions(method: method))
        var y = [1.0]
        let error = try #require(throws: ODEError.self) { try solver.integrate(QuadraticBlowUp(), from: 0, to: 2, state: &y) }
        let t = try #require(error.time)
        // The numerical singularity sits within the tolerance's reach of the true one.
        #expect(abs(t - 1) < 1e-3, "stopped at \(t): \(error)")
        let state = try #require(error.state)
        #expect(state[0] > 1e6, "the last accepted state is already huge: \(state)")
        #expect(y == [1.0], "the caller's state is left at its initial value")
    }

    @Test("A right-hand side that is NaN at the start is reported with its time and state")
    func nonFiniteAtStart() throws {
        var solver = ODESolver(dimension: 1)
        var y = [0.25]
        #expect(throws: ODEError.nonFiniteDerivative(t: 2, state: [0.25])) {
            try solver.integrate(NaNBelowHalf(), from: 2, to: 3, state: &y)
        }
    }

    @Test("A right-hand side that turns NaN part-way stops near where it does", arguments: [IntegrationMethod.nonstiff, .stiff])
    func nonFiniteOnTheWay(method: IntegrationMethod) throws {
        // y = 1 − t reaches 0.5 at t = 0.5; beyond it f is NaN.
        var solver = ODESolver(dimension: 1, options: SolverOptions(method: method))
        var y = [1.0]
        let error = try #require(throws: ODEError.self) { try solver.integrate(NaNBelowHalf(), from: 0, to: 1, state: &y) }
        guard case let .nonFiniteState(t, state) = error else {
            Issue.record("expected nonFiniteState, got \(error)")
            return
        }
        #expect(abs(t - 0.5) < 1e-6)
        #expect(abs(state[0] - 0.5) < 1e-6)
    }

    @Test("A non-finite initial state is rejected before any step")
    func nonFiniteInitialState() {
        var solver = ODESolver(dimension: 1)
        var y = [Double.nan]
        #expect(throws: ODEError.self) { try solver.integrate(ExponentialDecay(), from: 0, to: 1, state: &y) }
    }

    @Test("Too many steps is reported with the time reached")
    func tooManySteps() throws {
        var solver = ODESolver(dimension: 1, options: SolverOptions(method: .nonstiff, maximumStepsPerInterval: 10))
        var y = [1.0]
        let error = try #require(throws: ODEError.self) { try solver.integrate(ExponentialDecay(), from: 0, to: 1000, state: &y) }
        guard case let .tooManySteps(t, state, steps) = error else {
            Issue.record("expected tooManySteps, got \(error)")
            return
        }
        #expect(steps == 10)
        #expect(t > 0 && t < 1000)
        #expect(abs(state[0] - exp(-t)) < 1e-6)
    }

    @Test("Bad arguments are typed errors, not crashes")
    func badArguments() {
        var solver = ODESolver(dimension: 2)
        var two = [1.0, 0.0]
        var one = [1.0]
        #expect(throws: ODEError.dimensionMismatch(expected: 2, actual: 1)) { try solver.integrate(ExponentialDecay(), from: 0, to: 1, state: &two) }
        #expect(throws: ODEError.dimensionMismatch(expected: 2, actual: 1)) { try solver.integrate(DampedRotation(), from: 0, to: 1, state: &one) }
        #expect(throws: ODEError.invalidInterval(from: 1, to: 0)) { try solver.integrate(DampedRotation(), from: 1, to: 0, state: &two) }
        #expect(throws: ODEError.invalidOutputTime(2)) {
            try solver.integrate(DampedRotation(), from: 0, to: 1, state: &two, outputTimes: [0.5, 2]) { _, _ in }
        }
        #expect(throws: ODEError.invalidOutputTime(0.25)) {
            try solver.integrate(DampedRotation(), from: 0, to: 1, state: &two, outputTimes: [0.5, 0.25]) { _, _ in }
        }
    }
}
