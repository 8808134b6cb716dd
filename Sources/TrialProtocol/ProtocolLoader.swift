import Population

/// The entry points: a protocol file, or a population file alone (`vtrial cohort`).
public enum ProtocolLoader {
    /// Reads, decodes and validates the protocol at `path` (and the population file it names).
    /// Throws every error found (up to 20), each located in its file.
    public static func load(path: String) throws(ProtocolLoadError) -> ProtocolDefinition {
        let log = DiagnosticLog()
        guard let source = YAMLSource.load(path: path, log: log) else { throw log.report() }
        return try decode(source, log: log)
    }

    /// Decodes protocol text as if read from `path` (relative paths resolve against its folder).
    public static func load(bytes: [UInt8], path: String) throws(ProtocolLoadError) -> ProtocolDefinition {
        let log = DiagnosticLog()
        guard let source = YAMLSource.parse(bytes: bytes, path: path, log: log) else { throw log.report() }
        return try decode(source, log: log)
    }

    private static func decode(_ source: YAMLSource, log: DiagnosticLog) throws(ProtocolLoadError) -> ProtocolDefinition {
        let decoder = ProtocolDecoder(reader: NodeReader(file: source.path, log: log, text: source.text), directory: directoryOf(source.path))
        guard let definition = decoder.decode(source), log.isEmpty else { throw log.report() }
        return definition
    }

    /// Reads and validates a population file (SPEC §3). Its name defaults to the file's base
    /// name without extension.
    public static func loadPopulation(path: String) throws(ProtocolLoadError) -> PopulationSpec {
        let log = DiagnosticLog()
        guard let source = YAMLSource.load(path: path, log: log) else { throw log.report() }
        let base = path.split(separator: "/").last.map(String.init) ?? path
        let name = base.hasSuffix(".yaml") ? String(base.dropLast(5)) : (base.hasSuffix(".yml") ? String(base.dropLast(4)) : base)
        let decoder = PopulationDecoder(reader: NodeReader(file: path, log: log, text: source.text), directory: directoryOf(path))
        guard let spec = decoder.decode(source.root, defaultName: name), log.isEmpty else { throw log.report() }
        return spec
    }
}
