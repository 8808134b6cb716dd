import Foundation
import Testing
import TrialProtocol
import Twins
@testable import Trial

// SPEC §2 "Steady state and dose rules". Every model here is the 1-cmt bolus CL 2 L/h, V 20 L
// (k = 0.1 /h): a 100-mg bolus gives C = 5·e^{−0.1·t}, so the values the rules read are written
// out by hand.

/// One subject, protocol `id`, with `model` (the `model:` block's lines) and `body` (the arms and
/// what follows them).
private func oneSubjectProtocol(id: String, duration: String, observe: String, model: String, _ body: String) -> String {
    """
    protocol: \(id)
    seed: 1
    subjects: 1
    population:
      population: p
      covariates:
        WT: { dist: uniform, min: 60, max: 80 }
    duration: \(duration)
    observe: \(observe)
    model:
    \(model)
    \(body)
    """
}

private func rulesProtocol(duration: String, observe: String, dosing: String, rules: String, extra: String = "") -> String {
    oneSubjectProtocol(id: "RULES", duration: duration, observe: observe, model: """
      pk: { compartments: 1, absorption: iv-bolus }
      parameters: { CL: 2 L/h, V1: 20 L }
    """, """
    arms:
      - name: ruled
        dosing: \(dosing)
        rules:
    \(rules)
    endpoints:
      - { id: C6, variable: C, at: 6 h }
    \(extra)
    """)
}

/// 100 mg every 12 h for 48 h, AE "High" on C (grade 1 > 2, grade 2 > `grade2`) assessed every
/// `assessEvery`, and the rule "on grade 2, halve the doses".
private func runOnAdverseEventHalving(grade2: String, assessEvery: String) throws
    -> (facts: SubjectFacts, doses: [Dose], plan: TrialPlan, space: SubjectWorkspace) {
    let extra = """
    adverse_events:
      - { term: High, variable: C, grades: { 1: "> 2", 2: "> \(grade2)" }, assess: { every: \(assessEvery) } }
    """
    return try runOne(rulesProtocol(duration: "48 h", observe: "6 h", dosing: "{ amount: 100 mg, every: 12 h, doses: 4 }",
                                    rules: "      - { on_ae: { term: High, grade: 2 }, then: { scale: 0.5 } }", extra: extra))
}

/// A one-subject protocol on the custom model dA/dt = −K·A with the doses into A (A = 20·C of the
/// bolus model above), `body` giving the arms and what follows them.
private func customDecayProtocol(id: String, duration: String, observe: String, rtol: String, _ body: String) -> String {
    oneSubjectProtocol(id: id, duration: duration, observe: observe, model: """
      custom:
        parameters: { K: 0.1 }
        states: { A: { initial: 0 } }
        odes: { A: "-K * A" }
        outputs: [A]
        doses_into: A
      solver: { rtol: \(rtol), atol: 1e-12 }
    """, body)
}

private func runOne(_ yaml: String) throws -> (facts: SubjectFacts, doses: [Dose], plan: TrialPlan, space: SubjectWorkspace) {
    let definition = try ProtocolLoader.load(bytes: Array(yaml.utf8), path: "test.yaml")
    let plan = try TrialPlan(definition)
    var space = SubjectWorkspace(plan: plan)
    let cohort = plan.cohort.replicate(seed: plan.seed, replicate: 1)
    let facts = try plan.simulateSubject(replicate: 1, patient: 0, arm: 0, cohort: cohort, space: &space)
    return (facts, space.givenDoses, plan, space)
}

