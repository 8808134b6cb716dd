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
///
/// A class: it is a work area owned by one `ModelSimulator` (one thread), mutated in place for
/// every step; a value type here costs copy-on-write checks and retains in the innermost loop.
final class LinearPKPropagator {
    let system: LinearPKSystem
    private var rateMatrix: [Double]
    /// [K·h, e_central·h; 0, 0] ((n + 1)², row-major), exponentiated in place: raw storage like
    /// the cache (as an array it cost uniqueness and exclusivity checks per element written).
    private let augmented: UnsafeMutablePointer<Double>
    private var exponential: SmallMatrixExponential
    private let cacheLengths: UnsafeMutablePointer<Double>
    private var lastSlot = 0
    /// Entry e: Φ at cachePhi[e·n² ..< (e+1)·n²] (row-major), Γ at cacheGamma[e·n ..< (e+1)·n].
    /// Raw storage owned by this object: the step loop reads it without exclusivity checks.
    private let cachePhi: UnsafeMutablePointer<Double>
    private let cacheGamma: UnsafeMutablePointer<Double>
    private let work: UnsafeMutablePointer<Double>
    private var cacheNext = 0
    private static let cacheCapacity = 8

    init(system: LinearPKSystem) {
        self.system = system
        let n = system.count
        rateMatrix = [Double](repeating: 0, count: n * n)
        augmented = .allocate(capacity: (n + 1) * (n + 1))
        augmented.initialize(repeating: 0, count: (n + 1) * (n + 1))
        exponential = SmallMatrixExponential(order: n + 1)
        cacheLengths = .allocate(capacity: Self.cacheCapacity)
        cacheLengths.initialize(repeating: -1, count: Self.cacheCapacity)
        cachePhi = .allocate(capacity: Self.cacheCapacity * n * n)
        cachePhi.initialize(repeating: 0, count: Self.cacheCapacity * n * n)
        cacheGamma = .allocate(capacity: Self.cacheCapacity * n)
        cacheGamma.initialize(repeating: 0, count: Self.cacheCapacity * n)
        work = .allocate(capacity: max(1, 2 * n))
        work.initialize(repeating: 0, count: max(1, 2 * n))
    }

    deinit {
        augmented.deallocate()
        cachePhi.deallocate()
        cacheLengths.deallocate()
        cacheGamma.deallocate()
        work.deallocate()
    }

    /// Sets the subject's rate constants and forgets the cached transition matrices.
    func setRates(_ rates: LinearPKSystem.Rates) {
        system.fillRateMatrix(rates, into: &rateMatrix)
        for k in 0..<Self.cacheCapacity { cacheLengths[k] = -1 }
        cacheNext = 0
    }

    /// The rate matrix K (row-major), for the steady-state series and for tests.
    var matrix: [Double] { rateMatrix }

    private func entry(for length: Double) -> Int? {
        let tolerance = 1e-12 * max(1, length)
        if abs(cacheLengths[lastSlot] - length) <= tolerance { return lastSlot }
        for k in 0..<Self.cacheCapacity where abs(cacheLengths[k] - length) <= tolerance { lastSlot = k; return k }
        let n = system.count, m = n + 1
        let augmented = self.augmented
        augmented.update(repeating: 0, count: m * m)
        rateMatrix.withUnsafeBufferPointer { rates in
            for i in 0..<n {
                for j in 0..<n { augmented[i * m + j] = rates[i * n + j] * length }
            }
        }
        augmented[system.central * m + n] = length
        guard exponential.exponentiate(augmented) else { return nil }
        let slot = cacheNext
        cacheNext = (cacheNext + 1) % Self.cacheCapacity
        cacheLengths[slot] = length
        lastSlot = slot
        for i in 0..<n {
            for j in 0..<n { cachePhi[slot * n * n + i * n + j] = augmented[i * m + j] }
            cacheGamma[slot * n + i] = augmented[i * m + n]
        }
        return slot
    }

