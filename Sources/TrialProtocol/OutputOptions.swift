/// The `output:` block (SPEC §2).
public struct OutputOptions: Sendable, Equatable {
    /// Which replicates go to the subject-level files.
    public enum SubjectFiles: String, Sendable, CaseIterable { case all, first, none }
    public var subjects: SubjectFiles
    public var timecourse: TimecourseOptions
    public init(subjects: SubjectFiles = .all, timecourse: TimecourseOptions) {
        self.subjects = subjects
        self.timecourse = timecourse
    }
}

public struct TimecourseOptions: Sendable, Equatable {
    /// Output indices, in model output order; default every output.
    public var variables: [Int]
    /// Spacing of the time-course times (h); default the `observe` grid.
    public var every: Double
    /// The first this many subjects of each arm in replicate 1; default 20,000.
    public var subjects: Int
    public init(variables: [Int], every: Double, subjects: Int = 20_000) {
        self.variables = variables
        self.every = every
        self.subjects = subjects
    }
}
