import Expressions
import LinearAlgebra
import Population
import Twins

/// A protocol resolved for execution: every name replaced by an index, every time by a grid
/// index where SPEC reads the grid, every quantity in canonical units. Built once by
/// `TrialPlan(protocol:)` and shared, immutable, by all workers.
public struct TrialPlan: Sendable {
    public enum Design: Sendable { case parallel, matched }

    public var protocolID: String
    public var seed: UInt64
    public var replicates: Int
    /// Per replicate, all arms together (matched: patients, each simulated in every arm).
    public var subjects: Int
    public var design: Design

    public var population: PopulationSpec
    /// Names of the covariate registers (population covariates, then derived ones).
    public var covariateNames: [String]
    /// Level names of categorical registers (nil for numeric ones), for writing subjects.csv.
    public var covariateLevels: [[String]?]

    /// Grid step Δ (h) and the number of grid points, k = 0 … gridCount − 1, t_k = k·Δ.
    public var gridStep: Double
    public var gridCount: Int
    public var duration: Double

    public var model: CompiledModel
    public var parameters: [ParameterPlan]
    /// Indices (into `parameters`) of the parameters with between-subject variability, and the
    /// lower Cholesky factor of their Ω.
    public var etaParameters: [Int]
    public var etaCholesky: Matrix
    /// Residual error per model output (nil: none).
    public var residual: [ResidualError?]

    public var arms: [ArmPlan]
    /// Subjects per arm in each replicate (SPEC §2 largest-remainder allocation; matched: every
    /// arm has all `subjects` patients), the first subject index of each arm, and the arm of
    /// every subject index (parallel design; subjects are numbered in arm order).
    public var armSizes: [Int]
    public var armStart: [Int]
    public var armOfSubject: [Int]
    public var adherence: Double
    /// Exponential dropout hazard per hour (nil: no dropout).
    public var dropoutHazard: Double?

    public var endpoints: [EndpointPlan]
    public var adverseEvents: [AdverseEventPlan]
    public var analysis: AnalysisPlan?
    public var output: OutputPlan

    /// Observation times given to the simulator: the grid, then (sorted in) any window bound
    /// that is not a grid point. `gridTimeIndex[k]` is where grid point k sits in it.
    public var observationTimes: [Double]
    public var gridTimeIndex: [Int]

    /// The time of grid point k, computed as k·Δ (never by repeated addition; SPEC §4).
    @inline(__always) public func gridTime(_ k: Int) -> Double { Double(k) * gridStep }

    /// "The grid point at or before x": k = ⌊x/Δ + 1e-9⌋ (SPEC §4).
    public static func gridIndex(atOrBefore x: Double, step: Double) -> Int {
        Int((x / step + 1e-9).rounded(.down))
    }
}

/// How one model parameter of one subject is formed (SPEC §4 "Variability"):
/// typical · covariate effects · exp(η) (logit scale for [0, 1] parameters).
public struct ParameterPlan: Sendable {
    public var name: String
    public var typical: ValueSource
    public var scale: ParameterScale
    public var covariateEffects: [CovariateEffect]
}

/// A number, or an expression over the subject's covariate registers.
public enum ValueSource: Sendable {
    case constant(Double)
    case expression(CompiledExpression)

    @inline(__always) func value(_ covariates: UnsafeBufferPointer<Double>) -> Double {
        switch self {
        case let .constant(v): return v
        case let .expression(e): return e.evaluate(covariates)
        }
    }
}

public enum CovariateEffect: Sendable {
    /// (covariate / reference)^power.
    case power(covariate: Int, power: Double, reference: Double)
    /// A multiplier per level of a categorical covariate (1 for unlisted levels).
    case categorical(covariate: Int, multipliers: [Double])
}

public struct ResidualError: Sendable {
    public var proportional: Double
    public var additive: Double
}

public struct ArmPlan: Sendable {
    public var name: String
    public var ratio: Int
    public var doses: [ScheduledDose]
    /// Per parameter index: a replacement typical value for this arm.
    public var parameterOverrides: [Int: ValueSource]
}

