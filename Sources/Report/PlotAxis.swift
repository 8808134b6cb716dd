import Foundation

/// One axis of a plot: a data interval mapped onto a pixel interval, linearly or logarithmically,
/// with tick values at "nice" numbers (1, 2 or 5 × 10^k steps).
struct PlotAxis: Equatable {
    /// The data interval shown.
    let lower: Double
    let upper: Double
    /// The pixels `lower` and `upper` map to (for a y axis, start is the bottom: start > end).
    let pixelStart: Double
    let pixelEnd: Double
    let logarithmic: Bool
    /// Values at which the axis has a tick and a label, ascending, inside [lower, upper].
    let ticks: [Double]

    /// The pixel of `value` (values outside the interval map outside the pixel interval).
    func pixel(_ value: Double) -> Double {
        let fraction: Double
        if logarithmic {
            fraction = (Foundation.log(value) - Foundation.log(lower)) / (Foundation.log(upper) - Foundation.log(lower))
        } else {
            fraction = (value - lower) / (upper - lower)
        }
        return pixelStart + fraction * (pixelEnd - pixelStart)
    }

    /// A linear axis whose interval covers `values` (and `alsoInclude`, e.g. a null line at 0)
    /// and is widened to whole tick steps; about `targetTickCount` ticks. An empty or one-point
    /// set of values is widened to an interval around it.
    static func linear(covering values: [Double], alsoInclude: [Double] = [], pixelStart: Double, pixelEnd: Double,
                       targetTickCount: Int = 6) -> PlotAxis {
        let all = values + alsoInclude
        var low = all.min() ?? 0
        var high = all.max() ?? 1
        if low == high {
            let pad = low == 0 ? 1 : low.magnitude / 10
            low -= pad
            high += pad
        }
        // The step is also at least 2^-50 of the largest magnitude, so that the tick indices
        // below stay where consecutive integers are distinct doubles: values that differ only
        // in their last digits (1e17 and 1e17 + 16) would otherwise give indices near 2^53,
        // where adding 1 changes nothing, and the ticks would never end.
        let magnitude = Swift.max(low.magnitude, high.magnitude)
        let step = niceStep(atLeast: Swift.max((high - low) / Double(targetTickCount), magnitude * 0x1p-50))
        let first = (low / step).rounded(.down)
        let last = (high / step).rounded(.up)
        guard step.isFinite, step > 0, first.isFinite, last.isFinite, last - first <= Double(100 * targetTickCount) else {
            // Values spanning more than the doubles' range: the two ends only.
            return PlotAxis(lower: low, upper: high, pixelStart: pixelStart, pixelEnd: pixelEnd, logarithmic: false, ticks: [low, high])
        }
        let ticks = stride(from: first, through: last, by: 1).map { $0 * step }
        return PlotAxis(lower: first * step, upper: last * step, pixelStart: pixelStart, pixelEnd: pixelEnd,
                        logarithmic: false, ticks: ticks)
    }

    /// A linear axis over exactly [lower, upper] with ticks every `step` (e.g. survival 0…1).
    static func fixed(lower: Double, upper: Double, step: Double, pixelStart: Double, pixelEnd: Double) -> PlotAxis {
        let count = Int(((upper - lower) / step).rounded())
        let ticks = (0...count).map { lower + Double($0) * step }
        return PlotAxis(lower: lower, upper: upper, pixelStart: pixelStart, pixelEnd: pixelEnd, logarithmic: false,
                        ticks: ticks)
    }

    /// A logarithmic axis covering the positive `values` and `alsoInclude`, padded by 15 % on each
    /// side (as a factor). Ticks are powers of ten, or 1-2-5 or 1-1.5-2-3-5-7 multiples of them —
    /// the sparsest set with at least three ticks inside — else linear nice ticks (narrow ranges).
    static func logarithmic(covering values: [Double], alsoInclude: [Double] = [], pixelStart: Double,
                            pixelEnd: Double) -> PlotAxis {
        let all = (values + alsoInclude).filter { $0 > 0 && $0.isFinite }
        let low = (all.min() ?? 0.5) / 1.15
        let high = (all.max() ?? 2) * 1.15
        let lowExponent = decimalExponent(low) ?? 0
        let highExponent = decimalExponent(high) ?? 0
        var ticks: [Double] = []
        for mantissas in [[1.0], [1, 2, 5], [1, 1.5, 2, 3, 5, 7]] {
            var candidates: [Double] = []
            for exponent in lowExponent...highExponent where abs(exponent) <= largestDecimalExponent {
                for mantissa in mantissas {
                    // Dividing by an exact 10^k gives the correctly rounded tick (5 / 100 is 0.05).
                    let tick = exponent >= 0 ? mantissa * powerOfTen(exponent) : mantissa / powerOfTen(-exponent)
                    if tick >= low && tick <= high { candidates.append(tick) }
                }
            }
            if candidates.count >= 3 {
                ticks = candidates
                break
            }
        }
        if ticks.isEmpty {
            let step = niceStep(atLeast: (high - low) / 5)
            let first = (low / step).rounded(.up)
            let last = (high / step).rounded(.down)
            ticks = first <= last ? stride(from: first, through: last, by: 1).map { $0 * step } : []
        }
        return PlotAxis(lower: low, upper: high, pixelStart: pixelStart, pixelEnd: pixelEnd, logarithmic: true,
                        ticks: ticks)
    }

    /// The smallest of 1, 2, 5 × 10^k that is ≥ `rawStep` (> 0).
    static func niceStep(atLeast rawStep: Double) -> Double {
        guard let exponent = decimalExponent(rawStep) else { return 1 }
        let base = powerOfTen(exponent)
        for multiple in [1.0, 2, 5] where multiple * base >= rawStep {
            return multiple * base
        }
        return 10 * base
    }
}
