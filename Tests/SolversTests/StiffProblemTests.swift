import Foundation
import Testing
import Solvers

/// Reference solutions from scipy (Radau / LSODA at rtol 1e-12), made by
/// Fixtures/make_stiff_references.py and committed as Fixtures/stiff_references.json.
struct StiffReference: Decodable {
    let initial_state: [Double]
    let times: [Double]
    let states: [[Double]]
    let rtol: Double

    static func load(_ name: String) throws -> StiffReference {
        let url = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent("stiff_references.json")
        let all = try JSONDecoder().decode([String: StiffReferenceOrOther].self, from: Data(contentsOf: url))
        guard case let .reference(reference)? = all[name] else { throw CocoaError(.fileReadCorruptFile) }
        return reference
    }
}

/// The fixture also holds a "generator" record that is not a reference solution.
enum StiffReferenceOrOther: Decodable {
    case reference(StiffReference)
    case other
    init(from decoder: Decoder) throws {
        if let reference = try? StiffReference(from: decoder) { self = .reference(reference) } else { self = .other }
    }
}

@Suite("Stiff problems against tight-tolerance references")
struct StiffProblemTests {
    /// Integrates through the reference times with dense-output reads and returns the reads.
    static func solve<S: ODESystem>(_ system: S, _ reference: StiffReference, options: SolverOptions) throws -> (reads: [[Double]], solver: ODESolver) {
        var solver = ODESolver(dimension: system.dimension, options: options)
        var y = reference.initial_state
        var reads: [[Double]] = []
        try solver.integrate(system, from: 0, to: reference.times.last!, state: &y, outputTimes: reference.times) { _, s in reads.append(Array(s)) }
        return (reads, solver)
    }

    @Test("Robertson to t = 1e5 (Rodas4, analytic and finite-difference Jacobian, and auto)")
    func robertson() throws {
        let reference = try StiffReference.load("robertson")
        let options = SolverOptions(rtol: 1e-8, atol: 1e-14, method: .stiff)
        for (label, run) in [("analytic", try Self.solve(Robertson(), reference, options: options)),
                             ("finite differences", try Self.solve(RobertsonWithoutJacobian(), reference, options: options)),
                             ("auto", try Self.solve(Robertson(), reference, options: SolverOptions(rtol: 1e-8, atol: 1e-14, method: .auto)))] {
            for (t, (read, expected)) in zip(reference.times, zip(run.reads, reference.states)) {
                // Global error bound of 1000·rtol relative, components below 1e-10 held by atol.
                #expect(maximumRelativeError(read, expected, floor: 1e-10) < 1e-5, "\(label) at t = \(t): \(read) vs \(expected)")
            }
            // Mass is conserved by the equations: y₁ + y₂ + y₃ = 1.
            #expect(abs(run.reads.last!.reduce(0, +) - 1) < 1e-7, "\(label)")
        }
    }

    @Test("Auto detects stiffness on Robertson and switches; it stays explicit on a nonstiff problem")
    func autoSwitching() throws {
        let reference = try StiffReference.load("robertson")
        let run = try Self.solve(Robertson(), reference, options: SolverOptions(rtol: 1e-8, atol: 1e-14, method: .auto))
        #expect(run.solver.statistics.stiffSwitches == 1)
        #expect(run.solver.lastIntervalUsedStiffMethod)

        var solver = ODESolver(dimension: 2, options: SolverOptions(method: .auto))
        var y = [1.0, 0.0]
        try solver.integrate(DampedRotation(), from: 0, to: 20, state: &y)
        #expect(solver.statistics.stiffSwitches == 0)
        #expect(solver.statistics.factorizations == 0)
        #expect(!solver.lastIntervalUsedStiffMethod)
    }
}
