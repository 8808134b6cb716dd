import CLinearAlgebra

// Every LAPACK call in the project goes through this file and its neighbours: `info` becomes a
// `LinearAlgebraError`, inputs are checked for NaN/∞ first (LAPACK's behaviour on them is
// undefined), and OpenBLAS is held to one thread because callers already run on Dispatch workers.
// The libraries are opened at run time (CLinearAlgebra): each routine below first makes sure
// they are (`LinearAlgebraLibraries.require`).

private let columnMajor = Int32(LAPACK_COL_MAJOR)
private let lower = CChar(UInt8(ascii: "L"))
private let upper = CChar(UInt8(ascii: "U"))
private let noTranspose = CChar(UInt8(ascii: "N"))
private let transpose = CChar(UInt8(ascii: "T"))
private let nonUnit = CChar(UInt8(ascii: "N"))

/// OpenBLAS and LAPACKE, opened at run time rather than by the dynamic loader at start-up (which
/// cost every process ~8 ms; see docs/performance.md, item 44): by the first routine that needs
/// them, or in vtrial on a thread of their own from before `main` (CStartup). OpenBLAS is held
/// to one thread: VirtualTrial parallelises over subjects with Dispatch, and a pool of BLAS
/// threads as well would oversubscribe the cores.
public enum LinearAlgebraLibraries {
    /// Returns once the libraries are open (at once after the first time). When they cannot be
    /// opened, the process stops here: the reason on standard error, exit status 1. They are as
    /// necessary as they were when the dynamic loader opened them (and stopped the process, with
    /// status 127, without them), and no caller can mistake their absence for a numerical failure.
    /// `vtrial run` calls this before it makes the results folder, so nothing is left behind.
    @inline(__always)
    public static func require() { vt_linalg_require() }

    /// The threads OpenBLAS uses per call once opened (1 here), or nil if it cannot say.
    public static var blasThreads: Int? {
        require()
        let n = vt_linalg_blas_threads()
        return n < 0 ? nil : Int(n)
    }
}

private func lapackInfo(_ info: Int32, _ routine: String, positive: (Int) -> LinearAlgebraError) throws {
    if info < 0 { throw LinearAlgebraError.illegalArgument(routine: routine, position: Int(-info)) }
    if info > 0 { throw positive(Int(info)) }
}

/// The Cholesky factor `L` of a symmetric positive-definite matrix, `A = L·Lᵀ` (LAPACK `dpotrf`).
///
/// Only the lower triangle of `a` is read. The strict upper triangle of the result is zero.
/// Throws `.notPositiveDefinite(order:)` naming the first leading minor that is not positive.
public func choleskyLower(_ a: Matrix) throws -> Matrix {
    guard a.isSquare else { throw LinearAlgebraError.dimensionMismatch("Cholesky needs a square matrix, got \(a.rows)×\(a.columns)") }
    try checkFinite(a.storage, "dpotrf")
    LinearAlgebraLibraries.require()
    var l = a
    let n = Int32(a.rows)
    if n == 0 { return l }
    let info = l.storage.withUnsafeMutableBufferPointer { vt_LAPACKE_dpotrf(columnMajor, lower, n, $0.baseAddress, n) }
    try lapackInfo(info, "dpotrf") { .notPositiveDefinite(order: $0) }
    for j in 0..<a.columns { for i in 0..<j { l[i, j] = 0 } }
    return l
}

/// Solves `L·X = B` for lower-triangular `L` (BLAS `dtrsm`); returns `X`.
public func solveLowerTriangular(_ l: Matrix, _ b: Matrix) throws -> Matrix {
    guard l.isSquare, l.rows == b.rows else { throw LinearAlgebraError.dimensionMismatch("L is \(l.rows)×\(l.columns), B has \(b.rows) rows") }
    for i in 0..<l.rows where l[i, i] == 0 { throw LinearAlgebraError.singular(pivot: i + 1) }
    var x = b
    if b.rows == 0 || b.columns == 0 { return x }
    LinearAlgebraLibraries.require()
    l.storage.withUnsafeBufferPointer { lp in
        x.storage.withUnsafeMutableBufferPointer { xp in
            vt_cblas_dtrsm(CblasColMajor, CblasLeft, CblasLower, CblasNoTrans, CblasNonUnit,
                        Int32(b.rows), Int32(b.columns), 1.0, lp.baseAddress, Int32(l.rows), xp.baseAddress, Int32(b.rows))
        }
    }
    return x
}

