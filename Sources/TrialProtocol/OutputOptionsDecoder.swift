import Yams

extension ProtocolDecoder {
    /// `output:` with SPEC's defaults (every output, every grid time, 20,000 subjects per arm);
    /// `nil` after reporting.
    func decodeOutput(_ node: Node?) -> OutputOptions? {
        let allOutputs = outputs.map { Array($0.indices) } ?? []
        var options = OutputOptions(timecourse: TimecourseOptions(variables: allOutputs, every: observe))
        guard let node else { return options }
        guard let f = reader.mapping(node, section: "output", allowed: ["subjects", "timecourse"]) else { return nil }
        let errorsBefore = reader.log.diagnostics.count
        if let s = f.value("subjects"), let v = reader.choice(s, key: "subjects", as: OutputOptions.SubjectFiles.self) { options.subjects = v }
        if let t = f.value("timecourse"), let tf = reader.mapping(t, section: "output.timecourse", allowed: ["variables", "every", "subjects"]) {
            if let v = tf.value("variables"), let items = reader.sequence(v, key: "variables") {
                var indices: [Int] = []
                for item in items {
                    guard let name = reader.string(item, key: "variables"), let outputs else { continue }
                    if let i = outputs.firstIndex(where: { $0.name == name }) {
                        if indices.contains(i) { reader.error("'\(name)' is listed twice in timecourse variables", at: item) }
                        indices.append(i)
                    } else { reportUnknownOutput(name, at: item, outputs: outputs.map(\.name), section: "output.timecourse.variables") }
                }
                // Model output order, as timecourse.csv writes them.
                options.timecourse.variables = indices.sorted()
            }
            if let e = tf.value("every"), let v = reader.time(e, key: "every", in: .positive) {
                if observe.isFinite && v < observe { reader.error("timecourse `every` (\(formatNumber(v)) h) must be at least `observe` (\(formatNumber(observe)) h)", at: e) }
                options.timecourse.every = v
            }
            if let s = tf.value("subjects"), let v = reader.integer(s, key: "subjects", minimum: 1) { options.timecourse.subjects = v }
        }
        return reader.log.diagnostics.count == errorsBefore ? options : nil
    }
}