public struct ScheduledDose: Sendable {
    public var time: Double
    /// mg, possibly per subject (mg/kg, mg/m², expressions).
    public var amount: ValueSource
    public var route: DoseRoute
}

public struct EndpointPlan: Sendable {
    public enum Measure: Sendable { case value, change, percentChange }
    public enum Summary: Sendable {
        /// The grid point at or before the assessment time.
        case at(gridIndex: Int)
        case max, min, mean, auc
    }
    public enum Kind: Sendable {
        case continuous
        case timeToEvent(TimeToEventPlan)
    }
    public var id: String
    public var output: Int
    public var kind: Kind
    public var summary: Summary
    /// Window for max/min/mean/auc: the grid points k with start ≤ t_k ≤ end, and the
    /// observation-time indices of the bounds (for integrals).
    public var windowStart: Double
    public var windowEnd: Double
    public var windowGrid: ClosedRange<Int>
    public var windowTimeIndices: (start: Int, end: Int)
    /// Index into the simulator's integrated outputs (mean/auc only).
    public var integralIndex: Int?
    public var measure: Measure
    public var betterHigher: Bool
    public var responder: ResponderRule?
    public var logScale: Bool
    public var equivalence: (lower: Double, upper: Double)?
    public var margin: Double?

    /// The grid index whose time is when the endpoint is read (for dropout: the window's end).
    public var readGridIndex: Int {
        switch summary {
        case let .at(k): return k
        default: return windowGrid.upperBound
        }
    }
    public var readTime: Double {
        switch summary {
        case .at: return windowEnd
        default: return windowEnd
        }
    }
}

public enum ComparisonOperator: String, Sendable {
    case less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">=", equal = "==", notEqual = "!="

    @inline(__always) public func holds(_ a: Double, _ b: Double) -> Bool {
        switch self {
        case .less: return a < b
        case .lessOrEqual: return a <= b
        case .greater: return a > b
        case .greaterOrEqual: return a >= b
        case .equal: return a == b
        case .notEqual: return a != b
        }
    }
}

public struct ResponderRule: Sendable {
    public var op: ComparisonOperator
    public var value: Double
    /// `missing: failure`: dropouts count as non-responders.
    public var missingIsFailure: Bool
}

public struct TimeToEventPlan: Sendable {
    public enum Reference: Sendable { case absolute, baseline, nadir }
    public var op: ComparisonOperator
    public var value: Double
    public var reference: Reference
    public var minimumChange: Double?
    /// Assessed grid indices (> 0), ascending.
    public var assessments: [Int]
}

public struct AdverseEventPlan: Sendable {
    public enum Grading: Sendable {
        /// Grade g (1-based) holds when `output op threshold[g-1]`; nested, the highest holding grade counts.
        case thresholds(output: Int, op: [ComparisonOperator], thresholds: [Double])
        /// A one-grade event: grade 1 when the expression over the model outputs is non-zero.
        case condition(CompiledExpression)
    }
    public var term: String
    public var grading: Grading
    /// Assessed grid indices (> 0), ascending.
    public var assessments: [Int]
    public var maxGrade: Int
}

public struct AnalysisPlan: Sendable {
    public enum Sided: Sendable { case two, one }
    public enum Multiplicity: Sendable { case none, bonferroni, holm, hochberg }
    public var control: Int
    public var alpha: Double
    public var sided: Sided
    public var adjustBaseline: Bool
    public var multiplicity: Multiplicity
    public var success: [SuccessCriterionPlan]
}

public struct SuccessCriterionPlan: Sendable {
    public enum Combination: Sendable { case all, any }
    public var id: String
    public var combination: Combination
    /// (endpoint row name as in comparisons.csv, arm index or nil for every non-control arm).
    public var comparisons: [(endpoint: String, arm: Int?)]
}

public struct OutputPlan: Sendable {
    public enum SubjectFiles: Sendable { case all, first, none }
    public var subjects: SubjectFiles
    /// Model outputs written to timecourse.csv, in model order.
    public var timecourseOutputs: [Int]
    /// Grid indices written to timecourse.csv.
    public var timecourseGrid: [Int]
    /// The first this-many subjects of each arm (replicate 1) enter the time-course percentiles.
    public var timecourseSubjects: Int
}