@Suite struct DoseRuleTests {
    /// 100 mg every 12 h; every 12 h a rule sets `hold: "C > 1"`. Pre-dose C at 12 h is
    /// 5e^{−1.2} = 1.506 (held), at 24 h 5e^{−2.4} = 0.454 (the hold is released, dose given), at 36 h
    /// 5e^{−1.2} + 5e^{−3.6} = 1.643 (held), at 48 h 5e^{−2.4} + 5e^{−4.8} = 0.495 (given), and so
    /// on: doses at 0, 24, 48, 72 h; held at 12, 36, 60, 84 h. The firings at 12, 36, 60 and 84 h
    /// set a hold (4 changes); those at 24, 48, 72 and 96 h find one active (no change).
    @Test func holdSkipsExactlyTheDosesAboveTheThreshold() throws {
        let yaml = rulesProtocol(duration: "96 h", observe: "2 h", dosing: "{ amount: 100 mg, every: 12 h, doses: 8 }",
                                 rules: "      - { every: 12 h, then: { hold: \"C > 1\" } }")
        let r = try runOne(yaml)
        #expect(r.doses.map(\.time) == [0, 24, 48, 72])
        #expect(r.doses.map(\.amount) == [100, 100, 100, 100])
        #expect(r.facts.dosesTaken == 4)
        #expect(r.facts.doseChanges == 4)
        #expect(r.facts.lastDose == 100)
        // The time course: no bolus at the held 12 h.
        let c12 = r.plan.modelValue(r.space, 0, r.plan.gridTimeIndex[6])
        #expect(abs(c12 - 5 * exp(-1.2)) < 1e-12)
        let c24 = r.plan.modelValue(r.space, 0, r.plan.gridTimeIndex[12])
        #expect(abs(c24 - 5 * (1 + exp(-2.4))) < 1e-12)
    }

    /// Titration: 10 mg daily, weekly `scale: 1.5, max: 40 mg` on a condition that stays true:
    /// 10 → 15 (1 w) → 22.5 (2 w) → 33.75 (3 w) → 40 (4 w, 50.625 capped) → 40 (5 w and 6 w: capped,
    /// no change). Each weekly firing acts before the dose at that time.
    @Test func titrationReachesItsCapAtTheExpectedWeek() throws {
        let yaml = rulesProtocol(duration: "6 w", observe: "1 d", dosing: "{ amount: 10 mg, every: 24 h, doses: 42 }",
                                 rules: "      - { every: 1 w, when: \"C >= 0\", then: { scale: 1.5, max: 40 mg } }")
        let r = try runOne(yaml)
        let expected = (0..<42).map { day -> Double in [10, 15, 22.5, 33.75, 40, 40][day / 7] }
        #expect(r.doses.map(\.amount) == expected)
        #expect(r.doses.map(\.time) == (0..<42).map { Double($0) * 24 })
        #expect(r.facts.doseChanges == 4)
        #expect(r.facts.lastDose == 40)
    }

    /// A `when` that is false does not fire: C ≥ 1 never holds before a daily 10-mg dose
    /// (pre-dose C ≤ 0.5·e^{−2.4}/(1 − e^{−2.4}) = 0.05).
    @Test func falseConditionNeverFires() throws {
        let yaml = rulesProtocol(duration: "2 w", observe: "1 d", dosing: "{ amount: 10 mg, every: 24 h, doses: 14 }",
                                 rules: "      - { every: 1 w, when: \"C >= 1\", then: { scale: 2 } }")
        let r = try runOne(yaml)
        #expect(r.doses.map(\.amount) == [Double](repeating: 10, count: 14))
        #expect(r.facts.doseChanges == 0)
    }

    /// `add` with `min`, `set`, and `stop` (snapped to the grid: 200 h → 192 h on a 24-h grid):
    /// 48 h: 10 − 4 = 6; 96 h: 6 − 4 = 2 → min 3; 144 h: 3 − 4 → 3 (capped, no change);
    /// 168 h: set 25; 192 h: 25 − 4 = 21, then stop. Given: 10, 10, 6, 6, 3, 3, 3, 25; 5 changes.
    @Test func addWithMinimumSetAndStop() throws {
        let rules = """
              - { every: 48 h, then: { add: -4 mg, min: 3 mg } }
              - { every: 168 h, then: { set: 25 mg } }
              - { every: 200 h, then: { stop: true } }
        """
        let yaml = rulesProtocol(duration: "240 h", observe: "24 h", dosing: "{ amount: 10 mg, every: 24 h, doses: 10 }", rules: rules)
        let r = try runOne(yaml)
        #expect(r.doses.map(\.time) == [0, 24, 48, 72, 96, 120, 144, 168])
        #expect(r.doses.map(\.amount) == [10, 10, 6, 6, 3, 3, 3, 25])
        #expect(r.facts.doseChanges == 5)
        #expect(r.facts.lastDose == 25)
        #expect(r.facts.dosesTaken == 8)
    }

