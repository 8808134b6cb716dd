import Expressions
import Twins
import Yams

extension ProtocolDecoder {
    static let modelKeys = ["pk", "pd", "twin", "custom", "parameters", "variability", "correlations", "covariates", "residual", "solver"]

    /// Decodes `model:` (SPEC §4) against `ModelLibrary`; `nil` after reporting.
    func decodeModel(_ node: Node) -> ModelDefinition? {
        guard let f = reader.mapping(node, section: "model", allowed: Self.modelKeys) else { return nil }
        let errorsBefore = reader.log.diagnostics.count
        var configuration = ModelConfiguration()
        if let pk = f.value("pk") { configuration.pk = decodePK(pk) }
        if let pd = f.value("pd"), let pdFields = reader.mapping(pd, section: "model.pd", allowed: ["type"]),
           let type = reader.required(pdFields, "type", what: "one of \(PDType.allCases.map(\.rawValue).joined(separator: ", "))") {
            configuration.pd = reader.choice(type, key: "type", as: PDType.self)
        }
        if let twin = f.value("twin"), let id = reader.string(twin, key: "twin") {
            let ids = ModelLibrary.twins.map(\.id)
            if ids.contains(id) { configuration.twin = id } else {
                var message = "unknown twin '\(id)'; the twins are \(ids.joined(separator: ", "))"
                if let near = nearestName(id, among: ids) { message = "unknown twin '\(id)'; did you mean '\(near)'?" }
                reader.error(message, at: twin)
            }
        }
        let customNode = f.value("custom")
        hasCustomModel = customNode != nil
        customModelWithoutPK = customNode != nil && f.value("pk") == nil
        if customNode != nil, let key = f.keyNode("pd") ?? f.keyNode("twin") {
            reader.error("a custom model replaces `pd` and `twin`: write the response as custom states (it reads C from the pk block)", at: key)
        }
        guard reader.log.diagnostics.count == errorsBefore else { return nil }
        if configuration.pk == nil && configuration.pd == nil && configuration.twin == nil && customNode == nil {
            reader.error("the model needs a `pk` block (with `pd` or `twin` on top of it)", at: node)
            return nil
        }
        if configuration.pk == nil, let key = f.keyNode("pd") ?? f.keyNode("twin") {
            reader.error("`\(key.string ?? "pd")` is driven by the concentration C: it needs a `pk` block", at: key)
            return nil
        }

        let parametersNode = f.value("parameters")
        var given: [(name: String, keyNode: Node, value: Node)] = []
        if let parametersNode, let p = reader.mapping(parametersNode, section: "model.parameters", allowed: []) {
            // (`V` is read as `V1` below, once the model's parameter names are known.)
            given = p.entries.map { (name: $0.key, keyNode: $0.keyNode, value: $0.value) }
        }
        if let ke0 = given.first(where: { $0.name == "KE0" }) {
            if customNode != nil && configuration.pk == nil {
                reader.error("KE0 adds an effect compartment driven by the pk block's C; this custom model has no `pk` block", at: ke0.keyNode)
            } else if configuration.pd == nil && configuration.twin == nil && customNode == nil {
                reader.error("KE0 adds an effect compartment read by a `pd`, `twin` or custom model; this model has none", at: ke0.keyNode)
            }
            configuration.effectCompartment = true
        }
        var customValues: [String: (value: ParameterValue, node: Node)] = [:]
        if let customNode {
            guard let decoded = decodeCustomModel(customNode, pk: configuration.pk, effectCompartment: configuration.effectCompartment) else {
                return nil
            }
            configuration.custom = decoded.model
            customValues = decoded.typicalValues
        }
        let definitions = ModelLibrary.parameters(for: configuration)
        let names = definitions.map(\.name)
        if Self.readsVAsV1(names), given.contains(where: { $0.name == "V1" }), let v = given.first(where: { $0.name == "V" }) {
            reader.error("give `V1` or its synonym `V`, not both", at: v.keyNode)
        }
        given = given.map { (name: Self.parameterName($0.name, among: names), keyNode: $0.keyNode, value: $0.value) }
        if let pd = configuration.pd, let twin = configuration.twin {
            let pdNames = ModelLibrary.parameters(for: ModelConfiguration(pd: pd)).map(\.name)
            let twinNames = ModelLibrary.parameters(for: ModelConfiguration(twin: twin)).map(\.name)
            for shared in pdNames where twinNames.contains(shared) {
                reader.error("pd '\(pd.rawValue)' and twin '\(twin)' both have a parameter \(shared): use one of them", at: f.keyNode("twin")!)
                return nil
            }
        }
        let outputs = ModelLibrary.outputs(for: configuration)
        self.outputs = outputs

        var values = [ParameterValue?](repeating: nil, count: definitions.count)
        var valueNodes = [Node?](repeating: nil, count: definitions.count)
        for (name, keyNode, value) in given {
            guard let i = names.firstIndex(of: name) else {
                reportUnknownParameter(name, at: keyNode, known: names, section: "model.parameters")
                continue
            }
            values[i] = parameterValue(value, definition: definitions[i])
            valueNodes[i] = value
        }
        for (i, d) in definitions.enumerated() where values[i] == nil && valueNodes[i] == nil {
            if let typical = customValues[d.name] { values[i] = typical.value; valueNodes[i] = typical.node }
        }
        var missing: [String] = []
        for (i, d) in definitions.enumerated() where values[i] == nil && valueNodes[i] == nil {
            if let v = d.defaultValue { values[i] = .constant(v) } else { missing.append("\(d.name) (\(d.dimension))") }
        }
        if !missing.isEmpty {
            let at = parametersNode ?? node
            reader.error("missing \(missing.count == 1 ? "parameter" : "parameters") \(missing.joined(separator: ", ")) in model.parameters", at: at)
        }

        var variability = [Double](repeating: 0, count: definitions.count)
        // Listed with an invalid SD still counts as having variability (no follow-on errors).
        var listed = Set<Int>()
        if let v = f.value("variability"), let vf = reader.mapping(v, section: "model.variability", allowed: []) {
            for (rawName, keyNode, value) in vf.entries {
                let name = Self.parameterName(rawName, among: names)
                guard let i = names.firstIndex(of: name) else {
                    reportUnknownParameter(rawName, at: keyNode, known: names, section: "model.variability"); continue
                }
                listed.insert(i)
                if let sd = reader.number(value, key: "variability.\(rawName)", in: .nonNegative) { variability[i] = sd }
            }
        }
        for (i, d) in definitions.enumerated() {
            guard let value = values[i]?.constant, let at = valueNodes[i] else { continue }
            checkTypicalValue(value, definition: d, variability: variability[i], at: at)
        }

        var correlations: [ParameterCorrelation] = []
        if let c = f.value("correlations") { correlations = decodeParameterCorrelations(c, names: names, variability: variability, listed: listed) }
        var effects: [CovariateEffect] = []
        if let c = f.value("covariates") { effects = decodeCovariateEffects(c, names: names) }
        var residuals: [ResidualError] = []
        if let r = f.value("residual") { residuals = decodeResiduals(r, outputs: outputs) }
        var solver = SolverOptions()
        if let s = f.value("solver"), let sf = reader.mapping(s, section: "model.solver", allowed: ["rtol", "atol", "method"]) {
            if let n = sf.value("rtol"), let v = reader.number(n, key: "rtol", in: .positive) { solver.relativeTolerance = v }
            if let n = sf.value("atol"), let v = reader.number(n, key: "atol", in: .positive) { solver.absoluteTolerance = v }
            if let n = sf.value("method"), let v = reader.choice(n, key: "method", as: SolverOptions.Method.self) { solver.method = v }
        }
        // Custom names that clash with a covariate were reported at their keys already.
        let customNames = Set(configuration.custom.map { $0.parameters.map(\.name) + $0.states + $0.derivedNames } ?? [])
        checkCovariateNames(parameters: names.filter { !customNames.contains($0) }, outputs: outputs.map(\.name).filter { !customNames.contains($0) })

        guard reader.log.diagnostics.count == errorsBefore else { return nil }
        let parameters = definitions.indices.compactMap { i in
            values[i].map { ModelParameter(definition: definitions[i], value: $0, variability: variability[i]) }
        }
        guard parameters.count == definitions.count else { return nil }
        return ModelDefinition(configuration: configuration, parameters: parameters, outputs: outputs, etaCorrelations: correlations,
                               covariateEffects: effects, residuals: residuals, solver: solver)
    }

