import Foundation

/// One call of ``ODESolver/integrate(_:from:to:state:outputTimes:initialStepSize:onOutput:)``:
/// the adaptive stepping loop over `[t0, t1]`, method switching, and output at the requested
/// times. Lives only for the duration of the call.
@usableFromInline struct IntervalIntegration {
    @usableFromInline let options: SolverOptions
    @usableFromInline let t0: Double
    @usableFromInline let t1: Double
    @usableFromInline let initialStepSize: Double?

    @usableFromInline var statistics = SolverStatistics()
    @usableFromInline var usedStiffMethod = false
    @usableFromInline var lastAcceptedStepSize: Double?
    @usableFromInline var stepSizeHint: Double?

    @inlinable init(options: SolverOptions, t0: Double, t1: Double, initialStepSize: Double?) {
        self.options = options
        self.t0 = t0
        self.t1 = t1
        self.initialStepSize = initialStepSize
    }

    /// Integrates with the Dormand–Prince state kept by a `Stepper` (see ``DormandPrinceStepper``).
    @inlinable mutating func integrate<System: ODESystem, Times: Sequence<Double>, Stepper: DormandPrinceStepper>(
        _ system: System, _ workspace: StepWorkspace, _ linear: inout RosenbrockLinearSolver,
        state: inout [Double], outputTimes: Times, stepper: Stepper.Type,
        onOutput: (_ t: Double, _ state: UnsafeBufferPointer<Double>) -> Void
    ) throws(ODEError) where Stepper.System == System {
        var w = workspace
        let n = w.n
        for i in 0..<n { w.y[i] = state[i] }
        var times = outputTimes.makeIterator()
        var outputs = PendingOutputs(next: times.next(), previous: t0, end: t1)
        // Outputs at t0 are the initial state itself.
        while let tau = outputs.next, tau <= t0 {
            try outputs.check(tau)
            onOutput(tau, UnsafeBufferPointer(start: w.y, count: n))
            outputs.next = times.next()
        }
        if n == 0 {
            while let tau = outputs.next {
                try outputs.check(tau)
                onOutput(tau, UnsafeBufferPointer(start: w.y, count: 0))
                outputs.next = times.next()
            }
            return
        }
        if t1 > t0 {
            w.evaluate(system, t: t0, at: w.y, into: w.f0)
            statistics.derivativeEvaluations += 1
            guard w.allFinite(w.f0) else { throw .nonFiniteDerivative(t: t0, state: state) }
            try step(system, &w, &linear, stepper: stepper, outputs: &outputs, times: &times, onOutput: onOutput)
        }
        if let tau = outputs.next { throw .invalidOutputTime(tau) }
        for i in 0..<n { state[i] = w.y[i] }
    }

    /// The next requested output time and the checks on the sequence of them.
    @usableFromInline struct PendingOutputs {
        @usableFromInline var next: Double?
        @usableFromInline var previous: Double
        @usableFromInline let end: Double

        @inlinable init(next: Double?, previous: Double, end: Double) {
            self.next = next
            self.previous = previous
            self.end = end
        }

        @inlinable mutating func check(_ tau: Double) throws(ODEError) {
            guard tau.isFinite, tau >= previous, tau <= end else { throw .invalidOutputTime(tau) }
            previous = tau
        }
    }

    @inlinable func currentState(_ w: StepWorkspace) -> [Double] {
        Array(UnsafeBufferPointer(start: w.y, count: w.n))
    }

    /// Hairer's starting step (`HINIT` in `dopri5.f`): make the explicit Euler step's size
    /// `0.01·‖y‖/‖f‖`, then bound it by `(0.01/max(‖f′‖, ‖f‖))^(1/p)` estimated from one more
    /// evaluation of `f`, and by 100 times the first guess.
    @inlinable mutating func hairerInitialStep<System: ODESystem>(_ system: System, _ w: StepWorkspace,
                                                               maximum: Double, order: Double) -> Double {
        let n = w.n
        var dnf = 0.0, dny = 0.0
        for i in 0..<n {
            let scale = options.atol + options.rtol * abs(w.y[i])
            dnf += (w.f0[i] / scale) * (w.f0[i] / scale)
            dny += (w.y[i] / scale) * (w.y[i] / scale)
        }
        var h = (dnf <= 1e-10 || dny <= 1e-10) ? 1e-6 : (dny / dnf).squareRoot() * 0.01
        h = min(h, maximum)
        for i in 0..<n { w.stage[i] = w.y[i] + h * w.f0[i] }
        w.evaluate(system, t: t0 + h, at: w.stage, into: w.scratch)
        statistics.derivativeEvaluations += 1
        var der2 = 0.0
        for i in 0..<n {
            let scale = options.atol + options.rtol * abs(w.y[i])
            let d = (w.scratch[i] - w.f0[i]) / scale
            der2 += d * d
        }
        der2 = der2.squareRoot() / h
        let der12 = max(abs(der2), dnf.squareRoot())
        let h1 = (der12 <= 1e-15 || !der12.isFinite) ? max(1e-6, h * 1e-3) : pow(0.01 / der12, 1 / order)
        return min(100 * h, h1, maximum)
    }

