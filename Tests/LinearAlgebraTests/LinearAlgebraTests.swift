import Foundation
import Testing
@testable import LinearAlgebra

// Every expected value here is exact by construction (integer matrices with known factors) or a
// closed form (exponentials of diagonal/triangular matrices).

@Suite struct LinearAlgebraTests {
    @Test func librariesOpenAtRunTimeWithOneBLASThread() {
        // OpenBLAS and LAPACKE are opened on first use (here: no `startLoading`, so OpenBLAS
        // started its pool of threads and the loader must have set it back to one).
        LinearAlgebraLibraries.require()
        #expect(LinearAlgebraLibraries.blasThreads == 1)
    }

    @Test func choleskyOfAKnownProduct() throws {
        // L = [[2,0,0],[1,3,0],[-1,2,4]] ⇒ A = L·Lᵀ, exact in binary floating point.
        let l = Matrix([[2, 0, 0], [1, 3, 0], [-1, 2, 4]])
        let a = try multiply(l, l.transposed)
        #expect(a == Matrix([[4, 2, -2], [2, 10, 5], [-2, 5, 21]]))
        let f = try choleskyLower(a)
        for i in 0..<3 { for j in 0..<3 { #expect(abs(f[i, j] - l[i, j]) < 1e-14) } }
    }

    @Test func choleskyReportsTheFailingMinor() {
        let a = Matrix([[1, 0.9, 0.9], [0.9, 1, -0.9], [0.9, -0.9, 1]])
        #expect(throws: LinearAlgebraError.notPositiveDefinite(order: 3)) { try choleskyLower(a) }
        #expect(throws: LinearAlgebraError.nonFinite(routine: "dpotrf")) { try choleskyLower(Matrix([[Double.nan]])) }
    }

    @Test func triangularSolveAndMultiplyInvertEachOther() throws {
        let l = Matrix([[2, 0, 0], [1, 3, 0], [-1, 2, 4]])
        let b = Matrix([[1, 2], [3, 4], [5, 6]])
        let x = try solveLowerTriangular(l, b)
        let back = try multiplyLowerTriangular(l, x)
        for k in b.storage.indices { #expect(abs(back.storage[k] - b.storage[k]) < 1e-14) }
        // Forward substitution by hand for column 1: x1 = 1/2, x2 = (3 − 0.5)/3, x3 = (5 + 0.5 − 2·x2)/4.
        #expect(abs(x[0, 0] - 0.5) < 1e-15)
        #expect(abs(x[1, 0] - 2.5 / 3) < 1e-15)
        #expect(abs(x[2, 0] - (5.5 - 5.0 / 3) / 4) < 1e-15)
    }

    @Test func luSolveRecoversAnIntegerSolution() throws {
        let a = Matrix([[0, 2, 1], [1, 1, 1], [2, 1, 0]])   // needs pivoting (a11 = 0)
        let x = [1.0, -2, 3]
        let b = try multiply(a, x)
        let solved = try solve(a, b)
        for i in 0..<3 { #expect(abs(solved[i] - x[i]) < 1e-14) }
        #expect(throws: LinearAlgebraError.singular(pivot: 2)) { try LUFactorization(Matrix([[1, 2], [2, 4]])) }
    }

    @Test func leastSquaresOnAnExactLine() throws {
        // y = 3 + 2x exactly: β = (3, 2), RSS = 0; (XᵀX)⁻¹ for x = 0,1,2,3 is [[7/10, -3/10], [-3/10, 1/5]].
        let x = Matrix([[1, 0], [1, 1], [1, 2], [1, 3]])
        let fit = try leastSquares(x, [3, 5, 7, 9])
        #expect(abs(fit.coefficients[0] - 3) < 1e-13 && abs(fit.coefficients[1] - 2) < 1e-13)
        #expect(fit.residualSumOfSquares < 1e-24)
        #expect(fit.residualDegreesOfFreedom == 2)
        #expect(abs(fit.unscaledCovariance[0, 0] - 0.7) < 1e-14)
        #expect(abs(fit.unscaledCovariance[0, 1] + 0.3) < 1e-14)
        #expect(abs(fit.unscaledCovariance[1, 1] - 0.2) < 1e-14)
        // Residuals (1, −1, −1, 1) are orthogonal to both columns: β unchanged, RSS = 4.
        let noisy = try leastSquares(x, [4, 4, 6, 10])
        #expect(abs(noisy.coefficients[0] - 3) < 1e-13 && abs(noisy.coefficients[1] - 2) < 1e-13)
        #expect(abs(noisy.residualSumOfSquares - 4) < 1e-12)
        #expect(throws: LinearAlgebraError.self) { try leastSquares(Matrix([[1, 2], [2, 4], [3, 6]]), [1, 2, 3]) }
    }

    @Test func positiveDefiniteSolveAndInverse() throws {
        let a = Matrix([[4, 2, -2], [2, 10, 5], [-2, 5, 21]])
        let x = [1.0, 2, -1]
        let b = try multiply(a, x)
        let solved = try solvePositiveDefinite(a, b)
        for i in 0..<3 { #expect(abs(solved[i] - x[i]) < 1e-13) }
        let inv = try inversePositiveDefinite(a)
        let id = try multiply(a, inv)
        for i in 0..<3 { for j in 0..<3 { #expect(abs(id[i, j] - (i == j ? 1 : 0)) < 1e-14) } }
    }

    @Test func symmetricEigenOfAKnownMatrix() throws {
        // [[2,1],[1,2]] has eigenvalues 1 and 3.
        let (values, vectors) = try symmetricEigen(Matrix([[2, 1], [1, 2]]))
        #expect(abs(values[0] - 1) < 1e-14 && abs(values[1] - 3) < 1e-14)
        #expect(abs(abs(vectors[0, 0]) - 1 / 2.0.squareRoot()) < 1e-14)
    }

    @Test func matrixExponentialClosedForms() throws {
        // Diagonal: exp(diag(d)) = diag(exp(d)), including a large norm that forces squaring.
        let d = try matrixExponential(Matrix.diagonal([-0.5, 1.0, -30.0]))
        #expect(abs(d[0, 0] - exp(-0.5)) < 1e-15)
        #expect(abs(d[1, 1] - exp(1.0)) / exp(1.0) < 1e-14)
        #expect(abs(d[2, 2] - exp(-30.0)) / exp(-30.0) < 1e-12)
        // First-order transfer A → B at rate k: exp([[−k,0],[k,0]]·t) = [[e, 0], [1 − e, 1]], e = exp(−kt).
        let k = 0.7, t = 13.0
        let m = try matrixExponential(Matrix([[-k, 0], [k, 0]]).scaled(by: t))
        let e = exp(-k * t)
        #expect(abs(m[0, 0] - e) / e < 1e-12)
        #expect(abs(m[1, 0] - (1 - e)) < 1e-14)
        #expect(abs(m[1, 1] - 1) < 1e-14 && abs(m[0, 1]) < 1e-15)
        // Nilpotent: exp([[0,1],[0,0]]) = [[1,1],[0,1]].
        let nil2 = try matrixExponential(Matrix([[0, 1], [0, 0]]))
        #expect(abs(nil2[0, 1] - 1) < 1e-15 && abs(nil2[0, 0] - 1) < 1e-15)
    }
}
