import Foundation

/// The central concentration of linear PK between two discontinuities as an explicit function
/// of time — what an ODE right-hand side reads instead of integrating the PK (SPEC §4, W2).
///
/// The disposition matrix D of the mammillary model (amounts) is D = F·W with F the symmetric
/// matrix of clearances (−(CL+Q+Q3), Q, Q3 on the central row) and W = diag(1/Vᵢ), so
/// Σ = W^½·F·W^½ is symmetric and D = W^−½·U·Λ·Uᵀ·W^½ with Σ = U·Λ·Uᵀ (real, non-positive
/// eigenvalues λₖ). In the modal coordinates zₖ = Σᵢ Uᵢₖ·Aᵢ/√Vᵢ, with the depot Ad and a constant
/// infusion rate R entering the central compartment (weight wₖ = U₀ₖ/√V1):
///
///     zₖ(τ) = zₖ(0)·e^{λₖτ} + wₖ·(KA·Ad(0)·φ(λₖ, −KA, τ) + R·φ(λₖ, 0, τ)),
///     φ(a, b, τ) = ∫₀^τ e^{a(τ−s)}·e^{b s} ds = (e^{aτ} − e^{bτ})/(a − b)   (τ·e^{aτ} when a = b),
///     C(τ) = Σₖ (U₀ₖ/√V1)·zₖ(τ).
///
/// φ is evaluated as e^{bτ}·τ·expm1(x)/x, x = (a − b)τ, when |x| < 1, which is accurate through
/// the confluent case KA = λₖ (where sums of plain exponentials divide by zero).
struct ConcentrationModes: Sendable {
    let compartments: Int
    private(set) var rates = SIMD4<Double>.zero
    /// U₀ₖ/√V1: modal contribution to C.
    private var outputWeight = SIMD4<Double>.zero
    /// Uᵢₖ/√Vᵢ, row-major (i, k), to project amounts onto modes.
    private var projection = [Double](repeating: 0, count: 9)
    private var absorptionRate = 0.0
    // Per segment: C(τ) = Σₖ initial[k]·e^{λₖτ} + depotTerm[k]·φ(λₖ, −KA, τ) + infusionTerm[k]·φ(λₖ, 0, τ).
    private var initial = SIMD4<Double>.zero
    private var depotTerm = SIMD4<Double>.zero
    private var infusionTerm = SIMD4<Double>.zero
    /// The effect compartment's KE0 and CE at the segment start (see `Curve.effectConcentration`).
    private var effectRate = 0.0
    private var effectInitial = 0.0
    private var symmetric = [Double](repeating: 0, count: 9)
    private var vectors = [Double](repeating: 0, count: 9)

    init(compartments: Int) { self.compartments = compartments }

    /// Sets the subject's disposition (eigen-decomposition of Σ by cyclic Jacobi rotations).
    mutating func setRates(_ r: LinearPKSystem.Rates) {
        let n = compartments
        let volumes = SIMD4(r.centralVolume, r.peripheralVolume[0], r.peripheralVolume[1], 1)  // no heap array per subject
        for i in 0..<9 { symmetric[i] = 0 }
        symmetric[0] = -r.clearance
        for p in 1..<n {
            let q = r.intercompartmentalClearance[p - 1]
            symmetric[0] -= q
            symmetric[p] = q; symmetric[p * 3] = q
            symmetric[p * 3 + p] = -q
        }
        for i in 0..<n { for j in 0..<n { symmetric[i * 3 + j] /= sqrt(volumes[i] * volumes[j]) } }
        Self.jacobiEigen(&symmetric, &vectors, n)
        for k in 0..<n {
            rates[k] = symmetric[k * 3 + k]
            outputWeight[k] = vectors[k] / sqrt(volumes[0])
            for i in 0..<n { projection[i * 3 + k] = vectors[i * 3 + k] / sqrt(volumes[i]) }
        }
        absorptionRate = r.absorptionRate
        effectRate = r.effectRate
    }

    /// Sets the segment's starting amounts (depot, then A1…An), infusion rate and, with an
    /// effect compartment, CE.
    mutating func setSegment(depot: Double, amounts: (Int) -> Double, infusionRate: Double, effect: Double = 0) {
        effectInitial = effect
        for k in 0..<compartments {
            var z = 0.0
            for i in 0..<compartments { z += projection[i * 3 + k] * amounts(i) }
            initial[k] = outputWeight[k] * z
            let w = outputWeight[k] * outputWeight[k]
            depotTerm[k] = w * absorptionRate * depot
            infusionTerm[k] = w * infusionRate
        }
    }

    @inline(__always)
    fileprivate static func phi(_ a: Double, _ ea: Double, _ b: Double, _ eb: Double, _ tau: Double) -> Double {
        let x = (a - b) * tau
        if abs(x) < 1 { return x == 0 ? tau * eb : eb * tau * expm1(x) / x }
        return (ea - eb) / (a - b)
    }

