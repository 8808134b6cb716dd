import Expressions

/// A custom ODE model written in the protocol (SPEC §4 "Custom models"), compiled once per
/// protocol: every expression is flat stack code over one register file laid out as
///
///     [parameters…, covariates…, states…, derived…, t, C, CE]
///
/// (`CustomRegisterLayout`). Parameters are the whole parameter vector of the configuration
/// (PK parameters, KE0, then the custom ones, `ModelLibrary.parameters(for:)` order); covariates
/// are the population's registers (`PopulationSpec.allNames`, categorical ones by level index).
/// C and CE are 0 without a `pk` block / effect compartment. Immutable: shared by every thread;
/// the register file itself is per-simulator scratch.
public struct CustomModel: Sendable, Equatable {
    public enum OutputSource: Sendable, Equatable {
        case state(Int)
        case derived(Int)
    }

    public struct Output: Sendable, Equatable {
        public var name: String
        public var source: OutputSource
    }

    /// The parameters the custom block declares (not those of the PK block), in file order.
    public let parameters: [ParameterDefinition]
    public let states: [String]
    public let derivedNames: [String]
    /// Initial value of each state (over parameters and covariates).
    public let initial: [CompiledExpression]
    /// Derived values in evaluation order; each reads only earlier ones.
    public let derived: [CompiledExpression]
    /// dSTATE/dt for each state, in state order.
    public let odes: [CompiledExpression]
    /// The custom outputs (after the PK block's C, AUC, CE), in the order the protocol lists them.
    public let outputs: [Output]
    /// The state that doses without `into` enter (only without a `pk` block).
    public let dosesInto: Int?
    public let layout: CustomRegisterLayout

    /// Derived values an output reads: evaluating `derived[0..<derivedNeededByOutputs]` at an
    /// observation gives every derived output.
    public var derivedNeededByOutputs: Int {
        outputs.reduce(0) { n, o in if case let .derived(j) = o.source { return max(n, j + 1) } else { return n } }
    }

    public func stateIndex(_ name: String) -> Int? { states.firstIndex(of: name) }
}

/// Where each kind of value sits in a custom model's register file.
public struct CustomRegisterLayout: Sendable, Equatable {
    public let parameterCount: Int
    public let covariateCount: Int
    public let stateCount: Int
    public let derivedCount: Int

    public init(parameterCount: Int, covariateCount: Int, stateCount: Int, derivedCount: Int) {
        self.parameterCount = parameterCount
        self.covariateCount = covariateCount
        self.stateCount = stateCount
        self.derivedCount = derivedCount
    }

    public var covariateStart: Int { parameterCount }
    public var stateStart: Int { parameterCount + covariateCount }
    public var derivedStart: Int { stateStart + stateCount }
    public var time: Int { derivedStart + derivedCount }
    public var concentration: Int { time + 1 }
    public var effectConcentration: Int { time + 2 }
    public var count: Int { time + 3 }
}

/// A custom model as written: names and expression texts, before any name is resolved.
public struct CustomModelSource: Sendable {
    /// A name with its expression text (a state with its initial value, a derived value, an ODE
    /// with the state it belongs to).
    public struct Entry: Sendable {
        public var name: String
        public var text: String
        public init(_ name: String, _ text: String) {
            self.name = name
            self.text = text
        }
    }

    /// Declared parameters; their typical values are the caller's business.
    public var parameters: [ParameterDefinition]
    public var states: [Entry]
    public var derived: [Entry]
    public var odes: [Entry]
    /// `nil`: every state, in state order.
    public var outputs: [String]?
    public var dosesInto: String?

    public init(parameters: [ParameterDefinition] = [], states: [Entry], derived: [Entry] = [], odes: [Entry],
                outputs: [String]? = nil, dosesInto: String? = nil) {
        self.parameters = parameters
        self.states = states
        self.derived = derived
        self.odes = odes
        self.outputs = outputs
        self.dosesInto = dosesInto
    }
}

