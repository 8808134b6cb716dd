import Foundation
import Testing
@testable import Twins

// The oral 2-compartment walk (`ModelSimulator.walkOralTwoCompartmentCourse`) leaves out the
// transition matrix's structural zeros; it must give the bits of the general walk. The general
// walk runs the same linear system when the model also has an algebraic effect output (Emax), so
// C, AUC and ∫C of the two models are compared bit for bit.
struct OralTwoCompartmentWalkTests {
    private static let pk = PKConfiguration(compartments: 2, absorption: .oral)

    /// A small deterministic generator (SplitMix64), so a failure names a reproducible case.
    private struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    private static func parameters(_ g: inout SplitMix, case index: Int) -> [String: Double] {
        func logUniform(_ low: Double, _ high: Double) -> Double { exp(Double.random(in: log(low)...log(high), using: &g)) }
        var p = ["CL": logUniform(0.5, 50), "V1": logUniform(5, 200), "Q": logUniform(0.5, 50), "V2": logUniform(5, 500),
                 "KA": logUniform(0.05, 10), "F": Double.random(in: 0.2...1, using: &g),
                 "TLAG": index % 3 == 0 ? Double.random(in: 0...2, using: &g) : 0]
        // Edge cases: no absorption, no distribution, KA equal to the elimination rate constant.
        switch index {
        case 1: p["KA"] = 0
        case 2: p["Q"] = 0
        case 4: p["KA"] = p["CL"]! / p["V1"]!
        default: break
        }
        return p
    }

    @Test func theWalkWithoutStructuralZerosGivesTheGeneralWalksBits() throws {
        var g = SplitMix(state: 20261126)
        let hourly = grid(until: 336)
        let irregular = [0, 0.25, 0.5, 1, 1.5, 2, 3, 5, 8, 12, 24, 24.5, 36, 48, 71.9, 72, 100, 168, 200.125]
        for index in 0..<40 {
            let parameters = Self.parameters(&g, case: index)
            var doses: [Dose] = []
            for k in 0..<(index % 2 == 0 ? 14 : 7) {
                let time = index % 4 == 3 ? Double(k) * 24 + Double.random(in: 0..<3, using: &g) : Double(k) * 24
                doses.append(Dose(time: time, amount: Double.random(in: 10...500, using: &g), route: .oral))
            }
            if index % 5 == 0 { doses.append(Dose(time: 30.5, amount: 50, route: .bolus)) }
            doses.sort { $0.time < $1.time }
            let times = index % 3 == 1 ? irregular : hourly
            let fast = try simulate(ModelConfiguration(pk: Self.pk), parameters, doses: doses, times: times, integrate: ["C"])
            var withEffect = parameters
            withEffect["E0"] = 10; withEffect["EMAX"] = 50; withEffect["EC50"] = 2
            let general = try simulate(ModelConfiguration(pk: Self.pk, pd: .emax), withEffect, doses: doses, times: times, integrate: ["C"])
            // The first time whose bits differ, if any.
            func firstDifference(_ a: [Double]?, _ b: [Double]?) -> Int? {
                guard let a, let b, a.count == b.count else { return -1 }
                return a.indices.first { a[$0].bitPattern != b[$0].bitPattern }
            }
            #expect(firstDifference(fast.outputs["C"], general.outputs["C"]) == nil, "case \(index), C")
            #expect(firstDifference(fast.outputs["AUC"], general.outputs["AUC"]) == nil, "case \(index), AUC")
            #expect(firstDifference(fast.integrals["C"], general.integrals["C"]) == nil, "case \(index), ∫C")
        }
    }

