import Expressions
import Twins
import Yams

extension ProtocolDecoder {
    static let armKeys = ["name", "ratio", "dosing", "parameters", "rules"]
    static let dosingKeys = ["amount", "at", "every", "doses", "start", "route", "duration", "into", "steady_state"]

    enum RouteChoice: String, CaseIterable { case oral, ivBolus = "iv-bolus", infusion }

    func decodeArms(_ node: Node) -> [ArmDefinition] {
        guard let items = reader.sequence(node, key: "arms") else { return [] }
        if items.isEmpty { reader.error("`arms` must list at least one arm", at: node) }
        var out: [ArmDefinition] = []
        for item in items {
            guard let f = reader.mapping(item, section: "arm", allowed: Self.armKeys) else { allArmsNamed = false; continue }
            let errorsBefore = reader.log.diagnostics.count
            guard let nameNode = reader.required(f, "name", what: "the arm's name"), let name = reader.string(nameNode, key: "name") else {
                allArmsNamed = false
                continue
            }
            if armNames.contains(name) { reader.error("duplicate arm name '\(name)'", at: nameNode) }
            armNames.append(name)
            var arm = ArmDefinition(name: name)
            if let r = f.value("ratio") {
                if let ratio = reader.integer(r, key: "ratio", minimum: 1) {
                    if ratio > 1_000_000 { reader.error("`ratio` must be a positive integer ≤ 1000000; got \(ratio)", at: r) }
                    arm.ratio = ratio
                }
            }
            if let d = f.value("dosing") {
                let entries: [Node]
                if case let .sequence(s) = d { entries = Array(s) } else { entries = [d] }
                let decoded = entries.map { ($0, decodeDosingEntry($0)) }
                arm.dosing = decoded.compactMap(\.1)
                // One regimen at most starts at steady state (the state at 0 h is that regimen's):
                // the error at a further entry's `steady_state` value.
                for (node, _) in decoded.filter({ $0.1?.steadyState == true }).dropFirst() {
                    var place = node
                    if case let .mapping(fields) = node, let flag = fields.first(where: { $0.key.string == "steady_state" })?.value { place = flag }
                    reader.error("only one dosing entry of an arm can start at steady state", at: place)
                }
            }
            if let p = f.value("parameters") { arm.parameterOverrides = decodeOverrides(p) }
            if let r = f.value("rules") {
                if arm.dosing.isEmpty && f.value("dosing") == nil { reader.error("`rules` change doses, but arm '\(name)' has no `dosing`", at: f.keyNode("rules")!) }
                arm.rules = decodeRules(r)
            }
            if reader.log.diagnostics.count == errorsBefore { out.append(arm) }
        }
        return out
    }

    private func decodeOverrides(_ node: Node) -> [ParameterOverride] {
        guard let f = reader.mapping(node, section: "arm parameters", allowed: []), let model else { return [] }
        var out: [ParameterOverride] = []
        let names = model.parameters.map(\.name)
        for (raw, keyNode, value) in f.entries {
            let name = Self.parameterName(raw, among: names)
            guard let i = names.firstIndex(of: name) else { reportUnknownParameter(raw, at: keyNode, known: names, section: "arm parameters"); continue }
            guard let v = parameterValue(value, definition: model.parameters[i].definition) else { continue }
            if let c = v.constant { checkTypicalValue(c, definition: model.parameters[i].definition, variability: model.parameters[i].variability, at: value) }
            out.append(ParameterOverride(parameter: i, value: v))
        }
        return out
    }

