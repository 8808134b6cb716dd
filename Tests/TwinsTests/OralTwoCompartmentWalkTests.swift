import Foundation
import Sampling
import Testing
@testable import Twins

// The oral 2-compartment walk (the C kernel `cpkwalk_walk`, alone in `simulate` or for a group in
// `ModelSimulator.simulateGroup`) leaves out the transition matrix's structural zeros; it must
// give the bits of the general walk. The general walk runs the same linear system when the model
// also has an algebraic effect output (Emax), so C, AUC and ∫C of the two models are compared bit
// for bit. Every test runs the kernel's AVX2 code (where the CPU has it) and its portable code.
struct OralTwoCompartmentWalkTests {
    private static let pk = PKConfiguration(compartments: 2, absorption: .oral)
    /// `portableWalk` for each run: the AVX2 code where the CPU has it, then the baseline code.
    private static let kernels = [false, true]

    /// A seeded generator (the project's counter-based stream), so a failure names a reproducible case.
    private static func generator(_ seed: UInt64) -> RandomStream {
        RandomStream(seed: seed, replicate: 0, subject: 0, streamNumber: 0, startingBlock: 0)
    }

    private static func parameters(_ g: inout RandomStream, case index: Int) -> [String: Double] {
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

    private static let hourly = grid(until: 336)
    private static let irregular = [0, 0.25, 0.5, 1, 1.5, 2, 3, 5, 8, 12, 24, 24.5, 36, 48, 71.9, 72, 100, 168, 200.125]

    /// Oral doses (daily, or at irregular times), and in some cases a bolus into the central
    /// compartment; `amount` draws each dose's amount.
    private static func doses(case index: Int, _ g: inout RandomStream, amount: (inout RandomStream) -> Double) -> [Dose] {
        var offsets = generator(UInt64(index))  // the same dose times for every subject of a case
        var doses = (0..<(index % 2 == 0 ? 14 : 7)).map { k in
            Dose(time: Double(k) * 24 + (index % 4 == 3 ? Double.random(in: 0..<3, using: &offsets) : 0), amount: amount(&g), route: .oral)
        }
        if index % 5 == 0 { doses.append(Dose(time: 30.5, amount: amount(&g), route: .bolus)) }
        if index % 7 == 1 { doses.append(Dose(time: 48, amount: amount(&g), route: .bolus)) }
        doses.sort { $0.time < $1.time }
        return doses
    }

    /// One subject's simulation: the oral 2-compartment model's simulator, `simulate`'s inputs and
    /// its buffers.
    private struct Subject: GroupedSubject {
        var simulator: ModelSimulator
        var parameters: [Double]
        var doses: [Dose]
        var outputs: [Double], baseline: [Double], integrals: [Double]

        init(model: CompiledModel, parameters: [String: Double], doses: [Dose], timeCount: Int) {
            simulator = model.makeSimulator()
            self.parameters = model.parameterNames.map { parameters[$0] ?? 0 }
            self.doses = doses
            outputs = [Double](repeating: .nan, count: model.outputNames.count * timeCount)
            baseline = [Double](repeating: .nan, count: model.outputNames.count)
            integrals = [Double](repeating: .nan, count: model.integratedOutputs.count * timeCount)
        }

        mutating func withSimulation<Result>(_ body: (inout ModelSimulator, [Double], [Dose], inout [Double], inout [Double],
                                                      inout [Double]) -> Result) -> Result {
            body(&simulator, parameters, doses, &outputs, &baseline, &integrals)
        }

        mutating func simulateAlone(times: [Double], portable: Bool) throws {
            simulator.portableWalk = portable
            try simulator.simulate(parameters: parameters, doses: doses, times: times, outputs: &outputs, baseline: &baseline,
                                   integrals: &integrals)
        }
    }

    /// The general walk's C, AUC and ∫C rows and baseline, as bit patterns.
    private struct Reference {
        var concentration: [UInt64], area: [UInt64], integrals: [UInt64], baseline: [UInt64]

        init(_ parameters: [String: Double], doses: [Dose], times: [Double], integrate: [String]) throws {
            var withEffect = parameters
            withEffect["E0"] = 10; withEffect["EMAX"] = 50; withEffect["EC50"] = 2
            let general = try simulate(ModelConfiguration(pk: OralTwoCompartmentWalkTests.pk, pd: .emax), withEffect, doses: doses,
                                       times: times, integrate: integrate)
            concentration = general.outputs["C"]!.map(\.bitPattern)
            area = general.outputs["AUC"]!.map(\.bitPattern)
            integrals = integrate.flatMap { general.integrals[$0]!.map(\.bitPattern) }
            baseline = [general.baseline["C"]!.bitPattern, general.baseline["AUC"]!.bitPattern]
        }

        /// The first of C, AUC, ∫C and the baseline whose bits differ in `subject`, if any.
        func firstDifference(_ subject: Subject) -> String? {
            let count = concentration.count
            if Array(subject.outputs[0..<count].map(\.bitPattern)) != concentration { return "C" }
            if Array(subject.outputs[count..<(2 * count)].map(\.bitPattern)) != area { return "AUC" }
            if subject.integrals.map(\.bitPattern) != integrals { return "∫C" }
            if subject.baseline.map(\.bitPattern) != baseline { return "baseline" }
            return nil
        }
    }

    @Test(arguments: kernels) func oneSubjectGetsTheGeneralWalksBits(portable: Bool) throws {
        var g = Self.generator(20261126)
        for index in 0..<40 {
            let parameters = Self.parameters(&g, case: index)
            let doses = Self.doses(case: index, &g) { Double.random(in: 10...500, using: &$0) }
            let times = index % 3 == 1 ? Self.irregular : Self.hourly
            // No integral, one, or two (every integral is the AUC row).
            let integrate = Array(repeating: "C", count: index % 3)
            let model = try CompiledModel(configuration: ModelConfiguration(pk: Self.pk), integratedOutputs: integrate)
            var subject = Subject(model: model, parameters: parameters, doses: doses, timeCount: times.count)
            try subject.simulateAlone(times: times, portable: portable)
            let reference = try Reference(parameters, doses: doses, times: times, integrate: integrate)
            #expect(reference.firstDifference(subject) == nil, "case \(index)")
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

        var g = Self.generator(7)
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
                #expect(ModelSimulator.oralTwoCompartmentTransition(propagator, length: length) != nil, "case \(index), h = \(length)")
            }
        }
    }

