import Expressions
import Foundation
import Population
import Yams

/// Decodes a population (SPEC §3) — a population file's root mapping, an inline `population:`
/// mapping, or `{ csv: FILE, sample: as-is | bootstrap }` — into a validated `PopulationSpec`
/// whose derived covariates and inclusion criteria are compiled against its register layout.
struct PopulationDecoder {
    var reader: NodeReader
    /// The directory relative to which a `csv:` path is resolved (the file naming it).
    var directory: String

    static let keys = ["population", "covariates", "correlations", "derived", "inclusion", "csv", "sample", "categorical"]
    static let distributionKeys = ["dist", "mean", "sd", "median", "cv", "meanlog", "sdlog", "min", "max", "levels"]

    enum SamplingChoice: String, CaseIterable { case asIs = "as-is", bootstrap }
    enum DistributionKind: String, CaseIterable { case normal, lognormal, uniform, categorical }

    /// Returns `nil` when any error was reported.
    func decode(_ node: Node, defaultName: String) -> PopulationSpec? {
        let errorsBefore = reader.log.diagnostics.count
        guard let fields = reader.mapping(node, section: "population", allowed: Self.keys) else { return nil }
        var name = defaultName
        if let n = fields.value("population"), let text = reader.string(n, key: "population") { name = text }

        var spec = PopulationSpec(name: name, covariates: [])
        if let csvNode = fields.value("csv") {
            if fields.has("covariates") { reader.error("`csv` and `covariates` are exclusive: a population is either a real cohort or distributions", at: fields.keyNode("covariates")!) }
            if fields.has("correlations") { reader.error("`correlations` do not apply to a CSV cohort (its rows already carry them)", at: fields.keyNode("correlations")!) }
            guard let table = decodeTable(csvNode, fields: fields) else { return nil }
            spec.table = table
            if table.sampling == .asIs, let inclusion = fields.keyNode("inclusion") {
                reader.error("`inclusion` cannot be used with `sample: as-is` (every row is used once); use `sample: bootstrap`", at: inclusion)
            }
        } else {
            if let s = fields.keyNode("sample") { reader.error("`sample` applies only to a CSV cohort (`csv: FILE`)", at: s) }
            if let s = fields.keyNode("categorical") { reader.error("`categorical` applies only to a CSV cohort (`csv: FILE`); give `dist: categorical` here", at: s) }
            guard let covariatesNode = reader.required(fields, "covariates", what: "a population needs `covariates` (or `csv: FILE`)") else { return nil }
            spec.covariates = decodeCovariates(covariatesNode)
            if let c = fields.value("correlations") { spec.correlations = decodeCorrelations(c, covariates: spec.covariates, declared: declaredNames(covariatesNode)) }
        }
        // Names declared but not decoded (a covariate with an error, then a derived covariate
        // whose formula failed): an expression that reads one is only parsed, since compiling it
        // would add follow-on errors; every other expression is checked in full, so one run
        // reports the errors of every section (SPEC §1).
        var unresolved = Set(spec.table == nil ? fields.value("covariates").map(declaredNames) ?? [] : [])
            .subtracting(spec.covariates.map(\.name))
        if let d = fields.value("derived") { decodeDerived(d, into: &spec, unresolved: &unresolved) }
        if let i = fields.value("inclusion") { spec.inclusion = decodeInclusion(i, spec: spec, unresolved: unresolved) }
        spec.inclusionPlace = place(of: fields.keyNode("inclusion"))
        spec.correlationsPlace = place(of: fields.keyNode("correlations"))
        return reader.log.diagnostics.count == errorsBefore ? spec : nil
    }

    private func place(of node: Node?) -> SourcePlace? {
        node?.mark.map { SourcePlace(file: reader.file, line: $0.line, column: $0.column) }
    }

    // MARK: Covariates

