import Foundation
import Testing
@testable import Solvers

/// Observed order of convergence with fixed step sizes (as in SciML's convergence tests): halving
/// h divides the global error by about 2^p. The closed-form solutions are in TestSystems.swift.
@Suite("Order of convergence")
struct ConvergenceOrderTests {
    /// log₂ of successive error ratios for step counts N, 2N, 4N, ….
    static func observedOrders(_ errors: [Double]) -> [Double] {
        zip(errors, errors.dropFirst()).map { log2($0 / $1) }
    }

    /// The finest pair must show the theoretical order within 0.25; coarser pairs, still
    /// pre-asymptotic, within 0.5.
    static func expectOrder(_ p: Double, _ orders: [Double], _ errors: [Double]) {
        for order in orders { #expect(abs(order - p) < 0.5, "observed \(orders), errors \(errors)") }
        #expect(abs(orders.last! - p) < 0.25, "observed \(orders), errors \(errors)")
    }

    static func endErrors<S: ODESystem>(_ system: S, _ method: IntegrationMethod, initial: [Double], end: Double,
                                        stepCounts: [Int], exact: [Double]) throws -> [Double] {
        try stepCounts.map { steps in
            maximumAbsoluteError(try solveFixedStep(system, method: method, initial: initial, end: end, steps: steps).final, exact)
        }
    }

    @Test("Dormand–Prince 5(4) converges with order 5 on y′ = −y")
    func dormandPrinceScalar() throws {
        let system = ExponentialDecay()
        let errors = try Self.endErrors(system, .nonstiff, initial: [1], end: 4, stepCounts: [16, 32, 64, 128], exact: system.exact(4))
        Self.expectOrder(5, Self.observedOrders(errors), errors)
    }

    @Test("Dormand–Prince 5(4) converges with order 5 on a linear 2×2 system")
    func dormandPrinceSystem() throws {
        let system = DampedRotation()
        let errors = try Self.endErrors(system, .nonstiff, initial: [1, 0], end: 10, stepCounts: [40, 80, 160, 320], exact: system.exact(10))
        Self.expectOrder(5, Self.observedOrders(errors), errors)
    }

    @Test("Rodas4 converges with order 4 on y′ = −y and the 2×2 system")
    func rodasLinear() throws {
        let scalar = ExponentialDecay()
        let e1 = try Self.endErrors(scalar, .stiff, initial: [1], end: 4, stepCounts: [8, 16, 32, 64], exact: scalar.exact(4))
        Self.expectOrder(4, Self.observedOrders(e1), e1)
        let system = DampedRotation()
        let e2 = try Self.endErrors(system, .stiff, initial: [1, 0], end: 10, stepCounts: [20, 40, 80, 160], exact: system.exact(10))
        Self.expectOrder(4, Self.observedOrders(e2), e2)
    }

    @Test("Rodas4 keeps order 4 on a non-autonomous problem (∂f/∂t and finite-difference Jacobian)")
    func rodasNonAutonomous() throws {
        let system = ForcedDecay()
        let errors = try Self.endErrors(system, .stiff, initial: [1], end: 4, stepCounts: [8, 16, 32, 64], exact: system.exact(4))
        Self.expectOrder(4, Self.observedOrders(errors), errors)
    }

    @Test("Dense output of both methods converges at interior points")
    func denseOutputOrder() throws {
        let system = DampedRotation()
        // Read points that are interior to steps for every step count below (steps of 10/N).
        let reads = [0.3, 2.77, 5.05, 7.123, 9.61]
        func interiorErrors(_ method: IntegrationMethod, _ counts: [Int]) throws -> [Double] {
            try counts.map { n in
                let r = try solveFixedStep(system, method: method, initial: [1, 0], end: 10, steps: n, readTimes: reads).reads
                return zip(reads, r).map { maximumAbsoluteError($1, system.exact($0)) }.max()!
            }
        }
        // Shampine's interpolant is a 4th-order continuous extension: local error O(h⁵).
        let dp = Self.observedOrders(try interiorErrors(.nonstiff, [10, 20, 40, 80]))
        for order in dp { #expect(order > 3.7, "Dormand–Prince dense output observed orders \(dp)") }
        // Rodas4's interpolant is of order 3: local error O(h⁴).
        let ro = Self.observedOrders(try interiorErrors(.stiff, [20, 40, 80, 160]))
        for order in ro { #expect(order > 2.7, "Rodas4 dense output observed orders \(ro)") }
    }
}