    /// Rules at one time run in the order listed, before the dose at that time: set 20 then ×2
    /// gives 40 mg at 24 h (×2 then set would give 20).
    @Test func ruleOrderAtATimeWithADose() throws {
        let rules = """
              - { every: 24 h, then: { set: 20 mg } }
              - { every: 24 h, then: { scale: 2 } }
        """
        let yaml = rulesProtocol(duration: "48 h", observe: "24 h", dosing: "{ amount: 10 mg, every: 24 h, doses: 3 }", rules: rules)
        let r = try runOne(yaml)
        #expect(r.doses.map(\.amount) == [10, 40, 40])
        // 24 h: 10 → 20 → 40 (2 changes); 48 h: 40 → 20 → 40 (2 changes).
        #expect(r.facts.doseChanges == 4)
    }

    /// `on_ae`: AE "High" on C (grade 1 > 2, grade 2 > 3) assessed every 6 h; 100 mg every 12 h.
    /// C(6) = 5e^{−0.6} = 2.744 (grade 1), C(12⁻) = 5e^{−1.2} = 1.506, C(18) = 5e^{−0.6}(1 + e^{−1.2}) =
    /// 3.571 (grade 2): the rule fires at 18 h, once, and halves the doses from 24 h.
    @Test func onAdverseEventFiresAtTheFirstAssessedTimeAtTheGrade() throws {
        let r = try runOnAdverseEventHalving(grade2: "3", assessEvery: "6 h")
        #expect(r.doses.map(\.amount) == [100, 100, 50, 50])
        #expect(r.facts.doseChanges == 1)
        #expect(r.facts.lastDose == 50)
    }

    /// `on_ae` on a grade that only the bolus reaches: grade 2 is C > 5.5, assessed every 12 h with
    /// 100 mg every 12 h. Before each dose C is at most 5e^{−1.2}(1 + e^{−1.2} + e^{−2.4}) = 2.10;
    /// after the 12-h dose it is 5e^{−1.2} + 5 = 6.51, the grid value adverse_events.csv grades
    /// (grade 2 at 12 h). The rule fires then, after that dose: the doses from 24 h are halved.
    /// (It never fired before: it read only the values before the dose.) The same on a custom
    /// model, dA/dt = −0.1·A with the doses into A and grade 2 at A > 110 (A = 20·C).
    @Test func onAdverseEventReachedThroughTheBolusAtTheAssessedTime() throws {
        let r = try runOnAdverseEventHalving(grade2: "5.5", assessEvery: "12 h")
        #expect(r.doses.map(\.amount) == [100, 100, 50, 50])
        #expect(r.facts.doseChanges == 1)
        #expect(r.space.adverseEvents[0].grade == 2)
        #expect(r.space.adverseEvents[0].onset == 12)
        let custom = customDecayProtocol(id: "RULES-CUSTOM", duration: "48 h", observe: "6 h", rtol: "1e-10", """
        arms:
          - name: ruled
            dosing: { amount: 100 mg, route: iv-bolus, every: 12 h, doses: 4 }
            rules:
              - { on_ae: { term: High, grade: 2 }, then: { scale: 0.5 } }
        endpoints:
          - { id: A6, variable: A, at: 6 h }
        adverse_events:
          - { term: High, variable: A, grades: { 1: "> 40", 2: "> 110" }, assess: { every: 12 h } }
        """)
        let c = try runOne(custom)
        #expect(c.doses.map(\.amount) == [100, 100, 50, 50])
        #expect(c.facts.doseChanges == 1)
    }