/// `L·B` for lower-triangular `L` (BLAS `dtrmm`), the usual way to turn independent standard
/// normals (columns of `B`) into correlated ones.
public func multiplyLowerTriangular(_ l: Matrix, _ b: Matrix) throws -> Matrix {
    guard l.isSquare, l.rows == b.rows else { throw LinearAlgebraError.dimensionMismatch("L is \(l.rows)×\(l.columns), B has \(b.rows) rows") }
    var x = b
    if b.rows == 0 || b.columns == 0 { return x }
    LinearAlgebraLibraries.require()
    l.storage.withUnsafeBufferPointer { lp in
        x.storage.withUnsafeMutableBufferPointer { xp in
            vt_cblas_dtrmm(CblasColMajor, CblasLeft, CblasLower, CblasNoTrans, CblasNonUnit,
                        Int32(b.rows), Int32(b.columns), 1.0, lp.baseAddress, Int32(l.rows), xp.baseAddress, Int32(b.rows))
        }
    }
    return x
}

/// `A·B` (BLAS `dgemm`).
public func multiply(_ a: Matrix, _ b: Matrix) throws -> Matrix {
    guard a.columns == b.rows else { throw LinearAlgebraError.dimensionMismatch("A is \(a.rows)×\(a.columns), B is \(b.rows)×\(b.columns)") }
    var c = Matrix(rows: a.rows, columns: b.columns)
    if a.rows == 0 || b.columns == 0 { return c }
    if a.columns == 0 { return c }
    LinearAlgebraLibraries.require()
    a.storage.withUnsafeBufferPointer { ap in
        b.storage.withUnsafeBufferPointer { bp in
            c.storage.withUnsafeMutableBufferPointer { cp in
                vt_cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, Int32(a.rows), Int32(b.columns), Int32(a.columns),
                            1.0, ap.baseAddress, Int32(a.rows), bp.baseAddress, Int32(b.rows), 0.0, cp.baseAddress, Int32(a.rows))
            }
        }
    }
    return c
}

/// `A·x` (BLAS `dgemv`).
public func multiply(_ a: Matrix, _ x: [Double]) throws -> [Double] {
    guard a.columns == x.count else { throw LinearAlgebraError.dimensionMismatch("A is \(a.rows)×\(a.columns), x has \(x.count) elements") }
    var y = [Double](repeating: 0, count: a.rows)
    if a.rows == 0 || a.columns == 0 { return y }
    LinearAlgebraLibraries.require()
    a.storage.withUnsafeBufferPointer { ap in
        x.withUnsafeBufferPointer { xp in
            y.withUnsafeMutableBufferPointer { yp in
                vt_cblas_dgemv(CblasColMajor, CblasNoTrans, Int32(a.rows), Int32(a.columns), 1.0, ap.baseAddress, Int32(a.rows),
                            xp.baseAddress, 1, 0.0, yp.baseAddress, 1)
            }
        }
    }
    return y
}

/// An LU factorization with partial pivoting, `P·A = L·U` (LAPACK `dgetrf`), reusable for many
/// right-hand sides (`dgetrs`). This is what the stiff ODE solver factors once per step.
public struct LUFactorization: Sendable {
    public let order: Int
    /// `L` and `U` packed as `dgetrf` leaves them.
    public private(set) var factors: [Double]
    public private(set) var pivots: [Int32]

    /// Factors a square matrix. Throws `.singular(pivot:)` when an exact zero pivot appears.
    public init(_ a: Matrix) throws {
        guard a.isSquare else { throw LinearAlgebraError.dimensionMismatch("LU needs a square matrix, got \(a.rows)×\(a.columns)") }
        try checkFinite(a.storage, "dgetrf")
        order = a.rows
        factors = a.storage
        pivots = [Int32](repeating: 0, count: a.rows)
        if order == 0 { return }
        let n = Int32(order)
        LinearAlgebraLibraries.require()
        let info = factors.withUnsafeMutableBufferPointer { f in
            pivots.withUnsafeMutableBufferPointer { p in vt_LAPACKE_dgetrf(columnMajor, n, n, f.baseAddress, n, p.baseAddress) }
        }
        try lapackInfo(info, "dgetrf") { .singular(pivot: $0) }
    }

