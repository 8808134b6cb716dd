import Foundation

/// `exp(A)` for the small dense matrices of compartment systems (order ≤ ~10), by scaling and
/// squaring with the Padé approximant of degree 3, 5, 7, 9 or 13 chosen from ‖A‖₁ (Higham 2005,
/// "The scaling and squaring method for the matrix exponential revisited", SIAM J. Matrix Anal.
/// Appl. 26:1179, Algorithm 2.3).
///
/// Why not `LinearAlgebra.matrixExponential`: that one allocates a `Matrix` per intermediate and
/// calls BLAS/LAPACK, whose call overhead dominates for 4×4–7×7 matrices; this one works in
/// workspace arrays owned by the value, so a simulator computes one transition matrix per subject
/// without allocating. The result has a relative backward error of about one unit roundoff
/// (the θₘ bounds of Higham's Table 2.3); forward accuracy for the well-conditioned,
/// essentially non-normal-free compartment matrices is a few ulps relative to ‖exp(A)‖.
///
/// Matrices are row-major, `a[i * n + j]`.
struct SmallMatrixExponential {
    let order: Int
    /// A², A⁴, A⁶, A⁸, U, V and a work matrix, n² values each, in one array: the exponential
    /// runs over pointers into it (one uniqueness check per call instead of one per array write,
    /// ~44 per W1 subject before, docs/performance.md item 41).
    private var scratch: [Double]

    init(order: Int) {
        self.order = order
        scratch = [Double](repeating: 0, count: 7 * order * order)
    }

    private static let theta: [Double] = [1.495585217958292e-2, 2.539398330063230e-1, 9.504178996162932e-1,
                                          2.097847961257068e0, 5.371920351148152e0]
    private static let pade3: [Double] = [120, 60, 12, 1]
    private static let pade5: [Double] = [30240, 15120, 3360, 420, 30, 1]
    private static let pade7: [Double] = [17297280, 8648640, 1995840, 277200, 25200, 1512, 56, 1]
    private static let pade9: [Double] = [17643225600, 8821612800, 2075673600, 302702400, 30270240, 2162160,
                                          110880, 3960, 90, 1]
    private static let pade13: [Double] = [64764752532480000, 32382376266240000, 7771770303897600, 1187353796428800,
                                           129060195264000, 10559470521600, 670442572800, 33522128640, 1323241920,
                                           40840800, 960960, 16380, 182, 1]

    /// `c = a·b` (n×n), `c` distinct from `a` and `b`.
    private static func multiply(_ n: Int, _ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, into c: UnsafeMutablePointer<Double>) {
        if n == 5 { return multiply5(a, b, into: c) }
        for i in 0..<n {
            let row = c + i * n
            for j in 0..<n { row[j] = 0 }
            for k in 0..<n {
                let aik = a[i * n + k]
                if aik == 0 { continue }
                let bRow = b + k * n
                for j in 0..<n { row[j] += aik * bRow[j] }
            }
        }
    }

    /// `multiply` for order 5 (a 4-state linear PK system with its infusion column, e.g. the oral
    /// 2-compartment model): each element of a row accumulates in a register instead of in
    /// memory, in the same order (k ascending, terms with aᵢₖ = 0 skipped), so the same bits.
    @inline(__always)
    private static func multiply5(_ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, into c: UnsafeMutablePointer<Double>) {
        for i in 0..<5 {
            var c0 = 0.0, c1 = 0.0, c2 = 0.0, c3 = 0.0, c4 = 0.0
            for k in 0..<5 {
                let aik = a[i * 5 + k]
                if aik == 0 { continue }
                let row = b + k * 5
                c0 += aik * row[0]; c1 += aik * row[1]; c2 += aik * row[2]; c3 += aik * row[3]; c4 += aik * row[4]
            }
            let out = c + i * 5
            out[0] = c0; out[1] = c1; out[2] = c2; out[3] = c3; out[4] = c4
        }
    }

    /// Overwrites `matrix` (row-major, order × order, finite) with its exponential.
    /// Returns false when the Padé denominator is singular (cannot happen for finite input within
    /// the θ bounds; reported rather than trapped).
    mutating func exponentiate(_ matrix: UnsafeMutablePointer<Double>) -> Bool {
        let n = order
        return scratch.withUnsafeMutableBufferPointer { Self.exponentiate(n, matrix, scratch: $0.baseAddress!) }
    }