    /// `on_ae` fires on the AE as adverse_events.csv records it, treatment-emergent: above the
    /// grade at t = 0. On dA/dt = −0.1·A with A(0) = 120 (grade 2: A > 110) and doses into A every
    /// 12 h, assessed every 12 h after the dose there: with 100 mg, A(12) = 220e^{−1.2} + 100 =
    /// 166.3, A(24) = 166.3e^{−1.2} + 100 = 150.1, … stay at grade 2, no AE, no firing; with
    /// 200 mg, A(12) = 320e^{−1.2} + 200 = 296.4 is grade 3 (A > 200), above the baseline's: the
    /// rule fires after the 12-h dose and halves the later ones.
    @Test func onAdverseEventCountsOnlyGradesAboveTheBaseline() throws {
        for (amount, expected) in [(100.0, [100.0, 100, 100, 100]), (200.0, [200.0, 200, 100, 100])] {
            let yaml = customDecayProtocol(id: "RULES-BASELINE-GRADE", duration: "48 h", observe: "6 h", rtol: "1e-10", """
            arms:
              - name: ruled
                dosing: { amount: \(Int(amount)) mg, route: iv-bolus, every: 12 h, doses: 4 }
                rules:
                  - { on_ae: { term: High, grade: 2 }, then: { scale: 0.5 } }
            endpoints:
              - { id: A6, variable: A, at: 6 h }
            adverse_events:
              - { term: High, variable: A, grades: { 1: "> 40", 2: "> 110", 3: "> 200" }, assess: { every: 12 h } }
            """).replacingOccurrences(of: "states: { A: { initial: 0 } }", with: "states: { A: { initial: 120 } }")
            let r = try runOne(yaml)
            #expect(r.doses.map(\.amount) == expected, "\(amount) mg")
            #expect(r.facts.doseChanges == (amount == 100 ? 0 : 1))
            #expect(r.space.adverseEvents[0].grade == (amount == 100 ? 0 : 3))
        }
    }

    /// A grade-2 trigger that C never reaches leaves the doses alone.
    @Test func onAdverseEventNotReached() throws {
        let extra = """
        adverse_events:
          - { term: High, variable: C, grades: { 1: "> 2", 2: "> 30" }, assess: { every: 6 h } }
        """
        let yaml = rulesProtocol(duration: "48 h", observe: "6 h", dosing: "{ amount: 100 mg, every: 12 h, doses: 4 }",
                                 rules: "      - { on_ae: { term: High, grade: 2 }, then: { stop: true } }", extra: extra)
        let r = try runOne(yaml)
        #expect(r.doses.count == 4)
        #expect(r.facts.doseChanges == 0)
    }

    /// `hold: true` holds until a `resume`: held at 24 and 48 h, resumed at 72 h.
    @Test func holdUntilResume() throws {
        let rules = """
              - { every: 24 h, when: "C < 100", then: { hold: true } }
              - { every: 72 h, then: { resume: true } }
        """
        let yaml = rulesProtocol(duration: "96 h", observe: "24 h", dosing: "{ amount: 10 mg, every: 24 h, doses: 5 }", rules: rules)
        let r = try runOne(yaml)
        // 24 h: hold (change); 48 h: already held; 72 h: hold (no change), then resume (change) →
        // dose given; 96 h: hold (change) → held.
        #expect(r.doses.map(\.time) == [0, 72])
        #expect(r.facts.doseChanges == 3)
    }

    /// The hold test on a custom model (dA/dt = −0.1·A, doses into A; A = 20·C of the bolus
    /// model): the same doses are held (pre-dose A at 12 h = 100e^{−1.2} = 30.1 > 20, at 24 h
    /// 100e^{−2.4} = 9.07 < 20, …).
    @Test func holdOnACustomModel() throws {
        let yaml = customDecayProtocol(id: "RULES-CUSTOM", duration: "96 h", observe: "2 h", rtol: "1e-10", """
        arms:
          - name: ruled
            dosing: { amount: 100 mg, route: iv-bolus, every: 12 h, doses: 8 }
            rules:
              - { every: 12 h, then: { hold: "A > 20" } }
        endpoints:
          - { id: A6, variable: A, at: 6 h }
        """)
        let r = try runOne(yaml)
        #expect(r.doses.map(\.time) == [0, 24, 48, 72])
        #expect(r.facts.doseChanges == 4)
        let a12 = r.plan.modelValue(r.space, 0, r.plan.gridTimeIndex[6])
        #expect(abs(a12 - 100 * exp(-1.2)) < 1e-6)
    }