    /// Overwrites `b` (length `order`) with the solution of `A·x = b`.
    public func solve(_ b: inout [Double]) throws {
        guard b.count == order else { throw LinearAlgebraError.dimensionMismatch("right-hand side has \(b.count) elements, matrix order \(order)") }
        if order == 0 { return }
        let n = Int32(order)
        let info = factors.withUnsafeBufferPointer { f in
            pivots.withUnsafeBufferPointer { p in
                b.withUnsafeMutableBufferPointer { bp in
                    vt_LAPACKE_dgetrs(columnMajor, noTranspose, n, 1, f.baseAddress, n, p.baseAddress, bp.baseAddress, n)
                }
            }
        }
        try lapackInfo(info, "dgetrs") { .singular(pivot: $0) }
    }

    /// Solves `A·X = B` for a matrix of right-hand sides.
    public func solve(_ b: Matrix) throws -> Matrix {
        guard b.rows == order else { throw LinearAlgebraError.dimensionMismatch("B has \(b.rows) rows, matrix order \(order)") }
        var x = b
        if order == 0 || b.columns == 0 { return x }
        let n = Int32(order)
        let info = factors.withUnsafeBufferPointer { f in
            pivots.withUnsafeBufferPointer { p in
                x.storage.withUnsafeMutableBufferPointer { bp in
                    vt_LAPACKE_dgetrs(columnMajor, noTranspose, n, Int32(b.columns), f.baseAddress, n, p.baseAddress, bp.baseAddress, n)
                }
            }
        }
        try lapackInfo(info, "dgetrs") { .singular(pivot: $0) }
        return x
    }
}

/// Solves the square system `A·x = b` (LU with partial pivoting).
public func solve(_ a: Matrix, _ b: [Double]) throws -> [Double] {
    var x = b
    try LUFactorization(a).solve(&x)
    return x
}

/// Solves `A·X = B` for symmetric positive-definite `A` (LAPACK `dposv`), as in a Newton step
/// on a concave log-likelihood.
public func solvePositiveDefinite(_ a: Matrix, _ b: [Double]) throws -> [Double] {
    guard a.isSquare, a.rows == b.count else { throw LinearAlgebraError.dimensionMismatch("A is \(a.rows)×\(a.columns), b has \(b.count) elements") }
    try checkFinite(a.storage, "dposv"); try checkFinite(b, "dposv")
    var f = a.storage
    var x = b
    let n = Int32(a.rows)
    if n == 0 { return x }
    LinearAlgebraLibraries.require()
    let info = f.withUnsafeMutableBufferPointer { fp in
        x.withUnsafeMutableBufferPointer { xp in vt_LAPACKE_dposv(columnMajor, lower, n, 1, fp.baseAddress, n, xp.baseAddress, n) }
    }
    try lapackInfo(info, "dposv") { .notPositiveDefinite(order: $0) }
    return x
}

/// The inverse of a symmetric positive-definite matrix (`dpotrf` + `dpotri`), e.g. the
/// covariance of an estimate from an information matrix.
public func inversePositiveDefinite(_ a: Matrix) throws -> Matrix {
    let l = try choleskyLower(a)
    var f = l.storage
    let n = Int32(a.rows)
    if n == 0 { return l }
    let info = f.withUnsafeMutableBufferPointer { vt_LAPACKE_dpotri(columnMajor, lower, n, $0.baseAddress, n) }
    try lapackInfo(info, "dpotri") { .singular(pivot: $0) }
    var inv = Matrix(rows: a.rows, columns: a.rows, columnMajor: f)
    for j in 0..<a.rows { for i in 0..<j { inv[i, j] = inv[j, i] } }
    return inv
}

