// The typed rows of the results-folder CSV files (SPEC §6), holding only the columns the report
// shows (subjects.csv is only counted: `SubjectSummary`). Each reads its fields by column name; `columns` lists the names it needs so that a
// header-only file with a wrong header is still an error.

/// A row of endpoints.csv.
public struct EndpointRecord: Equatable, Sendable {
    public var replicate: Int
    public var subjectID: String
    public var arm: String
    public var endpoint: String
    /// For a time-to-event endpoint: the event or censoring time (h).
    public var value: Double?
    /// 1 censored, 0 event, `nil` for endpoints that are not time-to-event.
    public var censored: Int?

    static let columns = ["REPLICATE", "USUBJID", "ARM", "ENDPOINT", "AVAL", "CNSR"]

    init(_ row: CSVRow) throws(ReportError) {
        replicate = try row.requiredInteger("REPLICATE")
        subjectID = try row.requiredText("USUBJID")
        arm = try row.requiredText("ARM")
        endpoint = try row.requiredText("ENDPOINT")
        value = try row.number("AVAL")
        censored = try row.integer("CNSR")
    }
}

/// A row of adverse_events.csv.
public struct AdverseEventRecord: Equatable, Sendable {
    public var replicate: Int
    public var arm: String
    public var term: String
    public var grade: Int

    static let columns = ["REPLICATE", "ARM", "AETERM", "AEGRADE"]

    init(_ row: CSVRow) throws(ReportError) {
        replicate = try row.requiredInteger("REPLICATE")
        arm = try row.requiredText("ARM")
        term = try row.requiredText("AETERM")
        grade = try row.requiredInteger("AEGRADE")
    }
}

/// A row of efficacy.csv.
public struct EfficacyRecord: Equatable, Sendable {
    public var replicate: Int
    public var endpoint: String
    public var arm: String
    public var count: Int?
    public var mean: Double?
    public var standardDeviation: Double?
    public var median: Double?
    public var firstQuartile: Double?
    public var thirdQuartile: Double?
    public var minimum: Double?
    public var maximum: Double?
    public var responders: Int?
    public var responderRate: Double?
    public var events: Int?
    public var medianTime: Double?

    static let columns = ["REPLICATE", "ENDPOINT", "ARM", "N", "MEAN", "SD", "MEDIAN", "Q1", "Q3", "MIN", "MAX",
                          "RESPONDERS", "RESPONDER_RATE", "EVENTS", "MEDIAN_TIME"]

    init(_ row: CSVRow) throws(ReportError) {
        replicate = try row.requiredInteger("REPLICATE")
        endpoint = try row.requiredText("ENDPOINT")
        arm = try row.requiredText("ARM")
        count = try row.integer("N")
        mean = try row.number("MEAN")
        standardDeviation = try row.number("SD")
        median = try row.number("MEDIAN")
        firstQuartile = try row.number("Q1")
        thirdQuartile = try row.number("Q3")
        minimum = try row.number("MIN")
        maximum = try row.number("MAX")
        responders = try row.integer("RESPONDERS")
        responderRate = try row.number("RESPONDER_RATE")
        events = try row.integer("EVENTS")
        medianTime = try row.number("MEDIAN_TIME")
    }
}

/// A row of safety.csv.
public struct SafetyRecord: Equatable, Sendable {
    public var replicate: Int
    public var term: String
    public var arm: String
    public var count: Int
    public var subjects: Int
    public var incidence: Double?
    public var lower: Double?
    public var upper: Double?
    public var gradeThreeOrAbove: Int?

    static let columns = ["REPLICATE", "AETERM", "ARM", "N", "SUBJECTS", "INCIDENCE", "CI_LOWER", "CI_UPPER",
                          "GRADE3PLUS"]

    init(_ row: CSVRow) throws(ReportError) {
        replicate = try row.requiredInteger("REPLICATE")
        term = try row.requiredText("AETERM")
        arm = try row.requiredText("ARM")
        count = try row.requiredInteger("N")
        subjects = try row.requiredInteger("SUBJECTS")
        incidence = try row.number("INCIDENCE")
        lower = try row.number("CI_LOWER")
        upper = try row.number("CI_UPPER")
        gradeThreeOrAbove = try row.integer("GRADE3PLUS")
    }
}