    /// Steady state on a custom model (the repeated interval): dA/dt = −0.1·A with 100 mg into A
    /// every 24 h gives A(t) = 100·e^{−0.1 t}/(1 − e^{−2.4}) over an interval; and a 24-h infusion
    /// into A every 24 h (each ends as the next starts; the protocol refuses longer ones, the
    /// simulator handles them, see SteadyStateTests) against the infusion response summed over 200
    /// prior doses.
    @Test func steadyStateOnACustomModel() throws {
        func yaml(_ dosing: String) -> String {
            customDecayProtocol(id: "SS-CUSTOM", duration: "48 h", observe: "6 h", rtol: "1e-11", """
            arms:
              - name: ss
                dosing: \(dosing)
            endpoints:
              - { id: A6, variable: A, at: 6 h }
            """)
        }
        let k = 0.1
        let bolus = try runOne(yaml("{ amount: 100 mg, route: iv-bolus, every: 24 h, doses: 2, steady_state: true }"))
        for g in 0..<8 {
            let t = Double(g) * 6
            let expected = 100 * exp(-k * t.truncatingRemainder(dividingBy: 24)) / (1 - exp(-2.4))
            let value = bolus.plan.modelValue(bolus.space, 0, bolus.plan.gridTimeIndex[g])
            #expect(abs(value - expected) <= 1e-8 * expected, "A(\(t)) = \(value), expected \(expected)")
        }
        #expect(bolus.space.baseline[0] == 0)

        // One infusion of 100 mg over 24 h starting at s: A(t) = R/k·(1 − e^{−k(t−s)}) while it runs,
        // then decays.
        func infusion(_ t: Double, _ s: Double) -> Double {
            let r = 100.0 / 24, u = t - s
            if u <= 0 { return 0 }
            if u <= 24 { return r / k * (1 - exp(-k * u)) }
            return r / k * (1 - exp(-k * 24)) * exp(-k * (u - 24))
        }
        let infused = try runOne(yaml("{ amount: 100 mg, route: infusion, duration: 24 h, every: 24 h, doses: 2, steady_state: true }"))
        for g in 0..<9 {
            let t = Double(g) * 6
            let expected = (-200...1).reduce(0.0) { $0 + infusion(t, Double($1) * 24) }
            let value = infused.plan.modelValue(infused.space, 0, infused.plan.gridTimeIndex[g])
            #expect(abs(value - expected) <= 1e-8 * expected, "A(\(t)) = \(value), expected \(expected)")
        }
    }

    /// A steady-state arm through the plan: C(0) after the bolus at 0 is (D/V)/(1 − e^{−kτ}),
    /// the baseline stays 0.
    @Test func steadyStateArmStartsAtSteadyState() throws {
        let yaml = """
        protocol: SS
        seed: 1
        subjects: 1
        population:
          population: p
          covariates:
            WT: { dist: uniform, min: 60, max: 80 }
        duration: 48 h
        observe: 6 h
        model:
          pk: { compartments: 1, absorption: iv-bolus }
          parameters: { CL: 2 L/h, V1: 20 L }
        arms:
          - name: ss
            dosing: { amount: 100 mg, every: 24 h, doses: 2, steady_state: true }
        endpoints:
          - { id: C6, variable: C, at: 6 h }
        """
        let r = try runOne(yaml)
        let c0 = r.plan.modelValue(r.space, 0, r.plan.gridTimeIndex[0])
        #expect(abs(c0 - 5 / (1 - exp(-2.4))) < 1e-12)
        #expect(r.space.baseline[0] == 0)
        #expect(abs(r.space.endpoints[0].value! - 5 * exp(-0.6) / (1 - exp(-2.4))) < 1e-12)
        #expect(r.space.endpoints[0].base == 0)
    }
}
