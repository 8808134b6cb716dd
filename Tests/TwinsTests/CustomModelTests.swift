import Foundation
import Testing
@testable import Twins

/// Custom ODE models (SPEC §4 "Custom models"): a custom model written to be identical to a
/// built-in one reproduces it to solver tolerance; Michaelis–Menten elimination written as a
/// custom model matches the Lambert-W closed form (Fixtures/make_custom_model_references.py);
/// exact closed forms for dosing into states and quadratures; every compile-time check.
@Suite struct CustomModelTests {
    typealias Entry = CustomModelSource.Entry

    static func compile(_ source: CustomModelSource, pk: PKConfiguration? = nil, effect: Bool = false,
                        covariates: [String] = []) throws -> CustomModel {
        try CustomModel.compile(source, pk: pk, effectCompartment: effect, covariates: covariates) { name in
            covariates.firstIndex(of: name).map { .slot($0) }
        }
    }

    static func issues(_ source: CustomModelSource, pk: PKConfiguration? = nil, effect: Bool = false,
                       covariates: [String] = []) -> [CustomModelIssue] {
        do {
            _ = try compile(source, pk: pk, effect: effect, covariates: covariates)
            return []
        } catch let error as CustomModelErrors {
            return error.issues
        } catch {
            return []
        }
    }

    static func parameter(_ name: String) -> ParameterDefinition {
        ParameterDefinition(name, "custom model parameter", .dimensionless, scale: .signed)
    }

