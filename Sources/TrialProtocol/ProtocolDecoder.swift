import Expressions
import Foundation
import Population
import Twins
import Yams

/// Decodes one protocol file section by section. Each section reports its own errors and leaves
/// its result `nil` when it failed; later sections that depend on it (expressions over
/// covariates need the population, variables need the model) skip the checks they cannot make
/// instead of reporting follow-on errors.
final class ProtocolDecoder {
    let reader: NodeReader
    /// Directory of the protocol file as the user gave it (for relative paths).
    let directory: String

    var duration: Double?
    var observe: Double = 1
    var design: ProtocolDefinition.Design = .parallel
    var population: PopulationSpec?
    var populationNode: Node?
    var model: ModelDefinition?
    /// The model block has `custom:` (even when it failed to decode), and has it without `pk:`.
    var hasCustomModel = false
    var customModelWithoutPK = false
    /// The model's outputs once its configuration is known, even when its parameters failed.
    var outputs: [OutputDefinition]?
    /// False when an arm had no valid name (then arm references are not checked).
    var allArmsNamed = true
    var adverseEvents: [AdverseEventDefinition] = []
    /// AE terms as written, also of terms that failed to decode (so that rules naming them do not
    /// report a second error).
    var adverseEventTerms: [String] = []
    var arms: [ArmDefinition] = []
    /// Arm names as written, also of arms that failed to decode.
    var armNames: [String] = []
    var endpoints: [EndpointDefinition] = []
    var endpointIds: [String] = []

    init(reader: NodeReader, directory: String) {
        self.reader = reader
        self.directory = directory
    }

    static let topLevelKeys = ["protocol", "title", "seed", "replicates", "subjects", "population", "duration", "observe", "design",
                               "model", "arms", "adherence", "dropout", "endpoints", "adverse_events", "analysis", "output"]

    /// The decoded protocol, or `nil` when any error was reported.
    func decode(_ source: YAMLSource) -> ProtocolDefinition? {
        guard let root = reader.mapping(source.root, section: "protocol file", allowed: Self.topLevelKeys) else { return nil }

        let id = reader.required(root, "protocol", what: "the protocol id ([A-Za-z0-9._-]+)").flatMap(decodeIdentifier)
        let title = root.value("title").flatMap { reader.scalar($0, key: "title", expected: "a string") }
        let seed = reader.required(root, "seed", what: "an unsigned 64-bit integer").flatMap(decodeSeed)
        let replicates = root.value("replicates").map { reader.integer($0, key: "replicates", minimum: 1) } ?? 1
        let subjects = reader.required(root, "subjects", what: "the number of subjects per replicate").flatMap { reader.integer($0, key: "subjects", minimum: 1) }
        if let d = root.value("design"), let value = reader.choice(d, key: "design", as: ProtocolDefinition.Design.self) { design = value }
        duration = reader.required(root, "duration", what: "the simulated time of every subject, e.g. '28 d'").flatMap { reader.time($0, key: "duration", in: .positive) }
        if let o = root.value("observe") {
            if let value = reader.time(o, key: "observe", in: .positive) {
                observe = value
                if let duration, value > duration { reader.error("`observe` (\(formatNumber(value)) h) must not exceed `duration` (\(formatNumber(duration)) h)", at: o) }
            } else { observe = .nan }
        }

        populationNode = reader.required(root, "population", what: "a population file path or an inline population")
        if let p = populationNode { population = decodeProtocolPopulation(p, protocolId: id ?? "population") }

        if let m = reader.required(root, "model", what: "the twin model (§4)") { model = decodeModel(m) }
        if let a = root.value("adverse_events") { adverseEvents = decodeAdverseEvents(a) }
        if let a = reader.required(root, "arms", what: "a list of arms") { arms = decodeArms(a) }

        var adherence = 1.0
        if let a = root.value("adherence"), let value = reader.number(a, key: "adherence", in: .closed(0, 1)) { adherence = value }
        let dropoutHazard = root.value("dropout").flatMap(decodeDropout)

        if let e = root.value("endpoints") { endpoints = decodeEndpoints(e) }
        let analysis = root.value("analysis").flatMap(decodeAnalysis)
        let output = decodeOutput(root.value("output"))

        if let subjects, let subjectsNode = root.value("subjects") {
            checkSubjects(subjects, replicates: replicates, node: subjectsNode)
        }
        if let replicates, let subjects, let node = root.value("replicates") ?? root.value("subjects") {
            checkResources(subjects: subjects, replicates: replicates, output: output, node: node, root: root)
        }
        if design == .matched { checkMatchedDesign(root: root, analysis: analysis) }

        guard reader.log.isEmpty, let id, let seed, let replicates, let subjects, let duration, let population,
              let model, let output else { return nil }
        return ProtocolDefinition(
            id: id, title: title, seed: seed, replicates: replicates, subjects: subjects, population: population,
            populationPath: populationPath, duration: duration, observe: observe, design: design, model: model, arms: arms,
            adherence: adherence, dropoutHazard: dropoutHazard, endpoints: endpoints, adverseEvents: adverseEvents,
            analysis: analysis, output: output, sourceBytes: source.bytes,
            fileName: source.path.split(separator: "/").last.map(String.init) ?? source.path, path: source.path)
    }

