import Expressions

/// An endpoint (SPEC §2), times in h, the variable resolved to a model output index.
public struct EndpointDefinition: Sendable {
    public enum Kind: String, Sendable, CaseIterable { case continuous, timeToEvent = "time-to-event" }
    public enum Summary: String, Sendable, CaseIterable { case at, max, min, mean, auc }
    public enum Measure: String, Sendable, CaseIterable { case value, change, percentChange = "percent_change" }
    public enum Direction: String, Sendable, CaseIterable { case lower, higher }
    public enum Scale: String, Sendable, CaseIterable { case linear, log }

    public var id: String
    public var kind: Kind
    /// Index into `ModelDefinition.outputs` (for a time-to-event endpoint: `event.variable`).
    public var variable: Int
    public var variableName: String
    public var summary: Summary
    /// Assessment time for `summary: at` (h).
    public var at: Double?
    /// Closed window for the other summaries (h); default [0, duration].
    public var window: ClosedRange<Double>
    public var measure: Measure
    /// Favourable direction; default higher.
    public var better: Direction
    public var responder: ResponderRule?
    public var event: EventCondition?
    /// When a time-to-event endpoint is read; `nil`: every grid time.
    public var assessment: AssessmentSchedule?
    public var scale: Scale
    /// TOST bounds [L, U] (ratios under `scale: log`).
    public var equivalence: ClosedRange<Double>?
    /// Non-inferiority margin.
    public var margin: Double?

    public init(id: String, kind: Kind = .continuous, variable: Int, variableName: String, summary: Summary = .at, at: Double? = nil,
                window: ClosedRange<Double>, measure: Measure = .value, better: Direction = .higher, responder: ResponderRule? = nil,
                event: EventCondition? = nil, assessment: AssessmentSchedule? = nil, scale: Scale = .linear,
                equivalence: ClosedRange<Double>? = nil, margin: Double? = nil) {
        self.id = id
        self.kind = kind
        self.variable = variable
        self.variableName = variableName
        self.summary = summary
        self.at = at
        self.window = window
        self.measure = measure
        self.better = better
        self.responder = responder
        self.event = event
        self.assessment = assessment
        self.scale = scale
        self.equivalence = equivalence
        self.margin = margin
    }
}

public enum ComparisonOperator: String, Sendable, CaseIterable {
    case less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="

    public func holds(_ lhs: Double, _ rhs: Double) -> Bool {
        switch self {
        case .less: return lhs < rhs
        case .lessOrEqual: return lhs <= rhs
        case .greater: return lhs > rhs
        case .greaterOrEqual: return lhs >= rhs
        }
    }
}

/// A binary endpoint on the analysed measure: responder when `measure op value`.
public struct ResponderRule: Sendable, Equatable {
    public enum Missing: String, Sendable, CaseIterable { case exclude, failure }
    public var op: ComparisonOperator
    public var value: Double
    public var missing: Missing
    public init(op: ComparisonOperator, value: Double, missing: Missing = .exclude) {
        self.op = op
        self.value = value
        self.missing = missing
    }
}

/// The event of a time-to-event endpoint: `variable op threshold`, where threshold is `value`
/// itself, or `value` × the reference (baseline, or the nadir so far) when `relativeTo` is set;
/// with `minimumChange` the absolute change from that reference must also reach it.
public struct EventCondition: Sendable, Equatable {
    public enum Reference: String, Sendable, CaseIterable { case baseline, nadir }
    public var variable: Int
    public var variableName: String
    public var op: ComparisonOperator
    public var value: Double
    public var relativeTo: Reference?
    public var minimumChange: Double?
    public init(variable: Int, variableName: String, op: ComparisonOperator, value: Double, relativeTo: Reference? = nil, minimumChange: Double? = nil) {
        self.variable = variable
        self.variableName = variableName
        self.op = op
        self.value = value
        self.relativeTo = relativeTo
        self.minimumChange = minimumChange
    }
}

/// When a time-to-event endpoint or AE term is assessed: every `every` h (the grid points at or
/// before k·every, k ≥ 1), or at listed times (h).
public enum AssessmentSchedule: Sendable, Equatable {
    case every(Double)
    case at([Double])
}
