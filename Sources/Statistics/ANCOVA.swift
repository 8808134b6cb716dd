import Foundation
import LinearAlgebra

/// Analysis of covariance on the baseline (SPEC §5 `ANCOVA`): one ordinary least-squares model
///
///     value = β₀ + Σₖ βₖ·[group = k] + γ·baseline + ε,   k = 1…armCount (treatment coding),
///
/// fitted to the control (group 0) and every arm at once, so all arms share the residual
/// variance σ̂² = RSS/(n − p). Arm k's comparison is βₖ with standard error √(σ̂²·[(XᵀX)⁻¹]ₖₖ)
/// and t on the residual degrees of freedom (as statsmodels `ols("value ~ C(arm) + base")` or
/// R's `lm`). The fit goes through `LinearAlgebra.leastSquares` (QR, LAPACK `dgels`).
public enum ANCOVA {
    /// Per arm 1…armCount (element k − 1), βₖ with its standard error and residual df.
    ///
    /// An arm with no subjects is left out of the model and gets nil. A baseline that the groups
    /// already explain — constant within every group (all 0, as C before the first dose), up to
    /// R's relative tolerance: Σ(b − b̄_group)² ≤ (1e-7)²·Σb² — is aliased with the intercept and
    /// arm columns and left out, as R's `lm` leaves it out (its coefficient NA): the arms'
    /// coefficients are then those of `value ~ arm` alone. Everything is nil when the control has
    /// no subjects, when the design is otherwise rank deficient, when no residual degree of
    /// freedom is left, or when the fit is exact (RSS ≤ 1e-20·Σ(y − ȳ)², i.e. residuals that are
    /// rounding only).
    /// `groups[i]` must lie in 0…armCount; values and baselines must be finite.
    public static func fit(values: [Double], baselines: [Double], groups: [Int], armCount: Int) -> [EstimateWithStandardError?] {
        precondition(values.count == baselines.count && values.count == groups.count, "values, baselines and groups must have equal length")
        var result = [EstimateWithStandardError?](repeating: nil, count: armCount)
        var counts = [Int](repeating: 0, count: armCount + 1)
        for g in groups {
            precondition(g >= 0 && g <= armCount, "group index out of range")
            counts[g] += 1
        }
        guard counts[0] > 0 else { return result }
        // Column of each present arm in X (intercept is column 0, baseline the last).
        var column = [Int](repeating: -1, count: armCount + 1)
        var p = 1
        for k in stride(from: 1, through: armCount, by: 1) where counts[k] > 0 { column[k] = p; p += 1 }
        let aliased = baselineIsAliased(baselines, groups: groups, groupCount: armCount + 1)
        let baselineColumn = p
        if !aliased { p += 1 }
        let n = values.count
        guard n > p else { return result }
        var x = Matrix(rows: n, columns: p)
        for i in 0..<n {
            x[i, 0] = 1
            if groups[i] > 0 { x[i, column[groups[i]]] = 1 }
            if !aliased { x[i, baselineColumn] = baselines[i] }
        }
        guard let fit = try? leastSquares(x, values) else { return result }
        let df = fit.residualDegreesOfFreedom
        // An exact fit leaves only rounding in the residuals; treat a residual SD below 1e-10 of
        // the total SD as no variance rather than report a meaningless, tiny standard error.
        let centred = GroupMoments(values)
        let totalSumOfSquares = centred.variance * Double(n - 1)
        guard df > 0, fit.residualSumOfSquares > 1e-20 * totalSumOfSquares else { return result }
        let sigma2 = fit.residualSumOfSquares / Double(df)
        for k in stride(from: 1, through: armCount, by: 1) where column[k] > 0 {
            let j = column[k]
            let se = (sigma2 * fit.unscaledCovariance[j, j]).squareRoot()
            guard se > 0, se.isFinite else { continue }
            result[k - 1] = EstimateWithStandardError(estimate: fit.coefficients[j], standardError: se, degreesOfFreedom: Double(df))
        }
        return result
    }

    /// Whether the baseline column lies in the span of the intercept and the group indicators (it
    /// is constant within each group) to R's tolerance for `lm`'s QR: what is left of it after
    /// the group means, √Σ(b − b̄_group)², is at most 1e-7 of its norm √Σb² (a column of zeros too).
    static func baselineIsAliased(_ baselines: [Double], groups: [Int], groupCount: Int) -> Bool {
        var sums = [CompensatedSum](repeating: CompensatedSum(), count: groupCount)
        var counts = [Int](repeating: 0, count: groupCount)
        for (b, g) in zip(baselines, groups) { sums[g].add(b); counts[g] += 1 }
        let means = sums.indices.map { counts[$0] > 0 ? sums[$0].value / Double(counts[$0]) : 0 }
        var within = CompensatedSum(), total = CompensatedSum()
        for (b, g) in zip(baselines, groups) {
            within.add((b - means[g]) * (b - means[g]))
            total.add(b * b)
        }
        return within.value <= 1e-14 * total.value
    }

    /// Per arm: βₖ, the t interval at `alternative.intervalConfidence(alpha:)` and the p-value
    /// (two-sided or one-sided in the direction of `alternative`). `.undefined` where `fit` is nil.
    public static func compare(values: [Double], baselines: [Double], groups: [Int], armCount: Int,
                               alpha: Double, alternative: Alternative) -> [ComparisonResult] {
        fit(values: values, baselines: baselines, groups: groups, armCount: armCount).map { e in
            guard let e else { return .undefined }
            return EstimateTest.test(e, alpha: alpha, alternative: alternative)
        }
    }
}
