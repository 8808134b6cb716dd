import Foundation
import LinearAlgebra

/// A fitted Cox proportional-hazards model.
public struct CoxFit: Sendable, Equatable {
    /// β̂, one per covariate column.
    public var coefficients: [Double]
    /// The inverse of the observed information at β̂ (Var β̂).
    public var covariance: Matrix
    /// The Efron partial log-likelihood at β̂.
    public var logLikelihood: Double
    /// Newton–Raphson iterations used.
    public var iterations: Int
    /// Whether the relative change in log-likelihood fell below 1e-9 within 20 iterations.
    /// (It does not when the likelihood is monotone, e.g. a group without events.)
    public var converged: Bool

    /// √Var β̂ⱼ.
    public func standardError(_ j: Int) -> Double { covariance[j, j].squareRoot() }
}

/// Cox regression (Cox 1972, JRSS B 34:187) with Efron's handling of tied event times (Efron
/// 1977, JASA 72:557), as R's `coxph` (default ties) and lifelines' `CoxPHFitter`.
///
/// The Efron partial log-likelihood over distinct event times tⱼ with event set Dⱼ (dⱼ events) and
/// risk set Rⱼ is ℓ(β) = Σⱼ [Σ_{i∈Dⱼ} ηᵢ − Σ_{r=0}^{dⱼ−1} ln(Σ_{Rⱼ} e^{η} − (r/dⱼ)·Σ_{Dⱼ} e^{η})],
/// η = xᵀβ. Newton–Raphson from β = 0, the step solved through the information matrix
/// (`solvePositiveDefinite`, LAPACK `dposv`), halved while it lowers ℓ; stops when
/// |ℓₖ − ℓₖ₋₁| ≤ 1e-9·|ℓₖ| or after 20 iterations (SPEC §5).
public enum CoxProportionalHazards {
    /// Fits the model to `times` (finite, ≥ 0), `events` (true: observed) and an n×p covariate
    /// matrix. nil when there is no event, when the information matrix is not positive definite
    /// (e.g. a constant covariate, or a coefficient running off to ±∞ on a monotone likelihood,
    /// as with a group without events) or when the likelihood becomes non-finite.
    public static func fit(times: [Double], events: [Bool], covariates: Matrix) -> CoxFit? {
        let n = times.count, p = covariates.columns
        precondition(events.count == n && covariates.rows == n, "times, events and covariate rows must match")
        guard p > 0, events.contains(true) else { return nil }
        // Decreasing time; at a tie the order is irrelevant (a tie group enters the risk set at once).
        let order = times.indices.sorted { (times[$0], $1) > (times[$1], $0) }
        var workspace = EfronWorkspace(covariates: p)
        var beta = [Double](repeating: 0, count: p)
        guard var current = workspace.evaluate(beta: beta, times: times, events: events, x: covariates, order: order) else { return nil }
        var iterations = 0, converged = false
        while iterations < 20 {
            iterations += 1
            guard let step = try? solvePositiveDefinite(current.information, current.score) else { return nil }
            var scale = 1.0
            var candidate: [Double] = beta
            var next: EfronWorkspace.Evaluation? = nil
            for _ in 0..<40 {
                for j in 0..<p { candidate[j] = beta[j] + scale * step[j] }
                if let e = workspace.evaluate(beta: candidate, times: times, events: events, x: covariates, order: order),
                   e.logLikelihood >= current.logLikelihood - 1e-12 * abs(current.logLikelihood) {
                    next = e
                    break
                }
                scale /= 2
            }
            guard let accepted = next else { break }
            let change = abs(accepted.logLikelihood - current.logLikelihood)
            beta = candidate
            current = accepted
            if change <= 1e-9 * abs(accepted.logLikelihood) { converged = true; break }
        }
        guard let covariance = try? inversePositiveDefinite(current.information) else { return nil }
        return CoxFit(coefficients: beta, covariance: covariance, logLikelihood: current.logLikelihood,
                      iterations: iterations, converged: converged)
    }