    private func decodeDosingEntry(_ node: Node) -> DosingEntry? {
        guard let f = reader.mapping(node, section: "dosing", allowed: Self.dosingKeys) else { return nil }
        let errorsBefore = reader.log.diagnostics.count
        let amount = reader.required(f, "amount", what: "the dose, e.g. '50 mg'").flatMap(decodeDoseAmount)
        let end = duration ?? .infinity
        var start = 0.0, interval: Double?, count = 1, explicit: [Double]?
        if let at = f.value("at") {
            for key in ["every", "doses", "start", "steady_state"] {
                if let k = f.keyNode(key) { reader.error("`\(key)` belongs to a repeated regimen (`every`); this entry gives a single time `at`", at: k) }
            }
            if case let .sequence(times) = at {
                let values = times.compactMap { reader.time($0, key: "at", in: .closed(0, end)) }
                if times.isEmpty { reader.error("`at` must list at least one time", at: at) }
                explicit = values.sorted()
                start = explicit?.first ?? 0
                count = values.count
            } else if let t = reader.time(at, key: "at", in: .closed(0, end)) { start = t }
        } else if let every = f.value("every") {
            interval = reader.time(every, key: "every", in: .positive)
            if let s = f.value("start"), let t = reader.time(s, key: "start", in: .closed(0, end)) { start = t }
            if let d = f.value("doses") {
                count = reader.integer(d, key: "doses", minimum: 1) ?? 1
                if let interval, let duration, start + Double(count - 1) * interval > duration + 1e-9 * duration {
                    reader.error("the last of \(count) doses every \(formatNumber(interval)) h from \(formatNumber(start)) h falls at \(formatNumber(start + Double(count - 1) * interval)) h, after the end of the study (`duration` \(formatNumber(duration)) h)", at: d)
                }
            } else if let interval, let duration {
                // Without `doses`: every dose time up to the end of the study.
                count = Int(((duration - start) / interval + 1e-9).rounded(.down)) + 1
            }
        } else {
            for key in ["doses", "start"] {
                if let k = f.keyNode(key) { reader.error("`\(key)` needs `every` (the dosing interval)", at: k) }
            }
        }
        var route: DoseRoute?
        let absorption = model?.configuration.pk?.absorption
        let routeChoice: RouteChoice?
        if let r = f.value("route") { routeChoice = reader.choice(r, key: "route", as: RouteChoice.self) }
        else if let absorption { routeChoice = RouteChoice(rawValue: absorption.rawValue) }
        else if customModelWithoutPK { routeChoice = .ivBolus }
        else { routeChoice = nil }
        let durationNode = f.value("duration")
        switch routeChoice {
        case .oral?:
            if absorption != nil && absorption != .oral {
                reader.error("an oral dose needs a model with `absorption: oral` (KA); this model's absorption is \(absorption!.rawValue)", at: f.value("route") ?? node)
            }
            route = .oral
        case .ivBolus?: route = .ivBolus
        case .infusion?:
            if let durationNode {
                if let d = reader.time(durationNode, key: "duration", in: .positive) {
                    route = .infusion(duration: d)
                    if let interval, d > interval { reader.error("an infusion of \(formatNumber(d)) h cannot repeat every \(formatNumber(interval)) h", at: durationNode) }
                }
            } else {
                reader.error("missing key `duration` in dosing: an infusion needs its duration, e.g. '2 h'", at: node)
            }
        case nil: break
        }
        if let durationNode, routeChoice != .infusion {
            reader.error("`duration` applies only to `route: infusion`", at: durationNode)
        }
        var into: String?
        if let k = f.keyNode("into"), let v = f.value("into") {
            if !hasCustomModel {
                reader.error("`into` names the state a dose enters in a custom model; built-in models dose their PK block", at: k)
            } else if let name = reader.string(v, key: "into"), let custom = model?.configuration.custom {
                if custom.states.contains(name) { into = name } else {
                    var message = "`into` names '\(name)', which is not a state of the custom model"
                    if let near = nearestName(name, among: custom.states) { message += "; did you mean '\(near)'?" }
                    else { message += "; its states are \(custom.states.joined(separator: ", "))" }
                    reader.error(message, at: v)
                }
            }
        } else if customModelWithoutPK, let custom = model?.configuration.custom, custom.dosesInto == nil {
            reader.error("this dose has no target: name the state it enters with `into: STATE`, or set `model.custom.doses_into`", at: node)
        }
        var steadyState = false
        if let s = f.value("steady_state"), let b = reader.bool(s, key: "steady_state") {
            steadyState = b
            if b && interval == nil { reader.error("`steady_state` needs a repeated regimen (`every`)", at: s) }
            if b && interval != nil && start != 0 {
                reader.error("a steady_state regimen starts at 0 h (the subject arrives at steady state); got start \(formatNumber(start)) h", at: s)
            }
        }
        guard reader.log.diagnostics.count == errorsBefore, let amount, let route else { return nil }
        return DosingEntry(amount: amount, start: start, interval: interval, count: count, explicitTimes: explicit, route: route, into: into,
                           steadyState: steadyState)
    }

    /// `"50 mg"`, a bare number (mg), `"2 mg/kg"` (× WT), `"75 mg/m2"` (× BSA) or an expression
    /// in mg over covariates.
    func decodeDoseAmount(_ node: Node) -> DoseAmount? {
        guard let text = reader.scalar(node, key: "amount", expected: "a dose in mg, mg/kg, mg/m2 or an expression over covariates") else { return nil }
        switch NodeReader.parseNumber(text) {
        case let .some(.some(v)): return nonNegativeDose(v, at: node)
        case .some(.none): reader.error("`amount` must be a finite number; got '\(text)'", at: node); return nil
        case .none: break
        }
        if let (number, unit) = UnitConversion.split(text), unit == "mg/kg" || unit == "mg/m2" {
            let covariate = unit == "mg/kg" ? "WT" : "BSA"
            guard let population else { return nil }
            guard let slot = population.allNames.firstIndex(of: covariate), population.categoricalLevels(slot: slot) == nil else {
                reader.error("a dose in \(unit) needs a numeric \(covariate) covariate (\(covariate == "WT" ? "body weight in kg" : "body surface area in m²")) in the population; it has \(population.allNames.joined(separator: ", "))", at: node)
                return nil
            }
            guard nonNegativeDose(number, at: node) != nil else { return nil }
            return unit == "mg/kg" ? .perWeight(mgPerKilogram: number, slot: slot) : .perBodySurfaceArea(mgPerSquareMetre: number, slot: slot)
        }
        if UnitConversion.looksLikeQuantity(text) {
            do { return nonNegativeDose(try UnitConversion.convert(text, to: .amount), at: node) }
            catch { reader.error("`amount` \(error.message.hasPrefix("expected") ? "" : "has ")\(error.message); a dose is in mg (or mg/kg, mg/m2)", at: node); return nil }
        }
        guard let population else { _ = reader.parsedExpression(node, key: "amount"); return nil }
        guard let compiled = reader.expression(node, key: "amount", knownNames: population.allNames, resolve: { population.binding(for: $0) }) else { return nil }
        if let v = compiled.constantValue { return nonNegativeDose(v, at: node) }
        return .expression(compiled)
    }

    private func nonNegativeDose(_ value: Double, at node: Node) -> DoseAmount? {
        guard value >= 0, value.isFinite else { reader.error("`amount` must be ≥ 0 mg; got \(formatNumber(value))", at: node); return nil }
        return .fixed(value)
    }
}