/// One problem of a custom model, at the entry it belongs to (and, for an expression, the
/// 0-based offset of the offending token inside it), so a decoder can locate it in its file.
public struct CustomModelIssue: Sendable, Equatable, CustomStringConvertible {
    public enum Place: Sendable, Equatable {
        case parameter(Int)
        case stateName(Int)
        case initial(Int)
        case derivedName(Int)
        case derived(Int)
        case odeName(Int)
        case ode(Int)
        case output(Int)
        case dosesInto
    }

    public var place: Place
    public var message: String
    /// Offset inside the expression (for `.initial`, `.derived`, `.ode`).
    public var offset: Int?

    public var description: String { message }
}

/// Every problem found while compiling a custom model.
public struct CustomModelErrors: Error, Sendable, CustomStringConvertible {
    public var issues: [CustomModelIssue]
    public var description: String { issues.map(\.message).joined(separator: "\n") }
}

extension CustomModel {
    /// Names a custom model may not declare: `t`, and with a PK block its outputs and parameters.
    static func reservedNames(pk: PKConfiguration?, effectCompartment: Bool) -> [String: String] {
        var reserved = ["t": "the time variable `t`"]
        if let pk {
            reserved["C"] = "the pk block's output C"
            reserved["AUC"] = "the pk block's output AUC"
            for name in ModelLibrary.pkParameterNames(pk) { reserved[name] = "a parameter of the pk block" }
            reserved["V"] = "the synonym of the pk block's V1"
        }
        if effectCompartment {
            reserved["CE"] = "the effect-compartment output CE"
            reserved["KE0"] = "the effect-compartment parameter KE0"
        }
        return reserved
    }

