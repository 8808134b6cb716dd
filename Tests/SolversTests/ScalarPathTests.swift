import Foundation
import Testing
import Solvers

/// R′ = kin·(1 − f(t)) − kout·R, driven by an inhibition fraction f(t) = imax·c/(ic50 + c) of a
/// Bateman-shaped c(t): the shape of an indirect-response model.
struct ForcedTurnover: ScalarODESystem {
    var kin = 10.0, kout = 0.1, imax = 0.9, ic50 = 1.0
    var dose = 5.0, absorption = 1.0, elimination = 0.1

    func forcing(at t: Double) -> Double {
        let c = dose * (exp(-elimination * t) - exp(-absorption * t))
        return imax * c / (ic50 + c)
    }

    func derivative(_ fraction: Double, y: Double) -> Double { kin * (1 - fraction) - kout * y }
}

/// y′ = y² + f(t): blows up in finite time.
struct ForcedBlowUp: ScalarODESystem {
    func forcing(at t: Double) -> Double { 0.1 * sin(t) }
    func derivative(_ forcing: Double, y: Double) -> Double { y * y + forcing }
}

/// A ``ScalarODESystem`` seen only through `derivatives(t:y:dydt:)`, so the solver takes its
/// general (workspace) path.
struct GeneralPath<Scalar: ScalarODESystem>: ODESystem {
    var scalar: Scalar
    var dimension: Int { 1 }
    func derivatives(t: Double, y: UnsafeBufferPointer<Double>, dydt: UnsafeMutableBufferPointer<Double>) {
        scalar.derivatives(t: t, y: y, dydt: dydt)
    }
}

/// Everything one run leaves behind, with the numbers as bit patterns.
struct RunRecord: Equatable, CustomStringConvertible {
    var outputs: [UInt64] = []
    var finalStates: [UInt64] = []
    var hints: [UInt64?] = []
    var lastStepSizes: [UInt64?] = []
    var statistics = SolverStatistics()
    var usedStiffMethod: [Bool] = []
    var error: String?

    var description: String {
        "\(outputs.count) outputs, \(statistics), stiff \(usedStiffMethod), error \(error ?? "none")"
    }
}

typealias Integrate = (inout ODESolver, _ from: Double, _ to: Double, inout [Double], _ times: [Double], _ hint: Double?,
                       (Double, UnsafeBufferPointer<Double>) -> Void) throws(ODEError) -> Void

/// Integrates segment after segment (restarting like the twins do at doses: the state jumps and
/// the last step-size proposal starts the next segment), reading an hourly grid.
func record(options: SolverOptions, y0: Double, segments: [Double], jump: Double = 0, useHints: Bool = true,
            _ integrate: Integrate) -> RunRecord {
    var run = RunRecord()
    var solver = ODESolver(dimension: 1, options: options)
    var y = [y0]
    var hint: Double?
    for (start, end) in zip(segments, segments.dropFirst()) {
        let times = Array(stride(from: start.rounded(.up), through: end, by: 1))
        do throws(ODEError) {
            try integrate(&solver, start, end, &y, times, useHints ? hint : nil) { _, state in
                run.outputs.append(state[0].bitPattern)
            }
        } catch {
            run.error = "\(error)"
            break
        }
        run.finalStates.append(y[0].bitPattern)
        run.hints.append(solver.stepSizeHint?.bitPattern)
        run.lastStepSizes.append(solver.lastAcceptedStepSize?.bitPattern)
        run.usedStiffMethod.append(solver.lastIntervalUsedStiffMethod)
        hint = solver.stepSizeHint
        y[0] += jump
    }
    run.statistics = solver.statistics
    return run
}

/// The scalar path and the general path on the same system.
func bothPaths<S: ScalarODESystem>(_ system: S, options: SolverOptions, y0: Double, segments: [Double], jump: Double = 0,
                                   useHints: Bool = true) -> (scalar: RunRecord, general: RunRecord) {
    let scalar = record(options: options, y0: y0, segments: segments, jump: jump, useHints: useHints) {
        solver, from, to, y, times, hint, onOutput throws(ODEError) in
        try solver.integrate(system, from: from, to: to, state: &y, outputTimes: times, initialStepSize: hint, onOutput: onOutput)
    }
    let general = record(options: options, y0: y0, segments: segments, jump: jump, useHints: useHints) {
        solver, from, to, y, times, hint, onOutput throws(ODEError) in
        try solver.integrate(GeneralPath(scalar: system), from: from, to: to, state: &y, outputTimes: times,
                             initialStepSize: hint, onOutput: onOutput)
    }
    return (scalar, general)
}