    private func decodeCovariates(_ node: Node) -> [CovariateSpec] {
        guard let fields = reader.mapping(node, section: "covariates", allowed: []) else { return [] }
        if fields.entries.isEmpty { reader.error("`covariates` must name at least one covariate", at: node) }
        var out: [CovariateSpec] = []
        for (name, keyNode, value) in fields.entries {
            guard isIdentifier(name) else {
                reader.error("covariate name '\(name)' must start with a letter or '_' and hold only letters, digits and '_'", at: keyNode)
                continue
            }
            if let distribution = decodeDistribution(value, covariate: name) {
                // What the synthesizer would refuse (e.g. bounds beyond ±38 SD), here at its place.
                if let problem = PopulationSpec.distributionProblem(name: name, distribution) {
                    reader.error("covariate \(name): \(problem)", at: value)
                    continue
                }
                out.append(CovariateSpec(name: name, distribution: distribution))
            }
        }
        return out
    }

    private func decodeDistribution(_ node: Node, covariate: String) -> CovariateDistribution? {
        guard let f = reader.mapping(node, section: "covariate \(covariate)", allowed: Self.distributionKeys) else { return nil }
        guard let distNode = reader.required(f, "dist", what: "one of normal, lognormal, uniform, categorical"),
              let kind = reader.choice(distNode, key: "dist", as: DistributionKind.self) else { return nil }
        let accepted: [String]
        switch kind {
        case .normal: accepted = ["dist", "mean", "sd", "min", "max"]
        case .lognormal: accepted = ["dist", "median", "cv", "meanlog", "sdlog", "min", "max"]
        case .uniform: accepted = ["dist", "min", "max"]
        case .categorical: accepted = ["dist", "levels"]
        }
        for (key, keyNode, _) in f.entries where !accepted.contains(key) {
            reader.error("`\(key)` does not apply to dist: \(kind.rawValue) (it takes \(accepted.dropFirst().joined(separator: ", ")))", at: keyNode)
        }
        let lower = f.value("min").flatMap { reader.number($0, key: "min") }
        let upper = f.value("max").flatMap { reader.number($0, key: "max") }
        if let lower, let upper, !(lower < upper), kind != .categorical {
            reader.error("`min` must be less than `max` for \(covariate); got min \(formatNumber(lower)), max \(formatNumber(upper))", at: f.value("min")!)
            return nil
        }
        switch kind {
        case .normal:
            let mean = reader.required(f, "mean").flatMap { reader.number($0, key: "mean") }
            let sd = reader.required(f, "sd").flatMap { reader.number($0, key: "sd", in: .positive) }
            guard let mean, let sd else { return nil }
            return .normal(mean: mean, sd: sd, lower: lower, upper: upper)
        case .lognormal:
            if let l = lower, l < 0 { reader.error("`min` of a lognormal covariate must be ≥ 0; got \(formatNumber(l))", at: f.value("min")!) }
            if f.has("median") || f.has("cv") {
                if let k = f.keyNode("meanlog") ?? f.keyNode("sdlog") {
                    reader.error("give either `median` and `cv`, or `meanlog` and `sdlog`, not both", at: k)
                    return nil
                }
                let median = reader.required(f, "median").flatMap { reader.number($0, key: "median", in: .positive) }
                let cv = reader.required(f, "cv").flatMap { reader.number($0, key: "cv", in: .positive) }
                guard let median, let cv else { return nil }
                // SPEC §3: σ of the log = √ln(1 + cv²).
                return .lognormal(meanlog: Foundation.log(median), sdlog: Foundation.log1p(cv * cv).squareRoot(), lower: lower, upper: upper)
            }
            if !f.has("meanlog") && !f.has("sdlog") {
                reader.error("missing key `median` in covariate \(covariate): a lognormal takes `median` and `cv`, or `meanlog` and `sdlog`", at: f.node)
                return nil
            }
            let meanlog = reader.required(f, "meanlog").flatMap { reader.number($0, key: "meanlog") }
            let sdlog = reader.required(f, "sdlog").flatMap { reader.number($0, key: "sdlog", in: .positive) }
            guard let meanlog, let sdlog else { return nil }
            return .lognormal(meanlog: meanlog, sdlog: sdlog, lower: lower, upper: upper)
        case .uniform:
            if !f.has("min") { reader.error("missing key `min` in covariate \(covariate): a uniform needs `min` and `max`", at: f.node) }
            if !f.has("max") { reader.error("missing key `max` in covariate \(covariate): a uniform needs `min` and `max`", at: f.node) }
            guard let lower, let upper else { return nil }
            return .uniform(lower: lower, upper: upper)
        case .categorical:
            guard let levelsNode = reader.required(f, "levels", what: "a mapping of level names to probabilities"),
                  let levels = reader.mapping(levelsNode, section: "levels", allowed: []) else { return nil }
            var names: [String] = [], probabilities: [Double] = []
            for (level, _, value) in levels.entries {
                guard let p = reader.number(value, key: "levels.\(level)", in: .openClosed(0, 1)) else { continue }
                names.append(level); probabilities.append(p)
            }
            guard names.count == levels.entries.count else { return nil }
            if names.isEmpty { reader.error("`levels` must name at least one level", at: levelsNode); return nil }
            let sum = probabilities.reduce(0, +)
            if abs(sum - 1) > 1e-9 {
                reader.error("the probabilities of the levels of \(covariate) must sum to 1 (within 1e-9); they sum to \(sum)", at: levelsNode)
                return nil
            }
            return .categorical(levels: names, probabilities: probabilities)
        }
    }