    /// Simulates one subject of `configuration` with parameters by name (custom parameters have no
    /// defaults) and covariate registers.
    static func run(_ configuration: ModelConfiguration, _ parameters: [String: Double], covariates: [Double] = [],
                    doses: [Dose], times: [Double], solver: SolverSettings = SolverSettings(rtol: 1e-10, atol: 1e-12),
                    integrate: [String] = []) throws -> SimulatedSubject {
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
        try simulator.simulate(parameters: values, covariates: covariates, doses: doses, times: times,
                               outputs: &outputs, baseline: &baseline, integrals: &integrals)
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

    // MARK: Identical to built-in models

    static let w2Parameters: [String: Double] = ["CL": 5, "V1": 50, "Q": 10, "V2": 100, "KA": 1, "KIN": 10, "KOUT": 0.1, "IMAX": 0.9, "IC50": 1]
    static let w2Doses = (0..<28).map { Dose(time: Double($0) * 24, amount: 100, route: .oral) }

    static let idr1Source = CustomModelSource(
        parameters: ["KIN", "KOUT", "IMAX", "IC50"].map(parameter),
        states: [Entry("R", "KIN / KOUT")],
        derived: [Entry("INH", "IMAX * C / (IC50 + C)")],
        odes: [Entry("R", "KIN * (1 - INH) - KOUT * R")],
        outputs: ["R", "INH"])

    /// W2 (2-cmt oral PK block + idr1) with the IDR written as a custom state: C and AUC come from
    /// the same exact linear PK; R agrees with the built-in idr1 to solver tolerance.
    @Test func idrOnPKBlockReproducesBuiltInIDR1() throws {
        let pk = PKConfiguration(compartments: 2, absorption: .oral)
        let custom = try Self.compile(Self.idr1Source, pk: pk)
        let times = grid(until: 672)
        let builtIn = try Self.run(ModelConfiguration(pk: pk, pd: .idr1), Self.w2Parameters, doses: Self.w2Doses, times: times, integrate: ["C", "R"])
        let written = try Self.run(ModelConfiguration(pk: pk, custom: custom), Self.w2Parameters, doses: Self.w2Doses, times: times, integrate: ["C", "R"])
        #expect(written.outputs["C"] == builtIn.outputs["C"])
        #expect(written.outputs["AUC"] == builtIn.outputs["AUC"])
        expectClose(written.outputs["R"]!, builtIn.outputs["R"]!, relative: 1e-9, absolute: 1e-9, "R")
        expectClose(written.integrals["R"]!, builtIn.integrals["R"]!, relative: 1e-8, absolute: 1e-9, "∫R")
        #expect(written.baseline["R"] == 100)
        // INH is the inhibition at each observation: IMAX·C/(IC50 + C).
        let c = builtIn.outputs["C"]!
        expectClose(written.outputs["INH"]!, c.map { 0.9 * $0 / (1 + $0) }, relative: 1e-14, absolute: 1e-15, "INH")
    }

    /// The whole W2 system written out (depot, central, peripheral and R as custom states, no pk
    /// block, doses into GUT) agrees with the built-in model to solver tolerance.
    @Test func fullyWrittenOutTwoCompartmentOralIDRMatchesBuiltIn() throws {
        let source = CustomModelSource(
            parameters: ["CL", "V1", "Q", "V2", "KA", "KIN", "KOUT", "IMAX", "IC50"].map(Self.parameter),
            states: [Entry("GUT", "0"), Entry("CENT", "0"), Entry("PERI", "0"), Entry("R", "KIN / KOUT")],
            derived: [Entry("C", "CENT / V1"), Entry("INH", "IMAX * C / (IC50 + C)")],
            odes: [Entry("GUT", "-KA * GUT"),
                   Entry("CENT", "KA * GUT - CL * C - Q * (C - PERI / V2)"),
                   Entry("PERI", "Q * (C - PERI / V2)"),
                   Entry("R", "KIN * (1 - INH) - KOUT * R")],
            outputs: ["C", "R"], dosesInto: "GUT")
        let custom = try Self.compile(source)
        let times = grid(until: 672)
        let pk = PKConfiguration(compartments: 2, absorption: .oral)
        let builtIn = try Self.run(ModelConfiguration(pk: pk, pd: .idr1), Self.w2Parameters, doses: Self.w2Doses, times: times)
        let written = try Self.run(ModelConfiguration(custom: custom), Self.w2Parameters, doses: Self.w2Doses, times: times)
        expectClose(written.outputs["C"]!, builtIn.outputs["C"]!, relative: 1e-7, absolute: 1e-9, "C")
        expectClose(written.outputs["R"]!, builtIn.outputs["R"]!, relative: 1e-7, absolute: 1e-9, "R")
    }

    /// Friberg's myelosuppression model written out on a 1-cmt infusion PK block agrees with the
    /// built-in `oncology.myelosuppression`.
    @Test func fribergWrittenOutMatchesBuiltIn() throws {
        let pk = PKConfiguration(compartments: 1, absorption: .infusion)
        let source = CustomModelSource(
            parameters: ["CIRC0", "MTT", "GAMMA", "SLOPE"].map(Self.parameter),
            states: ["P", "T1", "T2", "T3", "N"].map { Entry($0, "CIRC0") },
            derived: [Entry("KTR", "4 / MTT"), Entry("E", "SLOPE * C")],
            odes: [Entry("P", "KTR * P * (1 - E) * (CIRC0 / N) ^ GAMMA - KTR * P"),
                   Entry("T1", "KTR * (P - T1)"), Entry("T2", "KTR * (T1 - T2)"),
                   Entry("T3", "KTR * (T2 - T3)"), Entry("N", "KTR * (T3 - N)")],
            outputs: ["N"])
        let custom = try Self.compile(source, pk: pk)
        let parameters: [String: Double] = ["CL": 3, "V1": 20, "CIRC0": 5.05, "MTT": 88.7, "GAMMA": 0.161, "SLOPE": 0.3]
        let doses = [0.0, 504].map { Dose(time: $0, amount: 150, route: .infusion(duration: 1)) }
        let times = grid(until: 1008, step: 6)
        let builtIn = try Self.run(ModelConfiguration(pk: pk, twin: "oncology.myelosuppression"), parameters, doses: doses, times: times)
        let written = try Self.run(ModelConfiguration(pk: pk, custom: custom), parameters, doses: doses, times: times)
        expectClose(written.outputs["N"]!, builtIn.outputs["ANC"]!, relative: 1e-7, absolute: 1e-9, "ANC")
        #expect(builtIn.outputs["ANC"]!.min()! < 4)   // the drug acts: a nadir well below CIRC0
    }

    // MARK: Closed forms

    struct LambertCase: Decodable {
        var name: String
        var dose: Double, V: Double, VMAX: Double, KM: Double
        var times: [Double]
        var C: [Double]
    }
    struct LambertFile: Decodable { var lambert_w: [LambertCase] }

    static let lambertCases: [LambertCase] = {
        let url = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent("custom_model_references.json")
        return try! JSONDecoder().decode(LambertFile.self, from: Data(contentsOf: url)).lambert_w
    }()

    /// Michaelis–Menten 1-cmt IV bolus as a custom model (state A, C = A/V, doses into A) against
    /// C(t) = KM·W((C0/KM)·exp((C0 − VMAX/V·t)/KM)) from scipy.special.lambertw.
    @Test(arguments: CustomModelTests.lambertCases.map(\.name))
    func michaelisMentenMatchesLambertW(_ name: String) throws {
        let reference = Self.lambertCases.first { $0.name == name }!
        let source = CustomModelSource(
            parameters: ["VMAX", "KM", "V"].map(Self.parameter),
            states: [Entry("A", "0")],
            derived: [Entry("C", "A / V")],
            odes: [Entry("A", "-VMAX * C / (KM + C)")],
            outputs: ["C"], dosesInto: "A")
        let custom = try Self.compile(source)
        for method in [SolverSettings.Method.nonstiff, .stiff, .auto] {
            let result = try Self.run(ModelConfiguration(custom: custom), ["VMAX": reference.VMAX, "KM": reference.KM, "V": reference.V],
                                      doses: [Dose(time: 0, amount: reference.dose, route: .bolus)], times: reference.times,
                                      solver: SolverSettings(rtol: 1e-10, atol: 1e-12, method: method))
            expectClose(result.outputs["C"]!, reference.C, relative: 1e-7, absolute: 1e-10, "\(name) \(method)")
            #expect(result.baseline["C"] == 0)
        }
    }

    /// An infusion into a state with first-order loss: A(t) = R/k·(1 − e^{−kt}) during the
    /// infusion, then A(T)·e^{−k(t−T)}; ∫A from the quadrature state.
    @Test func infusionIntoAStateAndItsIntegral() throws {
        let source = CustomModelSource(parameters: [Self.parameter("K")], states: [Entry("A", "0")],
                                       odes: [Entry("A", "-K * A")], dosesInto: "A")
        let custom = try Self.compile(source)
        let k = 0.3, rate = 20.0, duration = 5.0
        let times = grid(until: 24, step: 0.5)
        let result = try Self.run(ModelConfiguration(custom: custom), ["K": k],
                                  doses: [Dose(time: 0, amount: rate * duration, route: .infusion(duration: duration))],
                                  times: times, integrate: ["A"])
        let aT = rate / k * (1 - exp(-k * duration))
        let expected = times.map { t in t <= duration ? rate / k * (1 - exp(-k * t)) : aT * exp(-k * (t - duration)) }
        let integral = times.map { t in
            t <= duration ? rate / k * (t - (1 - exp(-k * t)) / k) : rate / k * (duration - (1 - exp(-k * duration)) / k) + aT / k * (1 - exp(-k * (t - duration)))
        }
        expectClose(result.outputs["A"]!, expected, relative: 1e-8, absolute: 1e-10, "A")
        expectClose(result.integrals["A"]!, integral, relative: 1e-8, absolute: 1e-9, "∫A")
    }

    /// With a pk block a dose without a target enters the PK block and one with a target enters
    /// its state (bypassing F); initial values read covariates; `t` is the model time.
    @Test func dosesByTargetCovariatesAndTime() throws {
        let pk = PKConfiguration(compartments: 1, absorption: .oral)
        let source = CustomModelSource(
            parameters: [Self.parameter("K")],
            states: [Entry("B", "BASE * 2"), Entry("CLOCK", "0")],
            odes: [Entry("B", "-K * B"), Entry("CLOCK", "1")],
            outputs: ["B", "CLOCK"])
        let custom = try Self.compile(source, pk: pk, covariates: ["WT", "BASE"])
        let times = grid(until: 10)
        let result = try Self.run(ModelConfiguration(pk: pk, custom: custom),
                                  ["CL": 2, "V1": 10, "KA": 1, "F": 0.5, "K": 0.1], covariates: [70, 3],
                                  doses: [Dose(time: 0, amount: 100, route: .oral), Dose(time: 4, amount: 10, route: .bolus, target: 0)],
                                  times: times)
        #expect(result.baseline["B"] == 6)
        let b = times.map { t in 6 * exp(-0.1 * t) + (t >= 4 ? 10 * exp(-0.1 * (t - 4)) : 0) }
        expectClose(result.outputs["B"]!, b, relative: 1e-8, absolute: 1e-10, "B")
        expectClose(result.outputs["CLOCK"]!, times, relative: 1e-12, absolute: 1e-12, "CLOCK")
        // 1-cmt oral with F = 0.5: C = F·D·KA/(V(KA − k))·(e^{−kt} − e^{−KA t}), k = CL/V.
        let c = times.map { t in 0.5 * 100 * 1 / (10 * (1 - 0.2)) * (exp(-0.2 * t) - exp(-t)) }
        expectClose(result.outputs["C"]!, c, relative: 1e-9, absolute: 1e-12, "C")
    }

    /// With KE0 the custom model reads CE, dCE/dt = KE0·(C − CE): a state driven by CE alone
    /// (dX/dt = CE) integrates CE; compared with the built-in ∫CE of the same PK block. CE itself
    /// is exact in both (a state of the linear system, read in closed form by the right-hand
    /// side): the same numbers to rounding, where the custom model's solver once integrated it.
    @Test func effectCompartmentDrivesCustomStates() throws {
        let pk = PKConfiguration(compartments: 1, absorption: .ivBolus)
        let source = CustomModelSource(states: [Entry("X", "0")], odes: [Entry("X", "CE")])
        let custom = try Self.compile(source, pk: pk, effect: true)
        let times = grid(until: 24)
        let parameters: [String: Double] = ["CL": 2, "V1": 10, "KE0": 0.5]
        let written = try Self.run(ModelConfiguration(pk: pk, effectCompartment: true, custom: custom), parameters,
                                   doses: [Dose(time: 0, amount: 100, route: .bolus)], times: times, integrate: ["CE"])
        let builtIn = try Self.run(ModelConfiguration(pk: pk, twin: "cardio.qtc", effectCompartment: true),
                                   parameters.merging(["QTC0": 400, "SLOPE": 1]) { a, _ in a },
                                   doses: [Dose(time: 0, amount: 100, route: .bolus)], times: times, integrate: ["CE"])
        expectClose(written.outputs["CE"]!, builtIn.outputs["CE"]!, relative: 1e-12, absolute: 1e-15, "CE")
        let k = 0.2, ke0 = 0.5   // CE of a 1-cmt bolus: D/V·KE0/(KE0 − k)·(e^{−k t} − e^{−KE0 t})
        let closedForm = times.map { t in 10 * ke0 / (ke0 - k) * (exp(-k * t) - exp(-ke0 * t)) }
        expectClose(written.outputs["CE"]!, closedForm, relative: 1e-9, absolute: 1e-12, "CE closed form")
        expectClose(written.outputs["X"]!, builtIn.integrals["CE"]!, relative: 1e-8, absolute: 1e-10, "X = ∫CE")
        expectClose(written.integrals["CE"]!, builtIn.integrals["CE"]!, relative: 1e-12, absolute: 1e-15, "∫CE")
    }

    /// The same with 2 compartments, an oral dose and an infusion (CE's closed form with the
    /// depot's and the infusion's second divided differences inside the right-hand side): the
    /// state driven by CE integrates the built-in model's exact ∫CE to the solver's tolerance.
    @Test func effectCompartmentInClosedFormDrivesCustomStatesThroughDepotAndInfusion() throws {
        let pk = PKConfiguration(compartments: 2, absorption: .oral)
        let source = CustomModelSource(states: [Entry("X", "0")], odes: [Entry("X", "CE")])
        let custom = try Self.compile(source, pk: pk, effect: true)
        let times = grid(until: 48, step: 0.5)
        let parameters: [String: Double] = ["CL": 4, "V1": 25, "Q": 6, "V2": 50, "KA": 0.8, "KE0": 0.35]
        let doses = [Dose(time: 0, amount: 100, route: .oral), Dose(time: 6, amount: 40, route: .infusion(duration: 3))]
        let written = try Self.run(ModelConfiguration(pk: pk, effectCompartment: true, custom: custom), parameters,
                                   doses: doses, times: times, integrate: ["CE"])
        let builtIn = try Self.run(ModelConfiguration(pk: pk, twin: "cardio.qtc", effectCompartment: true),
                                   parameters.merging(["QTC0": 400, "SLOPE": 1]) { a, _ in a }, doses: doses, times: times,
                                   integrate: ["CE"])
        expectClose(written.outputs["CE"]!, builtIn.outputs["CE"]!, relative: 1e-12, absolute: 1e-15, "CE")
        expectClose(written.outputs["X"]!, builtIn.integrals["CE"]!, relative: 1e-8, absolute: 1e-10, "X = ∫CE")
    }

    // MARK: Checks at compile time

    @Test func unknownNameIsLocatedWithASuggestion() {
        let source = CustomModelSource(parameters: [Self.parameter("KOUT")], states: [Entry("R", "1")], odes: [Entry("R", "-KOTU * R")])
        #expect(Self.issues(source) == [CustomModelIssue(place: .ode(0), message: "unknown name 'KOTU'; did you mean 'KOUT'?", offset: 1)])
    }

    @Test func derivedValuesMayOnlyUseEarlierOnes() {
        let later = CustomModelSource(states: [Entry("R", "1")], derived: [Entry("A", "2 * B"), Entry("B", "R + 1")], odes: [Entry("R", "A")])
        #expect(Self.issues(later) == [CustomModelIssue(place: .derived(0),
            message: "derived value 'B' is defined after 'A': a derived value may only use earlier ones (move 'B' above 'A')", offset: 4)])
        let cycle = CustomModelSource(states: [Entry("R", "1")], derived: [Entry("A", "R + B"), Entry("B", "A / 2")], odes: [Entry("R", "A")])
        #expect(Self.issues(cycle) == [CustomModelIssue(place: .derived(0),
            message: "derived values form a cycle (A → B → A): a derived value may only use earlier ones", offset: 4)])
        let itself = CustomModelSource(states: [Entry("R", "1")], derived: [Entry("A", "A + 1")], odes: [Entry("R", "A")])
        #expect(Self.issues(itself).map(\.message) == ["derived value 'A' uses itself: a cycle among derived values (each may only use earlier ones)"])
    }

    @Test func everyStateNeedsExactlyOneODE() {
        let source = CustomModelSource(states: [Entry("R", "1"), Entry("S", "0")],
                                       odes: [Entry("R", "-R"), Entry("SS", "1"), Entry("R", "0")])
        #expect(Self.issues(source) == [
            CustomModelIssue(place: .odeName(1), message: "an ODE for 'SS', which is not a state; did you mean 'S'?", offset: nil),
            CustomModelIssue(place: .odeName(2), message: "a second ODE for state 'R'", offset: nil),
            CustomModelIssue(place: .stateName(1), message: "state 'S' has no ODE: add `S: \"…\"` under `odes` (write 0 for a constant state)", offset: nil),
        ])
    }

    @Test func namesMustBeDistinctAndFree() {
        let pk = PKConfiguration(compartments: 1, absorption: .oral)
        let source = CustomModelSource(parameters: [Self.parameter("KA"), Self.parameter("WT"), Self.parameter("K")],
                                       states: [Entry("C", "0"), Entry("K", "0")], derived: [Entry("t", "1")],
                                       odes: [Entry("C", "0"), Entry("K", "0")])
        #expect(Self.issues(source, pk: pk, covariates: ["WT"]).map(\.message) == [
            "'KA' is a parameter of the pk block: choose another name for this parameter",
            "parameter 'WT' has the name of covariate 'WT': rename one of them",
            "'C' is the pk block's output C: choose another name for this state",
            "'K' is already declared as a parameter: every parameter, state and derived value needs its own name",
            "'t' is the time variable `t`: choose another name for this derived value",
        ])
    }

    @Test func outputsAndDoseTargetsMustBeStatesOrDerivedValues() {
        let source = CustomModelSource(states: [Entry("GUT", "0"), Entry("CENT", "0")], derived: [Entry("CONC", "CENT / 10")],
                                       odes: [Entry("GUT", "-GUT"), Entry("CENT", "GUT - CONC")],
                                       outputs: ["CONC", "CNET", "CONC"], dosesInto: "GTU")
        #expect(Self.issues(source) == [
            CustomModelIssue(place: .output(1), message: "output 'CNET' is not a state or derived value of the custom model; did you mean 'CENT'?", offset: nil),
            CustomModelIssue(place: .output(2), message: "output 'CONC' is listed twice", offset: nil),
            CustomModelIssue(place: .dosesInto, message: "`doses_into` names 'GTU', which is not a state; did you mean 'GUT'?", offset: nil),
        ])
    }

    @Test func initialValuesUseParametersAndCovariatesOnly() {
        let source = CustomModelSource(parameters: [Self.parameter("K")], states: [Entry("A", "K"), Entry("B", "A * 2")],
                                       odes: [Entry("A", "0"), Entry("B", "0")])
        #expect(Self.issues(source) == [CustomModelIssue(place: .initial(1), message: "initial values may use parameters and covariates only; 'A' is a state", offset: 0)])
    }

    @Test func syntaxErrorsKeepTheirOffset() {
        let source = CustomModelSource(states: [Entry("A", "1")], odes: [Entry("A", "-A * (2 + ")])
        let found = Self.issues(source)
        #expect(found.count == 1 && found[0].place == .ode(0) && found[0].offset == 10)
    }

    /// The register file is [parameters…, covariates…, states…, derived…, t, C, CE].
    @Test func registerLayout() throws {
        let custom = try Self.compile(Self.idr1Source, pk: PKConfiguration(compartments: 1, absorption: .ivBolus), covariates: ["WT", "AGE"])
        let layout = custom.layout
        // CL, V1, then KIN, KOUT, IMAX, IC50.
        #expect(layout.parameterCount == 6 && layout.covariateStart == 6 && layout.stateStart == 8 && layout.derivedStart == 9)
        #expect(layout.time == 10 && layout.concentration == 11 && layout.effectConcentration == 12 && layout.count == 13)
        #expect(custom.derived[0].slotsRead == [4, 11, 5])
        #expect(custom.odes[0].slotsRead == [2, 9, 3, 8])
        #expect(ModelLibrary.parameters(for: ModelConfiguration(pk: PKConfiguration(compartments: 1, absorption: .ivBolus), custom: custom)).map(\.name)
                == ["CL", "V1", "KIN", "KOUT", "IMAX", "IC50"])
        #expect(ModelLibrary.outputs(for: ModelConfiguration(pk: PKConfiguration(compartments: 1, absorption: .ivBolus), custom: custom)).map(\.name)
                == ["C", "AUC", "R", "INH"])
    }
}