    private func decodePK(_ node: Node) -> PKConfiguration? {
        guard let f = reader.mapping(node, section: "model.pk", allowed: ["compartments", "absorption", "elimination"]) else { return nil }
        var pk = PKConfiguration(compartments: 1, absorption: .ivBolus)
        var ok = true
        if let c = f.value("compartments") {
            if let n = reader.integer(c, key: "compartments", minimum: 1), n <= 3 { pk.compartments = n }
            else {
                if let n = Int(c.string ?? ""), n > 3 { reader.error("`compartments` must be one of 1, 2, 3; got \(n)", at: c) }
                ok = false
            }
        }
        if let a = f.value("absorption") {
            if let v = reader.choice(a, key: "absorption", as: PKConfiguration.Absorption.self) { pk.absorption = v } else { ok = false }
        }
        if let e = f.value("elimination") {
            if let v = reader.choice(e, key: "elimination", as: PKConfiguration.Elimination.self) { pk.elimination = v } else { ok = false }
        }
        return ok ? pk : nil
    }

    /// Whether `V` names `V1` (SPEC §4's synonym): when the model has V1 and no parameter of its
    /// own called V (a custom model may declare one).
    static func readsVAsV1(_ names: [String]) -> Bool { names.contains("V1") && !names.contains("V") }

