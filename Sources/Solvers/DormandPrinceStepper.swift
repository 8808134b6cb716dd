/// Where the stepping loop (``IntervalIntegration``) keeps the Dormand–Prince state and stages:
/// in the ``StepWorkspace`` for any dimension (``WorkspaceDormandPrince``), or in plain values
/// for a ``ScalarODESystem`` (``ScalarDormandPrince``). The loop, the step-size controller and
/// the stiffness test are the same for both; so are the expressions of each component (the
/// helpers of ``DormandPrince54``, ``DenseOutput`` and ``StiffnessDetector``), so both give the
/// same numbers.
///
/// Before the first step the accepted state and `f(t₀, y₀)` are in the workspace (`w.y`,
/// `w.f0`). The stiff method works in the workspace only: on the switch the loop calls
/// ``store(_:)`` to put the accepted state there.
@usableFromInline protocol DormandPrinceStepper {
    associatedtype System: ODESystem

    /// Starts from `w.y` and `w.f0`.
    init(_ w: StepWorkspace)

    /// One trial step of size `h` from the accepted state at `t`; the weighted RMS error, or
    /// NaN when a stage or the solution is not finite (``DormandPrince54/attemptStep(_:_:t:h:rtol:atol:)``).
    mutating func attemptStep(_ system: System, _ w: StepWorkspace, t: Double, h: Double, rtol: Double, atol: Double) -> Double

    /// Fills the dense-output coefficients of the trial step just accepted.
    mutating func prepareDenseOutput(_ w: StepWorkspace, h: Double)

    /// The state at `t + θ·h` from the dense output, or the step's solution when `theta` is
    /// nil; valid until the next call.
    func output(_ w: StepWorkspace, theta: Double?) -> UnsafeBufferPointer<Double>

    /// Hairer's stiffness test on the trial step just accepted.
    func recordAcceptedStep(_ detector: inout StiffnessDetector, _ w: StepWorkspace, h: Double) -> Bool

    /// Makes the accepted trial solution the current state.
    mutating func acceptStep(_ w: inout StepWorkspace)

    /// Makes the last stage, `f(t + h, yNew)`, the first of the next step (FSAL).
    mutating func reuseLastStage(_ w: inout StepWorkspace)

    /// Writes the current state to `w.y`.
    func store(_ w: StepWorkspace)

    /// Whether the first stage of the next step is finite.
    func derivativeIsFinite(_ w: StepWorkspace) -> Bool

    /// The current state (for errors).
    func currentState(_ w: StepWorkspace) -> [Double]
}

/// Dormand–Prince in the workspace, for any ``ODESystem``.
@usableFromInline struct WorkspaceDormandPrince<System: ODESystem>: DormandPrinceStepper {
    @inlinable init(_ w: StepWorkspace) {}

    @inlinable func attemptStep(_ system: System, _ w: StepWorkspace, t: Double, h: Double, rtol: Double, atol: Double) -> Double {
        DormandPrince54.attemptStep(system, w, t: t, h: h, rtol: rtol, atol: atol)
    }

    @inlinable func prepareDenseOutput(_ w: StepWorkspace, h: Double) { DormandPrince54.prepareDenseOutput(w, h: h) }

    @inlinable func output(_ w: StepWorkspace, theta: Double?) -> UnsafeBufferPointer<Double> {
        guard let theta else { return UnsafeBufferPointer(start: w.yNew, count: w.n) }
        DenseOutput.evaluate(w, theta: theta, into: w.output)
        return UnsafeBufferPointer(start: w.output, count: w.n)
    }

    @inlinable func recordAcceptedStep(_ detector: inout StiffnessDetector, _ w: StepWorkspace, h: Double) -> Bool {
        detector.recordAcceptedStep(w, h: h)
    }

    @inlinable func acceptStep(_ w: inout StepWorkspace) { swap(&w.y, &w.yNew) }
    @inlinable func reuseLastStage(_ w: inout StepWorkspace) { swap(&w.f0, &w.k7) }
    @inlinable func store(_ w: StepWorkspace) {}
    @inlinable func derivativeIsFinite(_ w: StepWorkspace) -> Bool { w.allFinite(w.f0) }
    @inlinable func currentState(_ w: StepWorkspace) -> [Double] { Array(UnsafeBufferPointer(start: w.y, count: w.n)) }
}

