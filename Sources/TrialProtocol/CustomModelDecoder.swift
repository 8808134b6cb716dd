import Expressions
import Twins
import Yams

extension ProtocolDecoder {
    static let customModelKeys = ["parameters", "states", "derived", "odes", "outputs", "doses_into"]

    /// The decoded `model.custom` block: the compiled model and the typical values of its
    /// declared parameters (with the node each came from).
    struct DecodedCustomModel {
        var model: CustomModel
        var typicalValues: [String: (value: ParameterValue, node: Node)]
    }

    /// Decodes `model.custom` (SPEC §4 "Custom models"); every name is resolved here, and every
    /// problem is reported at its key or at the token inside its expression. `nil` after reporting.
    func decodeCustomModel(_ node: Node, pk: PKConfiguration?, effectCompartment: Bool) -> DecodedCustomModel? {
        guard let f = reader.mapping(node, section: "model.custom", allowed: Self.customModelKeys) else { return nil }
        let errorsBefore = reader.log.diagnostics.count

        // Declared parameters: a number (canonical units), a quantity (its unit gives the
        // parameter's dimension; converted to mg, L, h) or an expression over covariates.
        var parameters: [ParameterDefinition] = []
        var parameterKeys: [Node] = []
        var typical: [String: (value: ParameterValue, node: Node)] = [:]
        if let p = f.value("parameters"), let pf = reader.mapping(p, section: "model.custom.parameters", allowed: []) {
            for (name, keyNode, value) in pf.entries {
                guard let (v, dimension) = customParameterValue(value, name: name) else { continue }
                parameters.append(ParameterDefinition(name, "custom model parameter", dimension, scale: .signed))
                parameterKeys.append(keyNode)
                typical[name] = (v, value)
            }
        }

        var states: [CustomModelSource.Entry] = []
        var stateKeys: [Node] = [], initialNodes: [Node] = []
        if let s = reader.required(f, "states", what: "the model's states, e.g. `R: { initial: \"KIN / KOUT\" }`"),
           let sf = reader.mapping(s, section: "model.custom.states", allowed: []) {
            if sf.entries.isEmpty { reader.error("`model.custom.states` must declare at least one state", at: s) }
            for (name, keyNode, value) in sf.entries {
                guard let stateFields = reader.mapping(value, section: "model.custom.states.\(name)", allowed: ["initial"]),
                      let initial = reader.required(stateFields, "initial", what: "the state's value at t = 0 (an expression over parameters and covariates)"),
                      let text = reader.scalar(initial, key: "model.custom.states.\(name).initial", expected: "an expression") else { continue }
                states.append(.init(name, text))
                stateKeys.append(keyNode)
                initialNodes.append(initial)
            }
        }

        func entries(_ key: String, what: String, required: Bool) -> (entries: [CustomModelSource.Entry], keys: [Node], values: [Node]) {
            var out: ([CustomModelSource.Entry], [Node], [Node]) = ([], [], [])
            let node = required ? reader.required(f, key, what: what) : f.value(key)
            guard let node, let m = reader.mapping(node, section: "model.custom.\(key)", allowed: []) else { return out }
            for (name, keyNode, value) in m.entries {
                guard let text = reader.scalar(value, key: "model.custom.\(key).\(name)", expected: "an expression") else { continue }
                out.0.append(.init(name, text)); out.1.append(keyNode); out.2.append(value)
            }
            return out
        }
        let derived = entries("derived", what: "", required: false)
        let odes = entries("odes", what: "dSTATE/dt for every state, e.g. `R: \"KIN - KOUT * R\"`", required: true)

        var outputs: [String]?
        var outputNodes: [Node] = []
        if let o = f.value("outputs"), let items = reader.sequence(o, key: "model.custom.outputs") {
            outputs = []
            for item in items {
                guard let name = reader.string(item, key: "model.custom.outputs[]") else { continue }
                outputs!.append(name); outputNodes.append(item)
            }
        }
        let dosesIntoNode = f.value("doses_into")
        let dosesInto = dosesIntoNode.flatMap { reader.string($0, key: "doses_into") }

        guard reader.log.diagnostics.count == errorsBefore else { return nil }
        let source = CustomModelSource(parameters: parameters, states: states, derived: derived.entries, odes: odes.entries,
                                       outputs: outputs, dosesInto: dosesInto)
        guard let population else {
            // Names cannot be resolved without the population: report syntax errors only.
            var all: [(text: String, node: Node, key: String)] = []
            for (i, s) in states.enumerated() { all.append((s.text, initialNodes[i], "model.custom.states.\(s.name).initial")) }
            for (i, d) in derived.entries.enumerated() { all.append((d.text, derived.values[i], "model.custom.derived.\(d.name)")) }
            for (i, o) in odes.entries.enumerated() { all.append((o.text, odes.values[i], "model.custom.odes.\(o.name)")) }
            for (text, node, key) in all {
                do { _ = try ParsedExpression(text) } catch { reader.error(error, in: node, key: key) }
            }
            return nil
        }
        do {
            let model = try CustomModel.compile(source, pk: pk, effectCompartment: effectCompartment,
                                                covariates: population.allNames, covariateBinding: { population.binding(for: $0) })
            return DecodedCustomModel(model: model, typicalValues: typical)
        } catch {
            for issue in error.issues {
                switch issue.place {
                case let .parameter(i): reader.error(issue.message, at: parameterKeys[i])
                case let .stateName(i): reader.error(issue.message, at: stateKeys[i])
                case let .derivedName(i): reader.error(issue.message, at: derived.keys[i])
                case let .odeName(i): reader.error(issue.message, at: odes.keys[i])
                case let .output(i): reader.error(issue.message, at: outputNodes[i])
                case .dosesInto: reader.error(issue.message, at: dosesIntoNode ?? f.keyNode("states") ?? node)
                case let .initial(i):
                    reader.error(ExpressionError(issue.message, at: issue.offset ?? 0), in: initialNodes[i], key: "model.custom.states.\(states[i].name).initial")
                case let .derived(i):
                    reader.error(ExpressionError(issue.message, at: issue.offset ?? 0), in: derived.values[i], key: "model.custom.derived.\(derived.entries[i].name)")
                case let .ode(i):
                    reader.error(ExpressionError(issue.message, at: issue.offset ?? 0), in: odes.values[i], key: "model.custom.odes.\(odes.entries[i].name)")
                }
            }
            return nil
        }
    }

