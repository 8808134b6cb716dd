import Foundation
import Testing
import Twins
@testable import TrialProtocol

/// `model.custom` (SPEC §4 "Custom models"): decoding, units of custom parameters, dosing `into`,
/// and located errors (LINE:COLUMN at the key or at the token inside the expression).
@Suite struct CustomModelDecodingTests {
    static let yaml = """
protocol: CUSTOM
seed: 1
subjects: 40
duration: 7 d
population:
  covariates:
    WT: { dist: normal, mean: 70, sd: 10 }
    SEX: { dist: categorical, levels: { M: 0.5, F: 0.5 } }
model:
  custom:
    parameters: { KA: 1.2, CL: 4 L/h, V: "40 * WT / 70", KIN: 10, KOUT: 0.1, IMAX: 0.9, IC50: 1 }
    states:
      GUT: { initial: 0 }
      CENT: { initial: 0 }
      R: { initial: "KIN / KOUT" }
    derived:
      C: "CENT / V"
      INH: "IMAX * C / (IC50 + C)"
    odes:
      GUT: "-KA * GUT"
      CENT: "KA * GUT - CL * C"
      R: "KIN * (1 - INH) - KOUT * R"
    outputs: [C, R, INH]
    doses_into: GUT
  variability: { CL: 0.3, KIN: 0.2 }
  residual: { R: { proportional: 0.1 } }
arms:
  - name: placebo
  - name: active
    dosing: { amount: 100 mg, every: 24 h, doses: 7 }
    parameters: { IMAX: 0.95 }
endpoints:
  - id: R_D7
    variable: R
    at: 7 d
adverse_events:
  - term: Low
    when: "R < 20"
analysis:
  control: placebo
"""

    static func load(_ text: String) throws -> ProtocolDefinition {
        let folder = TemporaryFolder()
        return try ProtocolLoader.load(path: folder.write("protocol.yaml", text))
    }

    /// A custom parameter called V is that parameter (V is V1's synonym only in models that have
    /// V1 and no V): it takes variability, covariate effects and overrides like any other.
    @Test func aCustomParameterNamedVIsItself() throws {
        let text = Self.yaml
            .replacingOccurrences(of: "  variability: { CL: 0.3, KIN: 0.2 }", with: "  variability: { CL: 0.3, KIN: 0.2, V: 0.25 }\n  covariates: { V: { WT: { power: 1, ref: 70 } } }")
            .replacingOccurrences(of: "    parameters: { IMAX: 0.95 }", with: "    parameters: { IMAX: 0.95, V: 35 }")
        let definition = try Self.load(text)
        let names = definition.model.parameters.map(\.name)
        let v = try #require(names.firstIndex(of: "V"))
        #expect(!names.contains("V1"))
        #expect(definition.model.parameters[v].variability == 0.25)
        #expect(definition.model.covariateEffects.map(\.parameter) == [v])
        #expect(definition.arms[1].parameterOverrides.map(\.parameter).contains(v))
    }

    @Test func decodesTheModel() throws {
        let definition = try Self.load(Self.yaml)
        let model = definition.model
        let custom = try #require(model.configuration.custom)
        #expect(model.configuration.pk == nil)
        #expect(custom.states == ["GUT", "CENT", "R"])
        #expect(custom.derivedNames == ["C", "INH"])
        #expect(custom.dosesInto == 0)
        #expect(model.parameters.map(\.name) == ["KA", "CL", "V", "KIN", "KOUT", "IMAX", "IC50"])
        #expect(model.outputs.map(\.name) == ["C", "R", "INH"])
        // A quantity fixes the dimension (canonical L/h); a bare number is dimensionless.
        #expect(model.parameters[1].definition.dimension == .clearance && model.parameters[1].value.constant == 4)
        #expect(model.parameters[0].definition.dimension == .dimensionless && model.parameters[0].value.constant == 1.2)
        if case .covariateExpression = model.parameters[2].value {} else { Issue.record("V should be an expression over WT") }
        #expect(model.parameters[1].variability == 0.3 && model.parameters[3].variability == 0.2)
        #expect(model.residuals == [ResidualError(output: 1, proportional: 0.1, additive: 0)])
        #expect(definition.arms[1].parameterOverrides.map(\.parameter) == [5])
        let summary = definition.summary
        #expect(summary.contains("model: custom ODE model; outputs C, R, INH\n"))
        #expect(summary.contains("  states: GUT (initial 0), CENT (initial 0), R (initial KIN / KOUT)\n"))
        #expect(summary.contains("  derived: C = CENT / V; INH = IMAX * C / (IC50 + C)\n"))
        #expect(summary.contains("  d/dt R = KIN * (1 - INH) - KOUT * R\n"))
        #expect(summary.contains("  doses enter GUT\n"))
        #expect(summary.contains("  CL = 4 L/h, variability SD 0.3\n"))
    }

