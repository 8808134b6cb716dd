/// A failure reported by a LAPACK routine through its `info` argument, as a typed error.
public enum LinearAlgebraError: Error, Equatable, Sendable, CustomStringConvertible {
    /// `info < 0`: argument number `position` of `routine` had an illegal value (a bug, not data).
    case illegalArgument(routine: String, position: Int)
    /// Cholesky: the leading minor of order `order` (1-based) is not positive definite.
    case notPositiveDefinite(order: Int)
    /// LU or triangular solve: `U(pivot, pivot)` (1-based) is exactly zero.
    case singular(pivot: Int)
    /// Least squares: the matrix does not have full column rank.
    case rankDeficient(column: Int)
    /// An eigenvalue algorithm failed to converge.
    case notConverged(routine: String, info: Int)
    /// Operands whose shapes do not fit together.
    case dimensionMismatch(String)
    /// A non-finite element in the input.
    case nonFinite(routine: String)

    public var description: String {
        switch self {
        case let .illegalArgument(routine, position): return "\(routine): argument \(position) had an illegal value"
        case let .notPositiveDefinite(order): return "matrix is not positive definite (leading minor of order \(order))"
        case let .singular(pivot): return "matrix is singular (zero pivot at \(pivot))"
        case let .rankDeficient(column): return "matrix is rank deficient (column \(column))"
        case let .notConverged(routine, info): return "\(routine) did not converge (info \(info))"
        case let .dimensionMismatch(what): return "dimension mismatch: \(what)"
        case let .nonFinite(routine): return "\(routine): input contains a non-finite value"
        }
    }
}

@inline(__always)
func checkFinite(_ values: [Double], _ routine: String) throws {
    for v in values where !v.isFinite { throw LinearAlgebraError.nonFinite(routine: routine) }
}
