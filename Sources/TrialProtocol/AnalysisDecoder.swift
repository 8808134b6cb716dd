import Expressions
import Yams

extension ProtocolDecoder {
    static let analysisKeys = ["control", "alpha", "sided", "adjust", "multiplicity", "success"]

    func decodeAnalysis(_ node: Node) -> AnalysisPlan? {
        guard let f = reader.mapping(node, section: "analysis", allowed: Self.analysisKeys) else { return nil }
        let errorsBefore = reader.log.diagnostics.count
        var plan = AnalysisPlan(control: 0)
        if let c = f.value("control") {
            if let name = reader.string(c, key: "control"), !armNames.isEmpty, allArmsNamed {
                if let i = armNames.firstIndex(of: name) { plan.control = i }
                else {
                    var message = "`control` must name an arm; got '\(name)'"
                    if let near = nearestName(name, among: armNames) { message += "; did you mean '\(near)'?" }
                    else { message += "; the arms are \(armNames.joined(separator: ", "))" }
                    reader.error(message, at: c)
                }
            }
        } else if armNames.count > 1 {
            reader.error("missing key `control` in analysis: the arm every other arm is compared with (one of \(armNames.joined(separator: ", ")))", at: node)
        }
        if let a = f.value("alpha"), let v = reader.number(a, key: "alpha", in: .openClosed(0, 0.5)) { plan.alpha = v }
        if let s = f.value("sided"), let v = reader.choice(s, key: "sided", as: AnalysisPlan.Sided.self) { plan.sided = v }
        if let a = f.value("adjust"), let v = reader.choice(a, key: "adjust", as: AnalysisPlan.Adjustment.self) { plan.adjust = v }
        if let m = f.value("multiplicity"), let v = reader.choice(m, key: "multiplicity", as: AnalysisPlan.Multiplicity.self) { plan.multiplicity = v }
        if let s = f.value("success") { plan.success = decodeSuccess(s, control: plan.control) }
        return reader.log.diagnostics.count == errorsBefore ? plan : nil
    }

    /// `NAME: { all: [REF, …] }` or `{ any: [...] }`; REF is `ENDPOINT` or `ENDPOINT@ARM`, where
    /// ENDPOINT is an endpoint id, `<id>_RESP` of a responder endpoint or `AE:<term>`.
    private func decodeSuccess(_ node: Node, control: Int) -> [SuccessCriterion] {
        guard let f = reader.mapping(node, section: "success", allowed: []) else { return [] }
        var out: [SuccessCriterion] = []
        var comparable = endpointIds
        for e in endpoints where e.responder != nil { comparable.append(e.id + "_RESP") }
        comparable += adverseEventTerms.map { "AE:" + $0 }
        for (id, keyNode, value) in f.entries {
            if endpointIds.contains(id) { reader.error("success criterion '\(id)' has the id of an endpoint", at: keyNode) }
            guard let cf = reader.mapping(value, section: "success.\(id)", allowed: ["all", "any"]) else { continue }
            guard cf.entries.count == 1, let (methodKey, _, listNode) = cf.entries.first else {
                reader.error("success criterion '\(id)' must have exactly one of `all` or `any`", at: value); continue
            }
            guard let items = reader.sequence(listNode, key: methodKey) else { continue }
            if items.isEmpty { reader.error("`\(methodKey)` must list at least one comparison", at: listNode); continue }
            var references: [ComparisonReference] = []
            for item in items {
                guard let text = reader.string(item, key: methodKey) else { continue }
                let parts = text.split(separator: "@", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
                let endpoint = parts[0]
                guard comparable.contains(endpoint) else {
                    var message = "unknown endpoint '\(endpoint)' in success criterion '\(id)'"
                    if let near = nearestName(endpoint, among: comparable) { message += "; did you mean '\(near)'?" }
                    else if !comparable.isEmpty { message += "; the endpoints are \(comparable.joined(separator: ", "))" }
                    reader.error(message, at: item)
                    continue
                }
                var arm: Int?
                if parts.count == 2 {
                    guard allArmsNamed else { continue }
                    guard let i = armNames.firstIndex(of: parts[1]) else {
                        var message = "unknown arm '\(parts[1])' in '\(text)'"
                        if let near = nearestName(parts[1], among: armNames) { message += "; did you mean '\(near)'?" }
                        reader.error(message, at: item)
                        continue
                    }
                    if i == control { reader.error("'\(text)' names the control arm: a comparison is of a non-control arm with the control", at: item); continue }
                    arm = i
                }
                references.append(ComparisonReference(endpoint: endpoint, arm: arm))
            }
            out.append(SuccessCriterion(id: id, method: methodKey == "all" ? .all : .any, comparisons: references))
        }
        return out
    }
}
