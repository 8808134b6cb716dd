import Foundation
import Testing
import VirtualTrial

/// The whole chain — cohort, model, residual error, endpoint, Welch test, power over replicates —
/// against theory: a design whose analysed values are N(100, 10²) vs N(108, 10²) with 20 subjects
/// per arm has the noncentral-t power of Fixtures/power-known-effect.json (make_power_reference.py).
@Suite("Power against theory")
struct PowerTheoryTests {
    struct Reference: Decodable {
        var power: Double
        var delta: Double
        var standard_error_of_difference: Double
    }

    @Test("Reported power and mean estimate match the noncentral t within Monte-Carlo error")
    func powerMatchesNoncentralT() throws {
        let reference = try JSONDecoder().decode(Reference.self, from: E2E.bytes(E2E.fixture("power-known-effect.json")))
        let (folder, result) = try E2E.runFixture("power-known-effect.yaml", protocolID: "E2E-POWER")
        defer { E2E.remove(folder.deletingLastPathComponent()) }
        #expect(result.status == 0, "\(result.stderr)")
        let power = try E2E.csv(folder.appendingPathComponent("power.csv")).records()
        let row = try #require(power.first { $0["ENDPOINT"] == "E1" && $0["ARM"] == "active" })
        #expect(row["METHOD"] == "WELCH_T")
        let replicates = Double(try #require(Int(row["REPLICATES"] ?? "")))
        #expect(replicates == 400)
        let observed = try #require(Double(row["POWER"] ?? ""))
        // Binomial standard error of a share of 400 replicates; 3.5 SE leaves a 1-in-2000 chance of
        // a false alarm for a correct engine, while a wrong test statistic or df shifts power by far more.
        let se = (reference.power * (1 - reference.power) / replicates).squareRoot()
        #expect(abs(observed - reference.power) < 3.5 * se, "power \(observed), theory \(reference.power) ± \(se)")
        // The mean estimate over replicates: delta within 3.5 standard errors of a mean of 400.
        let mean = try #require(Double(row["MEAN_ESTIMATE"] ?? ""))
        #expect(abs(mean - reference.delta) < 3.5 * reference.standard_error_of_difference / replicates.squareRoot())
        // Its exact interval contains the observed share.
        let lower = try #require(Double(row["CI_LOWER"] ?? "")), upper = try #require(Double(row["CI_UPPER"] ?? ""))
        #expect(lower < observed && observed < upper)
    }
}
