import Testing
import Sampling
@testable import Statistics

// The reference is the standard library's own `sorted()`: the radix sort must give the same
// doubles in the same order, bit for bit (including which zero comes first).

@Suite struct AscendingDoublesTests {
    private func bits(_ values: [Double]) -> [UInt64] { values.map(\.bitPattern) }

    /// The first index where the two sorts differ in bits (nil: identical), so that a failure
    /// names a position rather than printing both arrays.
    private func firstDifference(_ values: [Double]) -> Int? {
        let ours = bits(AscendingDoubles.sorted(values)), reference = bits(values.sorted())
        if ours.count != reference.count { return -1 }
        return ours.indices.first { ours[$0] != reference[$0] }
    }

    private func check(_ values: [Double], _ comment: Comment) {
        #expect(firstDifference(values) == nil, comment)
    }

    @Test func matchesSortedOnEveryKindOfDouble() {
        var random = RandomStream(seed: 7, replicate: 1, subject: 0, stream: .covariates)
        let specials: [Double] = [0, -0.0, .infinity, -.infinity, .leastNonzeroMagnitude, -.leastNonzeroMagnitude,
                                  .leastNormalMagnitude, -.greatestFiniteMagnitude, .greatestFiniteMagnitude, 1, -1, 0.5]
        for size in [0, 1, 2, 2_047, 2_048, 2_049, 5_000, 20_000] {
            // Log-normal (one sign, narrow exponents), normal (both signs), raw bit patterns (every
            // exponent), and few distinct values with both zeros (ties).
            let lognormal = (0..<size).map { _ in random.nextLogNormal(meanlog: 0, sdlog: 0.3) }
            check(lognormal, "log-normal, \(size) values")
            let normal = (0..<size).map { _ in random.nextNormal() }
            check(normal, "normal, \(size) values")
            let raw = (0..<size).map { _ -> Double in
                var x = Double(bitPattern: random.nextUInt64())
                while x.isNaN { x = Double(bitPattern: random.nextUInt64()) }
                return x
            }
            check(raw, "raw bit patterns, \(size) values")
            let ties = (0..<size).map { _ in specials[random.nextIndex(below: specials.count)] }
            check(ties, "specials with ties, \(size) values")
        }
    }

    @Test func zerosKeepTheirInputOrder() {
        // 2,400 values (over the radix threshold): +0 and −0 alternating after a block of negatives and before positives.
        var values: [Double] = []
        for i in 0..<2_400 { values.append(i % 3 == 0 ? -Double(i) - 1 : (i % 3 == 1 ? (i % 2 == 0 ? 0.0 : -0.0) : Double(i))) }
        let sorted = AscendingDoubles.sorted(values)
        let zeros = values.filter { $0 == 0 }
        let negatives = values.filter { $0 < 0 }.count
        #expect(bits(Array(sorted[negatives..<negatives + zeros.count])) == bits(zeros), "the zeros' signs in input order")
        check(values, "alternating zeros")
    }

    @Test func arraysWithNaNAreLeftToSorted() {
        var values = (0..<3_000).map { Double(($0 * 7919) % 1_000) }
        values[500] = .nan
        values[10] = -.nan
        check(values, "NaN")
        // A NaN found last: every key made before it in the array's own storage is turned back
        // into its value (`sort` works in place) before `sort()` takes over.
        var late = (0..<3_000).map { Double(($0 * 7919) % 1_000) - 500 }
        late[1_234] = -0.0
        late[2_999] = .nan
        check(late, "a NaN last")
        var sortedInPlace = late
        AscendingDoubles.sort(&sortedInPlace)
        #expect(bits(sortedInPlace) == bits(late.sorted()))
    }

    @Test func summaryOfALargeSampleIsThatOfTheSortedValues() {
        var random = RandomStream(seed: 11, replicate: 1, subject: 0, stream: .covariates)
        let values = (0..<10_000).map { _ in random.nextNormal(mean: 3, sd: 2) }
        #expect(SampleSummary(values) == SampleSummary(sorted: values.sorted()))
    }
}
