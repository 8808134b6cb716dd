import Expressions
import Foundation
import Twins
import Yams

extension ProtocolDecoder {
    static let adverseEventKeys = ["term", "variable", "grades", "when", "assess"]

    func decodeAdverseEvents(_ node: Node) -> [AdverseEventDefinition] {
        guard let items = reader.sequence(node, key: "adverse_events") else { return [] }
        var out: [AdverseEventDefinition] = []
        for item in items {
            guard let f = reader.mapping(item, section: "adverse event", allowed: Self.adverseEventKeys) else { continue }
            let errorsBefore = reader.log.diagnostics.count
            guard let termNode = reader.required(f, "term", what: "the event's preferred term"), let term = reader.string(termNode, key: "term") else { continue }
            if adverseEventTerms.contains(term) { reader.error("duplicate adverse event term '\(term)'", at: termNode) }
            adverseEventTerms.append(term)
            var definition = AdverseEventDefinition(term: term, variable: nil, grades: [])
            if let when = f.value("when") {
                for key in ["variable", "grades"] {
                    if let k = f.keyNode(key) { reader.error("give `when` (a one-grade event) or `variable` with `grades`, not both", at: k) }
                }
                if let condition = outputCondition(when, key: "when") { definition.grades = [AdverseEventGrade(grade: 1, condition: condition)] }
            } else if let variableNode = f.value("variable") {
                let gradesNode = reader.required(f, "grades", what: "e.g. { 1: \"< 2.0\", 2: \"< 1.5\" }")
                if let outputs, let name = reader.string(variableNode, key: "variable") {
                    if let index = outputs.firstIndex(where: { $0.name == name }) {
                        definition.variable = index
                        if let gradesNode { definition.grades = decodeGrades(gradesNode, variable: index, unit: outputs[index].dimension) }
                    } else { reportUnknownOutput(name, at: variableNode, outputs: outputs.map(\.name), section: "adverse event '\(term)'") }
                }
            } else {
                reader.error("missing key `variable` in adverse event '\(term)': give `variable` with `grades`, or `when`", at: item)
            }
            if let a = f.value("assess") { definition.assessment = decodeAssessment(a) }
            if reader.log.diagnostics.count == errorsBefore, outputs != nil { out.append(definition) }
        }
        return out
    }

    /// `{ 1: "< 2.0", 2: "< 1.5" }`: grades 1–5, each a comparison of the variable with a number
    /// in its unit, or with a quantity where that unit is built from mass, volume and time
    /// (`"> 1500 ng/mL"` on a concentration).
    private func decodeGrades(_ node: Node, variable: Int, unit: QuantityDimension) -> [AdverseEventGrade] {
        guard let f = reader.mapping(node, section: "grades", allowed: []) else { return [] }
        var out: [AdverseEventGrade] = []
        // Each grade's comparison, to check that they nest (SPEC §2: each grade implies the lower).
        var comparisons: [(grade: Int, op: ComparisonOperator, threshold: Double, text: String, node: Node)] = []
        for (key, keyNode, value) in f.entries {
            guard let grade = Int(key), (1...5).contains(grade) else {
                reader.error("a grade must be an integer 1…5; got '\(key)'", at: keyNode); continue
            }
            if comparisons.contains(where: { $0.grade == grade }) || out.contains(where: { $0.grade == grade }) {
                reader.error("grade \(grade) is defined twice ('\(key)')", at: keyNode); continue
            }
            guard let text = reader.scalar(value, key: "grades.\(key)", expected: "a condition such as \"< 2.0\"") else { continue }
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            let op = ComparisonOperator.allCases.sorted { $0.rawValue.count > $1.rawValue.count }.first { trimmed.hasPrefix($0.rawValue) }
            let operand = op.map { String(trimmed.dropFirst($0.rawValue.count)).trimmingCharacters(in: .whitespaces) } ?? ""
            var threshold: Double?
            if case let .some(.some(v)) = NodeReader.parseNumber(operand) {
                threshold = v
            } else if op != nil, case .physical = unit, NodeReader.parseNumber(operand) == nil {
                do throws(UnitError) { threshold = try UnitConversion.convert(operand, to: unit) } catch {
                    reader.error("grade \(grade): \(error.message)", at: value)
                    continue
                }
            }
            guard let op, let threshold else {
                reader.error("grade \(grade) must be a comparison with a number, one of <, <=, >, >= then a value (e.g. \"< 2.0\"); got '\(text)'", at: value)
                continue
            }
            // The variable is slot `variable` of the output registers.
            guard let condition = try? ParsedExpression("x \(op.rawValue) \(threshold)").compile(resolve: { _ in .slot(variable) }) else { continue }
            out.append(AdverseEventGrade(grade: grade, condition: condition))
            comparisons.append((grade, op, threshold, text.trimmingCharacters(in: .whitespaces), value))
        }
        if f.entries.isEmpty { reader.error("`grades` must define at least grade 1", at: node) }
        // A subject's grade is the highest whose condition holds, counted as having met every lower
        // grade: each grade's condition must imply the one below it, or values between the two
        // thresholds would be graded higher without meeting the lower grade.
        comparisons.sort { $0.grade < $1.grade }
        for (lower, higher) in zip(comparisons, comparisons.dropFirst()) where !Self.implies(higher.op, higher.threshold, lower.op, lower.threshold) {
            reader.error("grade \(higher.grade) (\"\(higher.text)\") must imply grade \(lower.grade) (\"\(lower.text)\"): grades are nested, each implies the lower (a threshold at least as extreme, in the same direction)", at: higher.node)
        }
        return out.sorted { $0.grade < $1.grade }
    }

    /// Whether `x op1 a` implies `x op2 b` for every x.
    static func implies(_ op1: ComparisonOperator, _ a: Double, _ op2: ComparisonOperator, _ b: Double) -> Bool {
        switch (op1, op2) {
        case (.less, .less), (.less, .lessOrEqual), (.lessOrEqual, .lessOrEqual): return a <= b
        case (.lessOrEqual, .less): return a < b
        case (.greater, .greater), (.greater, .greaterOrEqual), (.greaterOrEqual, .greaterOrEqual): return a >= b
        case (.greaterOrEqual, .greater): return a > b
        default: return false
        }
    }

    /// `{ every: TIME }` or `{ at: [TIME, …] }`.
    func decodeAssessment(_ node: Node) -> AssessmentSchedule? {
        guard let f = reader.mapping(node, section: "assess", allowed: ["every", "at"]) else { return nil }
        let end = duration ?? .infinity
        if let every = f.value("every") {
            if let k = f.keyNode("at") { reader.error("give `every` or `at` in assess, not both", at: k); return nil }
            guard let v = reader.time(every, key: "every", in: .positive) else { return nil }
            if v < observe { reader.error("`every` (\(formatNumber(v)) h) must be at least `observe` (\(formatNumber(observe)) h): assessments are read on the grid", at: every) ; return nil }
            return .every(v)
        }
        if let at = f.value("at") {
            guard let items = reader.sequence(at, key: "at") else { return nil }
            let times = items.compactMap { reader.time($0, key: "at", in: .closed(0, end)) }
            guard times.count == items.count else { return nil }
            if times.isEmpty { reader.error("`at` must list at least one time", at: at); return nil }
            return .at(times.sorted())
        }
        reader.error("missing key `every` in assess: give { every: TIME } or { at: [TIME, …] }", at: node)
        return nil
    }
}
