import Twins
import Yams

extension ProtocolDecoder {
    static let endpointKeys = ["id", "type", "variable", "at", "summary", "window", "measure", "better", "responder", "event",
                               "assess", "scale", "equivalence", "margin"]

    func decodeEndpoints(_ node: Node) -> [EndpointDefinition] {
        guard let items = reader.sequence(node, key: "endpoints") else { return [] }
        return items.compactMap(decodeEndpoint)
    }

    private func decodeEndpoint(_ node: Node) -> EndpointDefinition? {
        guard let f = reader.mapping(node, section: "endpoint", allowed: Self.endpointKeys) else { return nil }
        let errorsBefore = reader.log.diagnostics.count
        guard let idNode = reader.required(f, "id", what: "the endpoint's id ([A-Z0-9_]+)"), let id = reader.string(idNode, key: "id") else { return nil }
        if !id.unicodeScalars.allSatisfy({ ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }) {
            reader.error("endpoint `id` must match [A-Z0-9_]+; got '\(id)'", at: idNode)
        } else if endpointIds.contains(id) {
            reader.error("duplicate endpoint id '\(id)'", at: idNode)
        }
        endpointIds.append(id)
        let end = duration ?? .infinity
        var kind = EndpointDefinition.Kind.continuous
        if let t = f.value("type"), let v = reader.choice(t, key: "type", as: EndpointDefinition.Kind.self) { kind = v }
        var endpoint = EndpointDefinition(id: id, kind: kind, variable: 0, variableName: "", window: 0...(duration ?? 0))

        if kind == .timeToEvent {
            for key in ["variable", "at", "summary", "window", "measure", "responder", "scale", "equivalence", "margin"] {
                if let k = f.keyNode(key) { reader.error("`\(key)` does not apply to a time-to-event endpoint (it takes event, assess, better)", at: k) }
            }
            if let e = reader.required(f, "event", what: "{ variable, op, value }"), let event = decodeEvent(e) {
                endpoint.event = event
                endpoint.variable = event.variable
                endpoint.variableName = event.variableName
            }
            if let a = f.value("assess") { endpoint.assessment = decodeAssessment(a) }
        } else {
            for key in ["event", "assess"] {
                if let k = f.keyNode(key) { reader.error("`\(key)` applies only to `type: time-to-event` endpoints", at: k) }
            }
            if let v = reader.required(f, "variable", what: "a model output"), let name = reader.string(v, key: "variable"), let outputs {
                if let index = outputs.firstIndex(where: { $0.name == name }) { endpoint.variable = index; endpoint.variableName = name }
                else { reportUnknownOutput(name, at: v, outputs: outputs.map(\.name), section: "endpoint \(id)") }
            }
            if let s = f.value("summary"), let v = reader.choice(s, key: "summary", as: EndpointDefinition.Summary.self) { endpoint.summary = v }
            if endpoint.summary == .at {
                if let w = f.keyNode("window") { reader.error("`window` applies to summaries max, min, mean and auc; this endpoint reads one time (`at`)", at: w) }
                if let a = reader.required(f, "at", what: "the assessment time (required for `summary: at`)") {
                    endpoint.at = reader.time(a, key: "at", in: .closed(0, end))
                }
            } else {
                if let a = f.keyNode("at") { reader.error("`at` applies to `summary: at`; a \(endpoint.summary.rawValue) summary reads a `window`", at: a) }
                if let w = f.value("window"), let window = decodeWindow(w) { endpoint.window = window }
            }
            if let m = f.value("measure"), let v = reader.choice(m, key: "measure", as: EndpointDefinition.Measure.self) {
                endpoint.measure = v
                if endpoint.summary == .auc && v != .value { reader.error("`measure` must be value for `summary: auc` (auc has no BASE, CHG or PCHG); got '\(v.rawValue)'", at: m) }
            }
            // The unit of the measure: the variable's for value and change (times h for an auc),
            // % for percent_change.
            // Unknown (nil) when the variable is not an output: that is already an error.
            var measureUnit: QuantityDimension? = endpoint.variableName.isEmpty ? nil : outputs?[endpoint.variable].dimension
            if endpoint.summary == .auc {
                switch measureUnit {
                case let .physical(m, v, t)?: measureUnit = .physical(mass: m, volume: v, time: t + 1)
                case let .fixed(unit)?: measureUnit = .fixed(unit == "–" ? "h" : "\(unit)·h")
                case nil: break
                }
            }
            if endpoint.measure == .percentChange { measureUnit = .fixed("%") }
            if let r = f.value("responder") { endpoint.responder = decodeResponder(r, unit: measureUnit) }
            if let s = f.value("scale"), let v = reader.choice(s, key: "scale", as: EndpointDefinition.Scale.self) { endpoint.scale = v }
            // Margins and equivalence bounds: ratios under `scale: log`, else in the measure's unit.
            let comparisonUnit = endpoint.scale == .log ? QuantityDimension.dimensionless : measureUnit
            if let e = f.value("equivalence") {
                if let m = f.keyNode("margin") { reader.error("give `equivalence` or `margin`, not both", at: m) }
                if let items = reader.sequence(e, key: "equivalence") {
                    if items.count != 2 { reader.error("`equivalence` must be a list of two bounds [L, U]", at: e) }
                    else if let lo = reader.threshold(items[0], key: "equivalence", dimension: comparisonUnit),
                            let hi = reader.threshold(items[1], key: "equivalence", dimension: comparisonUnit) {
                        if !(lo < hi) { reader.error("`equivalence` bounds must be ordered (L < U); got [\(formatNumber(lo)), \(formatNumber(hi))]", at: e) }
                        else if endpoint.scale == .log && lo <= 0 { reader.error("under `scale: log` the `equivalence` bounds are ratios and must be > 0; got \(formatNumber(lo))", at: items[0]) }
                        else { endpoint.equivalence = lo...hi }
                    }
                }
            }
            if let m = f.value("margin"), let v = reader.threshold(m, key: "margin", dimension: comparisonUnit) {
                if endpoint.scale == .log && v <= 0 { reader.error("under `scale: log` the `margin` is a ratio and must be > 0; got \(formatNumber(v))", at: m) }
                else { endpoint.margin = v }
            }
        }
        if let b = f.value("better"), let v = reader.choice(b, key: "better", as: EndpointDefinition.Direction.self) { endpoint.better = v }
        guard reader.log.diagnostics.count == errorsBefore, outputs != nil else { return nil }
        return endpoint
    }

