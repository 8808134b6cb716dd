/// Why an integration stopped. Every case that happens during integration carries the time `t`
/// reached and the state there (the last finite, accepted state), so that a caller can report
/// the subject, the time and the parameters that led to it.
public enum ODEError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The step size fell below what the floating-point resolution of `t` (or the configured
    /// ``SolverOptions/minimumStepSize``) allows: the solution is probably singular at `t`
    /// (a finite-time blow-up) or the problem is too stiff for the chosen method.
    case stepSizeUnderflow(t: Double, state: [Double], stepSize: Double)
    /// More than ``SolverOptions/maximumStepsPerInterval`` steps (accepted and rejected) were
    /// attempted in one call.
    case tooManySteps(t: Double, state: [Double], steps: Int)
    /// The state is not finite: the initial state has a NaN or ∞, or every trial step from `t`
    /// produced one, down to the smallest step size. `state` is the last finite state (or the
    /// offending initial state).
    case nonFiniteState(t: Double, state: [Double])
    /// `f(t, y)` or its Jacobian has a NaN or ∞ at a finite state.
    case nonFiniteDerivative(t: Double, state: [Double])
    /// The stiff method's matrix `I/(γh) − J` stayed exactly singular after halving the step
    /// size repeatedly.
    case singularIterationMatrix(t: Double, state: [Double])
    /// The interval does not run forward (`to < from`) or an end point is not finite.
    case invalidInterval(from: Double, to: Double)
    /// An output time lies outside `[from, to]`, is not finite, or comes before the previous one.
    case invalidOutputTime(Double)
    /// The system, the solver and the state vector disagree on the number of states.
    case dimensionMismatch(expected: Int, actual: Int)

    /// The time at which integration stopped, when the error happened during integration.
    public var time: Double? {
        switch self {
        case let .stepSizeUnderflow(t, _, _), let .tooManySteps(t, _, _), let .nonFiniteState(t, _),
             let .nonFiniteDerivative(t, _), let .singularIterationMatrix(t, _):
            return t
        case .invalidInterval, .invalidOutputTime, .dimensionMismatch:
            return nil
        }
    }

    /// The state at ``time``, when the error happened during integration.
    public var state: [Double]? {
        switch self {
        case let .stepSizeUnderflow(_, y, _), let .tooManySteps(_, y, _), let .nonFiniteState(_, y),
             let .nonFiniteDerivative(_, y), let .singularIterationMatrix(_, y):
            return y
        case .invalidInterval, .invalidOutputTime, .dimensionMismatch:
            return nil
        }
    }

    public var description: String {
        switch self {
        case let .stepSizeUnderflow(t, y, h):
            return "ODE step size underflow (h = \(h)) at t = \(t), state \(y)"
        case let .tooManySteps(t, y, steps):
            return "ODE solver took more than \(steps) steps in one interval; stopped at t = \(t), state \(y)"
        case let .nonFiniteState(t, y):
            return "ODE state became non-finite after t = \(t) (last finite state \(y))"
        case let .nonFiniteDerivative(t, y):
            return "ODE right-hand side or Jacobian is not finite at t = \(t), state \(y)"
        case let .singularIterationMatrix(t, y):
            return "stiff ODE solver: singular iteration matrix at t = \(t), state \(y)"
        case let .invalidInterval(from, to):
            return "invalid integration interval [\(from), \(to)]"
        case let .invalidOutputTime(t):
            return "output time \(t) is outside the interval or out of order"
        case let .dimensionMismatch(expected, actual):
            return "ODE dimension mismatch: expected \(expected) states, got \(actual)"
        }
    }
}
