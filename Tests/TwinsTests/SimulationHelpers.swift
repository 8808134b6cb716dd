import Foundation
import Testing
@testable import Twins

/// One simulated subject, outputs by name.
struct SimulatedSubject {
    var outputs: [String: [Double]]
    var baseline: [String: Double]
    var integrals: [String: [Double]]
}

func simulate(_ configuration: ModelConfiguration, _ parameters: [String: Double], doses: [Dose], times: [Double],
              solver: SolverSettings = .init(), integrate: [String] = []) throws -> SimulatedSubject {
    let model = try CompiledModel(configuration: configuration, solver: solver, integratedOutputs: integrate)
    var simulator = model.makeSimulator()
    let values = try model.parameterNames.map { name -> Double in
        if let v = parameters[name] { return v }
        if let d = ModelLibrary.parameters(for: configuration).first(where: { $0.name == name })?.defaultValue { return d }
        throw TestFailure("no value for \(name)")
    }
    var outputs = [Double](repeating: .nan, count: model.outputNames.count * times.count)
    var baseline = [Double](repeating: .nan, count: model.outputNames.count)
    var integrals = [Double](repeating: .nan, count: integrate.count * times.count)
    try simulator.simulate(parameters: values, doses: doses, times: times, outputs: &outputs, baseline: &baseline, integrals: &integrals)
    var result = SimulatedSubject(outputs: [:], baseline: [:], integrals: [:])
    for (o, name) in model.outputNames.enumerated() {
        result.outputs[name] = Array(outputs[(o * times.count)..<((o + 1) * times.count)])
        result.baseline[name] = baseline[o]
    }
    for (j, name) in integrate.enumerated() {
        result.integrals[name] = Array(integrals[(j * times.count)..<((j + 1) * times.count)])
    }
    return result
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// SPEC §4: linear models match their closed form to 1e-9 relative or 1e-12 absolute.
func expectClose(_ actual: [Double], _ expected: [Double], relative: Double = 1e-9, absolute: Double = 1e-12,
                 _ label: String = "", sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(actual.count == expected.count, sourceLocation: sourceLocation)
    for (k, (a, e)) in zip(actual, expected).enumerated() {
        let ok = abs(a - e) <= max(absolute, relative * abs(e))
        #expect(ok, "\(label)[\(k)]: \(a) vs \(e) (diff \(a - e))", sourceLocation: sourceLocation)
        if !ok { return }
    }
}

/// The hourly grid k·Δ.
func grid(until end: Double, step: Double = 1) -> [Double] {
    (0...Int(end / step + 1e-9)).map { Double($0) * step }
}

/// A sum of exponentials Σ aᵢ·exp(−λᵢ·t) for t ≥ 0 (0 before), with its integral from 0.
struct ExponentialSum {
    var coefficients: [Double]
    var rates: [Double]
    func value(_ t: Double) -> Double {
        t < 0 ? 0 : zip(coefficients, rates).reduce(0) { $0 + $1.0 * exp(-$1.1 * t) }
    }
    func integral(_ t: Double) -> Double {
        t <= 0 ? 0 : zip(coefficients, rates).reduce(0) { $0 + $1.0 * (1 - exp(-$1.1 * t)) / $1.1 }
    }
}