    private func decodeWindow(_ node: Node) -> ClosedRange<Double>? {
        guard let items = reader.sequence(node, key: "window") else { return nil }
        guard items.count == 2 else { reader.error("`window` must be a list of two times [START, END]", at: node); return nil }
        let end = duration ?? .infinity
        guard let a = reader.time(items[0], key: "window", in: .closed(0, end)), let b = reader.time(items[1], key: "window", in: .closed(0, end)) else { return nil }
        guard a < b else { reader.error("`window` must be ordered (start < end); got [\(formatNumber(a)) h, \(formatNumber(b)) h]", at: node); return nil }
        return a...b
    }

    private func decodeResponder(_ node: Node, unit: QuantityDimension?) -> ResponderRule? {
        guard let f = reader.mapping(node, section: "responder", allowed: ["op", "value", "missing"]) else { return nil }
        let op = reader.required(f, "op", what: "one of <, <=, >, >=").flatMap { reader.choice($0, key: "op", as: ComparisonOperator.self) }
        let value = reader.required(f, "value", what: "the threshold on the measure").flatMap { reader.threshold($0, key: "value", dimension: unit) }
        var missing = ResponderRule.Missing.exclude
        if let m = f.value("missing") { guard let v = reader.choice(m, key: "missing", as: ResponderRule.Missing.self) else { return nil }; missing = v }
        guard let op, let value else { return nil }
        return ResponderRule(op: op, value: value, missing: missing)
    }

    private func decodeEvent(_ node: Node) -> EventCondition? {
        guard let f = reader.mapping(node, section: "event", allowed: ["variable", "op", "value", "relative_to", "min_change"]) else { return nil }
        var variable: (Int, String)?
        if let v = reader.required(f, "variable", what: "a model output"), let name = reader.string(v, key: "variable"), let outputs {
            if let i = outputs.firstIndex(where: { $0.name == name }) { variable = (i, name) }
            else { reportUnknownOutput(name, at: v, outputs: outputs.map(\.name), section: "event") }
        }
        let op = reader.required(f, "op", what: "one of <, <=, >, >=").flatMap { reader.choice($0, key: "op", as: ComparisonOperator.self) }
        var reference: EventCondition.Reference?
        if let r = f.value("relative_to") { reference = reader.choice(r, key: "relative_to", as: EventCondition.Reference.self) }
        // The variable's unit; with `relative_to` the value multiplies the reference (no unit).
        let unit = variable.flatMap { outputs?[$0.0].dimension }   // nil: unknown (already an error)
        let value = reader.required(f, "value", what: "the threshold")
            .flatMap { reader.threshold($0, key: "value", dimension: f.value("relative_to") == nil ? unit : .dimensionless) }
        var minimumChange: Double?
        if let m = f.value("min_change") {
            minimumChange = reader.threshold(m, key: "min_change", dimension: unit)
            if let v = minimumChange, v < 0 { reader.error("`min_change` must be ≥ 0; got \(formatNumber(v))", at: m); minimumChange = nil }
            if reference == nil && f.value("relative_to") == nil { reader.error("`min_change` needs `relative_to` (baseline or nadir)", at: m) }
        }
        guard let variable, let op, let value else { return nil }
        return EventCondition(variable: variable.0, variableName: variable.1, op: op, value: value, relativeTo: reference, minimumChange: minimumChange)
    }
}
