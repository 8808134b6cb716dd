/// Advances a `LinearPKSystem` exactly over a step of length h with a constant infusion rate R:
///
///     x(t + h) = Φ(h)·x(t) + Γ(h)·R,   Φ(h) = exp(K·h),   Γ(h) = ∫₀ʰ exp(K·s)·e_central ds,
///
/// both read from one exponential of the augmented matrix [[K·h, e_central·h], [0, 0]] =
/// exp → [[Φ, Γ], [0, 1]] (Van Loan 1978, IEEE Trans. Autom. Control 23:395). The pair is cached
/// per step length: on a grid with doses at grid times, every step has the same length and a
/// subject costs one exponential plus a matrix–vector product per grid point. Exact up to
/// rounding for every parameter set, including KA equal to a disposition rate constant (where
/// the eigen-decomposition is defective and sums of exponentials break down).
///
/// Step lengths that differ by rounding only (k·Δ − (k−1)·Δ) share one cache entry: the
/// transition matrices of two lengths within 1e-12·max(1, h) h differ by far less than the
/// solution's own rounding.
struct LinearPKPropagator {
    let system: LinearPKSystem
    private var rateMatrix: [Double]
    private var augmented: [Double]
    private var exponential: SmallMatrixExponential
    private var cacheLengths: [Double]
    private var cacheTransitions: [[Double]]
    private var cacheInputs: [[Double]]
    private var cacheNext = 0
    private var scratch: [Double]
    private static let cacheCapacity = 8

    init(system: LinearPKSystem) {
        self.system = system
        let n = system.count
        rateMatrix = [Double](repeating: 0, count: n * n)
        augmented = [Double](repeating: 0, count: (n + 1) * (n + 1))
        exponential = SmallMatrixExponential(order: n + 1)
        cacheLengths = [Double](repeating: -1, count: Self.cacheCapacity)
        cacheTransitions = [[Double]](repeating: [Double](repeating: 0, count: n * n), count: Self.cacheCapacity)
        cacheInputs = [[Double]](repeating: [Double](repeating: 0, count: n), count: Self.cacheCapacity)
        scratch = [Double](repeating: 0, count: n)
    }

    /// Sets the subject's rate constants and forgets the cached transition matrices.
    mutating func setRates(_ rates: LinearPKSystem.Rates) {
        system.fillRateMatrix(rates, into: &rateMatrix)
        for k in cacheLengths.indices { cacheLengths[k] = -1 }
        cacheNext = 0
    }

    /// The rate matrix K (row-major), for the steady-state series and for tests.
    var matrix: [Double] { rateMatrix }

    private mutating func entry(for length: Double) -> Int? {
        let tolerance = 1e-12 * max(1, length)
        for k in 0..<Self.cacheCapacity where abs(cacheLengths[k] - length) <= tolerance { return k }
        let n = system.count, m = n + 1
        for k in 0..<(m * m) { augmented[k] = 0 }
        for i in 0..<n {
            for j in 0..<n { augmented[i * m + j] = rateMatrix[i * n + j] * length }
        }
        augmented[system.central * m + n] = length
        guard exponential.exponentiate(&augmented) else { return nil }
        let slot = cacheNext
        cacheNext = (cacheNext + 1) % Self.cacheCapacity
        cacheLengths[slot] = length
        for i in 0..<n {
            for j in 0..<n { cacheTransitions[slot][i * n + j] = augmented[i * m + j] }
            cacheInputs[slot][i] = augmented[i * m + n]
        }
        return slot
    }

    /// Advances `state` (count values) by `length` ≥ 0 h under the constant infusion rate
    /// `infusionRate` (mg/h). Returns false when the rates are not finite.
    mutating func advance(_ state: inout [Double], by length: Double, infusionRate: Double) -> Bool {
        if length <= 0 { return true }
        guard let slot = entry(for: length) else { return false }
        let n = system.count
        cacheTransitions[slot].withUnsafeBufferPointer { phi in
            for i in 0..<n {
                var sum = 0.0
                for j in 0..<n { sum += phi[i * n + j] * state[j] }
                scratch[i] = sum
            }
        }
        if infusionRate != 0 {
            for i in 0..<n { scratch[i] += cacheInputs[slot][i] * infusionRate }
        }
        for i in 0..<n { state[i] = scratch[i] }
        return true
    }

    /// Φ(h) and Γ(h) for one step length (row-major Φ), for the steady-state series.
    mutating func transition(for length: Double) -> (phi: [Double], gamma: [Double])? {
        guard let slot = entry(for: length) else { return nil }
        return (cacheTransitions[slot], cacheInputs[slot])
    }
}
