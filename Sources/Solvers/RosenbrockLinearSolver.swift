import LinearAlgebra

/// The Jacobian and the linear algebra of one Rosenbrock step: `J = ∂f/∂y` (analytic, or forward
/// differences as in Hairer's `rodas.f`), `∂f/∂t` for non-autonomous systems, and the LU
/// factorization of `W = I/(γh) − J` through ``LinearAlgebra/LUFactorization`` (LAPACK
/// `dgetrf`/`dgetrs`).
///
/// The matrix and right-hand side arrays are kept between steps. `LUFactorization.init` itself
/// allocates its factor and pivot arrays, so a stiff step costs two small allocations; that is
/// the one exception to the no-allocation rule of the stepping loop (see the module report).
@usableFromInline struct RosenbrockLinearSolver: Sendable {
    @usableFromInline var matrix: Matrix
    @usableFromInline var rightHandSide: [Double]
    @usableFromInline var factorization: LUFactorization?

    @inlinable init(dimension n: Int) {
        matrix = Matrix(rows: n, columns: n)
        rightHandSide = [Double](repeating: 0, count: n)
        factorization = nil
    }

    /// Forms `J` (into `w.jacobian`) and, unless the system is autonomous, `∂f/∂t` (into
    /// `w.timeDerivative`) at `(t, w.y)`, given `w.f0 = f(t, y)`. Returns the number of `f`
    /// evaluations spent, or `nil` when a value is not finite.
    @inlinable static func formJacobian<System: ODESystem>(_ system: System, _ w: StepWorkspace, t: Double) -> Int? {
        let n = w.n
        var evaluations = 0
        let analytic = system.jacobian(t: t, y: UnsafeBufferPointer(start: w.y, count: n),
                                       into: UnsafeMutableBufferPointer(start: w.jacobian, count: n * n))
        if !analytic {
            // Hairer's increment √(u·max(10⁻⁵, |yⱼ|)), u the unit roundoff.
            for j in 0..<n {
                let saved = w.y[j]
                let delta = (Double.ulpOfOne * max(1e-5, abs(saved))).squareRoot()
                w.y[j] = saved + delta
                w.evaluate(system, t: t, at: w.y, into: w.scratch)
                evaluations += 1
                w.y[j] = saved
                let column = w.jacobian + j * n
                for i in 0..<n { column[i] = (w.scratch[i] - w.f0[i]) / delta }
            }
        }
        for i in 0..<(n * n) where !w.jacobian[i].isFinite { return nil }
        if !system.isAutonomous {
            let delta = (Double.ulpOfOne * max(1e-5, abs(t))).squareRoot()
            w.evaluate(system, t: t + delta, at: w.y, into: w.scratch)
            evaluations += 1
            for i in 0..<n {
                w.timeDerivative[i] = (w.scratch[i] - w.f0[i]) / delta
                if !w.timeDerivative[i].isFinite { return nil }
            }
        }
        return evaluations
    }

    /// Factors `diagonal·I − J`; returns `false` when the matrix is exactly singular.
    @inlinable mutating func factor(_ w: StepWorkspace, diagonal: Double) -> Bool {
        let n = w.n
        matrix.storage.withUnsafeMutableBufferPointer { m in
            for k in 0..<(n * n) { m[k] = -w.jacobian[k] }
            for i in 0..<n { m[i + i * n] += diagonal }
        }
        do {
            factorization = try LUFactorization(matrix)
            return true
        } catch {
            factorization = nil
            return false
        }
    }

    /// Overwrites `v` (length `n`) with `W⁻¹·v` using the current factorization.
    @inlinable mutating func solve(_ v: UnsafeMutablePointer<Double>) {
        let n = rightHandSide.count
        for i in 0..<n { rightHandSide[i] = v[i] }
        // The factorization has the right order and finite entries, so `dgetrs` cannot fail;
        // a failure would leave NaN behind, which the step's finiteness check rejects.
        do { try factorization?.solve(&rightHandSide) } catch { for i in 0..<n { rightHandSide[i] = .nan } }
        for i in 0..<n { v[i] = rightHandSide[i] }
    }
}