/// Dormand–Prince for one state, kept in plain values (registers) instead of the workspace:
/// no loops over arrays, no pointer traffic. Each quantity is computed by the same expression
/// as in ``WorkspaceDormandPrince`` (the shared helpers of ``DormandPrince54``), and
/// `f(t, y) = derivative(forcing(at: t), y)`, so the results are bit-identical. The one saving
/// in evaluations of the forcing is exact too: stages 6 and 7 are both at `t + h` (the same
/// expression, so the same `Double`), and the forcing depends on `t` alone.
@usableFromInline struct ScalarDormandPrince<System: ScalarODESystem>: DormandPrinceStepper {
    /// The accepted state and `f` there (the first stage).
    @usableFromInline var y: Double, f0: Double
    /// The trial step: stage 6's argument, the solution and the stages k₂…k₇.
    @usableFromInline var stage = 0.0, yNew = 0.0
    @usableFromInline var k2 = 0.0, k3 = 0.0, k4 = 0.0, k5 = 0.0, k6 = 0.0, k7 = 0.0
    /// Dense-output coefficients of the last accepted step.
    @usableFromInline var dense: (Double, Double, Double, Double, Double) = (0, 0, 0, 0, 0)

    @inlinable init(_ w: StepWorkspace) {
        y = w.y[0]
        f0 = w.f0[0]
    }

    @inlinable mutating func attemptStep(_ system: System, _ w: StepWorkspace, t: Double, h: Double,
                                         rtol: Double, atol: Double) -> Double {
        typealias DP = DormandPrince54
        // The forcings do not depend on the state: taking them all first lets their (libm)
        // evaluations overlap instead of each waiting for the previous stage.
        let forcing2 = system.forcing(at: t + DP.c2 * h)
        let forcing3 = system.forcing(at: t + DP.c3 * h)
        let forcing4 = system.forcing(at: t + DP.c4 * h)
        let forcing5 = system.forcing(at: t + DP.c5 * h)
        let end = system.forcing(at: t + h)
        let s2 = DP.stage2(y, h, f0)
        k2 = system.derivative(forcing2, y: s2)
        let s3 = DP.stage3(y, h, f0, k2)
        k3 = system.derivative(forcing3, y: s3)
        let s4 = DP.stage4(y, h, f0, k2, k3)
        k4 = system.derivative(forcing4, y: s4)
        let s5 = DP.stage5(y, h, f0, k2, k3, k4)
        k5 = system.derivative(forcing5, y: s5)
        stage = DP.stage6(y, h, f0, k2, k3, k4, k5)
        k6 = system.derivative(end, y: stage)
        yNew = DP.solution(y, h, f0, k3, k4, k5, k6)
        k7 = system.derivative(end, y: yNew)
        var sum = 0.0
        let r = DP.weightedError(h, f0, k3, k4, k5, k6, k7, y: y, yNew: yNew, rtol: rtol, atol: atol)
        sum += r * r
        if !yNew.isFinite || !k7.isFinite { return .nan }
        return (sum / Double(1)).squareRoot()
    }

    @inlinable @inline(__always) mutating func prepareDenseOutput(_ w: StepWorkspace, h: Double) {
        dense = DormandPrince54.denseCoefficients(y: y, yNew: yNew, h: h, f0, k3, k4, k5, k6, k7)
    }

    @inlinable @inline(__always) func output(_ w: StepWorkspace, theta: Double?) -> UnsafeBufferPointer<Double> {
        if let theta {
            w.output[0] = DenseOutput.value(dense.0, dense.1, dense.2, dense.3, dense.4, theta: theta, theta1: 1 - theta)
        } else {
            w.output[0] = yNew
        }
        return UnsafeBufferPointer(start: w.output, count: 1)
    }

    @inlinable @inline(__always) func recordAcceptedStep(_ detector: inout StiffnessDetector, _ w: StepWorkspace, h: Double) -> Bool {
        var numerator = 0.0, denominator = 0.0
        let dk = k7 - k6
        let dy = yNew - stage
        numerator += dk * dk
        denominator += dy * dy
        return detector.recordAcceptedStep(numerator: numerator, denominator: denominator, h: h)
    }

    @inlinable mutating func acceptStep(_ w: inout StepWorkspace) { y = yNew }
    @inlinable mutating func reuseLastStage(_ w: inout StepWorkspace) { f0 = k7 }
    @inlinable func store(_ w: StepWorkspace) { w.y[0] = y }
    @inlinable func derivativeIsFinite(_ w: StepWorkspace) -> Bool { f0.isFinite }
    @inlinable func currentState(_ w: StepWorkspace) -> [Double] { [y] }
}
