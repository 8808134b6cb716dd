import LinearAlgebra

/// SPEC §3 and §4: a correlation matrix must be positive definite, checked by Cholesky when the
/// file is read so the error can point at the `correlations` block (and be reported with the
/// file's other errors) rather than surfacing when the run starts.
enum CorrelationCheck {
    /// The names involved when the correlation matrix of `names` with the given pairs is not
    /// positive definite: those up to the failing leading minor that take part in a correlation
    /// with it; nil when it is positive definite.
    static func offendingNames(_ names: [String], pairs: [(Int, Int, Double)]) -> [String]? {
        let n = names.count
        guard n > 0, !pairs.isEmpty else { return nil }
        var matrix = Matrix.identity(n)
        for (i, j, rho) in pairs { matrix[i, j] = rho; matrix[j, i] = rho }
        do {
            _ = try choleskyLower(matrix)
            return nil
        } catch LinearAlgebraError.notPositiveDefinite(let order) {
            let failing = order - 1
            var involved: Set<Int> = [failing]
            var grew = true
            while grew {
                grew = false
                for (i, j, _) in pairs where i <= failing && j <= failing {
                    if involved.contains(i) && involved.insert(j).inserted { grew = true }
                    if involved.contains(j) && involved.insert(i).inserted { grew = true }
                }
            }
            return involved.sorted().map { names[$0] }
        } catch {
            return nil
        }
    }
}
