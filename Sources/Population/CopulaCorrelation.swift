import LinearAlgebra

/// The Gaussian-copula correlation of the continuous covariates as its Cholesky factor L
/// (R = L·Lᵀ), so that L·z with z ~ N(0, I) has correlation R.
///
/// Stored packed, row by row (row i holds L[i, 0…i]), for an in-place, allocation-free product.
struct CopulaCorrelation: Sendable {
    /// Packed lower triangle of L; empty when R = I (no correlations: nothing to multiply).
    let packedFactor: [Double]
    let order: Int

    /// `continuous` maps the copula's order to covariate indices (file order of the continuous
    /// covariates). Validates each entry, then factors R with LAPACK `dpotrf`.
    init(spec: PopulationSpec, continuous: [Int]) throws(PopulationError) {
        order = continuous.count
        let names = spec.covariates.map(\.name)
        var position = [Int: Int]()
        for (k, index) in continuous.enumerated() { position[index] = k }
        var r = Matrix.identity(order)
        var given = [Int: Double]()   // keyed by k·order + l with k < l
        for c in spec.correlations {
            let first = names.indices.contains(c.first) ? names[c.first] : "#\(c.first)"
            let second = names.indices.contains(c.second) ? names[c.second] : "#\(c.second)"
            func fail(_ reason: String) -> PopulationError { .invalidCorrelation(first: first, second: second, reason: reason) }
            guard names.indices.contains(c.first), names.indices.contains(c.second) else { throw fail("unknown covariate") }
            guard let k = position[c.first], let l = position[c.second] else {
                throw fail("categorical covariates are drawn independently and take no correlation")
            }
            guard k != l else { throw fail("a covariate cannot be correlated with itself") }
            guard c.rho.isFinite, c.rho > -1, c.rho < 1 else { throw fail("ρ must lie strictly between −1 and 1, got \(c.rho)") }
            let key = Swift.min(k, l) * order + Swift.max(k, l)
            if let previous = given[key], previous != c.rho { throw fail("given twice, as \(previous) and \(c.rho)") }
            given[key] = c.rho
            r[k, l] = c.rho
            r[l, k] = c.rho
        }
        if given.isEmpty { packedFactor = []; return }
        let l: Matrix
        do {
            l = try choleskyLower(r)
        } catch let LinearAlgebraError.notPositiveDefinite(minor) {
            throw .correlationsNotPositiveDefinite(
                covariates: Self.offending(failingAt: minor - 1, correlation: r).map { names[continuous[$0]] })
        } catch {
            // The entries were checked finite and the matrix square: dpotrf can only report the above.
            throw .correlationsNotPositiveDefinite(covariates: continuous.map { names[$0] })
        }
        var packed: [Double] = []
        packed.reserveCapacity(order * (order + 1) / 2)
        for i in 0..<order { for j in 0...i { packed.append(l[i, j]) } }
        packedFactor = packed
    }

    /// Cholesky fails at the first leading minor that is not positive: covariate `k` cannot be
    /// correlated as asked with those before it. The culprits are `k` and every earlier covariate
    /// linked to it through non-zero correlations within the first k + 1 (its connected component),
    /// in file order.
    static func offending(failingAt k: Int, correlation r: Matrix) -> [Int] {
        var inComponent = [Bool](repeating: false, count: k + 1)
        inComponent[k] = true
        var frontier = [k]
        while let i = frontier.popLast() {
            for j in 0...k where !inComponent[j] && r[i, j] != 0 {
                inComponent[j] = true
                frontier.append(j)
            }
        }
        return (0...k).filter { inComponent[$0] }
    }

    /// Replaces z (stored at `slots` of `values`, in copula order) by L·z, in place: row i of the
    /// product reads z₀…zᵢ only, so going from the last row up never reads an overwritten entry.
    @inline(__always)
    func correlate(_ values: inout [Double], slots: [Int]) {
        guard !packedFactor.isEmpty else { return }
        var rowStart = order * (order - 1) / 2
        for i in stride(from: order - 1, through: 0, by: -1) {
            var sum = 0.0
            for j in 0...i { sum += packedFactor[rowStart + j] * values[slots[j]] }
            values[slots[i]] = sum
            rowStart -= i
        }
    }
}
