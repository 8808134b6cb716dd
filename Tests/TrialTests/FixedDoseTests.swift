import Testing
import TrialProtocol
import Twins
@testable import Trial

// A subject who takes every dose at fixed amounts gets the arm's precomputed list
// (`ArmPlan.fixedDoses`) in one copy; it must be exactly the list built dose by dose. The same
// schedule with an expression for each amount (equal to the fixed one) is built dose by dose.

private func protocolText(_ amounts: (String, String, String)) -> String {
    """
    protocol: FIXED
    seed: 3
    subjects: 6
    population:
      population: p
      covariates:
        WT: { dist: uniform, min: 60, max: 80 }
    duration: 96 h
    observe: 1 h
    model:
      pk: { compartments: 1, absorption: oral }
      parameters: { CL: 2 L/h, V1: 20 L, KA: 1 }
      variability: { CL: 0.2 }
    arms:
      - name: active
        dosing:
          - { amount: \(amounts.0), at: 0 h }
          - { amount: \(amounts.1), every: 24 h, doses: 3, start: 24 h }
          - { amount: \(amounts.2), route: infusion, duration: 2 h, at: 48 h }
    endpoints:
      - { id: CMAX, variable: C, summary: max }
    """
}

@Suite struct FixedDoseTests {
    @Test func theFixedListIsTheListBuiltDoseByDose() throws {
        let fixed = try TrialPlan(ProtocolLoader.load(bytes: Array(protocolText(("200 mg", "100 mg", "500 mg")).utf8), path: "f.yaml"))
        let computed = try TrialPlan(ProtocolLoader.load(bytes: Array(protocolText(("WT * 0 + 200", "WT * 0 + 100", "WT * 0 + 500")).utf8),
                                                         path: "c.yaml"))
        #expect(fixed.arms[0].fixedDoses?.count == 5)
        #expect(computed.arms[0].fixedDoses == nil)
        var a = SubjectWorkspace(plan: fixed), b = SubjectWorkspace(plan: computed)
        for patient in 0..<fixed.subjects {
            let p = try fixed.prepareSubject(replicate: 1, patient: patient, arm: 0, cohort: fixed.cohort.replicate(seed: 3, replicate: 1), space: &a)
            let q = try computed.prepareSubject(replicate: 1, patient: patient, arm: 0,
                                                cohort: computed.cohort.replicate(seed: 3, replicate: 1), space: &b)
            #expect(a.doses == b.doses)
            #expect(a.doses.map(\.time) == [0, 24, 48, 48, 72])
            #expect(p.lastDose == q.lastDose && p.lastDose == 100)
        }
    }
}