    /// A parameter name as the protocol wrote it, with `V` read as `V1` where it is the synonym.
    static func parameterName(_ raw: String, among names: [String]) -> String {
        raw == "V" && readsVAsV1(names) ? "V1" : raw
    }

    func reportUnknownParameter(_ name: String, at node: Node, known: [String], section: String) {
        var message = "unknown parameter '\(name)' in \(section)"
        if let near = nearestName(name, among: known) { message += "; did you mean '\(near)'?" }
        else { message += "; this model's parameters are \(known.joined(separator: ", "))" }
        reader.error(message, at: node)
    }

    /// A parameter value: a number (canonical unit), a quantity with a unit, or an expression over
    /// the covariates. `nil` after reporting (or when the population failed and the expression
    /// cannot be resolved).
    func parameterValue(_ node: Node, definition: ParameterDefinition) -> ParameterValue? {
        let key = definition.name
        guard let text = reader.scalar(node, key: key, expected: "a number, a quantity in \(definition.dimension) or an expression over covariates") else { return nil }
        switch NodeReader.parseNumber(text) {
        case let .some(.some(v)): return .constant(v)
        case .some(.none): reader.error("`\(key)` must be a finite number; got '\(text)'", at: node); return nil
        case .none: break
        }
        if UnitConversion.looksLikeQuantity(text) {
            do { return .constant(try UnitConversion.convert(text, to: definition.dimension)) }
            catch { reader.error("`\(key)` \(error.message)", at: node); return nil }
        }
        guard let population else {
            _ = reader.parsedExpression(node, key: key)
            return nil
        }
        guard let compiled = reader.expression(node, key: key, knownNames: population.allNames, resolve: { population.binding(for: $0) }) else { return nil }
        if let v = compiled.constantValue {
            guard v.isFinite else { reader.error("`\(key)` evaluates to \(v)", at: node); return nil }
            return .constant(v)
        }
        return .covariateExpression(compiled)
    }