    @Test func theFastWalkIsTakenForOralTwoCompartmentModels() throws {
        // The shape qualifies, and the transition matrices of varied subjects have the structure
        // the walk relies on, so it does not fall back to the general walk.
        let model = try CompiledModel(configuration: ModelConfiguration(pk: Self.pk), integratedOutputs: ["C"])
        let simulator = model.makeSimulator()
        #expect(simulator.oralTwoCompartment)
        let withEffect = try CompiledModel(configuration: ModelConfiguration(pk: Self.pk, pd: .emax))
        #expect(!withEffect.makeSimulator().oralTwoCompartment)

        var g = SplitMix(state: 7)
        let system = try #require(model.linearSystem)
        for index in 0..<40 {
            let p = Self.parameters(&g, case: index)
            let propagator = LinearPKPropagator(system: system)
            propagator.setRates(LinearPKSystem.Rates(clearance: p["CL"]!, centralVolume: p["V1"]!, intercompartmentalClearance: [p["Q"]!, 0],
                                                     peripheralVolume: [p["V2"]!, 1], absorptionRate: p["KA"]!))
            // Grid steps of an hour or less. (For long steps, scaling and squaring with a pivoted
            // Padé solve can leave rounding-level values, e.g. 1e-18, where Φ has structural
            // zeros: those subjects take the general walk, which the test above covers with
            // steps of up to 68 h.)
            for length in [1.0, 0.5, 0.25] {
                #expect(OralTwoCompartmentStep(propagator: propagator, length: length) != nil, "case \(index), h = \(length)")
            }
        }
    }

    @Test func twoSubjectsInOneWalkGetTheirOwnBits() throws {
        // `simulatePair` walks two subjects in the lanes of one loop: each must get exactly what
        // `simulate` gives it alone; pairs whose events differ in time are declined.
        let model = try CompiledModel(configuration: ModelConfiguration(pk: Self.pk), integratedOutputs: ["C"])
        let names = model.parameterNames
        var g = SplitMix(state: 99)
        let times = grid(until: 240)
        var paired = 0, declined = 0
        for index in 0..<30 {
            var pa = Self.parameters(&g, case: index), pb = Self.parameters(&g, case: index + 1)
            // A lag time moves the depot events: the same for both (paired), except in every
            // fifth pair, whose second subject's doses are shifted instead.
            pa["TLAG"] = index % 3 == 0 ? 0.5 : 0
            pb["TLAG"] = pa["TLAG"]
            let va = names.map { pa[$0] ?? 0 }, vb = names.map { pb[$0] ?? 0 }
            // Same dose times for most pairs; every fifth pair has the second subject's doses shifted.
            let da = (0..<10).map { Dose(time: Double($0) * 24, amount: 50 + Double($0), route: .oral) }
            let db = (0..<10).map { Dose(time: Double($0) * 24 + (index % 5 == 4 ? 1 : 0), amount: 80, route: .oral) }
            func alone(_ values: [Double], _ doses: [Dose]) throws -> ([Double], [Double]) {
                var simulator = model.makeSimulator()
                var outputs = [Double](repeating: .nan, count: 2 * times.count), baseline = [0.0, 0.0]
                var integrals = [Double](repeating: .nan, count: times.count)
                try simulator.simulate(parameters: values, doses: doses, times: times, outputs: &outputs, baseline: &baseline, integrals: &integrals)
                return (outputs, integrals)
            }
            var a = model.makeSimulator(), b = model.makeSimulator()
            var oa = [Double](repeating: .nan, count: 2 * times.count), ob = oa
            var ba = [0.0, 0.0], bb = [0.0, 0.0]
            var ia = [Double](repeating: .nan, count: times.count), ib = ia
            let together = ModelSimulator.simulatePair(&a, parameters: va, doses: da, outputs: &oa, baseline: &ba, integrals: &ia,
                                                       &b, parameters: vb, doses: db, outputs: &ob, baseline: &bb, integrals: &ib, times: times)
            if index % 5 == 4 {
                #expect(!together, "pair \(index): different dose times must not be walked together")
                declined += 1
                continue
            }
            // (A pair may also be declined when a transition matrix lacks the structural zeros,
            // as a single walk would be; then `simulate` does each.)
            guard together else { continue }
            paired += 1
            let (ea, eia) = try alone(va, da), (eb, eib) = try alone(vb, db)
            #expect(oa.map(\.bitPattern) == ea.map(\.bitPattern), "pair \(index), first subject's outputs")
            #expect(ob.map(\.bitPattern) == eb.map(\.bitPattern), "pair \(index), second subject's outputs")
            #expect(ia.map(\.bitPattern) == eia.map(\.bitPattern) && ib.map(\.bitPattern) == eib.map(\.bitPattern), "pair \(index), integrals")
        }
        #expect(paired >= 20 && declined == 6, "paired \(paired) of 24")
    }
}
