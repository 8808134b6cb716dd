/// A failure while simulating one subject: a numerical failure of the solver, a state that left
/// its domain (a non-positive myelosuppression state), or dosing the model cannot take (an oral
/// dose on a model without absorption). The trial runner adds replicate, subject and parameters.
public struct SimulationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Model time (h) at which the failure happened.
    public var time: Double
    public var message: String

    public init(time: Double, message: String) {
        self.time = time
        self.message = message
    }

    public var description: String { "at t = \(time) h: \(message)" }
}

/// A configuration or protocol setting the model library cannot build (thrown by
/// `CompiledModel.init`, before any subject is simulated).
public struct ModelConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
