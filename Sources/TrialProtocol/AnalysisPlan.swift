/// The `analysis:` block (SPEC §2, §5).
public struct AnalysisPlan: Sendable {
    public enum Sided: String, Sendable, CaseIterable { case two, one }
    public enum Adjustment: String, Sendable, CaseIterable { case none, baseline }
    public enum Multiplicity: String, Sendable, CaseIterable { case none, bonferroni, holm, hochberg }

    /// Index of the control arm in `ProtocolDefinition.arms`.
    public var control: Int
    public var alpha: Double
    public var sided: Sided
    public var adjust: Adjustment
    public var multiplicity: Multiplicity
    public var success: [SuccessCriterion]

    public init(control: Int, alpha: Double = 0.05, sided: Sided = .two, adjust: Adjustment = .none,
                multiplicity: Multiplicity = .none, success: [SuccessCriterion] = []) {
        self.control = control
        self.alpha = alpha
        self.sided = sided
        self.adjust = adjust
        self.multiplicity = multiplicity
        self.success = success
    }
}

/// A composite success criterion reported in power.csv (METHOD ALL or ANY).
public struct SuccessCriterion: Sendable, Equatable {
    public enum Method: String, Sendable { case all = "ALL", any = "ANY" }
    public var id: String
    public var method: Method
    public var comparisons: [ComparisonReference]
    public init(id: String, method: Method, comparisons: [ComparisonReference]) {
        self.id = id
        self.method = method
        self.comparisons = comparisons
    }
}

/// `ENDPOINT` (every non-control arm) or `ENDPOINT@ARM` (one comparison). `endpoint` is the
/// ENDPOINT column of comparisons.csv: an endpoint id, `<id>_RESP` or `AE:<term>`.
public struct ComparisonReference: Sendable, Equatable {
    public var endpoint: String
    /// Arm index; `nil`: every non-control arm.
    public var arm: Int?
    public init(endpoint: String, arm: Int?) {
        self.endpoint = endpoint
        self.arm = arm
    }
}
