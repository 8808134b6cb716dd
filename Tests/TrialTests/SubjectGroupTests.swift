import Foundation
import Testing
import TrialProtocol
import Twins
@testable import Trial

// `TrialPlan.simulateSubjectGroup` simulates consecutive subjects of an oral 2-compartment trial
// in the lanes of one walk. Whatever it returns for must be exactly what `simulateSubject` gives
// each subject alone: facts, endpoints, adverse events and the time course, bit for bit — with
// adherence, dropout and lag times making some subjects' events differ from their neighbours'.

/// An oral 2-compartment protocol of two arms (the second with an extra IV bolus), with
/// `parameters` and `variability` entries appended and `extra` top-level keys (also used by
/// `TimecourseStreamingTests`).
func groupProtocolText(parameters: String = "", variability: String = "", extra: String = "", subjects: Int = 41) -> String {
    """
    protocol: GROUPS
    seed: 7
    subjects: \(subjects)
    population:
      population: flat
      covariates:
        WT: { dist: uniform, min: 60, max: 80 }
    duration: 168 h
    observe: 1 h
    model:
      pk: { compartments: 2, absorption: oral }
      parameters: { CL: 5 L/h, V1: 50 L, Q: 10 L/h, V2: 100 L, KA: 1.0\(parameters) }
      variability: { CL: 0.3, V1: 0.3, KA: 0.3\(variability) }
      residual: { C: { proportional: 0.1, additive: 0.01 } }
    arms:
      - name: low
        dosing: { amount: 50 mg, every: 24 h, doses: 7 }
      - name: high
        dosing:
          - { amount: 100 mg, every: 24 h, doses: 7 }
          - { amount: 20 mg, route: iv-bolus, at: 36 h }
    \(extra)
    endpoints:
      - { id: CMAX, variable: C, summary: max }
      - { id: AUC_TAU, variable: C, summary: auc, window: [144 h, 168 h] }
      - { id: CTROUGH, variable: C, at: 168 h }
    adverse_events:
      - { term: HIGH_C, variable: C, grades: { 1: "> 1", 2: "> 2" } }
    """
}

@Suite struct SubjectGroupTests {
    /// The trials' variations: none, a lag time for everyone, a lag time of each subject's own,
    /// adherence, and a high dropout rate.
    static let variants: [(parameters: String, variability: String, extra: String)] = [
        ("", "", ""),
        (", TLAG: 0.5 h", "", ""),
        (", TLAG: 0.5 h", ", TLAG: 0.3", ""),
        ("", "", "adherence: 0.9"),
        ("", "", "dropout: { probability: 0.5, by: 168 h }"),
    ]

    @Test(arguments: 0..<variants.count) func groupedSubjectsGetTheirOwnResults(variant: Int) throws {
        let (parameters, variability, extra) = Self.variants[variant]
        let yaml = groupProtocolText(parameters: parameters, variability: variability, extra: extra)
        let plan = try TrialPlan(try ProtocolLoader.load(bytes: Array(yaml.utf8), path: "groups.yaml"))
        let cohort = plan.cohort.replicate(seed: plan.seed, replicate: 1)
        var spaces = (0..<TrialPlan.subjectGroupSize).map { _ in SubjectWorkspace(plan: plan) }
        #expect(spaces[0].simulator.oralTwoCompartment)
        var facts: [SubjectFacts] = []
        var alone = SubjectWorkspace(plan: plan)
        var unit = 0, shared = 0
        while unit < plan.subjects {
            let count = min(TrialPlan.subjectGroupSize, plan.subjects - unit), start = unit
            let done = plan.simulateSubjectGroup(replicate: 1, count: count, subject: { (start + $0, plan.arm(ofSubject: start + $0)) },
                                                 cohort: cohort, spaces: &spaces, facts: &facts)
            for i in 0..<done {
                let subject = unit + i
                let expected = try plan.simulateSubject(replicate: 1, patient: subject, arm: plan.arm(ofSubject: subject), cohort: cohort,
                                                        space: &alone)
                let got = facts[i], space = spaces[i]
                let label = "variant \(variant), subject \(subject)"
                #expect(got.dropoutTime == expected.dropoutTime && got.dosesTaken == expected.dosesTaken
                        && got.lastDose == expected.lastDose && got.doseChanges == expected.doseChanges, "\(label): facts")
                #expect(space.outputs.map(\.bitPattern) == alone.outputs.map(\.bitPattern), "\(label): time course")
                #expect(space.integrals.map(\.bitPattern) == alone.integrals.map(\.bitPattern), "\(label): integrals")
                #expect(space.baseline.map(\.bitPattern) == alone.baseline.map(\.bitPattern), "\(label): baseline")
                for (a, b) in zip(space.endpoints, alone.endpoints) {
                    #expect(a.base?.bitPattern == b.base?.bitPattern && a.value?.bitPattern == b.value?.bitPattern
                            && a.change?.bitPattern == b.change?.bitPattern && a.percentChange?.bitPattern == b.percentChange?.bitPattern
                            && a.analysed?.bitPattern == b.analysed?.bitPattern && a.responder == b.responder
                            && a.censored == b.censored, "\(label): endpoints")
                }
                #expect(space.adverseEvents.map(\.grade) == alone.adverseEvents.map(\.grade)
                        && space.adverseEvents.map(\.onset) == alone.adverseEvents.map(\.onset), "\(label): adverse events")
            }
            if done > 1 { shared += done }
            unit += max(done, 1)
        }
        // Everyone in an arm shares the dose times in the first two trials (a group ends at the arm
        // boundary, where the bolus starts, and one subject is left alone there); with lag times
        // of their own, no two subjects share a walk.
        if variant < 2 { #expect(shared == plan.subjects - 1, "variant \(variant)") }
        if variant == 2 { #expect(shared == 0) }
    }
}