/// The one-state fast path (``ScalarODESystem``) must reproduce the general Dormand–Prince path
/// bit for bit: same outputs, same final states, same step-size proposals and statistics (so the
/// same accepted and rejected steps), through the switch to the stiff method and on failures.
@Suite("Scalar Dormand–Prince path")
struct ScalarPathTests {
    static let daily = (0...7).map { Double($0) * 24 }

    static let turnovers = [
        ForcedTurnover(),
        ForcedTurnover(kin: 3, kout: 0.03, imax: 1, ic50: 0.2, dose: 40, absorption: 2.5, elimination: 0.05),
        ForcedTurnover(kin: 50, kout: 0.5, imax: 0.5, ic50: 3, dose: 2, absorption: 0.1, elimination: 0.1),
    ]

    static func dailyRestarts(_ system: ForcedTurnover) -> (scalar: RunRecord, general: RunRecord) {
        bothPaths(system, options: SolverOptions(rtol: 1e-6, atol: 1e-8), y0: system.kin / system.kout, segments: daily, jump: 1)
    }

    @Test("Daily restarts of a forced turnover", arguments: ScalarPathTests.turnovers)
    func dailyRestarts(system: ForcedTurnover) {
        let (scalar, general) = Self.dailyRestarts(system)
        #expect(general.error == nil)
        #expect(general.outputs.count == 7 * 25)
        #expect(scalar == general)
    }

    /// A run whose steps include rejected ones, so that the comparison covers that branch too.
    /// (Since a segment's first step is at most Hairer's estimate, the daily restarts at rtol
    /// 1e-6 reject none; at 1e-8 the first turnover still has one.)
    @Test("Daily restarts with rejected steps")
    func dailyRestartsRejectSteps() {
        let system = Self.turnovers[0]
        let (scalar, general) = bothPaths(system, options: SolverOptions(rtol: 1e-8, atol: 1e-10), y0: system.kin / system.kout,
                                          segments: Self.daily, jump: 1)
        #expect(general.error == nil)
        #expect(general.statistics.rejectedSteps > 0)
        #expect(scalar == general)
    }

    @Test("Hairer's initial step on every segment, tight and loose tolerances", arguments: [1e-3, 1e-6, 1e-10])
    func initialStepHeuristic(rtol: Double) {
        let options = SolverOptions(rtol: rtol, atol: rtol * 1e-2)
        let (scalar, general) = bothPaths(ForcedTurnover(), options: options, y0: 100, segments: Self.daily, useHints: false)
        #expect(general.error == nil)
        #expect(scalar == general)
    }

    @Test("The stiffness test fires and the run goes on with Rodas4", arguments: [IntegrationMethod.auto, .nonstiff, .stiff])
    func stiffSwitch(method: IntegrationMethod) {
        // kout·h is limited to about 3.3 by stability long after the transient has decayed.
        let system = ForcedTurnover(kin: 2000, kout: 200)
        let options = SolverOptions(rtol: 1e-6, atol: 1e-8, method: method)
        let (scalar, general) = bothPaths(system, options: options, y0: 0, segments: [0, 6, 12, 18])
        #expect(general.error == nil)
        if method == .auto {
            #expect(general.statistics.stiffSwitches > 0, "the case should switch to the stiff method")
            #expect(general.usedStiffMethod.contains(true))
        }
        #expect(scalar == general)
    }

    @Test("Fixed step size")
    func fixedStep() {
        let options = SolverOptions(method: .nonstiff, fixedStepSize: 0.7)
        let (scalar, general) = bothPaths(ForcedTurnover(), options: options, y0: 100, segments: Self.daily)
        #expect(scalar == general)
    }

    @Test("The same error, time and state on a blow-up and on too many steps", arguments: [1_000_000, 40])
    func failures(maximumSteps: Int) {
        let options = SolverOptions(rtol: 1e-6, atol: 1e-8, method: .nonstiff, maximumStepsPerInterval: maximumSteps)
        let (scalar, general) = bothPaths(ForcedBlowUp(), options: options, y0: 1, segments: [0, 0.5, 2])
        #expect(general.error != nil)
        #expect(scalar == general)
    }

    @Test("A forcing that turns infinite fails identically")
    func infiniteForcing() {
        struct Pole: ScalarODESystem {
            func forcing(at t: Double) -> Double { t < 1 ? 0 : .infinity }
            func derivative(_ forcing: Double, y: Double) -> Double { -y + forcing }
        }
        let options = SolverOptions(rtol: 1e-6, atol: 1e-8, method: .nonstiff)
        let (scalar, general) = bothPaths(Pole(), options: options, y0: 1, segments: [0, 2])
        #expect(general.error != nil)
        #expect(scalar == general)
    }
}
