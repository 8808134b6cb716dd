/// How a dose enters the body (SPEC §2 `route`).
public enum DoseRoute: Sendable, Equatable {
    /// Into the absorption depot: the amount is multiplied by F and enters at `time + TLAG`,
    /// then moves to the central compartment at the first-order rate KA.
    case oral
    /// An instantaneous intravenous dose into the central compartment.
    case bolus
    /// A constant-rate intravenous infusion into the central compartment: `amount / duration`
    /// mg/h from `time` to `time + duration`.
    case infusion(duration: Double)
}

/// One administered dose of one subject: data, as in mrgsolve's dosing records.
public struct Dose: Sendable, Equatable {
    /// Start of the dose in h (the nominal time; oral doses are absorbed from `time + TLAG`).
    public var time: Double
    /// Amount in mg, before bioavailability.
    public var amount: Double
    public var route: DoseRoute
    /// Custom models: the state the dose enters (index into `CustomModel.states`, the protocol's
    /// `into`). `nil`: the PK block, or without one the custom model's `doses_into`. A dose into
    /// a state bypasses F and TLAG: a bolus or oral dose adds its amount at `time`, an infusion
    /// adds amount/duration per hour to the state's derivative.
    public var target: Int?

    public init(time: Double, amount: Double, route: DoseRoute, target: Int? = nil) {
        self.time = time
        self.amount = amount
        self.route = route
        self.target = target
    }
}