    /// Typical values must lie where their variability model is defined
    /// (`ParameterDefinition.typicalValueRequirement`, the rule subjects' values are checked by too).
    func checkTypicalValue(_ value: Double, definition d: ParameterDefinition, variability: Double, at node: Node) {
        guard let requirement = d.typicalValueRequirement(value, hasVariability: variability > 0) else { return }
        switch d.scale {
        case .logNormal: reader.error("`\(d.name)` must be \(requirement) \(d.dimension); got \(formatNumber(value))", at: node)
        case .logit: reader.error("`\(d.name)` must be \(requirement); got \(formatNumber(value))", at: node)
        case .signed: reader.error("`\(d.name)` must not be 0 when it has variability (θ·exp(η))", at: node)
        }
    }

    private func decodeParameterCorrelations(_ node: Node, names: [String], variability: [Double], listed: Set<Int>) -> [ParameterCorrelation] {
        guard let items = reader.sequence(node, key: "model.correlations") else { return [] }
        var out: [ParameterCorrelation] = []
        for item in items {
            guard let triple = reader.sequence(item, key: "model.correlations[]") else { continue }
            guard triple.count == 3 else { reader.error("a correlation is a list of three: [PARAMETER, PARAMETER, RHO]", at: item); continue }
            var indices: [Int] = []
            for n in triple.prefix(2) {
                guard let raw = reader.string(n, key: "correlation parameter") else { continue }
                let name = Self.parameterName(raw, among: names)
                guard let i = names.firstIndex(of: name) else { reportUnknownParameter(raw, at: n, known: names, section: "model.correlations"); continue }
                guard variability[i] > 0 || listed.contains(i) else { reader.error("'\(raw)' has no variability: correlations are between parameters listed in `variability` with an SD > 0", at: n); continue }
                indices.append(i)
            }
            let rho = reader.number(triple[2], key: "rho", in: .open(-1, 1))
            guard indices.count == 2, let rho else { continue }
            if indices[0] == indices[1] { reader.error("a parameter cannot be correlated with itself ('\(names[indices[0]])')", at: triple[1]); continue }
            if out.contains(where: { Set([$0.first, $0.second]) == Set(indices) }) {
                reader.error("duplicate correlation between \(names[indices[0]]) and \(names[indices[1]])", at: item); continue
            }
            out.append(ParameterCorrelation(first: indices[0], second: indices[1], rho: rho))
        }
        // Ω's correlation matrix over the parameters with variability must be positive definite.
        let varied = names.indices.filter { variability[$0] > 0 }
        let position = Dictionary(uniqueKeysWithValues: varied.enumerated().map { ($1, $0) })
        let pairs = out.compactMap { c in position[c.first].flatMap { a in position[c.second].map { (a, $0, c.rho) } } }
        if let offending = CorrelationCheck.offendingNames(varied.map { names[$0] }, pairs: pairs) {
            reader.error("the correlations among the variability of \(offending.joined(separator: ", ")) do not form a positive-definite matrix; weaken one of them", at: node)
        }
        return out
    }

