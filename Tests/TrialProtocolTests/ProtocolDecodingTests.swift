import Foundation
import Population
import Testing
import Twins
@testable import TrialProtocol

@Suite struct ProtocolDecodingTests {
    /// A residual's additive SD is in its output's unit: a unit string is converted like any
    /// quantity (SPEC's preamble), a bare number is canonical, and a dimensionless output takes
    /// bare numbers only.
    @Test func residualAdditiveSDsTakeTheOutputsUnit() throws {
        let folder = TemporaryFolder()
        let yaml = minimalProtocol.replacing("EC50: 1 }", with: "EC50: 1 }\n  residual: { C: { additive: 10 ng/mL }, AUC: { additive: \"30 ug*h/mL\" }, E: { proportional: 0.1, additive: 2 } }")
        let p = try ProtocolLoader.load(path: folder.write("protocol.yaml", yaml))
        #expect(p.model.outputs.map(\.name) == ["C", "AUC", "E"])
        #expect(p.model.residuals == [ResidualError(output: 0, proportional: 0, additive: 0.01),
                                      ResidualError(output: 1, proportional: 0, additive: 30),
                                      ResidualError(output: 2, proportional: 0.1, additive: 2)])
        #expect(protocolErrors(minimalProtocol.replacing("EC50: 1 }", with: "EC50: 1 }\n  residual: { C: { additive: 10 h }, E: { additive: 2 mg } }")) == [
            "13:30: error: `additive`: expected a quantity in mg/L (a concentration); got '10 h', which is in h",
            "13:53: error: `additive` must be a number; got '2 mg'",
        ])
        #expect(protocolErrors(minimalProtocol.replacing("EC50: 1 }", with: "EC50: 1 }\n  residual: { C: { additive: -1 ng/mL } }")) == [
            "13:30: error: `additive` must be ≥ 0 mg/L; got -0.001",
        ])
    }

    @Test func specExampleDecodesToCanonicalValues() throws {
        let p = try ProtocolLoader.load(path: Fixtures.folder + "/pkpd-emax-demo.yaml")
        #expect(p.id == "PKPD-EMAX-DEMO")
        #expect(p.title == "Emax dose ranging")
        #expect(p.seed == 20261124)
        #expect(p.replicates == 200)
        #expect(p.subjects == 240)
        #expect(p.duration == 672)
        #expect(p.observe == 1)
        #expect(p.gridCount == 673)
        #expect(p.fileName == "pkpd-emax-demo.yaml")
        #expect(p.sourceBytes == [UInt8](FileManager.default.contents(atPath: Fixtures.folder + "/pkpd-emax-demo.yaml")!))

        #expect(p.population.name == "adults-t2d")
        #expect(p.population.allNames == ["AGE", "SEX", "WT", "HT", "BASE_HBA1C", "EGFR", "BMI"])

        let m = p.model
        #expect(m.configuration == ModelConfiguration(pk: PKConfiguration(compartments: 2, absorption: .oral), pd: .emax))
        #expect(m.parameters.map(\.name) == ["CL", "V1", "Q", "V2", "KA", "F", "TLAG", "E0", "EMAX", "EC50", "HILL"])
        #expect(m.parameters.map { $0.value.constant } == [5, 50, 10, 100, 1, 1, 0, 100, -40, 1, 1])
        #expect(m.parameters.map(\.variability) == [0.3, 0.3, 0, 0, 0.3, 0, 0, 0, 0, 0, 0])
        #expect(m.outputs.map(\.name) == ["C", "AUC", "E"])
        #expect(m.etaCorrelations == [ParameterCorrelation(first: 0, second: 1, rho: 0.4)])
        #expect(m.covariateEffects == [
            CovariateEffect(parameter: 0, covariate: 2, covariateName: "WT", kind: .power(exponent: 0.75, reference: 70)),
            CovariateEffect(parameter: 1, covariate: 2, covariateName: "WT", kind: .power(exponent: 1, reference: 70)),
        ])
        #expect(m.residuals == [ResidualError(output: 2, proportional: 0.05, additive: 1)])
        #expect(m.solver == SolverOptions(relativeTolerance: 1e-6, absoluteTolerance: 1e-9, method: .auto))

        #expect(p.arms.map(\.name) == ["placebo", "50mg-qd", "candidate-B", "200mg-load"])
        #expect(p.allocation == [60, 60, 60, 60])
        #expect(p.arms[0].dosing.isEmpty)
        let qd = p.arms[1].dosing[0]
        #expect(qd.times == (0..<28).map { Double($0) * 24 })
        #expect(qd.route == .oral)
        #expect(qd.amount.milligrams(covariates: []) == 50)
        #expect(p.arms[2].parameterOverrides.map(\.parameter) == [9, 0])
        #expect(p.arms[2].parameterOverrides.map { $0.value.constant } == [0.3, 12])
        let load = p.arms[3].dosing
        #expect(load.count == 3)
        #expect(load[0].times == [0])
        #expect(load[1].times.first == 24 && load[1].times.last == 24 + 26 * 24 && load[1].times.count == 27)
        #expect(load[2].route == .infusion(duration: 2))
        #expect(load[2].times == [48])
        #expect(load[2].amount.milligrams(covariates: []) == 500)

        #expect(p.adherence == 1)
        // −ln(1 − p)/by with p = 0.1 and by = 8766 h (log1p keeps 1 − p exact).
        #expect(p.dropoutHazard == -log1p(-0.1) / 8766)

        #expect(p.endpoints.map(\.id) == ["E_CHG_D28", "CMAX"])
        let e = p.endpoints[0]
        #expect(e.variable == 2 && e.summary == .at && e.at == 672 && e.measure == .change && e.better == .lower)
        #expect(e.responder == ResponderRule(op: .lessOrEqual, value: -20, missing: .exclude))
        let cmax = p.endpoints[1]
        #expect(cmax.variable == 0 && cmax.summary == .max && cmax.window == 0...24 && cmax.better == .higher)

        #expect(p.adverseEvents.map(\.term) == ["Hypotension"])
        #expect(p.adverseEvents[0].grade(outputs: [0, 0, 59]) == 1)
        #expect(p.adverseEvents[0].grade(outputs: [0, 0, 60]) == 0)

        let a = try #require(p.analysis)
        #expect(a.control == 0 && a.alpha == 0.05 && a.sided == .two && a.adjust == .none && a.multiplicity == .none)
        #expect(p.output == OutputOptions(subjects: .all, timecourse: TimecourseOptions(variables: [0, 2], every: 1, subjects: 20000)))
    }

    @Test func csvCohortCovariateExpressionsAndPerWeightDoses() throws {
        let p = try ProtocolLoader.load(path: Fixtures.folder + "/tgi-with-cohort.yaml")
        let table = try #require(p.population.table)
        #expect(table.columns == ["WT", "SEX", "AGE"])
        #expect(table.levels[0] == nil && table.levels[1] == ["F", "M"] && table.levels[2] == nil)
        #expect(table.rows == [[70.5, 0, 40], [82, 1, 51], [64, 0, 38]])
        #expect(table.sampling == .asIs)
        #expect(p.model.parameters.map(\.name) == ["CL", "V1", "TS0", "KL", "KD", "LAMBDA"])
        guard case let .covariateExpression(cl) = p.model.parameters[0].value else { Issue.record("CL should be per subject"); return }
        #expect(cl.evaluate([70, 0, 40]) == 5)
        #expect(p.model.covariateEffects == [CovariateEffect(parameter: 1, covariate: 1, covariateName: "SEX", kind: .categorical(multipliers: [0.9, 1]))])
        #expect(p.arms[0].dosing[0].amount.milligrams(covariates: [82, 1, 51]) == 164)
        #expect(p.arms[0].dosing[0].count == 12 && p.arms[0].dosing[0].interval == 168)
        let ttp = p.endpoints[0]
        #expect(ttp.kind == .timeToEvent)
        #expect(ttp.event == EventCondition(variable: 2, variableName: "TS", op: .greaterOrEqual, value: 1.2, relativeTo: .nadir, minimumChange: 5))
        #expect(ttp.assessment == .every(1344))
        #expect(p.analysis == nil)
    }

    @Test func laterFeatureKeysDecode() throws {
        let yaml = minimalProtocol
            .replacing("protocol: TEST", with: "protocol: TEST\ndesign: matched\nreplicates: 3")
            .replacing("    dosing: { amount: 100 mg, every: 24 h, doses: 7 }", with: """
                dosing: { amount: 100 mg, every: 24 h, doses: 7, steady_state: true }
                rules:
                  - every: 1 d
                    when: "E > 70"
                    then: { scale: 1.5, max: 400 mg }
                  - on_ae: { term: Hypotension, grade: 1 }
                    then: { hold: "E < 80", set: 50 mg }
                  - every: 2 d
                    then: { stop: true }
            """)
            .replacing("  sided: two", with: """
              sided: one
              multiplicity: hochberg
              success:
                ALL_OK: { all: [E_D7] }
                ONE: { any: ["E_D7@active"] }
            """)
            .replacing("    at: 7 d", with: "    at: 7 d\n    scale: log\n    equivalence: [0.8, 1.25]")
        let p = try loadProtocol(yaml)
        #expect(p.design == .matched)
        #expect(p.allocation == [40, 40])
        #expect(p.arms[1].dosing[0].steadyState)
        let rules = p.arms[1].rules
        #expect(rules.count == 3)
        guard case let .schedule(every, condition?) = rules[0].trigger else { Issue.record("schedule rule"); return }
        #expect(every == 24)
        #expect(condition.evaluate([0, 0, 71]) == 1 && condition.evaluate([0, 0, 70]) == 0)
        #expect(rules[0].action.adjustment == .scale(1.5) && rules[0].action.maximum == 400)
        guard case let .adverseEvent(term, grade) = rules[1].trigger else { Issue.record("AE rule"); return }
        #expect(term == 0 && grade == 1)
        #expect(rules[1].action.adjustment == .set(50))
        #expect(rules[1].action.hold?.evaluate([0, 0, 79]) == 1)
        #expect(rules[2].action.stop)
        let a = try #require(p.analysis)
        #expect(a.sided == .one && a.multiplicity == .hochberg)
        #expect(a.success == [
            SuccessCriterion(id: "ALL_OK", method: .all, comparisons: [ComparisonReference(endpoint: "E_D7", arm: nil)]),
            SuccessCriterion(id: "ONE", method: .any, comparisons: [ComparisonReference(endpoint: "E_D7", arm: 1)]),
        ])
        #expect(p.endpoints[0].scale == .log && p.endpoints[0].equivalence == 0.8...1.25)
    }

    @Test func bareWordRuleActions() throws {
        // `then: stop | resume | hold` is short for `{ stop: true }`, `{ resume: true }`, `{ hold: true }`.
        func withRules(_ rules: String) -> String {
            minimalProtocol.replacing("    dosing: { amount: 100 mg, every: 24 h, doses: 7 }",
                                      with: "    dosing: { amount: 100 mg, every: 24 h, doses: 7 }\n    rules:\n" + rules)
        }
        let rules = try loadProtocol(withRules("""
                  - { every: 1 d, when: "E > 90", then: hold }
                  - { every: 2 d, when: "E < 80", then: resume }
                  - { every: 3 d, then: stop }
            """)).arms[1].rules
        #expect(rules.count == 3)
        #expect(rules[0].action.hold?.evaluate([0, 0, 0]) == 1 && !rules[0].action.resume && !rules[0].action.stop)
        #expect(rules[1].action.resume && rules[1].action.hold == nil && !rules[1].action.stop)
        #expect(rules[2].action.stop && rules[2].action.hold == nil && !rules[2].action.resume)
        #expect(rules.allSatisfy { $0.action.adjustment == nil })
        #expect(!protocolErrors(withRules("      - { every: 3 d, then: halt }\n")).isEmpty)
    }

    @Test func doseAmountForms() throws {
        let yaml = minimalProtocol
            .replacing("    SEX: { dist: categorical, levels: { M: 0.5, F: 0.5 } }", with: "    SEX: { dist: categorical, levels: { M: 0.5, F: 0.5 } }\n    BSA: { dist: normal, mean: 1.8, sd: 0.2 }")
            .replacing("    dosing: { amount: 100 mg, every: 24 h, doses: 7 }", with: """
                dosing:
                  - { amount: 75 mg/m2, at: 0 h }
                  - { amount: "min(75 * BSA, 150)", at: 24 h }
                  - { amount: 0.5 g, at: [48 h, 72 h] }
            """)
        let p = try loadProtocol(yaml)
        let d = p.arms[1].dosing
        #expect(d[0].amount.milligrams(covariates: [70, 0, 2]) == 150)
        #expect(d[1].amount.milligrams(covariates: [70, 0, 2.4]) == 150)
        #expect(d[1].amount.milligrams(covariates: [70, 0, 1.6]) == 120)
        #expect(d[2].amount.milligrams(covariates: []) == 500)
        #expect(d[2].times == [48, 72])
        #expect(p.arms[1].doseTimes == [0, 24, 48, 72])
    }

    @Test func summaryListsArmsAllocationAndUnits() throws {
        let p = try ProtocolLoader.load(path: Fixtures.folder + "/pkpd-emax-demo.yaml")
        let s = p.summary
        #expect(s.contains("  placebo: 60 subjects (ratio 1), no dosing"))
        #expect(s.contains("  CL = 5 L/h, variability SD 0.3"))
        #expect(s.contains("  KA = 1 1/h, variability SD 0.3"))
        #expect(s.contains("  EC50 = 1 mg/L"))
        #expect(s.contains("adverse events: Hypotension"))
        #expect(s.contains("  E_CHG_D28: E change at 672 h, better lower, responder <= -20"))
    }
}