    /// Resolves every name of `source` and compiles its expressions against the register layout.
    ///
    /// - Parameters:
    ///   - pk: the model's PK block (its parameters come first in the parameter vector; C is its
    ///     concentration).
    ///   - effectCompartment: KE0 is given: CE is available.
    ///   - covariates: the population's register names, and how each resolves (slots in the
    ///     population layout; they are shifted here into the model's register file).
    /// - Throws: every problem found, each at its entry.
    public static func compile(_ source: CustomModelSource, pk: PKConfiguration?, effectCompartment: Bool,
                               covariates: [String], covariateBinding: (String) -> NameBinding?) throws(CustomModelErrors) -> CustomModel {
        var issues: [CustomModelIssue] = []
        func issue(_ place: CustomModelIssue.Place, _ message: String, _ offset: Int? = nil) {
            issues.append(CustomModelIssue(place: place, message: message, offset: offset))
        }
        let reserved = reservedNames(pk: pk, effectCompartment: effectCompartment)
        var declared: [String: String] = [:]
        func declare(_ name: String, as kind: String, at place: CustomModelIssue.Place) {
            if let why = reserved[name] {
                issue(place, "'\(name)' is \(why): choose another name for this \(kind)")
            } else if covariates.contains(name) {
                issue(place, "\(kind) '\(name)' has the name of covariate '\(name)': rename one of them")
            } else if let earlier = declared[name] {
                issue(place, "'\(name)' is already declared as a \(earlier): every parameter, state and derived value needs its own name")
            } else if !isIdentifier(name) {
                issue(place, "'\(name)' is not a valid name (letters, digits and _, not starting with a digit)")
            }
            if declared[name] == nil { declared[name] = kind }
        }
        for (i, p) in source.parameters.enumerated() { declare(p.name, as: "parameter", at: .parameter(i)) }
        for (i, s) in source.states.enumerated() { declare(s.name, as: "state", at: .stateName(i)) }
        for (i, d) in source.derived.enumerated() { declare(d.name, as: "derived value", at: .derivedName(i)) }
        if source.states.isEmpty { issue(.dosesInto, "a custom model needs at least one state (under `states`)") }

        // Parameter vector: PK, KE0, then the custom ones (ModelLibrary.parameters(for:) order).
        var parameterNames = pk.map(ModelLibrary.pkParameterNames) ?? []
        if effectCompartment { parameterNames.append("KE0") }
        parameterNames += source.parameters.map(\.name)
        let stateNames = source.states.map(\.name)
        let derivedNames = source.derived.map(\.name)
        let layout = CustomRegisterLayout(parameterCount: parameterNames.count, covariateCount: covariates.count,
                                          stateCount: stateNames.count, derivedCount: derivedNames.count)

        enum Scope { case initial, derived(Int), ode }
        func binding(_ name: String, scope: Scope) -> NameBinding? {
            if let i = parameterNames.firstIndex(of: name) { return .slot(i) }
            if let i = stateNames.firstIndex(of: name) {
                if case .initial = scope { return nil }
                return .slot(layout.stateStart + i)
            }
            if let j = derivedNames.firstIndex(of: name) {
                switch scope {
                case .initial: return nil
                case let .derived(i): return j < i ? .slot(layout.derivedStart + j) : nil
                case .ode: return .slot(layout.derivedStart + j)
                }
            }
            if case .initial = scope, name == "t" || name == "C" || name == "CE" { return nil }
            if name == "t" { return .slot(layout.time) }
            if pk != nil, name == "C" { return .slot(layout.concentration) }
            if effectCompartment, name == "CE" { return .slot(layout.effectConcentration) }
            if covariates.contains(name), let b = covariateBinding(name) {
                switch b {
                case let .slot(s): return .slot(layout.covariateStart + s)
                case let .categorical(s, levels): return .categorical(slot: layout.covariateStart + s, levels: levels)
                case .constant: return b
                }
            }
            return nil
        }
        func known(_ scope: Scope) -> [String] {
            var names = parameterNames + covariates
            switch scope {
            case .initial: return names
            case let .derived(i): names += stateNames + derivedNames.prefix(i)
            case .ode: names += stateNames + derivedNames
            }
            names.append("t")
            if pk != nil { names.append("C") }
            if effectCompartment { names.append("CE") }
            return names
        }

        // Parse everything first: derived dependencies are needed to tell a cycle from a
        // reference to a later value.
        func parse(_ text: String, at place: CustomModelIssue.Place) -> ParsedExpression? {
            do { return try ParsedExpression(text) } catch { issue(place, error.message, error.offset); return nil }
        }
        let parsedDerived = source.derived.enumerated().map { parse($1.text, at: .derived($0)) }
        let derivedUses: [[Int]] = parsedDerived.map { p in (p?.names ?? []).compactMap { derivedNames.firstIndex(of: $0.name) } }
        func reaches(from start: Int, to target: Int) -> [Int]? {
            // A path start → … → target through derived references (breadth-first), or nil.
            var previous: [Int: Int] = [start: start]
            var queue = [start]
            while !queue.isEmpty {
                let j = queue.removeFirst()
                for k in derivedUses[j] where previous[k] == nil {
                    previous[k] = j
                    if k == target {
                        var path = [k], at = k
                        while at != start { at = previous[at]!; path.append(at) }
                        return path.reversed()
                    }
                    queue.append(k)
                }
            }
            return nil
        }

        func compile(_ parsed: ParsedExpression?, scope: Scope, at place: CustomModelIssue.Place) -> CompiledExpression? {
            guard let parsed else { return nil }
            for (name, offset) in parsed.names {
                switch scope {
                case .initial:
                    if stateNames.contains(name) || derivedNames.contains(name) || name == "t" || name == "C" || name == "CE" {
                        let what = stateNames.contains(name) ? "a state" : derivedNames.contains(name) ? "a derived value" : "not known at the start"
                        issue(place, "initial values may use parameters and covariates only; '\(name)' is \(what)", offset)
                        return nil
                    }
                case let .derived(i):
                    guard let j = derivedNames.firstIndex(of: name), j >= i else { continue }
                    if j == i {
                        issue(place, "derived value '\(name)' uses itself: a cycle among derived values (each may only use earlier ones)", offset)
                    } else if let path = reaches(from: j, to: i) {
                        let cycle = ([i] + path).map { derivedNames[$0] }.joined(separator: " → ")
                        issue(place, "derived values form a cycle (\(cycle)): a derived value may only use earlier ones", offset)
                    } else {
                        issue(place, "derived value '\(name)' is defined after '\(derivedNames[i])': a derived value may only use earlier ones (move '\(name)' above '\(derivedNames[i])')", offset)
                    }
                    return nil
                case .ode: break
                }
            }
            do {
                return try parsed.compile(knownNames: known(scope)) { binding($0, scope: scope) }
            } catch {
                issue(place, error.message, error.offset)
                return nil
            }
        }

        let initial = source.states.enumerated().map { i, s in compile(parse(s.text, at: .initial(i)), scope: .initial, at: .initial(i)) }
        let derived = parsedDerived.enumerated().map { i, p in compile(p, scope: .derived(i), at: .derived(i)) }

        var odeFor = [Int?](repeating: nil, count: stateNames.count)
        for (k, ode) in source.odes.enumerated() {
            guard let s = stateNames.firstIndex(of: ode.name) else {
                var message = "an ODE for '\(ode.name)', which is not a state"
                if let near = nearestName(ode.name, among: stateNames) { message += "; did you mean '\(near)'?" }
                else { message += "; the states are \(stateNames.joined(separator: ", "))" }
                if derivedNames.contains(ode.name) || parameterNames.contains(ode.name) {
                    message = "an ODE for '\(ode.name)', which is a \(derivedNames.contains(ode.name) ? "derived value" : "parameter"), not a state; declare it under `states`"
                }
                issue(.odeName(k), message)
                continue
            }
            if odeFor[s] != nil { issue(.odeName(k), "a second ODE for state '\(ode.name)'"); continue }
            odeFor[s] = k
        }
        for (i, s) in stateNames.enumerated() where odeFor[i] == nil {
            issue(.stateName(i), "state '\(s)' has no ODE: add `\(s): \"…\"` under `odes` (write 0 for a constant state)")
        }
        let odeExpressions = source.odes.enumerated().map { k, ode in compile(parse(ode.text, at: .ode(k)), scope: .ode, at: .ode(k)) }

        var outputs: [Output] = []
        for (k, name) in (source.outputs ?? stateNames).enumerated() {
            if let i = stateNames.firstIndex(of: name) {
                outputs.append(Output(name: name, source: .state(i)))
            } else if let j = derivedNames.firstIndex(of: name) {
                outputs.append(Output(name: name, source: .derived(j)))
            } else if reserved[name] != nil && ["C", "AUC", "CE"].contains(name) {
                issue(.output(k), "'\(name)' comes from the pk block and is always an output: list only custom states and derived values")
                continue
            } else {
                var message = "output '\(name)' is not a state or derived value of the custom model"
                if let near = nearestName(name, among: stateNames + derivedNames) { message += "; did you mean '\(near)'?" }
                else { message += "; its states and derived values are \((stateNames + derivedNames).joined(separator: ", "))" }
                issue(.output(k), message)
                continue
            }
            if outputs.dropLast().contains(where: { $0.name == name }) { issue(.output(k), "output '\(name)' is listed twice"); outputs.removeLast() }
        }

        var dosesInto: Int?
        if let target = source.dosesInto {
            if pk != nil {
                issue(.dosesInto, "`doses_into` is for models without a pk block: with one, doses enter the pk block (name `into: STATE` on a dosing entry to dose a custom state)")
            } else if let i = stateNames.firstIndex(of: target) {
                dosesInto = i
            } else {
                var message = "`doses_into` names '\(target)', which is not a state"
                if let near = nearestName(target, among: stateNames) { message += "; did you mean '\(near)'?" }
                else { message += "; the states are \(stateNames.joined(separator: ", "))" }
                issue(.dosesInto, message)
            }
        }

        guard issues.isEmpty else { throw CustomModelErrors(issues: issues) }
        return CustomModel(parameters: source.parameters, states: stateNames, derivedNames: derivedNames,
                           initial: initial.map { $0! }, derived: derived.map { $0! },
                           odes: odeFor.map { odeExpressions[$0!]! }, outputs: outputs, dosesInto: dosesInto, layout: layout)
    }

    static func isIdentifier(_ name: String) -> Bool {
        func letter(_ c: Unicode.Scalar) -> Bool { (c >= "A" && c <= "Z") || (c >= "a" && c <= "z") || c == "_" }
        guard let first = name.unicodeScalars.first, letter(first) else { return false }
        return name.unicodeScalars.allSatisfy { letter($0) || ($0 >= "0" && $0 <= "9") }
    }
}