    /// Why the subject at `declining` in a group cannot join the subjects before it.
    private enum Decline: CaseIterable {
        case shiftedDoses, otherLagTime, infusion, invalidParameter, extraDose
    }

    @Test(arguments: kernels) func integralsAreWrittenOnlyWhereTheyAreRead(portable: Bool) throws {
        // With `integralTimeIndices` (the endpoints' window bounds), the walk writes the integral
        // rows only there — with the general walk's bits — and leaves every other entry as it was
        // (NaN here); C and AUC are whole. Alone and in groups; an empty list writes none.
        var g = Self.generator(7)
        for index in 0..<24 {
            let times = index % 3 == 1 ? Self.irregular : Self.hourly
            let integrate = Array(repeating: "C", count: 1 + index % 2)
            let model = try CompiledModel(configuration: ModelConfiguration(pk: Self.pk), integratedOutputs: integrate)
            let read: [Int] = index % 4 == 3 ? [] : Array(Set([0, index % times.count, times.count - 1, times.count / 2])).sorted()
            let size = 1 + index % ModelSimulator.groupSize
            var subjects: [Subject] = []
            var parameterSets: [[String: Double]] = []
            let doses = Self.doses(case: index, &g) { Double.random(in: 10...500, using: &$0) }
            for lane in 0..<size {
                let parameters = Self.parameters(&g, case: index + lane)
                parameterSets.append(parameters)
                var subject = Subject(model: model, parameters: parameters, doses: doses, timeCount: times.count)
                subject.simulator.integralTimeIndices = read
                subjects.append(subject)
            }
            var walked = size
            if size == 1 {
                try subjects[0].simulateAlone(times: times, portable: portable)
            } else {
                subjects[0].simulator.portableWalk = portable
                walked = subjects.withUnsafeMutableBufferPointer { ModelSimulator.simulateGroup($0, times: times) }
            }
            for lane in 0..<walked {
                let reference = try Reference(parameterSets[lane], doses: doses, times: times, integrate: integrate)
                var expected = [UInt64](repeating: Double.nan.bitPattern, count: reference.integrals.count)
                for j in integrate.indices {
                    for k in read { expected[j * times.count + k] = reference.integrals[j * times.count + k] }
                }
                var whole = subjects[lane]
                whole.integrals = reference.integrals.map(Double.init(bitPattern:))
                #expect(reference.firstDifference(whole) == nil, "case \(index), subject \(lane)")
                #expect(subjects[lane].integrals.map(\.bitPattern) == expected, "case \(index), subject \(lane)")
            }
        }
    }

