import Foundation
import Testing
import VirtualTrial

/// SPEC §5 model-based statistics against independent implementations: ANCOVA (statsmodels OLS)
/// and the time-to-event analysis (lifelines Cox with Efron ties and log-rank; the Kaplan–Meier
/// median by R's rule), recomputed from the run's own endpoints.csv
/// (Fixtures/make_expected_models.py → Fixtures/expected_models.json), to 1e-5.
@Suite("ANCOVA, Cox, log-rank and Kaplan–Meier vs statsmodels/lifelines")
struct ModelStatisticsTests {
    struct Expected: Decodable {
        struct Comparison: Decodable {
            var REPLICATE: Int; var ENDPOINT: String; var ARM: String; var METHOD: String
            var ESTIMATE: Double?; var CI_LOWER: Double?; var CI_UPPER: Double?; var P_VALUE: Double?
        }
        struct Efficacy: Decodable {
            var REPLICATE: Int; var ENDPOINT: String; var ARM: String; var N: Int; var EVENTS: Int; var MEDIAN_TIME: Double?
        }
        var inputs_sha256: [String: String]
        var comparisons: [Comparison]
        var efficacy: [Efficacy]
    }

    static func same(_ field: String?, _ value: Double?) -> Bool {
        guard let value else { return (field ?? "").isEmpty }
        guard let field, let actual = Double(field) else { return false }
        return E2E.close(actual, value, rel: 1e-5, abs: 1e-12)
    }

    @Test("every ANCOVA and COX_PH row and every time-to-event summary matches the reference")
    func matchesReference() throws {
        let expected = try JSONDecoder().decode(Expected.self, from: E2E.bytes(E2E.fixture("expected_models.json")))
        let (folder, result) = try E2E.runFixture("stats-models.yaml", protocolID: "E2E-MODELS")
        defer { E2E.remove(folder.deletingLastPathComponent()) }
        try #require(result.status == 0, "\(result.stderr)")
        try #require(try E2E.sha256(folder.appendingPathComponent("endpoints.csv")) == expected.inputs_sha256["endpoints.csv"],
                     "endpoints.csv changed: if the simulation changed on purpose, regenerate expected_models.json with make_expected_models.py")
        let comparisons = try E2E.csv(folder.appendingPathComponent("comparisons.csv")).records()
        #expect(comparisons.count == expected.comparisons.count)
        for want in expected.comparisons {
            let row = try #require(comparisons.first {
                $0["REPLICATE"] == "\(want.REPLICATE)" && $0["ENDPOINT"] == want.ENDPOINT && $0["ARM"] == want.ARM
            })
            let label = "replicate \(want.REPLICATE) \(want.ENDPOINT) \(want.ARM)"
            #expect(row["METHOD"] == want.METHOD, "\(label)")
            #expect(Self.same(row["ESTIMATE"], want.ESTIMATE), "\(label) ESTIMATE \(row["ESTIMATE"] ?? "") vs \(String(describing: want.ESTIMATE))")
            #expect(Self.same(row["CI_LOWER"], want.CI_LOWER), "\(label) CI_LOWER")
            #expect(Self.same(row["CI_UPPER"], want.CI_UPPER), "\(label) CI_UPPER")
            #expect(Self.same(row["P_VALUE"], want.P_VALUE), "\(label) P_VALUE \(row["P_VALUE"] ?? "") vs \(String(describing: want.P_VALUE))")
        }
        let efficacy = try E2E.csv(folder.appendingPathComponent("efficacy.csv")).records()
        for want in expected.efficacy {
            let row = try #require(efficacy.first {
                $0["REPLICATE"] == "\(want.REPLICATE)" && $0["ENDPOINT"] == want.ENDPOINT && $0["ARM"] == want.ARM
            })
            #expect(row["N"] == "\(want.N)" && row["EVENTS"] == "\(want.EVENTS)")
            #expect(Self.same(row["MEDIAN_TIME"], want.MEDIAN_TIME))
            #expect(row["MEAN"] == "" && row["SD"] == "")
        }
        // The fixture exercises ties (daily assessments), both arms with events and a defined median.
        #expect(expected.comparisons.contains { $0.METHOD == "COX_PH" && $0.ESTIMATE != nil })
        #expect(expected.efficacy.contains { $0.MEDIAN_TIME != nil } || expected.efficacy.contains { $0.EVENTS > 3 })
    }
}

@Suite("Cox under monotone likelihood")
struct CoxMonotoneLikelihoodTests {
    @Test("An infinite hazard ratio is written empty with the log-rank p kept, and the run succeeds")
    func infiniteHazardRatioIsEmpty() throws {
        let (folder, result) = try E2E.runFixture("cox-monotone-likelihood.yaml", protocolID: "E2E-COX-MONOTONE")
        defer { E2E.remove(folder.deletingLastPathComponent()) }
        try #require(result.status == 0, "\(result.stderr)")
        let cox = try E2E.csv(folder.appendingPathComponent("comparisons.csv")).records().filter { $0["METHOD"] == "COX_PH" }
        let undefined = cox.filter { $0["ESTIMATE"] == "" }
        #expect(!undefined.isEmpty, "the fixture must contain a monotone-likelihood replicate")
        for row in undefined {
            #expect(row["CI_LOWER"] == "" && row["CI_UPPER"] == "")
            #expect(!(row["P_VALUE"] ?? "").isEmpty)
            #expect(row["SIGNIFICANT"] == "0")
        }
    }
}