/// The result of an ordinary least-squares fit `min ‖X·β − y‖₂`.
public struct LeastSquaresFit: Sendable {
    /// β, one per column of `X`.
    public let coefficients: [Double]
    /// ‖y − X·β‖².
    public let residualSumOfSquares: Double
    /// n − p.
    public let residualDegreesOfFreedom: Int
    /// (XᵀX)⁻¹; multiply by σ̂² = RSS / (n − p) for the covariance of β.
    public let unscaledCovariance: Matrix
}

/// Ordinary least squares through a QR factorization (LAPACK `dgels`), with (XᵀX)⁻¹ = R⁻¹R⁻ᵀ from
/// the triangular factor (`dtrtri`). Requires `rows ≥ columns` and full column rank: a zero on the
/// diagonal of R is reported as `.rankDeficient(column:)`.
public func leastSquares(_ x: Matrix, _ y: [Double]) throws -> LeastSquaresFit {
    let n = x.rows, p = x.columns
    guard y.count == n else { throw LinearAlgebraError.dimensionMismatch("X has \(n) rows, y has \(y.count) elements") }
    guard n >= p, p > 0 else { throw LinearAlgebraError.dimensionMismatch("least squares needs rows ≥ columns > 0, got \(n)×\(p)") }
    try checkFinite(x.storage, "dgels"); try checkFinite(y, "dgels")
    var a = x.storage
    var b = y
    LinearAlgebraLibraries.require()
    let info = a.withUnsafeMutableBufferPointer { ap in
        b.withUnsafeMutableBufferPointer { bp in
            vt_LAPACKE_dgels(columnMajor, noTranspose, Int32(n), Int32(p), 1, ap.baseAddress, Int32(n), bp.baseAddress, Int32(n))
        }
    }
    try lapackInfo(info, "dgels") { .rankDeficient(column: $0) }
    // Guard against numerically (not exactly) singular R as well: relative to the largest pivot.
    var maxDiag = 0.0
    for j in 0..<p { maxDiag = max(maxDiag, abs(a[j + j * n])) }
    for j in 0..<p where abs(a[j + j * n]) <= maxDiag * 1e-13 { throw LinearAlgebraError.rankDeficient(column: j + 1) }
    var r = [Double](repeating: 0, count: p * p)
    for j in 0..<p { for i in 0...j { r[i + j * p] = a[i + j * n] } }
    let tinfo = r.withUnsafeMutableBufferPointer { vt_LAPACKE_dtrtri(columnMajor, upper, nonUnit, Int32(p), $0.baseAddress, Int32(p)) }
    try lapackInfo(tinfo, "dtrtri") { .rankDeficient(column: $0) }
    let rInv = Matrix(rows: p, columns: p, columnMajor: r)
    // (XᵀX)⁻¹ = R⁻¹ R⁻ᵀ
    var cov = Matrix(rows: p, columns: p)
    for i in 0..<p {
        for j in i..<p {
            var s = 0.0
            for k in j..<p { s += rInv[i, k] * rInv[j, k] }
            cov[i, j] = s; cov[j, i] = s
        }
    }
    var rss = 0.0
    for i in p..<n { rss += b[i] * b[i] }
    return LeastSquaresFit(coefficients: Array(b[0..<p]), residualSumOfSquares: rss,
                           residualDegreesOfFreedom: n - p, unscaledCovariance: cov)
}

/// Eigenvalues (ascending) and orthonormal eigenvectors (columns) of a symmetric matrix (`dsyev`).
public func symmetricEigen(_ a: Matrix) throws -> (values: [Double], vectors: Matrix) {
    guard a.isSquare else { throw LinearAlgebraError.dimensionMismatch("eigen needs a square matrix") }
    try checkFinite(a.storage, "dsyev")
    var v = a.storage
    var w = [Double](repeating: 0, count: a.rows)
    let n = Int32(a.rows)
    if n == 0 { return ([], a) }
    LinearAlgebraLibraries.require()
    let info = v.withUnsafeMutableBufferPointer { vp in
        w.withUnsafeMutableBufferPointer { wp in vt_LAPACKE_dsyev(columnMajor, CChar(UInt8(ascii: "V")), lower, n, vp.baseAddress, n, wp.baseAddress) }
    }
    try lapackInfo(info, "dsyev") { .notConverged(routine: "dsyev", info: $0) }
    return (w, Matrix(rows: a.rows, columns: a.rows, columnMajor: v))
}
