import Foundation
import Solvers

/// y′ = λ·y, y(0) = 1: y(t) = e^{λt}.
struct ExponentialDecay: ODESystem {
    var lambda = -1.0
    var dimension: Int { 1 }
    var isAutonomous: Bool { true }
    func derivatives(t: Double, y: UnsafeBufferPointer<Double>, dydt: UnsafeMutableBufferPointer<Double>) {
        dydt[0] = lambda * y[0]
    }
    func exact(_ t: Double) -> [Double] { [exp(lambda * t)] }
}

/// The damped rotation y′ = [[−0.1, 1], [−1, −0.1]]·y, y(0) = (1, 0):
/// y(t) = e^{−t/10}·(cos t, −sin t).
struct DampedRotation: ODESystem {
    var dimension: Int { 2 }
    var isAutonomous: Bool { true }
    func derivatives(t: Double, y: UnsafeBufferPointer<Double>, dydt: UnsafeMutableBufferPointer<Double>) {
        dydt[0] = -0.1 * y[0] + y[1]
        dydt[1] = -y[0] - 0.1 * y[1]
    }
    func jacobian(t: Double, y: UnsafeBufferPointer<Double>, into jacobian: UnsafeMutableBufferPointer<Double>) -> Bool {
        jacobian[0] = -0.1; jacobian[1] = -1; jacobian[2] = 1; jacobian[3] = -0.1
        return true
    }
    func exact(_ t: Double) -> [Double] { [exp(-0.1 * t) * cos(t), -exp(-0.1 * t) * sin(t)] }
}

/// The non-autonomous y′ = −y + sin t, y(0) = 1: y(t) = 1.5·e^{−t} + (sin t − cos t)/2.
/// Exercises the stiff method's ∂f/∂t term (finite-difference Jacobian, no analytic one).
struct ForcedDecay: ODESystem {
    var dimension: Int { 1 }
    func derivatives(t: Double, y: UnsafeBufferPointer<Double>, dydt: UnsafeMutableBufferPointer<Double>) {
        dydt[0] = -y[0] + sin(t)
    }
    func exact(_ t: Double) -> [Double] { [1.5 * exp(-t) + (sin(t) - cos(t)) / 2] }
}

/// One-compartment PK with first-order absorption (depot, central amount):
/// A_d′ = −ka·A_d, A_c′ = ka·A_d − ke·A_c. After a bolus D into the depot at time 0,
/// A_c(t) = D·ka/(ka − ke)·(e^{−ke·t} − e^{−ka·t}).
struct OneCompartmentOral: ODESystem {
    var ka = 1.2, ke = 0.15
    var dimension: Int { 2 }
    var isAutonomous: Bool { true }
    func derivatives(t: Double, y: UnsafeBufferPointer<Double>, dydt: UnsafeMutableBufferPointer<Double>) {
        dydt[0] = -ka * y[0]
        dydt[1] = ka * y[0] - ke * y[1]
    }
    /// The state `t` after a bolus `dose` into an empty depot and central compartment.
    func afterBolus(_ dose: Double, _ t: Double) -> [Double] {
        [dose * exp(-ka * t), dose * ka / (ka - ke) * (exp(-ke * t) - exp(-ka * t))]
    }
}

/// Robertson's chemical kinetics (Hairer & Wanner, *Solving ODEs II*, §IV.1), the classic
/// stiff test: eigenvalues down to about −10⁴.
struct Robertson: ODESystem {
    var dimension: Int { 3 }
    var isAutonomous: Bool { true }
    func derivatives(t: Double, y: UnsafeBufferPointer<Double>, dydt: UnsafeMutableBufferPointer<Double>) {
        dydt[0] = -0.04 * y[0] + 1e4 * y[1] * y[2]
        dydt[1] = 0.04 * y[0] - 1e4 * y[1] * y[2] - 3e7 * y[1] * y[1]
        dydt[2] = 3e7 * y[1] * y[1]
    }
    func jacobian(t: Double, y: UnsafeBufferPointer<Double>, into j: UnsafeMutableBufferPointer<Double>) -> Bool {
        // Column-major: j[i + 3·k] = ∂fᵢ/∂y_k.
        j[0] = -0.04; j[1] = 0.04; j[2] = 0
        j[3] = 1e4 * y[2]; j[4] = -1e4 * y[2] - 6e7 * y[1]; j[5] = 6e7 * y[1]
        j[6] = 1e4 * y[1]; j[7] = -1e4 * y[1]; j[8] = 0
        return true
    }
}

/// Robertson without an analytic Jacobian, to exercise the finite-difference fallback.
struct RobertsonWithoutJacobian: ODESystem {
    var dimension: Int { 3 }
    var isAutonomous: Bool { true }
    func derivatives(t: Double, y: UnsafeBufferPointer<Double>, dydt: UnsafeMutableBufferPointer<Double>) {
        Robertson().derivatives(t: t, y: y, dydt: dydt)
    }
}


/// y′ = y², y(0) = 1: y(t) = 1/(1 − t), which blows up at t = 1.
struct QuadraticBlowUp: ODESystem {
    var dimension: Int { 1 }
    var isAutonomous: Bool { true }
    func derivatives(t: Double, y: UnsafeBufferPointer<Double>, dydt: UnsafeMutableBufferPointer<Double>) {
        dydt[0] = y[0] * y[0]
    }
}

/// f is NaN once y drops below 0.5 (as a model taking log or √ of a negative quantity would).
struct NaNBelowHalf: ODESystem {
    var dimension: Int { 1 }
    var isAutonomous: Bool { true }
    func derivatives(t: Double, y: UnsafeBufferPointer<Double>, dydt: UnsafeMutableBufferPointer<Double>) {
        dydt[0] = y[0] < 0.5 ? .nan : -1
    }
}

/// The largest relative difference, with a floor on the denominator for components near zero.
func maximumRelativeError(_ a: [Double], _ b: [Double], floor: Double = 1e-300) -> Double {
    zip(a, b).map { abs($0 - $1) / max(abs($1), floor) }.max() ?? 0
}

func maximumAbsoluteError(_ a: [Double], _ b: [Double]) -> Double {
    zip(a, b).map { abs($0 - $1) }.max() ?? 0
}

/// Integrates with `steps` equal steps over [0, end] and returns the state at `end` and the
/// dense-output states at the step midpoints' neighbours `readTimes`.
func solveFixedStep<S: ODESystem>(_ system: S, method: IntegrationMethod, initial: [Double], end: Double,
                                  steps: Int, readTimes: [Double] = []) throws -> (final: [Double], reads: [[Double]]) {
    var solver = ODESolver(dimension: system.dimension,
                           options: SolverOptions(method: method, fixedStepSize: end / Double(steps)))
    var y = initial
    var reads: [[Double]] = []
    try solver.integrate(system, from: 0, to: end, state: &y, outputTimes: readTimes) { _, state in reads.append(Array(state)) }
    return (y, reads)
}
