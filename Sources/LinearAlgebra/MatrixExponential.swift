import Foundation

/// The matrix exponential `exp(A)` by scaling and squaring with the degree-13 Padé approximant
/// (Higham 2005, "The scaling and squaring method for the matrix exponential revisited",
/// SIAM J. Matrix Anal. Appl. 26:1179, Algorithm 2.3 without the lower-degree shortcuts).
///
/// Accurate to a few units of roundoff relative to ‖exp(A)‖ for the small, well-conditioned
/// matrices of compartment models (relative backward error ≤ 2⁻⁵³ by the choice of θ₁₃).
/// The Padé denominator is solved with LAPACK (`dgesv` via `LUFactorization`); products use BLAS.
///
/// ```swift
/// let p = try matrixExponential(Matrix([[-k, 0], [k, 0]]) * t)   // first-order transfer
/// ```
public func matrixExponential(_ a: Matrix) throws -> Matrix {
    guard a.isSquare else { throw LinearAlgebraError.dimensionMismatch("exp needs a square matrix") }
    try checkFinite(a.storage, "expm")
    let n = a.rows
    if n == 0 { return a }
    let b: [Double] = [64764752532480000, 32382376266240000, 7771770303897600, 1187353796428800,
                       129060195264000, 10559470521600, 670442572800, 33522128640, 1323241920,
                       40840800, 960960, 16380, 182, 1]
    let theta13 = 5.371920351148152
    let norm = a.oneNorm
    var s = 0
    if norm > theta13 { s = max(0, Int(ceil(log2(norm / theta13)))) }
    let scaled = a.scaled(by: pow(2.0, -Double(s)))
    let ident = Matrix.identity(n)
    let a2 = try multiply(scaled, scaled)
    let a4 = try multiply(a2, a2)
    let a6 = try multiply(a4, a2)
    let uInner = try multiply(a6, a6.scaled(by: b[13]) + a4.scaled(by: b[11]) + a2.scaled(by: b[9]))
        + a6.scaled(by: b[7]) + a4.scaled(by: b[5]) + a2.scaled(by: b[3]) + ident.scaled(by: b[1])
    let u = try multiply(scaled, uInner)
    let v = try multiply(a6, a6.scaled(by: b[12]) + a4.scaled(by: b[10]) + a2.scaled(by: b[8]))
        + a6.scaled(by: b[6]) + a4.scaled(by: b[4]) + a2.scaled(by: b[2]) + ident.scaled(by: b[0])
    var r = try LUFactorization(v - u).solve(v + u)
    for _ in 0..<s { r = try multiply(r, r) }
    return r
}

extension Matrix {
    /// Every element times `factor`.
    public func scaled(by factor: Double) -> Matrix {
        Matrix(rows: rows, columns: columns, columnMajor: storage.map { $0 * factor })
    }

    public static func + (lhs: Matrix, rhs: Matrix) -> Matrix {
        precondition(lhs.rows == rhs.rows && lhs.columns == rhs.columns, "matrix sizes must match")
        var out = lhs
        for k in out.storage.indices { out.storage[k] += rhs.storage[k] }
        return out
    }

    public static func - (lhs: Matrix, rhs: Matrix) -> Matrix {
        precondition(lhs.rows == rhs.rows && lhs.columns == rhs.columns, "matrix sizes must match")
        var out = lhs
        for k in out.storage.indices { out.storage[k] -= rhs.storage[k] }
        return out
    }
}