    var populationPath: String?

    // MARK: Scalars of the top level

    static let maximumIdentifierLength = 200

    private func decodeIdentifier(_ node: Node) -> String? {
        guard let text = reader.string(node, key: "protocol") else { return nil }
        let allowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-")
        guard text.unicodeScalars.allSatisfy(allowed.contains), text != ".", text != ".." else {
            reader.error("`protocol` must match [A-Za-z0-9._-]+ (it names the results folder); got '\(text)'", at: node)
            return nil
        }
        // The results folder's hidden temporary sibling (`.<id>.tmp-<pid>-<16 hex digits>`) must
        // fit a file name (255 bytes): refused here, not by the run after the simulation.
        guard text.utf8.count <= Self.maximumIdentifierLength else {
            reader.error("`protocol` must be at most \(Self.maximumIdentifierLength) characters (it names the results folder and its temporary siblings); got \(text.utf8.count)", at: node)
            return nil
        }
        return text
    }

    private func decodeSeed(_ node: Node) -> UInt64? {
        guard let text = reader.scalar(node, key: "seed", expected: "an unsigned 64-bit integer") else { return nil }
        if let value = UInt64(text.trimmingCharacters(in: .whitespaces)) { return value }
        reader.error("`seed` must be an unsigned 64-bit integer (0 … 18446744073709551615); got '\(text)'", at: node)
        return nil
    }

    // MARK: Population

    private func decodeProtocolPopulation(_ node: Node, protocolId: String) -> PopulationSpec? {
        if case let .scalar(scalar) = node {
            let path = resolvePath(scalar.string, relativeTo: directory)
            populationPath = path
            let errorsBefore = reader.log.diagnostics.count
            guard let source = YAMLSource.load(path: path, log: reader.log) else {
                // Unreadable: the error belongs at the key naming it, in the protocol.
                if reader.log.diagnostics.count > errorsBefore, let last = reader.log.diagnostics.last,
                   last.file == path, last.message.hasPrefix("cannot read") {
                    reader.log.removeLast()
                    reader.error("cannot read the population file '\(path)'", at: node)
                }
                return nil
            }
            let fileReader = NodeReader(file: path, log: reader.log, text: source.text)
            let name = (path.split(separator: "/").last.map(String.init) ?? path).replacingOccurrences(of: ".yaml", with: "").replacingOccurrences(of: ".yml", with: "")
            return PopulationDecoder(reader: fileReader, directory: directoryOf(path)).decode(source.root, defaultName: name)
        }
        return PopulationDecoder(reader: reader, directory: directory).decode(node, defaultName: protocolId)
    }

    // MARK: Dropout

    private func decodeDropout(_ node: Node) -> Double? {
        guard let f = reader.mapping(node, section: "dropout", allowed: ["probability", "by", "hazard", "per"]) else { return nil }
        if f.has("probability") {
            if let h = f.keyNode("hazard") { reader.error("give `probability` with `by`, or `hazard` with `per`, not both", at: h); return nil }
            if let p = f.keyNode("per") { reader.error("`per` goes with `hazard`; `probability` takes `by`", at: p); return nil }
            let p = reader.number(f.value("probability")!, key: "probability", in: .closedOpen(0, 1))
            let by = reader.required(f, "by", what: "the time by which `probability` of subjects have dropped out").flatMap { reader.time($0, key: "by", in: .positive) }
            guard let p, let by else { return nil }
            // Exponential: P(T ≤ by) = p ⇒ hazard = −ln(1 − p)/by.
            return -Foundation.log1p(-p) / by
        }
        if f.has("hazard") {
            if let b = f.keyNode("by") { reader.error("`by` goes with `probability`; `hazard` takes `per`", at: b); return nil }
            let hazard = reader.number(f.value("hazard")!, key: "hazard", in: .nonNegative)
            var per = 1.0
            if let p = f.value("per") { guard let value = reader.time(p, key: "per", in: .positive) else { return nil }; per = value }
            guard let hazard else { return nil }
            return hazard / per
        }
        reader.error("missing key `probability` in dropout: give { probability: P, by: TIME } or { hazard: H, per: TIME }", at: node)
        return nil
    }