    private func decodeCovariateEffects(_ node: Node, names: [String]) -> [CovariateEffect] {
        guard let f = reader.mapping(node, section: "model.covariates", allowed: []) else { return [] }
        var out: [CovariateEffect] = []
        for (raw, keyNode, value) in f.entries {
            let name = Self.parameterName(raw, among: names)
            guard let parameter = names.firstIndex(of: name) else { reportUnknownParameter(raw, at: keyNode, known: names, section: "model.covariates"); continue }
            guard let perCovariate = reader.mapping(value, section: "model.covariates.\(raw)", allowed: []) else { continue }
            for (covariate, covariateKey, effectNode) in perCovariate.entries {
                guard let population else { continue }
                guard let slot = population.allNames.firstIndex(of: covariate) else {
                    var message = "unknown covariate '\(covariate)' in model.covariates.\(raw)"
                    if let near = nearestName(covariate, among: population.allNames) { message += "; did you mean '\(near)'?" }
                    else { message += "; the covariates are \(population.allNames.joined(separator: ", "))" }
                    reader.error(message, at: covariateKey)
                    continue
                }
                if let levels = population.categoricalLevels(slot: slot) {
                    guard let lf = reader.mapping(effectNode, section: "model.covariates.\(raw).\(covariate)", allowed: levels) else { continue }
                    var multipliers = [Double](repeating: 1, count: levels.count)
                    var ok = true
                    for (level, _, m) in lf.entries {
                        if let v = reader.number(m, key: "\(covariate).\(level)", in: .positive) { multipliers[levels.firstIndex(of: level)!] = v } else { ok = false }
                    }
                    if ok { out.append(CovariateEffect(parameter: parameter, covariate: slot, covariateName: covariate, kind: .categorical(multipliers: multipliers))) }
                } else {
                    guard let ef = reader.mapping(effectNode, section: "model.covariates.\(raw).\(covariate)", allowed: ["power", "ref"]) else { continue }
                    let power = reader.required(ef, "power", what: "the exponent of (\(covariate)/ref)").flatMap { reader.number($0, key: "power") }
                    let ref = reader.required(ef, "ref", what: "the reference value of \(covariate)").flatMap { reader.number($0, key: "ref", in: .positive) }
                    if let power, let ref {
                        out.append(CovariateEffect(parameter: parameter, covariate: slot, covariateName: covariate, kind: .power(exponent: power, reference: ref)))
                    }
                }
            }
        }
        return out
    }

    private func decodeResiduals(_ node: Node, outputs: [OutputDefinition]) -> [ResidualError] {
        guard let f = reader.mapping(node, section: "model.residual", allowed: []) else { return [] }
        var out: [ResidualError] = []
        let names = outputs.map(\.name)
        for (name, keyNode, value) in f.entries {
            guard let output = names.firstIndex(of: name) else {
                reportUnknownOutput(name, at: keyNode, outputs: names, section: "model.residual"); continue
            }
            guard let rf = reader.mapping(value, section: "model.residual.\(name)", allowed: ["proportional", "additive"]) else { continue }
            let proportional = rf.value("proportional").map { reader.number($0, key: "proportional", in: .nonNegative) } ?? 0
            // The additive SD is in the output's unit: a unit string is converted (SPEC's preamble),
            // as for thresholds on the output.
            let additive = rf.value("additive").map { node -> Double? in
                guard let v = reader.threshold(node, key: "additive", dimension: outputs[output].dimension) else { return nil }
                guard NumberRange.nonNegative.contains(v) else {
                    let dimension = outputs[output].dimension
                    let unit: String? = if case .physical = dimension { "\(dimension)" } else { nil }
                    reader.error("`additive` must be \(NumberRange.nonNegative.description(unit: unit)); got \(formatNumber(v))", at: node)
                    return nil
                }
                return v
            } ?? 0
            if let proportional, let additive { out.append(ResidualError(output: output, proportional: proportional, additive: additive)) }
        }
        return out
    }

    func reportUnknownOutput(_ name: String, at node: Node, outputs: [String], section: String) {
        var message = "'\(name)' in \(section) is not an output of the model"
        if let near = nearestName(name, among: outputs) { message += "; did you mean '\(near)'?" }
        else { message += "; its outputs are \(outputs.joined(separator: ", "))" }
        reader.error(message, at: node)
    }

    /// SPEC §4: a covariate may not share its name with a model output or parameter.
    private func checkCovariateNames(parameters: [String], outputs: [String]) {
        guard let population, let at = populationNode else { return }
        for name in population.allNames {
            if parameters.contains(name) || name == "V" && Self.readsVAsV1(parameters) {
                reader.error("covariate '\(name)' has the name of model parameter '\(name)': rename the covariate", at: at)
            } else if outputs.contains(name) {
                reader.error("covariate '\(name)' has the name of model output '\(name)': rename the covariate", at: at)
            }
        }
    }
}
