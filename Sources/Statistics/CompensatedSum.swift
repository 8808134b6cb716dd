/// A running sum with Neumaier's compensation (Neumaier 1974, ZAMM 54:39, an improvement of
/// Kahan summation): the rounding error of each addition is carried separately, so the result is
/// accurate to about one rounding of the exact sum whatever the order of magnitudes, and —
/// because it only depends on the values and their order — reproducible run to run.
public struct CompensatedSum: Sendable, Equatable {
    private var sum = 0.0
    private var compensation = 0.0

    public init() {}

    /// A sum carried on from `parts` of another (the same state: adding the same values next
    /// gives the same bits as if they had been added to that sum).
    public init(sum: Double, compensation: Double) {
        self.sum = sum
        self.compensation = compensation
    }

    /// The running sum and its compensation (`value` is their sum).
    public var parts: (sum: Double, compensation: Double) { (sum, compensation) }

    public var value: Double { sum + compensation }

    public mutating func add(_ x: Double) {
        let t = sum + x
        if abs(sum) >= abs(x) {
            compensation += (sum - t) + x
        } else {
            compensation += (x - t) + sum
        }
        sum = t
    }

    /// The mean of the `count` values added, held within their range (`meanWithinRange`).
    public func mean(count: Int, minimum: Double, maximum: Double) -> Double {
        meanWithinRange(sum: value, count: count, minimum: minimum, maximum: maximum)
    }

    /// The compensated sum of a sequence, in its order.
    public static func of<S: Sequence>(_ values: S) -> Double where S.Element == Double {
        var s = CompensatedSum()
        for v in values { s.add(v) }
        return s.value
    }
}

/// The mean of `count` values (> 0) from their sum, held within their range [minimum, maximum].
/// Dividing the sum rounds: for values all equal, or nearly, the quotient can land an ulp
/// outside their range — a mean above the maximum, and for a constant group a spurious variance
/// (~1e-31) that would make a test SPEC calls undefined ("no variance") come out defined. The
/// exact mean lies within the range, so holding it there only ever moves it closer. A NaN stays
/// NaN.
@inline(__always)
public func meanWithinRange(sum: Double, count: Int, minimum: Double, maximum: Double) -> Double {
    Swift.min(Swift.max(sum / Double(count), minimum), maximum)
}
