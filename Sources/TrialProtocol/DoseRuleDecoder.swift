import Expressions
import Yams

extension ProtocolDecoder {
    static let ruleKeys = ["every", "when", "on_ae", "then"]
    static let actionKeys = ["scale", "add", "set", "min", "max", "hold", "resume", "stop"]

    func decodeRules(_ node: Node) -> [DoseRule] {
        guard let items = reader.sequence(node, key: "rules") else { return [] }
        return items.compactMap(decodeRule)
    }

    /// A condition over the model outputs (slot = output index); `nil` when it failed or the model
    /// is unknown.
    func outputCondition(_ node: Node, key: String) -> CompiledExpression? {
        guard let outputs else { _ = reader.parsedExpression(node, key: key); return nil }
        let names = outputs.map(\.name)
        return reader.expression(node, key: key, knownNames: names, resolve: { name in names.firstIndex(of: name).map { .slot($0) } })
    }

    private func decodeRule(_ node: Node) -> DoseRule? {
        guard let f = reader.mapping(node, section: "rule", allowed: Self.ruleKeys) else { return nil }
        let errorsBefore = reader.log.diagnostics.count
        var trigger: DoseRule.Trigger?
        if let every = f.value("every") {
            if let k = f.keyNode("on_ae") { reader.error("a rule is triggered by `every` (with `when`) or by `on_ae`, not both", at: k) }
            let period = reader.time(every, key: "every", in: .positive)
            let condition = f.value("when").flatMap { outputCondition($0, key: "when") }
            if let period { trigger = .schedule(every: period, condition: condition) }
        } else if let onAE = f.value("on_ae") {
            if let k = f.keyNode("when") { reader.error("`when` goes with `every`; an `on_ae` rule fires on the AE grade", at: k) }
            trigger = decodeAETrigger(onAE)
        } else {
            reader.error("missing key `every` in rule: a rule needs `every` (with an optional `when`) or `on_ae`", at: node)
        }
        let action = reader.required(f, "then", what: "what the rule does (scale, add, set, hold, resume, stop)").flatMap(decodeAction)
        guard reader.log.diagnostics.count == errorsBefore, let trigger, let action else { return nil }
        return DoseRule(trigger: trigger, action: action)
    }

    private func decodeAETrigger(_ node: Node) -> DoseRule.Trigger? {
        guard let f = reader.mapping(node, section: "on_ae", allowed: ["term", "grade"]) else { return nil }
        let termNode = reader.required(f, "term", what: "an adverse event term")
        let term = termNode.flatMap { reader.string($0, key: "term") }
        let grade = reader.required(f, "grade", what: "the grade that triggers the rule").flatMap { reader.integer($0, key: "grade", minimum: 1) }
        guard let term, let termNode, let grade else { return nil }
        guard let index = adverseEventTerms.firstIndex(of: term) else {
            var message = "unknown adverse event term '\(term)' in on_ae"
            if let near = nearestName(term, among: adverseEventTerms) { message += "; did you mean '\(near)'?" }
            else if adverseEventTerms.isEmpty { message += "; `adverse_events` defines no terms" }
            else { message += "; the terms are \(adverseEventTerms.joined(separator: ", "))" }
            reader.error(message, at: termNode)
            return nil
        }
        if index < adverseEvents.count, adverseEvents.count == adverseEventTerms.count {
            let maximum = adverseEvents[index].maximumGrade
            if grade > maximum { reader.error("`grade` must be in 1…\(maximum) (the grades of '\(term)'); got \(grade)", at: f.value("grade")!) }
        }
        return .adverseEvent(term: index, grade: grade)
    }

    private func decodeAction(_ node: Node) -> DoseRuleAction? {
        // `then: stop` (or `resume`, `hold`) is short for `then: { stop: true }` (SPEC: "… or hold |
        // resume | stop").
        if case let .scalar(s) = node, let word = ["stop", "resume", "hold"].first(where: { $0 == s.string }) {
            var action = DoseRuleAction()
            switch word {
            case "stop": action.stop = true
            case "resume": action.resume = true
            default: action.hold = try? ParsedExpression("1").compile { _ in nil }
            }
            return action
        }
        guard let f = reader.mapping(node, section: "then", allowed: Self.actionKeys) else { return nil }
        let errorsBefore = reader.log.diagnostics.count
        var action = DoseRuleAction()
        let adjustments = ["scale", "add", "set"].filter { f.has($0) }
        if adjustments.count > 1 { reader.error("give one of `scale`, `add`, `set`; got \(adjustments.joined(separator: " and "))", at: f.keyNode(adjustments[1])!) }
        if let s = f.value("scale"), let v = reader.number(s, key: "scale", in: .nonNegative) { action.adjustment = .scale(v) }
        if let a = f.value("add"), let v = reader.quantity(a, key: "add", dimension: .amount) { action.adjustment = .add(v) }
        if let s = f.value("set"), let v = reader.quantity(s, key: "set", dimension: .amount) {
            if v < 0 { reader.error("`set` must be ≥ 0 mg; got \(formatNumber(v))", at: s) } else { action.adjustment = .set(v) }
        }
        if let m = f.value("min"), let v = reader.quantity(m, key: "min", dimension: .amount) { action.minimum = v }
        if let m = f.value("max"), let v = reader.quantity(m, key: "max", dimension: .amount) { action.maximum = v }
        if let lo = action.minimum, let hi = action.maximum, lo > hi { reader.error("`min` (\(formatNumber(lo)) mg) must not exceed `max` (\(formatNumber(hi)) mg)", at: f.value("min")!) }
        if action.adjustment == nil, let k = f.keyNode("min") ?? f.keyNode("max") { reader.error("`\(k.string ?? "min")` bounds a `scale`, `add` or `set`; this rule has none", at: k) }
        if let h = f.value("hold") {
            if case let .scalar(s) = h, ["true", "yes"].contains(s.string.lowercased()) {
                action.hold = try? ParsedExpression("1").compile { _ in nil }
            } else { action.hold = outputCondition(h, key: "hold") }
        }
        if let r = f.value("resume"), let b = reader.bool(r, key: "resume") { action.resume = b }
        if let s = f.value("stop"), let b = reader.bool(s, key: "stop") { action.stop = b }
        if f.entries.isEmpty { reader.error("`then` must do something: scale, add, set, hold, resume or stop", at: node) }
        return reader.log.diagnostics.count == errorsBefore ? action : nil
    }
}