    // MARK: Correlations

    private func declaredNames(_ node: Node) -> [String] {
        guard case let .mapping(m) = node else { return [] }
        return m.keys.compactMap(\.string).filter { !YAMLSource.isRenamedDuplicate($0) }
    }

    private func decodeCorrelations(_ node: Node, covariates: [CovariateSpec], declared: [String]) -> [CovariateCorrelation] {
        guard let items = reader.sequence(node, key: "correlations") else { return [] }
        var out: [CovariateCorrelation] = []
        let names = covariates.map(\.name)
        for item in items {
            guard let triple = reader.sequence(item, key: "correlations[]"), triple.count == 3 else {
                if case .sequence = item { reader.error("a correlation is a list of three: [COVARIATE, COVARIATE, RHO]", at: item) }
                continue
            }
            var indices: [Int] = []
            for n in triple.prefix(2) {
                guard let name = reader.string(n, key: "correlation covariate") else { continue }
                guard let i = names.firstIndex(of: name) else {
                    if declared.contains(name) { continue }
                    var m = "unknown covariate '\(name)' in correlations"
                    if let near = nearestName(name, among: names) { m += "; did you mean '\(near)'?" }
                    reader.error(m, at: n); continue
                }
                if covariates[i].distribution.isCategorical {
                    reader.error("'\(name)' is categorical: correlations are between continuous covariates only", at: n); continue
                }
                indices.append(i)
            }
            let rho = reader.number(triple[2], key: "rho", in: .open(-1, 1))
            guard indices.count == 2, let rho else { continue }
            if indices[0] == indices[1] { reader.error("a covariate cannot be correlated with itself ('\(names[indices[0]])')", at: triple[1]); continue }
            if out.contains(where: { Set([$0.first, $0.second]) == Set(indices) }) {
                reader.error("duplicate correlation between \(names[indices[0]]) and \(names[indices[1]])", at: item); continue
            }
            out.append(CovariateCorrelation(first: indices[0], second: indices[1], rho: rho))
        }
        // The copula's matrix is over the continuous covariates only.
        let continuous = covariates.indices.filter { !covariates[$0].distribution.isCategorical }
        let position = Dictionary(uniqueKeysWithValues: continuous.enumerated().map { ($1, $0) })
        let pairs = out.compactMap { c in position[c.first].flatMap { a in position[c.second].map { (a, $0, c.rho) } } }
        if let offending = CorrelationCheck.offendingNames(continuous.map { names[$0] }, pairs: pairs) {
            reader.error("the correlations among \(offending.joined(separator: ", ")) do not form a positive-definite matrix (no joint distribution has them); weaken one of them", at: node)
        }
        return out
    }