    @Test func modelParametersOverrideCustomOnesAndPKBlocksCombine() throws {
        let text = Self.yaml
            .replacing("  custom:\n", with: "  pk: { compartments: 1, absorption: oral }\n  custom:\n")
            .replacing("parameters: { KA: 1.2, CL: 4 L/h, V: \"40 * WT / 70\", KIN: 10,", with: "parameters: { KIN: 10,")
            .replacing("      GUT: { initial: 0 }\n      CENT: { initial: 0 }\n", with: "")
            .replacing("      C: \"CENT / V\"\n", with: "")
            .replacing("      GUT: \"-KA * GUT\"\n      CENT: \"KA * GUT - CL * C\"\n", with: "")
            .replacing("    outputs: [C, R, INH]\n    doses_into: GUT\n", with: "    outputs: [R, INH]\n")
            .replacing("  variability: { CL: 0.3, KIN: 0.2 }", with: "  parameters: { CL: 4 L/h, V: 40 L, KA: 1.2, KIN: 12 }\n  variability: { CL: 0.3, KIN: 0.2 }")
        let model = try Self.load(text).model
        #expect(model.parameters.map(\.name) == ["CL", "V1", "KA", "F", "TLAG", "KIN", "KOUT", "IMAX", "IC50"])
        #expect(model.parameters[5].value.constant == 12)
        #expect(model.outputs.map(\.name) == ["C", "AUC", "R", "INH"])
    }

    @Test func doseIntoAState() throws {
        let definition = try Self.load(Self.yaml.replacing("doses: 7 }", with: "doses: 7, route: infusion, duration: 2 h, into: CENT }"))
        #expect(definition.arms[1].dosing[0].into == "CENT")
        #expect(protocolErrors(Self.yaml.replacing("doses: 7 }", with: "doses: 7, into: CENTT }")) == [
            "30:60: error: `into` names 'CENTT', which is not a state of the custom model; did you mean 'CENT'?",
        ])
        #expect(protocolErrors(Self.yaml.replacing("    doses_into: GUT\n", with: "")) == [
            "29:13: error: this dose has no target: name the state it enters with `into: STATE`, or set `model.custom.doses_into`",
        ])
    }

    @Test func unknownNameInAnODE() {
        #expect(protocolErrors(Self.yaml.replacing("CL * C\"", with: "CLL * C\"")) == [
            "21:25: error: in `model.custom.odes.CENT`: unknown name 'CLL'; did you mean 'CL'?",
        ])
    }

    @Test func cycleAmongDerivedValues() {
        #expect(protocolErrors(Self.yaml.replacing("C: \"CENT / V\"", with: "C: \"CENT / V * INH\"")) == [
            "17:22: error: in `model.custom.derived.C`: derived values form a cycle (C → INH → C): a derived value may only use earlier ones",
        ])
    }

    @Test func stateWithoutODE() {
        #expect(protocolErrors(Self.yaml.replacing("      R: \"KIN * (1 - INH) - KOUT * R\"\n", with: "")) == [
            "15:7: error: state 'R' has no ODE: add `R: \"…\"` under `odes` (write 0 for a constant state)",
        ])
        #expect(protocolErrors(Self.yaml.replacing("    outputs:", with: "      RR: \"0\"\n    outputs:")) == [
            "23:7: error: an ODE for 'RR', which is not a state; did you mean 'R'?",
        ])
    }

    @Test func syntaxError() {
        #expect(protocolErrors(Self.yaml.replacing("(1 - INH) - KOUT", with: "(1 - INH - KOUT")) == [
            "22:36: error: in `model.custom.odes.R`: expected ')', found end of expression",
        ])
    }

    @Test func namesAndOutputs() {
        #expect(protocolErrors(Self.yaml.replacing("    WT: {", with: "    GUT: {").replacing("WT / 70", with: "GUT / 70")) == [
            "13:7: error: state 'GUT' has the name of covariate 'GUT': rename one of them",
        ])
        #expect(protocolErrors(Self.yaml.replacing("outputs: [C, R, INH]", with: "outputs: [C, R, INHH]")) == [
            "23:21: error: output 'INHH' is not a state or derived value of the custom model; did you mean 'INH'?",
        ])
        #expect(protocolErrors(Self.yaml.replacing("doses_into: GUT", with: "doses_into: GTU")) == [
            "24:17: error: `doses_into` names 'GTU', which is not a state; did you mean 'GUT'?",
        ])
        #expect(protocolErrors(Self.yaml.replacing("KIN: 10, KOUT", with: "KIN: 10 mg/L, KOUT").replacing("    parameters: { IMAX: 0.95 }", with: "    parameters: { KIN: 3 mg }")) == [
            "31:24: error: `KIN` expected a quantity in mg/L (a concentration); got '3 mg', which is in mg",
        ])
        #expect(protocolErrors(Self.yaml.replacing("      R: { initial: \"KIN / KOUT\" }", with: "      R: { initial: \"KIN / KOUT + t\" }")) == [
            "15:35: error: in `model.custom.states.R.initial`: initial values may use parameters and covariates only; 't' is not known at the start",
        ])
    }
}
