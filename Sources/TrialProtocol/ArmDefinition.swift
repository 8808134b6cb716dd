import Expressions
import Twins

/// One arm of a parallel design (or one period of a matched one).
public struct ArmDefinition: Sendable {
    public var name: String
    /// Allocation ratio, a positive integer.
    public var ratio: Int
    /// Dosing entries in file order (empty: placebo).
    public var dosing: [DosingEntry]
    /// Arm-specific typical values replacing the model's (index into `ModelDefinition.parameters`).
    public var parameterOverrides: [ParameterOverride]
    /// Dose rules, evaluated in this order (SPEC §2 "Steady state and dose rules").
    public var rules: [DoseRule]

    public init(name: String, ratio: Int = 1, dosing: [DosingEntry] = [], parameterOverrides: [ParameterOverride] = [], rules: [DoseRule] = []) {
        self.name = name
        self.ratio = ratio
        self.dosing = dosing
        self.parameterOverrides = parameterOverrides
        self.rules = rules
    }

    /// Every scheduled dose time of the arm (h), in increasing order.
    public var doseTimes: [Double] { dosing.flatMap(\.times).sorted() }
}

public struct ParameterOverride: Sendable {
    public var parameter: Int
    public var value: ParameterValue
    public init(parameter: Int, value: ParameterValue) {
        self.parameter = parameter
        self.value = value
    }
}

/// One dosing entry: a single dose (`at`), a list of times, or a repeated regimen
/// (`every`/`doses`/`start`). Times in h, amounts in mg.
public struct DosingEntry: Sendable {
    public var amount: DoseAmount
    /// First dose time (h).
    public var start: Double
    /// Dosing interval (h) of a repeated regimen; `nil` for single doses at `extraTimes`.
    public var interval: Double?
    /// Number of doses of the repeated regimen (1 for a single dose).
    public var count: Int
    /// For `at: [t1, t2, …]`: the explicit times (then `start` is the first, `interval` nil).
    public var explicitTimes: [Double]?
    public var route: DoseRoute
    /// The custom-model state a dose enters (`into`); `nil` for built-in models.
    public var into: String?
    /// The subject starts this regimen at its steady state (only for repeated regimens).
    public var steadyState: Bool

    public init(amount: DoseAmount, start: Double, interval: Double? = nil, count: Int = 1, explicitTimes: [Double]? = nil,
                route: DoseRoute, into: String? = nil, steadyState: Bool = false) {
        self.amount = amount
        self.start = start
        self.interval = interval
        self.count = count
        self.explicitTimes = explicitTimes
        self.route = route
        self.into = into
        self.steadyState = steadyState
    }

    /// Dose times, each computed as start + k·interval (never by repeated addition).
    public var times: [Double] {
        if let explicitTimes { return explicitTimes }
        guard let interval else { return [start] }
        return (0..<count).map { start + Double($0) * interval }
    }
}

public enum DoseRoute: Sendable, Equatable {
    case oral
    case ivBolus
    /// A constant-rate infusion over `duration` h.
    case infusion(duration: Double)

    public var name: String {
        switch self {
        case .oral: return "oral"
        case .ivBolus: return "iv-bolus"
        case let .infusion(d): return "infusion over \(formatNumber(d)) h"
        }
    }
}

/// A dose amount in mg.
public enum DoseAmount: Sendable {
    case fixed(Double)
    /// mg per kg × the WT covariate (`slot` in the population register layout).
    case perWeight(mgPerKilogram: Double, slot: Int)
    /// mg per m² × the BSA covariate.
    case perBodySurfaceArea(mgPerSquareMetre: Double, slot: Int)
    /// An expression in mg over the population's registers.
    case expression(CompiledExpression)

    /// The amount for one subject (`registers` in the population layout).
    public func milligrams(covariates registers: [Double]) -> Double {
        switch self {
        case let .fixed(v): return v
        case let .perWeight(a, slot), let .perBodySurfaceArea(a, slot): return a * registers[slot]
        case let .expression(e): return e.evaluate(registers)
        }
    }

    public var text: String {
        switch self {
        case let .fixed(v): return "\(formatNumber(v)) mg"
        case let .perWeight(a, _): return "\(formatNumber(a)) mg/kg"
        case let .perBodySurfaceArea(a, _): return "\(formatNumber(a)) mg/m2"
        case let .expression(e): return "\(e.source) mg"
        }
    }
}

/// A dose rule (SPEC §2 "Steady state and dose rules").
public struct DoseRule: Sendable {
    public enum Trigger: Sendable {
        /// Evaluated at the grid times k·every (t > 0); fires when `condition` (over model outputs,
        /// slot = output index in `ModelDefinition.outputs`) is non-zero, or always when `nil`.
        case schedule(every: Double, condition: CompiledExpression?)
        /// Fires when AE `term` (index into `ProtocolDefinition.adverseEvents`) first reaches
        /// `grade` at an assessed time.
        case adverseEvent(term: Int, grade: Int)
    }
    public var trigger: Trigger
    public var action: DoseRuleAction
    public init(trigger: Trigger, action: DoseRuleAction) {
        self.trigger = trigger
        self.action = action
    }
}

public struct DoseRuleAction: Sendable {
    public enum Adjustment: Sendable, Equatable {
        /// Later doses × factor.
        case scale(Double)
        /// Later doses + mg.
        case add(Double)
        /// Later doses = mg.
        case set(Double)
    }
    public var adjustment: Adjustment?
    /// Bounds (mg) on the adjusted amount.
    public var minimum: Double?
    public var maximum: Double?
    /// `hold`: skip doses while this condition (over model outputs) holds at the scheduled dose
    /// time; a constant 1 (`hold: true`) holds until a `resume`.
    public var hold: CompiledExpression?
    public var resume: Bool
    public var stop: Bool

    public init(adjustment: Adjustment? = nil, minimum: Double? = nil, maximum: Double? = nil,
                hold: CompiledExpression? = nil, resume: Bool = false, stop: Bool = false) {
        self.adjustment = adjustment
        self.minimum = minimum
        self.maximum = maximum
        self.hold = hold
        self.resume = resume
        self.stop = stop
    }
}
