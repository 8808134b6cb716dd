import Foundation

/// Everything the report shows, read from a results folder's CSV files and manifest.json
/// (SPEC §6) and nothing else, so that `vtrial report` can rebuild the page after the run.
public struct ResultsFolderData: Equatable, Sendable {
    public var manifest: ManifestSummary
    /// subjects.csv's first replicate: subjects and dropouts per arm.
    public var subjects: SubjectSummary
    public var endpoints: [EndpointRecord]
    public var adverseEvents: [AdverseEventRecord]
    public var efficacy: [EfficacyRecord]
    public var safety: [SafetyRecord]
    public var comparisons: [ComparisonRecord]
    public var power: [PowerRecord]
    public var timecourse: [TimecourseRecord]

    /// The files read, in the order they are read.
    public static let fileNames = ["manifest.json", "subjects.csv", "endpoints.csv", "adverse_events.csv",
                                   "efficacy.csv", "safety.csv", "comparisons.csv", "power.csv", "timecourse.csv"]

    /// What a writer of the results folder already holds of it, so the report need not read it
    /// back: exactly what reading the files would give (the writer wrote them from the same
    /// numbers, and every number written parses back to itself).
    public struct Known: Sendable {
        /// manifest.json's facts (the page shows none of what changes when the manifest is
        /// written again with the page's hash).
        public var manifest: ManifestSummary?
        /// subjects.csv's summary (`SubjectSummary`).
        public var subjects: SubjectSummary?
        /// timecourse.csv's rows.
        public var timecourse: [TimecourseRecord]?

        public init(manifest: ManifestSummary? = nil, subjects: SubjectSummary? = nil, timecourse: [TimecourseRecord]? = nil) {
            self.manifest = manifest
            self.subjects = subjects
            self.timecourse = timecourse
        }
    }

    /// Reads every file of the results folder at `directory`, except what `known` holds.
    /// - Throws: `ReportError` naming the file (and row and column) at fault.
    public init(resultsDirectory directory: String, known: Known = Known()) throws(ReportError) {
        if let known = known.manifest {
            manifest = known
        } else {
            manifest = try ManifestSummary(jsonBytes: try Self.contents(of: "manifest.json", in: directory))
        }
        // The subject-level files are large (rows per subject); the page uses only their first
        // replicate (the files are in replicate order), of subjects.csv only counts per arm and,
        // of endpoints.csv, only the time-to-event rows. They are streamed and cut there, so
        // memory does not grow with the number of subjects × replicates.
        if let summary = known.subjects { subjects = summary } else { subjects = try SubjectSummary(resultsDirectory: directory) }
        efficacy = try Self.records(in: directory, file: "efficacy.csv", columns: EfficacyRecord.columns,
                                    EfficacyRecord.init)
        // Only time-to-event endpoints (EVENTS in efficacy.csv) have rows the page draws; without
        // any, endpoints.csv is only checked for its header.
        let timeToEvent = efficacy.contains { $0.events != nil }
        endpoints = try Self.firstReplicateRecords(in: directory, file: "endpoints.csv", columns: EndpointRecord.columns,
                                                   EndpointRecord.init, headerOnly: !timeToEvent) { $0.censored != nil }
        adverseEvents = try Self.firstReplicateRecords(in: directory, file: "adverse_events.csv",
                                                       columns: AdverseEventRecord.columns, AdverseEventRecord.init) { _ in true }
        safety = try Self.records(in: directory, file: "safety.csv", columns: SafetyRecord.columns,
                                  SafetyRecord.init)
        comparisons = try Self.records(in: directory, file: "comparisons.csv", columns: ComparisonRecord.columns,
                                       ComparisonRecord.init)
        power = try Self.records(in: directory, file: "power.csv", columns: PowerRecord.columns, PowerRecord.init)
        if let rows = known.timecourse {
            timecourse = rows
        } else {
            timecourse = try Self.records(in: directory, file: "timecourse.csv", columns: TimecourseRecord.columns, TimecourseRecord.init)
        }
    }

    /// Builds the data directly (for callers that already hold it, and for tests).
    public init(manifest: ManifestSummary, subjects: SubjectSummary = SubjectSummary(), endpoints: [EndpointRecord] = [],
                adverseEvents: [AdverseEventRecord] = [], efficacy: [EfficacyRecord] = [],
                safety: [SafetyRecord] = [], comparisons: [ComparisonRecord] = [], power: [PowerRecord] = [],
                timecourse: [TimecourseRecord] = []) {
        self.manifest = manifest
        self.subjects = subjects
        self.endpoints = endpoints
        self.adverseEvents = adverseEvents
        self.efficacy = efficacy
        self.safety = safety
        self.comparisons = comparisons
        self.power = power
        self.timecourse = timecourse
    }

    /// The records of the first replicate's rows (REPLICATE of the first row) that `keep`.
    private static func firstReplicateRecords<Record>(in directory: String, file: String, columns: [String],
                                                      _ makeRecord: (CSVRow) throws(ReportError) -> Record,
                                                      headerOnly: Bool = false,
                                                      keep: (Record) -> Bool) throws(ReportError) -> [Record] {
        var records: [Record] = []
        var first: Int?
        try CSVFileStream.forEachRow(in: directory, fileName: file, columns: columns + ["REPLICATE"]) { row throws(ReportError) in
            if headerOnly { return false }
            let replicate = try row.requiredInteger("REPLICATE")
            if first == nil { first = replicate }
            guard replicate == first else { return false }
            let record = try makeRecord(row)
            if keep(record) { records.append(record) }
            return true
        }
        return records
    }

    private static func contents(of file: String, in directory: String) throws(ReportError) -> Data {
        let path = directory + "/" + file
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw .missingFile(file: file)
        }
        guard !isDirectory.boolValue, let data = FileManager.default.contents(atPath: path) else {
            throw .unreadableFile(file: file, reason: "not a readable file")
        }
        return data
    }

    private static func records<Record>(in directory: String, file: String, columns: [String],
                                        _ makeRecord: (CSVRow) throws(ReportError) -> Record)
        throws(ReportError) -> [Record] {
        let data = try contents(of: file, in: directory)
        guard let text = String(data: data, encoding: .utf8) else {
            throw .unreadableFile(file: file, reason: "not UTF-8 text")
        }
        let table = try CSVTable(parsing: text, fileName: file)
        try table.requireColumns(columns)
        var records: [Record] = []
        records.reserveCapacity(table.rows.count)
        for row in table.rows {
            records.append(try makeRecord(row))
        }
        return records
    }
}