    /// The stepping loop. While the nonstiff method runs, the state lives where `Stepper` keeps
    /// it; the stiff method (from the start, or after the switch) works in the workspace.
    @inlinable mutating func step<System: ODESystem, Times: IteratorProtocol<Double>, Stepper: DormandPrinceStepper>(
        _ system: System, _ w: inout StepWorkspace, _ linear: inout RosenbrockLinearSolver, stepper: Stepper.Type,
        outputs: inout PendingOutputs, times: inout Times,
        onOutput: (_ t: Double, _ state: UnsafeBufferPointer<Double>) -> Void
    ) throws(ODEError) where Stepper.System == System {
        let rtol = options.rtol, atol = options.atol
        let fixed = options.fixedStepSize
        let maximumStep = min(options.maximumStepSize, t1 - t0)
        let detectStiffness = options.method == .auto && fixed == nil
        var stiff = options.method == .stiff
        var detector = StiffnessDetector()

        var h: Double
        if let fixed {
            h = fixed
        } else if let hint = initialStepSize, hint.isFinite, hint > 0 {
            // The step the previous segment ended with, but no longer than Hairer's estimate from
            // the state here: after a dose the solution may change much faster than before it,
            // and a first step fitted to the quiet end of the previous segment could span the
            // new absorption peak with an error the embedded estimate does not see (an emax
            // effect's integral was 3.7e-4 off with rtol 1e-6, docs/performance.md).
            h = min(hint, hairerInitialStep(system, w, maximum: maximumStep, order: stiff ? Rodas4.order : DormandPrince54.order))
        } else {
            h = hairerInitialStep(system, w, maximum: maximumStep, order: stiff ? Rodas4.order : DormandPrince54.order)
        }

        var dormandPrince = Stepper(w)
        // The state reached, for errors.
        func reached(_ w: StepWorkspace, _ dormandPrince: Stepper, stiff: Bool) -> [Double] {
            stiff ? currentState(w) : dormandPrince.currentState(w)
        }

        var t = t0
        var steps = 0
        var previousRejected = false
        var lastTrialNonFinite = false
        var jacobianIsCurrent = false
        var consecutiveSingular = 0
        var acceptedWithCurrentMethod = 0
        // Dormand–Prince PI controller memory (`FACOLD`) and Rodas' Gustafsson memory.
        var previousErrorRatio = 1e-4
        var gustafssonStep = 0.0, gustafssonError = 0.0

        while t < t1 {
            if steps >= options.maximumStepsPerInterval {
                throw .tooManySteps(t: t, state: reached(w, dormandPrince, stiff: stiff), steps: steps)
            }
            if fixed == nil && (0.1 * h <= abs(t) * Double.ulpOfOne || h < options.minimumStepSize || !(h > 0)) {
                if lastTrialNonFinite { throw .nonFiniteState(t: t, state: reached(w, dormandPrince, stiff: stiff)) }
                throw .stepSizeUnderflow(t: t, state: reached(w, dormandPrince, stiff: stiff), stepSize: h)
            }
            var last = false
            if t + 1.01 * h >= t1 {
                h = t1 - t
                last = true
            }
            steps += 1

            let error: Double
            if stiff {
                usedStiffMethod = true
                if !jacobianIsCurrent {
                    guard let evaluations = RosenbrockLinearSolver.formJacobian(system, w, t: t) else {
                        throw .nonFiniteDerivative(t: t, state: currentState(w))
                    }
                    statistics.derivativeEvaluations += evaluations
                    statistics.jacobianEvaluations += 1
                    jacobianIsCurrent = true
                }
                statistics.factorizations += 1
                switch Rodas4.attemptStep(system, w, &linear, t: t, h: h, rtol: rtol, atol: atol) {
                case .singularMatrix:
                    consecutiveSingular += 1
                    if consecutiveSingular > 5 { throw .singularIterationMatrix(t: t, state: currentState(w)) }
                    statistics.rejectedSteps += 1
                    previousRejected = true
                    h *= 0.5
                    continue
                case let .completed(estimate):
                    consecutiveSingular = 0
                    statistics.derivativeEvaluations += 5
                    error = estimate
                }
            } else {
                error = dormandPrince.attemptStep(system, w, t: t, h: h, rtol: rtol, atol: atol)
                statistics.derivativeEvaluations += 6
            }

            guard error.isFinite else {
                if fixed != nil { throw .nonFiniteState(t: t, state: reached(w, dormandPrince, stiff: stiff)) }
                // A stage left the region where f is finite: retreat sharply and try again.
                lastTrialNonFinite = true
                statistics.rejectedSteps += 1
                previousRejected = true
                h *= 0.1
                continue
            }
            lastTrialNonFinite = false

            let accepted = fixed != nil || error <= 1
            var hNew: Double
            if stiff {
                // `rodas.f`: h_new = h / clamp(err^(1/4) / 0.9, 1/6, 5), then Gustafsson's
                // predictive correction using the previous accepted step.
                var factor = max(1.0 / 6.0, min(5.0, pow(error, 1 / Rodas4.order) / 0.9))
                hNew = h / factor
                if accepted {
                    if acceptedWithCurrentMethod > 0 {
                        let predictive = (gustafssonStep / h) * pow(error * error / gustafssonError, 1 / Rodas4.order) / 0.9
                        factor = max(factor, max(1.0 / 6.0, min(5.0, predictive)))
                        hNew = h / factor
                    }
                    gustafssonStep = h
                    gustafssonError = max(1e-2, error)
                } else if acceptedWithCurrentMethod == 0 && steps == 1 {
                    hNew = h * 0.1
                }
            } else {
                // `dopri5.f` PI control: fac = err^(0.2−0.75β) / facold^β, β = 0.04.
                let beta = 0.04
                // A rejected step ignores facold, so its `pow` is only taken after an accepted one.
                let proportional = pow(error, 1 / DormandPrince54.order - 0.75 * beta)
                if accepted {
                    let factor = max(0.1, min(5.0, proportional / pow(previousErrorRatio, beta) / 0.9))
                    hNew = h / factor
                    previousErrorRatio = max(error, 1e-4)
                } else {
                    hNew = h / min(5.0, proportional / 0.9)
                }
            }

            guard accepted else {
                statistics.rejectedSteps += 1
                previousRejected = true
                h = hNew
                continue
            }

            statistics.acceptedSteps += 1
            acceptedWithCurrentMethod += 1
            if previousRejected { hNew = min(hNew, h) }
            previousRejected = false
            let tNew = last ? t1 : t + h

            if stiff { Rodas4.prepareDenseOutput(w) } else { dormandPrince.prepareDenseOutput(w, h: h) }
            while let tau = outputs.next, tau <= tNew {
                try outputs.check(tau)
                let theta: Double? = tau == tNew ? nil : (tau - t) / h
                if stiff {
                    if let theta {
                        DenseOutput.evaluate(w, theta: theta, into: w.output)
                        onOutput(tau, UnsafeBufferPointer(start: w.output, count: w.n))
                    } else {
                        onOutput(tau, UnsafeBufferPointer(start: w.yNew, count: w.n))
                    }
                } else {
                    onOutput(tau, dormandPrince.output(w, theta: theta))
                }
                outputs.next = times.next()
            }

            let becameStiff = !stiff && detectStiffness && dormandPrince.recordAcceptedStep(&detector, w, h: h)
            if stiff {
                swap(&w.y, &w.yNew)
            } else {
                dormandPrince.acceptStep(&w)
                if becameStiff { dormandPrince.store(w) }
            }
            if stiff || becameStiff {
                w.evaluate(system, t: tNew, at: w.y, into: w.f0)
                statistics.derivativeEvaluations += 1
                jacobianIsCurrent = false
            } else {
                dormandPrince.reuseLastStage(&w)  // first same as last
            }
            t = tNew
            guard stiff || becameStiff ? w.allFinite(w.f0) : dormandPrince.derivativeIsFinite(w) else {
                throw .nonFiniteDerivative(t: t, state: reached(w, dormandPrince, stiff: stiff || becameStiff))
            }
            if becameStiff {
                stiff = true
                acceptedWithCurrentMethod = 0
                statistics.stiffSwitches += 1
            }
            lastAcceptedStepSize = h
            stepSizeHint = min(hNew, options.maximumStepSize)
            h = fixed ?? min(hNew, maximumStep)
        }
        if !stiff { dormandPrince.store(w) }
    }
}