    @Test(arguments: kernels) func subjectsInOneWalkGetTheirOwnBits(portable: Bool) throws {
        // `simulateGroup` walks up to four subjects in the lanes of one loop: each must get
        // exactly the general walk's bits. A group ends before the first subject whose events
        // differ from the first subject's (or that cannot be walked this way at all).
        var g = Self.generator(99)
        var walked = 0, groups = 0
        for index in 0..<60 {
            let size = 1 + index % ModelSimulator.groupSize
            // In every third group of two or more, one subject after the first cannot join.
            let declining: Int? = size > 1 && index % 3 == 0 ? 1 + index % (size - 1) : nil
            let decline = Decline.allCases[index % Decline.allCases.count]
            let times = index % 5 == 1 ? Self.irregular : Self.hourly
            let integrate = Array(repeating: "C", count: (index / 2) % 3)
            let model = try CompiledModel(configuration: ModelConfiguration(pk: Self.pk), integratedOutputs: integrate)
            let lagTime = index % 2 == 0 ? Double.random(in: 0...2, using: &g) : 0
            var subjects: [Subject] = []
            var parameterSets: [[String: Double]] = []
            for lane in 0..<size {
                var parameters = Self.parameters(&g, case: index + lane)
                parameters["TLAG"] = lagTime
                var doses = Self.doses(case: index, &g) { Double.random(in: 10...500, using: &$0) }
                if lane == declining {
                    switch decline {
                    case .shiftedDoses: doses = doses.map { Dose(time: $0.time + 1, amount: $0.amount, route: $0.route) }
                    case .otherLagTime: parameters["TLAG"] = lagTime + 0.5
                    case .infusion: doses.append(Dose(time: 200, amount: 100, route: .infusion(duration: 2)))
                    case .invalidParameter: parameters["V1"] = -1
                    case .extraDose: doses.append(Dose(time: 300, amount: 100, route: .oral))
                    }
                }
                parameterSets.append(parameters)
                subjects.append(Subject(model: model, parameters: parameters, doses: doses, timeCount: times.count))
            }
            subjects[0].simulator.portableWalk = portable
            let count = subjects.withUnsafeMutableBufferPointer { ModelSimulator.simulateGroup($0, times: times) }
            // 0 also when a transition matrix lacks the structure (as for a subject alone); then
            // `simulate` does each.
            guard count > 0 else { continue }
            #expect(count == declining ?? size, "group \(index): \(count) of \(size) walked, declining \(String(describing: declining))")
            groups += 1
            for lane in 0..<count {
                let reference = try Reference(parameterSets[lane], doses: subjects[lane].doses, times: times, integrate: integrate)
                #expect(reference.firstDifference(subjects[lane]) == nil, "group \(index), subject \(lane)")
                walked += 1
            }
        }
        #expect(groups >= 50 && walked >= 100, "\(groups) groups of 60 walked, \(walked) subjects")
    }

    @Test func aGroupWhoseFirstSubjectCannotBeWalkedIsDeclined() throws {
        // An infusion (or another model shape) rules out the walk for the first subject, and with
        // it the whole group: 0, and the caller simulates the subjects one by one.
        let model = try CompiledModel(configuration: ModelConfiguration(pk: Self.pk))
        var g = Self.generator(5)
        let oral = (0..<7).map { Dose(time: Double($0) * 24, amount: 100, route: .oral) }
        var subjects = [oral + [Dose(time: 12, amount: 100, route: .infusion(duration: 1))], oral].map {
            Subject(model: model, parameters: Self.parameters(&g, case: 5), doses: $0, timeCount: Self.hourly.count)
        }
        #expect(subjects.withUnsafeMutableBufferPointer { ModelSimulator.simulateGroup($0, times: Self.hourly) } == 0)
        let emax = try CompiledModel(configuration: ModelConfiguration(pk: Self.pk, pd: .emax))
        subjects[0] = Subject(model: emax, parameters: Self.parameters(&g, case: 5), doses: oral, timeCount: Self.hourly.count)
        #expect(subjects.withUnsafeMutableBufferPointer { ModelSimulator.simulateGroup($0, times: Self.hourly) } == 0)
    }
}