    // MARK: Cross-section checks

    private func checkSubjects(_ subjects: Int, replicates: Int?, node: Node) {
        guard design == .parallel, !arms.isEmpty, arms.count == armNames.count else { return }
        if subjects < arms.count {
            reader.error("`subjects` (\(subjects)) must be at least the number of arms (\(arms.count))", at: node)
            return
        }
        let counts = allocate(subjects: subjects, ratios: arms.map(\.ratio))
        for (arm, count) in zip(arms, counts) where count == 0 {
            reader.error("with \(subjects) subjects and ratios \(arms.map { String($0.ratio) }.joined(separator: ":")), arm '\(arm.name)' gets no subjects", at: node)
        }
        if let table = population?.table, table.sampling == .asIs, subjects != table.rows.count {
            reader.error("`sample: as-is` uses every cohort row once: `subjects` must be \(table.rows.count) (the rows of the CSV); got \(subjects)", at: node)
        }
    }

    /// SPEC: refuse what cannot be run, with an estimate. Limits: 1e8 subjects per replicate,
    /// 1e11 simulated subjects in all, 1e7 grid times, and 4e9 stored time-course values
    /// (replicate 1 keeps them for exact percentiles: 8 bytes each).
    private func checkResources(subjects: Int, replicates: Int, output: OutputOptions?, node: Node, root: MappingFields) {
        if subjects > 100_000_000, let s = root.value("subjects") {
            reader.error("`subjects` is \(subjects): at most 100,000,000 per replicate can be run (one replicate would hold about \(gigabytes(Double(subjects) * 200)) GB of subject records)", at: s)
        }
        let total = Double(subjects) * Double(replicates)
        if total > 1e11 {
            // About 10 µs per simulated subject for the simplest closed-form model.
            let days = total * 1e-5 / 86_400
            reader.error("subjects × replicates = \(formatLarge(total)) simulated subjects is more than can be run (limit 1e11; at about 10 µs each that is \(formatLarge(days.rounded())) days of CPU time)", at: node)
        }
        guard let duration, observe.isFinite else { return }
        let grid = duration / observe + 1
        if grid > 10_000_000, let d = root.value("observe") ?? root.value("duration") {
            reader.error("the observation grid has \(formatLarge(grid.rounded(.down))) times (duration / observe + 1); at most 10,000,000 can be simulated per subject: use a coarser `observe`", at: d)
        }
        if let output, let model {
            let times = duration / output.timecourse.every + 1
            let stored = Double(min(subjects, output.timecourse.subjects)) * times * Double(output.timecourse.variables.count) * Double(max(arms.count, 1))
            if stored > 4e9, let o = root.value("output") ?? root.value("observe") ?? root.value("duration") {
                reader.error("the time courses would keep \(formatLarge(stored)) values (about \(gigabytes(stored * 8)) GB) for exact percentiles; lower `output.timecourse.subjects`, its `variables` or raise its `every`", at: o)
            }
            _ = model
        }
    }

    private func checkMatchedDesign(root: MappingFields, analysis: AnalysisPlan?) {
        guard let designNode = root.value("design") else { return }
        _ = designNode
        if let armsNode = root.value("arms"), case let .sequence(items) = armsNode {
            for item in items {
                if case let .mapping(m) = item, let ratio = m["ratio"], ratio.string != "1" {
                    reader.error("a matched design runs every patient in every arm: `ratio` must be 1; got '\(ratio.string ?? "")'", at: ratio)
                }
            }
        }
        if let endpointsNode = root.value("endpoints"), case let .sequence(items) = endpointsNode {
            for item in items {
                if case let .mapping(m) = item, let type = m["type"], type.string == "time-to-event" {
                    reader.error("time-to-event endpoints are not available in a matched design (comparisons are paired)", at: type)
                }
            }
        }
        if analysis?.adjust == .baseline, case let .mapping(a)? = root.value("analysis"), let adjust = a["adjust"] {
            reader.error("`adjust: baseline` is not available in a matched design (comparisons are paired over patients)", at: adjust)
        }
    }
}

func gigabytes(_ bytes: Double) -> String {
    formatLarge((bytes / 1e9).rounded())
}

/// 1234567 → "1234567", 2.4e12 → "2.4e+12".
func formatLarge(_ value: Double) -> String {
    if value < 1e9 { return String(Int(value)) }
    return String(format: "%.2g", value)
}