    /// A declared custom parameter: a bare number is canonical and the parameter dimensionless
    /// (later values for it must be bare numbers too); a quantity such as `4 L/h` fixes the
    /// parameter's dimension and is converted to the canonical unit (mg, L, h); anything else is
    /// an expression over covariates (canonical units).
    private func customParameterValue(_ node: Node, name: String) -> (ParameterValue, QuantityDimension)? {
        let key = "model.custom.parameters.\(name)"
        guard let text = reader.scalar(node, key: key, expected: "a number, a quantity with a unit or an expression over covariates") else { return nil }
        switch NodeReader.parseNumber(text) {
        case let .some(.some(v)): return (.constant(v), .dimensionless)
        case .some(.none): reader.error("`\(key)` must be a finite number; got '\(text)'", at: node); return nil
        case .none: break
        }
        if UnitConversion.looksLikeQuantity(text) {
            do {
                let (value, dimension) = try UnitConversion.parse(text)
                return (.constant(value), dimension ?? .dimensionless)
            } catch {
                reader.error("`\(key)`: \(error.message)", at: node)
                return nil
            }
        }
        guard let population else { _ = reader.parsedExpression(node, key: key); return nil }
        guard let compiled = reader.expression(node, key: key, knownNames: population.allNames, resolve: { population.binding(for: $0) }) else { return nil }
        if let v = compiled.constantValue {
            guard v.isFinite else { reader.error("`\(key)` evaluates to \(v)", at: node); return nil }
            return (.constant(v), .dimensionless)
        }
        return (.covariateExpression(compiled), .dimensionless)
    }
}