    /// Advances `state` (count values) by `length` ≥ 0 h under the constant infusion rate
    /// `infusionRate` (mg/h). Returns false when the rates are not finite.
    func advance(_ state: inout [Double], by length: Double, infusionRate: Double) -> Bool {
        if length <= 0 { return true }
        guard let slot = entry(for: length) else { return false }
        let n = system.count
        let phi = cachePhi + slot * n * n
        let gamma = cacheGamma + slot * n
        let current = work, next = work + n
        state.withUnsafeMutableBufferPointer { x in
            for j in 0..<n { current[j] = x[j] }
            for i in 0..<n {
                var sum = infusionRate == 0 ? 0 : gamma[i] * infusionRate
                for j in 0..<n { sum += phi[i * n + j] * current[j] }
                next[i] = sum
            }
            for i in 0..<n { x[i] = next[i] }
        }
        return true
    }

    /// Φ(h) and Γ(h) of the cache entry for `length` (> 0), as pointers into the cache: valid
    /// until the next `setRates` or the next lookup of a length not in the cache. The same entry
    /// `advance(_:by:infusionRate:)` uses, so stepping with it gives the same numbers.
    @inline(__always)
    func transitionPointers(for length: Double) -> (phi: UnsafePointer<Double>, gamma: UnsafePointer<Double>)? {
        guard let slot = entry(for: length) else { return nil }
        let n = system.count
        return (UnsafePointer(cachePhi + slot * n * n), UnsafePointer(cacheGamma + slot * n))
    }

    /// x ← Φ·x + Γ·R in place: the arithmetic of `advance` term by term (same order, so the
    /// same rounding), unrolled for the common orders 3 to 5.
    @inline(__always)
    static func step(_ x: UnsafeMutablePointer<Double>, count n: Int, phi: UnsafePointer<Double>,
                     gamma: UnsafePointer<Double>, infusionRate r: Double) {
        switch n {
        case 4:
            let x0 = x[0], x1 = x[1], x2 = x[2], x3 = x[3]
            let s0 = r == 0 ? 0 : gamma[0] * r, s1 = r == 0 ? 0 : gamma[1] * r
            let s2 = r == 0 ? 0 : gamma[2] * r, s3 = r == 0 ? 0 : gamma[3] * r
            x[0] = s0 + phi[0] * x0 + phi[1] * x1 + phi[2] * x2 + phi[3] * x3
            x[1] = s1 + phi[4] * x0 + phi[5] * x1 + phi[6] * x2 + phi[7] * x3
            x[2] = s2 + phi[8] * x0 + phi[9] * x1 + phi[10] * x2 + phi[11] * x3
            x[3] = s3 + phi[12] * x0 + phi[13] * x1 + phi[14] * x2 + phi[15] * x3
        case 3:
            let x0 = x[0], x1 = x[1], x2 = x[2]
            let s0 = r == 0 ? 0 : gamma[0] * r, s1 = r == 0 ? 0 : gamma[1] * r, s2 = r == 0 ? 0 : gamma[2] * r
            x[0] = s0 + phi[0] * x0 + phi[1] * x1 + phi[2] * x2
            x[1] = s1 + phi[3] * x0 + phi[4] * x1 + phi[5] * x2
            x[2] = s2 + phi[6] * x0 + phi[7] * x1 + phi[8] * x2
        case 5:
            let x0 = x[0], x1 = x[1], x2 = x[2], x3 = x[3], x4 = x[4]
            for i in 0..<5 {
                let row = phi + 5 * i
                let s = r == 0 ? 0 : gamma[i] * r
                x[i] = s + row[0] * x0 + row[1] * x1 + row[2] * x2 + row[3] * x3 + row[4] * x4
            }
        default:
            withUnsafeTemporaryAllocation(of: Double.self, capacity: n) { current in
                for j in 0..<n { current[j] = x[j] }
                for i in 0..<n {
                    var sum = r == 0 ? 0 : gamma[i] * r
                    for j in 0..<n { sum += phi[i * n + j] * current[j] }
                    x[i] = sum
                }
            }
        }
    }

    /// Φ(h) and Γ(h) for one step length (row-major Φ), for the steady-state series.
    func transition(for length: Double) -> (phi: [Double], gamma: [Double])? {
        guard let slot = entry(for: length) else { return nil }
        let n = system.count
        return (Array(UnsafeBufferPointer(start: cachePhi + slot * n * n, count: n * n)),
                Array(UnsafeBufferPointer(start: cacheGamma + slot * n, count: n)))
    }
}