    /// `exponentiate` over pointers: `matrix` (n × n) in place, `scratch` 7 n² values.
    private static func exponentiate(_ n: Int, _ matrix: UnsafeMutablePointer<Double>, scratch: UnsafeMutablePointer<Double>) -> Bool {
        let size = n * n
        let a2 = scratch, a4 = scratch + size, a6 = scratch + 2 * size, a8 = scratch + 3 * size
        let u = scratch + 4 * size, v = scratch + 5 * size, work = scratch + 6 * size
        var norm = 0.0
        for j in 0..<n {
            var s = 0.0
            for i in 0..<n { s += abs(matrix[i * n + j]) }
            norm = max(norm, s)
        }
        guard norm.isFinite else { return false }
        var degree = 13
        var squarings = 0
        if norm <= Self.theta[0] { degree = 3 }
        else if norm <= Self.theta[1] { degree = 5 }
        else if norm <= Self.theta[2] { degree = 7 }
        else if norm <= Self.theta[3] { degree = 9 }
        else {
            squarings = max(0, Int(ceil(log2(norm / Self.theta[4]))))
            let scale = pow(2.0, -Double(squarings))
            for k in 0..<size { matrix[k] *= scale }
        }
        Self.multiply(n, matrix, matrix, into: a2)
        // work holds the odd polynomial before it is multiplied by A; v the even one.
        for k in 0..<size { work[k] = 0; v[k] = 0 }
        switch degree {
        case 3, 5, 7, 9:
            let b = degree == 3 ? Self.pade3 : degree == 5 ? Self.pade5 : degree == 7 ? Self.pade7 : Self.pade9
            if degree >= 5 { Self.multiply(n, a2, a2, into: a4) }
            if degree >= 7 { Self.multiply(n, a4, a2, into: a6) }
            if degree >= 9 { Self.multiply(n, a6, a2, into: a8) }
            b.withUnsafeBufferPointer { b in
                for k in 0..<size {
                    var odd = b[3] * a2[k], even = b[2] * a2[k]
                    if degree >= 5 { odd += b[5] * a4[k]; even += b[4] * a4[k] }
                    if degree >= 7 { odd += b[7] * a6[k]; even += b[6] * a6[k] }
                    if degree >= 9 { odd += b[9] * a8[k]; even += b[8] * a8[k] }
                    work[k] = odd
                    v[k] = even
                }
                for i in 0..<n { work[i * n + i] += b[1]; v[i * n + i] += b[0] }
            }
        default:
            Self.pade13.withUnsafeBufferPointer { b in
                Self.multiply(n, a2, a2, into: a4)
                Self.multiply(n, a4, a2, into: a6)
                // inner = A6·(b13 A6 + b11 A4 + b9 A2) + b7 A6 + b5 A4 + b3 A2 + b1 I, same for even.
                for k in 0..<size { a8[k] = b[13] * a6[k] + b[11] * a4[k] + b[9] * a2[k] }
                Self.multiply(n, a6, a8, into: work)
                for k in 0..<size { a8[k] = b[12] * a6[k] + b[10] * a4[k] + b[8] * a2[k] }
                Self.multiply(n, a6, a8, into: v)
                for k in 0..<size {
                    work[k] += b[7] * a6[k] + b[5] * a4[k] + b[3] * a2[k]
                    v[k] += b[6] * a6[k] + b[4] * a4[k] + b[2] * a2[k]
                }
                for i in 0..<n { work[i * n + i] += b[1]; v[i * n + i] += b[0] }
            }
        }
        Self.multiply(n, matrix, work, into: u)
        // Solve (V − U)·R = (V + U): a2 ← V − U (factored in place), matrix ← V + U → R.
        for k in 0..<size {
            a2[k] = v[k] - u[k]
            matrix[k] = v[k] + u[k]
        }
        guard Self.luSolveInPlace(n, a2, matrix) else { return false }
        for _ in 0..<squarings {
            Self.multiply(n, matrix, matrix, into: work)
            matrix.update(from: work, count: size)
        }
        return true
    }

    /// Gaussian elimination with partial pivoting on `lhs`, applied to the n columns of `rhs`.
    private static func luSolveInPlace(_ n: Int, _ lhs: UnsafeMutablePointer<Double>, _ rhs: UnsafeMutablePointer<Double>) -> Bool {
        // Order 5 (see `multiply5`) gets its own copy with the order a constant, so its loops
        // are unrolled; the operations and their order are the same, hence the same bits.
        n == 5 ? luSolve(5, lhs, rhs) : luSolve(n, lhs, rhs)
    }

    @inline(__always)
    private static func luSolve(_ n: Int, _ lhs: UnsafeMutablePointer<Double>, _ rhs: UnsafeMutablePointer<Double>) -> Bool {
        for col in 0..<n {
            var pivot = col
            var best = abs(lhs[col * n + col])
            for r in (col + 1)..<max(n, col + 1) where abs(lhs[r * n + col]) > best {
                best = abs(lhs[r * n + col]); pivot = r
            }
            guard best > 0, best.isFinite else { return false }
            if pivot != col {
                for j in 0..<n {
                    swap(&lhs[col * n + j], &lhs[pivot * n + j])
                    swap(&rhs[col * n + j], &rhs[pivot * n + j])
                }
            }
            let diagonal = lhs[col * n + col]
            for r in (col + 1)..<max(n, col + 1) {
                let factor = lhs[r * n + col] / diagonal
                if factor == 0 { continue }
                for j in col..<n { lhs[r * n + j] -= factor * lhs[col * n + j] }
                for j in 0..<n { rhs[r * n + j] -= factor * rhs[col * n + j] }
            }
        }
        for col in stride(from: n - 1, through: 0, by: -1) {
            let diagonal = lhs[col * n + col]
            for j in 0..<n { rhs[col * n + j] /= diagonal }
            for r in 0..<col {
                let factor = lhs[r * n + col]
                if factor == 0 { continue }
                for j in 0..<n { rhs[r * n + j] -= factor * rhs[col * n + j] }
            }
        }
        return true
    }
}