    /// C at τ ≥ 0 after the segment start.
    @inline(__always)
    func concentration(at tau: Double) -> Double { segmentCurve.concentration(at: tau) }

    /// The current segment's C(τ) as a plain value (no arrays): what a right-hand side copies
    /// and calls per evaluation without reference counting.
    var segmentCurve: Curve {
        Curve(compartments: compartments, rates: rates, absorptionRate: absorptionRate, initial: initial,
              depotTerm: depotTerm, infusionTerm: infusionTerm, effectRate: effectRate, effectInitial: effectInitial)
    }

    /// CE at τ ≥ 0 after the segment start (`Curve.effectConcentration`).
    func effectConcentration(at tau: Double) -> Double { segmentCurve.effectConcentration(at: tau) }

    /// The second divided difference of x ↦ e^{xτ} at a, b and c (`ea` = e^{aτ}, …): the
    /// convolution of three exponentials, ∫₀^τ e^{a(τ−s)}·φ(b, c, s) ds. With the nodes sorted
    /// x₀ ≤ x₁ ≤ x₂, it is (φ(x₁, x₂) − φ(x₀, x₁))/(x₂ − x₀) when (x₂ − x₀)·τ ≥ 1 (at most a bit or
    /// two lost to the difference), else e^{x₀τ}·Σₙ₌₂ τⁿ/n!·hₙ₋₂(d₁, d₂) with dᵢ = xᵢ − x₀ ≥ 0 and
    /// hₘ the complete homogeneous symmetric polynomial of degree m (hₘ = d₂·hₘ₋₁ + d₁ᵐ): positive
    /// terms, falling at least as (n − 1)/n!, so through the confluent cases (a = b = c gives
    /// τ²·e^{aτ}/2). (de Boor, "Divided differences", Surveys in Approximation Theory 1, 2005.)
    @inline(__always)
    static func dividedDifference2(_ a: Double, _ ea: Double, _ b: Double, _ eb: Double, _ c: Double, _ ec: Double,
                                   _ tau: Double) -> Double {
        var (x0, e0, x1, e1, x2, e2) = (a, ea, b, eb, c, ec)
        if x0 > x1 { swap(&x0, &x1); swap(&e0, &e1) }
        if x1 > x2 { swap(&x1, &x2); swap(&e1, &e2) }
        if x0 > x1 { swap(&x0, &x1); swap(&e0, &e1) }
        if (x2 - x0) * tau >= 1 {
            return (phi(x1, e1, x2, e2, tau) - phi(x0, e0, x1, e1, tau)) / (x2 - x0)
        }
        let d1 = x1 - x0, d2 = x2 - x0
        var term = tau * tau / 2, h = 1.0, power = 1.0
        var sum = term
        for n in 3...40 {
            power *= d1
            h = d2 * h + power
            term *= tau / Double(n)
            let next = term * h
            sum += next
            if next <= sum * 0x1p-56 { break }
        }
        return e0 * sum
    }

    /// C(τ) of one segment (see the type's documentation).
    struct Curve: Sendable {
        let compartments: Int
        let rates: SIMD4<Double>
        let absorptionRate: Double
        let initial: SIMD4<Double>
        let depotTerm: SIMD4<Double>
        let infusionTerm: SIMD4<Double>
        /// KE0 and CE at the segment start (0 without an effect compartment).
        let effectRate: Double
        let effectInitial: Double

        /// C and CE at τ ≥ 0 (`effectConcentration(at:)`), the exponentials computed once; C with
        /// the same operations in the same order as `concentration(at:)`, so the same number.
        @inline(__always)
        func concentrationAndEffect(at tau: Double) -> (concentration: Double, effect: Double) {
            let ka = absorptionRate, eka = exp(-ka * tau)
            let k = effectRate, ek = exp(-k * tau)
            var c = 0.0, sum = 0.0
            for m in 0..<compartments {
                let lambda = rates[m]
                let e = exp(lambda * tau)
                c += initial[m] * e
                sum += initial[m] * ConcentrationModes.phi(-k, ek, lambda, e, tau)
                if depotTerm[m] != 0 {
                    c += depotTerm[m] * ConcentrationModes.phi(lambda, e, -ka, eka, tau)
                    sum += depotTerm[m] * ConcentrationModes.dividedDifference2(-k, ek, lambda, e, -ka, eka, tau)
                }
                if infusionTerm[m] != 0 {
                    c += infusionTerm[m] * ConcentrationModes.phi(lambda, e, 0, 1, tau)
                    sum += infusionTerm[m] * ConcentrationModes.dividedDifference2(-k, ek, lambda, e, 0, 1, tau)
                }
            }
            let start = effectInitial * ek
            return (c, k == 0 ? start : start + k * sum)
        }