    /// The hazard ratio of the arm against the control from a one-covariate Cox model (indicator
    /// 1 = arm): HR = e^β̂, Wald interval e^{β̂ ± z·se} at `alternative.intervalConfidence(alpha:)`,
    /// Wald p from β̂/se (two-sided, or one-sided: `greater` H₁: HR > 1, `less` H₁: HR < 1).
    /// Everything nil when either group has no events (SPEC §6) or the fit fails, and under
    /// monotone likelihood (e.g. every event of one group before the other's first), where β̂
    /// diverges and the hazard ratio or its interval is 0 or ∞: the estimate is then undefined.
    public static func compare(times: [Double], events: [Bool], isArm: [Bool], alpha: Double, alternative: Alternative) -> ComparisonResult {
        precondition(times.count == isArm.count, "times and isArm must have equal length")
        var armEvents = 0, controlEvents = 0
        for i in events.indices where events[i] { if isArm[i] { armEvents += 1 } else { controlEvents += 1 } }
        guard armEvents > 0, controlEvents > 0 else { return .undefined }
        let x = Matrix(rows: times.count, columns: 1, columnMajor: isArm.map { $0 ? 1.0 : 0.0 })
        guard let fit = fit(times: times, events: events, covariates: x) else { return .undefined }
        let e = EstimateWithStandardError(estimate: fit.coefficients[0], standardError: fit.standardError(0), degreesOfFreedom: nil)
        guard e.standardError > 0, e.standardError.isFinite else { return .undefined }
        let logScale = EstimateTest.test(e, alpha: alpha, alternative: alternative)
        let result = ComparisonResult(estimate: exp(e.estimate), lower: logScale.lower.map(exp), upper: logScale.upper.map(exp),
                                      pValue: logScale.pValue)
        for value in [result.estimate, result.lower, result.upper] {
            if let v = value, !(v.isFinite && v > 0) { return .undefined }
        }
        return result
    }
}

/// Buffers for one evaluation of the Efron log-likelihood, its score and information, reused
/// across Newton iterations.
struct EfronWorkspace {
    struct Evaluation {
        var logLikelihood: Double
        var score: [Double]
        var information: Matrix
    }

    let p: Int
    var eta: [Double] = []
    var s1: [Double], s2: [Double], d1: [Double], d2: [Double]

    init(covariates p: Int) {
        self.p = p
        s1 = [Double](repeating: 0, count: p); d1 = s1
        s2 = [Double](repeating: 0, count: p * p); d2 = s2
    }

    mutating func evaluate(beta: [Double], times: [Double], events: [Bool], x: Matrix, order: [Int]) -> Evaluation? {
        let n = times.count
        eta = [Double](repeating: 0, count: n)
        var maxEta = -Double.infinity
        for i in 0..<n {
            var e = 0.0
            for j in 0..<p { e += x[i, j] * beta[j] }
            eta[i] = e
            maxEta = max(maxEta, e)
        }
        // Weights e^{η − max η}: a common factor cancels in every ratio and shifts ln(den) by max η
        // per event, which is added back below; it keeps e^{η} from overflowing.
        var loglik = 0.0
        var score = [Double](repeating: 0, count: p)
        var info = Matrix(rows: p, columns: p)
        var s0 = 0.0
        for j in 0..<p { s1[j] = 0 }
        for j in 0..<(p * p) { s2[j] = 0 }
        var k = 0
        while k < n {
            let t = times[order[k]]
            var d = 0
            var d0 = 0.0
            for j in 0..<p { d1[j] = 0 }
            for j in 0..<(p * p) { d2[j] = 0 }
            while k < n && times[order[k]] == t {
                let i = order[k]
                let w = exp(eta[i] - maxEta)
                s0 += w
                for a in 0..<p {
                    let xa = x[i, a]
                    s1[a] += w * xa
                    for b in 0...a { s2[a * p + b] += w * xa * x[i, b] }
                }
                if events[i] {
                    d += 1
                    d0 += w
                    loglik += eta[i] - maxEta
                    for a in 0..<p {
                        let xa = x[i, a]
                        score[a] += xa
                        d1[a] += w * xa
                        for b in 0...a { d2[a * p + b] += w * xa * x[i, b] }
                    }
                }
                k += 1
            }
            guard d > 0 else { continue }
            for r in 0..<d {
                let f = Double(r) / Double(d)
                let den = s0 - f * d0
                guard den > 0 else { return nil }
                loglik -= log(den)
                for a in 0..<p {
                    let ma = (s1[a] - f * d1[a]) / den
                    score[a] -= ma
                    for b in 0...a {
                        let mb = (s1[b] - f * d1[b]) / den
                        info[a, b] += (s2[a * p + b] - f * d2[a * p + b]) / den - ma * mb
                    }
                }
            }
        }
        for a in 0..<p { for b in 0..<a { info[b, a] = info[a, b] } }
        guard loglik.isFinite, score.allSatisfy(\.isFinite), info.storage.allSatisfy(\.isFinite) else { return nil }
        return Evaluation(logLikelihood: loglik, score: score, information: info)
    }
}
