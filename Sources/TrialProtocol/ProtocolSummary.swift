import Expressions
import Population
import Twins

extension ProtocolDefinition {
    /// What `vtrial check` prints: design, arms with their allocation per replicate, subjects,
    /// replicates, endpoints, AE terms, the model and every parameter with its canonical unit.
    public var summary: String {
        var lines: [String] = []
        lines.append("protocol \(id)\(title.map { ": \($0)" } ?? "")")
        lines.append("design: \(design.rawValue); \(subjects) subjects per replicate; \(replicates) replicate\(replicates == 1 ? "" : "s"); seed \(seed)")
        lines.append("duration: \(formatNumber(duration)) h, observed every \(formatNumber(observe)) h (\(gridCount) grid times)")
        let populationSource = population.table.map { "CSV cohort, \($0.rows.count) rows, sample \($0.sampling.rawValue)" }
            ?? "\(population.covariates.count) drawn and \(population.derived.count) derived covariates"
        lines.append("population: \(population.name) (\(populationSource)); covariates \(population.allNames.joined(separator: ", "))")
        lines.append("arms:")
        for (arm, n) in zip(arms, allocation) {
            var text = "  \(arm.name): \(n) subjects (ratio \(arm.ratio))"
            if arm.dosing.isEmpty { text += ", no dosing" }
            for d in arm.dosing {
                if let interval = d.interval {
                    text += "; \(d.amount.text) \(d.route.name) every \(formatNumber(interval)) h × \(d.count) from \(formatNumber(d.start)) h"
                    if d.steadyState { text += " at steady state" }
                } else {
                    text += "; \(d.amount.text) \(d.route.name) at \(d.times.map { formatNumber($0) }.joined(separator: ", ")) h"
                }
            }
            if !arm.parameterOverrides.isEmpty {
                text += "; overrides " + arm.parameterOverrides.map { o in "\(model.parameters[o.parameter].name) = \(Self.describe(o.value, model.parameters[o.parameter].definition))" }.joined(separator: ", ")
            }
            if !arm.rules.isEmpty { text += "; \(arm.rules.count) dose rule\(arm.rules.count == 1 ? "" : "s")" }
            lines.append(text)
            for (r, rule) in arm.rules.enumerated() { lines.append("    rule \(r + 1): \(describe(rule))") }
        }
        if adherence < 1 { lines.append("adherence: \(formatNumber(adherence))") }
        if let dropoutHazard { lines.append("dropout hazard: \(dropoutHazard) per h") }
        var modelParts: [String] = []
        if let pk = model.configuration.pk { modelParts.append("pk \(pk.compartments)-compartment \(pk.absorption.rawValue) \(pk.elimination.rawValue)") }
        if model.configuration.effectCompartment { modelParts.append("effect compartment") }
        if let pd = model.configuration.pd { modelParts.append("pd \(pd.rawValue)") }
        if let twin = model.configuration.twin { modelParts.append("twin \(twin)") }
        if model.configuration.custom != nil { modelParts.append("custom ODE model") }
        lines.append("model: \(modelParts.joined(separator: ", ")); outputs \(model.outputs.map(\.name).joined(separator: ", "))")
        if let custom = model.configuration.custom { lines += Self.describe(custom) }
        for p in model.parameters {
            var text = "  \(p.name) = \(Self.describe(p.value, p.definition))"
            if p.variability > 0 { text += ", variability SD \(formatNumber(p.variability))" }
            lines.append(text)
        }
        lines.append("endpoints: \(endpoints.isEmpty ? "none" : "")")
        for e in endpoints {
            var text = "  \(e.id): "
            if e.kind == .timeToEvent, let event = e.event {
                text += "time to \(event.variableName) \(event.op.rawValue) \(formatNumber(event.value))\(event.relativeTo.map { " × \($0.rawValue)" } ?? "")"
            } else if e.summary == .at {
                text += "\(e.variableName) \(e.measure.rawValue) at \(formatNumber(e.at ?? 0)) h"
            } else {
                text += "\(e.summary.rawValue) of \(e.variableName) over [\(formatNumber(e.window.lowerBound)), \(formatNumber(e.window.upperBound))] h"
            }
            if let event = e.event, let minimum = event.minimumChange { text += " and a change of at least \(formatNumber(minimum))" }
            if e.scale == .log { text += ", log scale" }
            if let range = e.equivalence {
                text += ", equivalence [\(formatNumber(range.lowerBound)), \(formatNumber(range.upperBound))] (TOST)"
            } else {
                text += ", better \(e.better.rawValue)"
            }
            if let margin = e.margin { text += ", margin \(formatNumber(margin))" }
            if let r = e.responder {
                text += ", responder \(r.op.rawValue) \(formatNumber(r.value))"
                if r.missing == .failure { text += " (missing counts as failure)" }
            }
            switch e.assessment {
            case let .every(step)?: text += ", assessed every \(formatNumber(step)) h"
            case let .at(times)?: text += ", assessed at \(times.map { formatNumber($0) }.joined(separator: ", ")) h"
            case nil: break
            }
            lines.append(text)
        }
        lines.append("adverse events: \(adverseEvents.isEmpty ? "none" : adverseEvents.map(\.term).joined(separator: ", "))")
        if let analysis {
            lines.append("analysis: control \(arms[analysis.control].name), alpha \(formatNumber(analysis.alpha)), \(analysis.sided.rawValue)-sided, adjust \(analysis.adjust.rawValue), multiplicity \(analysis.multiplicity.rawValue)")
        } else {
            lines.append("analysis: none")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The compiled custom model: states with their initial values, derived values in evaluation
    /// order, the ODEs and where doses go.
    static func describe(_ custom: CustomModel) -> [String] {
        var lines = ["  states: " + zip(custom.states, custom.initial).map { "\($0) (initial \($1.source))" }.joined(separator: ", ")]
        if !custom.derived.isEmpty {
            lines.append("  derived: " + zip(custom.derivedNames, custom.derived).map { "\($0) = \($1.source)" }.joined(separator: "; "))
        }
        for (state, ode) in zip(custom.states, custom.odes) { lines.append("  d/dt \(state) = \(ode.source)") }
        if let target = custom.dosesInto { lines.append("  doses enter \(custom.states[target])") }
        return lines
    }

    static func describe(_ value: ParameterValue, _ definition: ParameterDefinition) -> String {
        let unit = definition.dimension == .dimensionless ? "" : " \(definition.dimension)"
        switch value {
        case let .constant(v): return "\(formatNumber(v))\(unit)"
        case let .covariateExpression(e): return "\(e.source)\(unit)"
        }
    }

    /// One dose rule as `vtrial check` prints it: "every 168 h when FPG > 7: scale × 1.5 (max 40 mg)".
    func describe(_ rule: DoseRule) -> String {
        var text: String
        switch rule.trigger {
        case let .schedule(every, condition):
            text = "every \(formatNumber(every)) h"
            if let condition { text += " when \(condition.source)" }
        case let .adverseEvent(term, grade):
            let name = term < adverseEvents.count ? adverseEvents[term].term : "AE \(term)"
            text = "on \(name) grade ≥ \(grade) (first assessed)"
        }
        let a = rule.action
        var actions: [String] = []
        switch a.adjustment {
        case let .scale(f)?: actions.append("scale × \(formatNumber(f))")
        case let .add(mg)?: actions.append("add \(formatNumber(mg)) mg")
        case let .set(mg)?: actions.append("set \(formatNumber(mg)) mg")
        case nil: break
        }
        var bounds: [String] = []
        if let lo = a.minimum { bounds.append("min \(formatNumber(lo)) mg") }
        if let hi = a.maximum { bounds.append("max \(formatNumber(hi)) mg") }
        if !bounds.isEmpty, !actions.isEmpty { actions[actions.count - 1] += " (\(bounds.joined(separator: ", ")))" }
        if let hold = a.hold { actions.append(hold.source == "1" ? "hold until resumed" : "hold while \(hold.source)") }
        if a.resume { actions.append("resume") }
        if a.stop { actions.append("stop dosing") }
        return text + " → later doses: " + actions.joined(separator: ", ")
    }
}