/// A row of comparisons.csv.
public struct ComparisonRecord: Equatable, Sendable {
    public var replicate: Int
    public var endpoint: String
    public var arm: String
    public var control: String
    public var method: String
    public var estimate: Double?
    public var lower: Double?
    public var upper: Double?
    public var pValue: Double?
    public var adjustedPValue: Double?
    public var significant: Int

    static let columns = ["REPLICATE", "ENDPOINT", "ARM", "CONTROL", "METHOD", "ESTIMATE", "CI_LOWER", "CI_UPPER",
                          "P_VALUE", "P_ADJ", "SIGNIFICANT"]

    init(_ row: CSVRow) throws(ReportError) {
        replicate = try row.requiredInteger("REPLICATE")
        endpoint = try row.requiredText("ENDPOINT")
        arm = try row.requiredText("ARM")
        control = try row.requiredText("CONTROL")
        method = try row.requiredText("METHOD")
        estimate = try row.number("ESTIMATE")
        lower = try row.number("CI_LOWER")
        upper = try row.number("CI_UPPER")
        pValue = try row.number("P_VALUE")
        adjustedPValue = try row.number("P_ADJ")
        significant = try row.requiredInteger("SIGNIFICANT")
    }
}

/// A row of power.csv. A success criterion's row has no arm and no control.
public struct PowerRecord: Equatable, Sendable {
    public var endpoint: String
    public var arm: String?
    public var control: String?
    public var method: String
    public var replicates: Int
    public var significant: Int
    public var power: Double?
    public var lower: Double?
    public var upper: Double?
    public var meanEstimate: Double?

    static let columns = ["ENDPOINT", "ARM", "CONTROL", "METHOD", "REPLICATES", "SIGNIFICANT", "POWER", "CI_LOWER",
                          "CI_UPPER", "MEAN_ESTIMATE"]

    init(_ row: CSVRow) throws(ReportError) {
        endpoint = try row.requiredText("ENDPOINT")
        arm = try row.text("ARM")
        control = try row.text("CONTROL")
        method = try row.requiredText("METHOD")
        replicates = try row.requiredInteger("REPLICATES")
        significant = try row.requiredInteger("SIGNIFICANT")
        power = try row.number("POWER")
        lower = try row.number("CI_LOWER")
        upper = try row.number("CI_UPPER")
        meanEstimate = try row.number("MEAN_ESTIMATE")
    }
}

/// A row of timecourse.csv: the distribution of one output over an arm's subjects at one time.
public struct TimecourseRecord: Equatable, Sendable {
    public var arm: String
    public var variable: String
    public var time: Double
    public var count: Int
    public var mean: Double?
    public var percentile5: Double?
    public var percentile25: Double?
    public var percentile50: Double?
    public var percentile75: Double?
    public var percentile95: Double?

    static let columns = ["ARM", "VARIABLE", "TIME", "N", "MEAN", "P05", "P25", "P50", "P75", "P95"]

    /// A row as written (`percentiles`: P05, P25, P50, P75, P95).
    public init(arm: String, variable: String, time: Double, count: Int, mean: Double?, percentiles: [Double?]) {
        precondition(percentiles.count == 5, "a time-course row has five percentiles")
        self.arm = arm
        self.variable = variable
        self.time = time
        self.count = count
        self.mean = mean
        percentile5 = percentiles[0]
        percentile25 = percentiles[1]
        percentile50 = percentiles[2]
        percentile75 = percentiles[3]
        percentile95 = percentiles[4]
    }

    init(_ row: CSVRow) throws(ReportError) {
        arm = try row.requiredText("ARM")
        variable = try row.requiredText("VARIABLE")
        time = try row.requiredNumber("TIME")
        count = try row.requiredInteger("N")
        mean = try row.number("MEAN")
        percentile5 = try row.number("P05")
        percentile25 = try row.number("P25")
        percentile50 = try row.number("P50")
        percentile75 = try row.number("P75")
        percentile95 = try row.number("P95")
    }
}