        /// CE at τ ≥ 0 after the segment start, the closed form of dCE/dt = KE0·(C − CE):
        /// CE(τ) = CE(0)·e^{−KE0·τ} + KE0·∫₀^τ e^{−KE0(τ−s)}·C(s) ds, where each of C's terms
        /// convolved once more is a divided difference of x ↦ e^{xτ} one order higher:
        /// aₖ·e^{λₖτ} → aₖ·φ(−KE0, λₖ), bₖ·φ(λₖ, −KA) → bₖ·f[−KE0, λₖ, −KA], cₖ·φ(λₖ, 0) →
        /// cₖ·f[−KE0, λₖ, 0] (`dividedDifference2`; computed with C in `concentrationAndEffect`).
        /// Exact to rounding, like C, where the solver would integrate CE to its tolerance.
        @inline(__always)
        func effectConcentration(at tau: Double) -> Double { concentrationAndEffect(at: tau).effect }

        /// C at τ ≥ 0 after the segment start: the modes' terms added in the order k = 0, 1, …
        /// (written out rather than looped, so every coefficient is read at a constant index;
        /// the same operations in the same order as a loop over `0..<compartments`).
        @inline(__always)
        func concentration(at tau: Double) -> Double {
            let ka = absorptionRate
            let eka = exp(-ka * tau)
            var c = 0.0
            if compartments > 0 { addMode(0, to: &c, tau: tau, ka: ka, eka: eka) }
            if compartments > 1 { addMode(1, to: &c, tau: tau, ka: ka, eka: eka) }
            if compartments > 2 { addMode(2, to: &c, tau: tau, ka: ka, eka: eka) }
            if compartments > 3 { addMode(3, to: &c, tau: tau, ka: ka, eka: eka) }
            return c
        }

        /// Adds mode k's terms to `c`.
        @inline(__always)
        private func addMode(_ k: Int, to c: inout Double, tau: Double, ka: Double, eka: Double) {
            let lambda = rates[k]
            let e = exp(lambda * tau)
            c += initial[k] * e
            if depotTerm[k] != 0 { c += depotTerm[k] * ConcentrationModes.phi(lambda, e, -ka, eka, tau) }
            if infusionTerm[k] != 0 { c += infusionTerm[k] * ConcentrationModes.phi(lambda, e, 0, 1, tau) }
        }
    }

    /// Eigen-decomposition of a symmetric n×n (n ≤ 3, stored with row stride 3) matrix by cyclic
    /// Jacobi rotations (Golub & Van Loan, Matrix Computations, §8.5): on return the diagonal
    /// holds the eigenvalues and the columns of `v` the eigenvectors.
    private static func jacobiEigen(_ a: inout [Double], _ v: inout [Double], _ n: Int) {
        a.withUnsafeMutableBufferPointer { a in v.withUnsafeMutableBufferPointer { v in jacobiEigen(a, v, n) } }
    }

    /// The rotations on the 3×3 buffers (no per-element bounds or uniqueness checks).
    private static func jacobiEigen(_ a: UnsafeMutableBufferPointer<Double>, _ v: UnsafeMutableBufferPointer<Double>, _ n: Int) {
        for i in 0..<9 { v[i] = 0 }
        for i in 0..<n { v[i * 3 + i] = 1 }
        if n == 1 { return }
        for _ in 0..<60 {
            var off = 0.0, scale = 0.0
            for i in 0..<n {
                scale += a[i * 3 + i] * a[i * 3 + i]
                for j in 0..<n where j != i { off += a[i * 3 + j] * a[i * 3 + j] }
            }
            if off <= 1e-34 * scale || off == 0 { return }
            for p in 0..<(n - 1) {
                for q in (p + 1)..<n where a[p * 3 + q] != 0 {
                    let theta = (a[q * 3 + q] - a[p * 3 + p]) / (2 * a[p * 3 + q])
                    let t = (theta >= 0 ? 1.0 : -1.0) / (abs(theta) + sqrt(theta * theta + 1))
                    let c = 1 / sqrt(t * t + 1), s = t * c
                    for k in 0..<n {
                        let akp = a[k * 3 + p], akq = a[k * 3 + q]
                        a[k * 3 + p] = c * akp - s * akq
                        a[k * 3 + q] = s * akp + c * akq
                    }
                    for k in 0..<n {
                        let apk = a[p * 3 + k], aqk = a[q * 3 + k]
                        a[p * 3 + k] = c * apk - s * aqk
                        a[q * 3 + k] = s * apk + c * aqk
                    }
                    for k in 0..<n {
                        let vkp = v[k * 3 + p], vkq = v[k * 3 + q]
                        v[k * 3 + p] = c * vkp - s * vkq
                        v[k * 3 + q] = s * vkp + c * vkq
                    }
                }
            }
        }
    }
}
