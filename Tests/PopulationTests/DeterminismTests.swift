import Foundation
import Testing
import Population

@Suite("Determinism")
struct DeterminismTests {
    @Test("The same (seed, replicate, subject) gives the same subject, whatever was drawn before and whatever the buffer held")
    func sameKeySameSubject() throws {
        let cohort = try CohortSynthesizer(try InclusionTests.adults())
        var first: [Double] = [], again = [Double](repeating: .nan, count: 99), other: [Double] = []
        try cohort.subject(seed: 41, replicate: 3, subject: 7, into: &first)
        for s in 0..<50 { try cohort.subject(seed: 41, replicate: 3, subject: s, into: &other) }
        try cohort.subject(seed: 41, replicate: 3, subject: 7, into: &again)
        #expect(first == again)
        #expect(again.count == cohort.registerCount)
    }

    @Test("Changing seed, replicate or subject changes the subject")
    func differentKeysDiffer() throws {
        let cohort = try CohortSynthesizer(try InclusionTests.adults())
        var base: [Double] = [], v: [Double] = []
        try cohort.subject(seed: 41, replicate: 3, subject: 7, into: &base)
        for (seed, replicate, subject) in [(UInt64(42), 3, 7), (41, 4, 7), (41, 3, 8)] {
            try cohort.subject(seed: seed, replicate: replicate, subject: subject, into: &v)
            #expect(v[0] != base[0] && v[2] != base[2])
        }
    }

    @Test("Estimating the acceptance rate changes no subject (its own stream)")
    func acceptanceEstimateIsIsolated() throws {
        let cohort = try CohortSynthesizer(try InclusionTests.adults())
        var before: [Double] = [], after: [Double] = []
        try cohort.subject(seed: 5, replicate: 0, subject: 0, into: &before)
        _ = try cohort.acceptanceRate(seed: 5, draws: 1000)
        try cohort.subject(seed: 5, replicate: 0, subject: 0, into: &after)
        #expect(before == after)
    }
}
