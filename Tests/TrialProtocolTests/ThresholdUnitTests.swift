import Testing
@testable import TrialProtocol

/// SPEC: wherever a quantity is read, a bare number is in canonical units and a string with a
/// unit is converted. Thresholds on a model output (responder values, event values and
/// `min_change`, adverse-event grades, margins and equivalence bounds) are quantities in the
/// output's unit when that unit is built from mass, volume and time; otherwise (%, ratios,
/// dimensionless outputs) they take bare numbers.
@Suite struct ThresholdUnitTests {
    /// minimalProtocol with its endpoints and adverse events replaced (C is in mg/L, E has no unit).
    static func protocolText(endpoints: String, adverseEvents: String = "") -> String {
        let start = minimalProtocol.range(of: "endpoints:\n")!.lowerBound
        let end = minimalProtocol.range(of: "analysis:\n")!.lowerBound
        return String(minimalProtocol[..<start]) + "endpoints:\n" + endpoints + adverseEvents + String(minimalProtocol[end...])
    }

    @Test func quantitiesOnAConcentrationAreConverted() throws {
        let text = Self.protocolText(endpoints: """
          - { id: C_RESP, variable: C, at: 7 d, responder: { op: ">=", value: "1500 ng/mL" } }
          - { id: C_CHG, variable: C, at: 7 d, measure: change, margin: "100 ng/mL" }
          - { id: C_EQ, variable: C, at: 7 d, equivalence: ["-100 ng/mL", "0.1 mg/L"] }
          - { id: AUC_NI, variable: C, summary: auc, margin: "2 mg*h/L" }
          - id: TTE
            type: time-to-event
            event: { variable: C, op: ">=", value: "1 ug/mL" }
          - id: TTE_REL
            type: time-to-event
            event: { variable: C, op: ">=", value: 1.2, relative_to: baseline, min_change: "200 ng/mL" }

        """, adverseEvents: """
        adverse_events:
          - { term: HighC, variable: C, grades: { 1: "> 1500 ng/mL", 2: ">= 3 mg/L" } }

        """)
        let definition = try loadProtocol(text)
        let e = Dictionary(uniqueKeysWithValues: definition.endpoints.map { ($0.id, $0) })
        #expect(e["C_RESP"]?.responder?.value == 1.5)   // 1500 ng/mL = 1500/1000 mg/L, one rounding
        #expect(e["C_CHG"]?.margin == 0.1)
        #expect(e["C_EQ"]?.equivalence == -0.1...0.1)
        #expect(e["AUC_NI"]?.margin == 2)
        #expect(e["TTE"]?.event?.value == 1)
        #expect(e["TTE_REL"]?.event?.value == 1.2)
        #expect(e["TTE_REL"]?.event?.minimumChange == 0.2)
        // The grades hold exactly where the same thresholds in mg/L would.
        let grades = try #require(definition.adverseEvents.first?.grades)
        #expect(grades.map(\.grade) == [1, 2])
        let c = definition.adverseEvents[0].variable!
        for (value, expected) in [(1.4, [0.0, 0]), (1.6, [1, 0]), (3.0, [1, 1])] {
            var registers = [Double](repeating: 0, count: c + 1)
            registers[c] = value
            #expect(grades.map { $0.condition.evaluate(registers) } == expected, "C = \(value)")
        }
    }

    @Test func anUnknownVariableGivesOneErrorNotAFollowOnUnitError() {
        let errors = protocolErrors(Self.protocolText(endpoints: """
          - { id: C_RESP, variable: Cc, at: 7 d, responder: { op: ">=", value: "1500 ng/mL" } }
          - id: TTE
            type: time-to-event
            event: { variable: Cc, op: ">=", value: "2 mg/L" }

        """))
        #expect(errors.count == 2, "\(errors)")
        #expect(errors.allSatisfy { $0.contains("'Cc'") }, "\(errors)")
    }

    @Test func unitsWhereTheThresholdHasNoneAreErrors() {
        let errors = protocolErrors(Self.protocolText(endpoints: """
          - { id: E_RESP, variable: E, at: 7 d, responder: { op: "<", value: "60 mg" } }
          - { id: C_PCT, variable: C, at: 7 d, measure: percent_change, responder: { op: ">", value: "10 mg/L" } }
          - { id: C_LOG, variable: C, at: 7 d, scale: log, margin: "1 mg/L" }
          - { id: C_WRONG, variable: C, at: 7 d, margin: "5 mg" }
          - id: TTE_REL
            type: time-to-event
            event: { variable: C, op: ">=", value: "1 mg/L", relative_to: nadir }

        """, adverseEvents: """
        adverse_events:
          - { term: LowE, variable: E, grades: { 1: "< 60 mg" } }

        """))
        #expect(errors.count == 6, "\(errors)")
        #expect(errors.contains { $0.contains("`value` must be a number; got '60 mg'") })
        #expect(errors.contains { $0.contains("`value` must be a number; got '10 mg/L'") })
        #expect(errors.contains { $0.contains("`margin` must be a number; got '1 mg/L'") })
        #expect(errors.contains { $0.contains("`margin`: expected a quantity in mg/L") })
        #expect(errors.contains { $0.contains("`value` must be a number; got '1 mg/L'") })
        #expect(errors.contains { $0.contains("grade 1 must be a comparison with a number") })
    }
}