    // MARK: Derived covariates and inclusion

    private func decodeDerived(_ node: Node, into spec: inout PopulationSpec, unresolved: inout Set<String>) {
        guard let fields = reader.mapping(node, section: "derived", allowed: []) else { return }
        for (name, keyNode, value) in fields.entries {
            guard isIdentifier(name) else {
                reader.error("derived covariate name '\(name)' must start with a letter or '_' and hold only letters, digits and '_'", at: keyNode)
                continue
            }
            if spec.allNames.contains(name) || unresolved.contains(name) {
                reader.error("derived covariate '\(name)' has the name of a covariate", at: keyNode)
                continue
            }
            guard let parsed = reader.parsedExpression(value, key: name), !parsed.names.contains(where: { unresolved.contains($0.name) }) else {
                unresolved.insert(name)
                continue
            }
            let known = spec.allNames
            let current = spec
            if let formula = reader.expression(parsed, in: value, key: name, knownNames: known, resolve: { current.binding(for: $0) }) {
                spec.derived.append(DerivedCovariate(name: name, formula: formula))
                spec.derivedPlaces[name] = place(of: value)
            } else {
                unresolved.insert(name)
            }
        }
    }

    private func decodeInclusion(_ node: Node, spec: PopulationSpec, unresolved: Set<String>) -> [InclusionCriterion] {
        guard let items = reader.sequence(node, key: "inclusion") else { return [] }
        var out: [InclusionCriterion] = []
        for item in items {
            guard let parsed = reader.parsedExpression(item, key: "inclusion"), !parsed.names.contains(where: { unresolved.contains($0.name) }) else { continue }
            guard let condition = reader.expression(parsed, in: item, key: "inclusion", knownNames: spec.allNames, resolve: { spec.binding(for: $0) }) else { continue }
            out.append(InclusionCriterion(text: condition.source, condition: condition))
        }
        return out
    }

    // MARK: CSV cohort

    private func decodeTable(_ csvNode: Node, fields: MappingFields) -> CohortTable? {
        guard let relative = reader.string(csvNode, key: "csv") else { return nil }
        guard let samplingNode = reader.required(fields, "sample", what: "as-is or bootstrap"),
              let choice = reader.choice(samplingNode, key: "sample", as: SamplingChoice.self),
              let sampling = CohortTable.Sampling(rawValue: choice.rawValue) else { return nil }
        let path = resolvePath(relative, relativeTo: directory)
        // Columns whose levels are written as numbers (ECOG 0/1/2) are categorical only when named.
        var categorical: [String] = []
        if let node = fields.value("categorical"), let items = reader.sequence(node, key: "categorical") {
            for item in items { if let name = reader.string(item, key: "categorical") { categorical.append(name) } }
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            reader.error("cannot read the cohort file '\(path)'", at: csvNode)
            return nil
        }
        let table = CohortCSVReader.read(bytes: [UInt8](data), path: path, sampling: sampling, categorical: categorical, log: reader.log)
        if let table, let node = fields.value("categorical"), let items = reader.sequence(node, key: "categorical") {
            for item in items {
                if case let .scalar(s) = item, !table.columns.contains(s.string) {
                    var message = "unknown column '\(s.string)' in categorical"
                    if let near = nearestName(s.string, among: table.columns) { message += "; did you mean '\(near)'?" }
                    reader.error(message, at: item)
                }
            }
        }
        return table
    }
}

/// `relative` resolved against `directory` as the user wrote both (no standardisation, so
/// messages show the path the user can recognise); absolute paths are kept.
func resolvePath(_ relative: String, relativeTo directory: String) -> String {
    if relative.hasPrefix("/") || directory.isEmpty || directory == "." { return relative }
    return directory.hasSuffix("/") ? directory + relative : directory + "/" + relative
}

/// The directory part of `path` as given ("" for a bare file name).
func directoryOf(_ path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "" }
    if slash == path.startIndex { return "/" }
    return String(path[..<slash])
}
