import Foundation
import Testing
import VirtualTrial

/// SPEC §4: linear PK matches its closed-form superposition to 1e-9 relative (or 1e-12 mg/L
/// absolute, whichever is larger). With no variability and no residual error every subject is the
/// typical subject, so timecourse.csv's P50 (and every other percentile and the mean) is the
/// closed form. The closed forms are written out here, independently of the engine.
@Suite("Closed-form concentrations (SPEC §4, BENCHMARKS.md W1)")
struct ClosedFormTests {
    static func agrees(_ actual: Double, _ expected: Double) -> Bool {
        abs(actual - expected) <= max(1e-9 * abs(expected), 1e-12)
    }

    /// timecourse.csv rows of variable C: TIME → (N, [MEAN, P05, P25, P50, P75, P95]).
    static func concentrations(_ folder: URL) throws -> [(time: Double, n: Int, values: [Double])] {
        let csv = try E2E.csv(folder.appendingPathComponent("timecourse.csv"))
        #expect(csv.header == ["ARM", "VARIABLE", "TIME", "N", "MEAN", "P05", "P25", "P50", "P75", "P95"])
        return csv.rows.filter { $0[1] == "C" }.map { row in
            (Double(row[2]) ?? .nan, Int(row[3]) ?? -1, row[4...9].map { Double($0) ?? .nan })
        }
    }

    /// 1-compartment iv bolus: C(t) = Σ_{t_d ≤ t} D/V·exp(−CL/V·(t − t_d)).
    static func bolus(_ t: Double) -> Double {
        let cl = 4.0, v = 30.0
        let doses: [(at: Double, amount: Double)] = [(0, 100), (12, 100), (24, 100), (30, 50)]
        var sum = 0.0
        for d in doses where d.at <= t { sum += d.amount / v * exp(-cl / v * (t - d.at)) }
        return sum
    }

    @Test("1-compartment iv bolus: P50 equals the superposition closed form at every hourly grid time")
    func ivBolus() throws {
        let (folder, result) = try E2E.runFixture("closed-form-bolus.yaml", protocolID: "E2E-CF-BOLUS")
        defer { E2E.remove(folder.deletingLastPathComponent()) }
        try #require(result.status == 0, "stderr: \(result.stderr)")
        let rows = try Self.concentrations(folder)
        #expect(rows.map(\.time) == (0...48).map(Double.init))
        for row in rows {
            let expected = Self.bolus(row.time)
            #expect(row.n == 3)
            for value in row.values {
                #expect(Self.agrees(value, expected), "C(\(row.time) h) = \(value), closed form \(expected)")
            }
        }
        // The dose at a grid time is included in the value read there (SPEC §4).
        #expect(Self.agrees(rows[12].values[3], 100.0 / 30 * (1 + exp(-4.0 / 30 * 12))))
    }

    /// The doses of closed-form-bolus-minutes.yaml as (grid step of 10 min, mg): their times in
    /// the file (50, 70 and 140 min) differ in the last bit from 5, 7 and 14 grid steps.
    static let minuteDoses: [(step: Int, amount: Double)] = [(5, 10), (7, 20), (14, 20)]

    /// 1-compartment iv bolus, CL 1 L/h, V 10 L, at grid step k (a dose at step k included).
    static func minuteBolus(step k: Int) -> Double {
        minuteDoses.filter { $0.step <= k }.reduce(0) { $0 + $1.amount / 10 * exp(-0.1 * Double(k - $1.step) / 6) }
    }

    @Test("a dose whose time coincides with a grid time only to the last bit is in the value read there")
    func dosesOnAMinuteGrid() throws {
        let (folder, result) = try E2E.runFixture("closed-form-bolus-minutes.yaml", protocolID: "E2E-CF-BOLUS-MIN")
        defer { E2E.remove(folder.deletingLastPathComponent()) }
        try #require(result.status == 0, "stderr: \(result.stderr)")
        let rows = try Self.concentrations(folder)
        #expect(rows.count == 25)
        for (k, row) in rows.enumerated() {
            #expect(row.time == Double(k) * (10.0 / 60))
            #expect(Self.agrees(row.values[3], Self.minuteBolus(step: k)), "C at step \(k): \(row.values[3]) vs \(Self.minuteBolus(step: k))")
        }
        #expect(rows[5].values[3] == 1, "the 10 mg dose at 50 min, read at 50 min: 10 mg / 10 L")
        // ∫ from step 5 to step 14 of the doses given before step 14.
        let a = 5.0 / 6, b = 14.0 / 6
        let auc = Self.minuteDoses.filter { $0.step < 14 }.reduce(0.0) { sum, dose in
            let t = Double(dose.step) / 6, low = max(a, t)
            return sum + dose.amount / 10 * (exp(-0.1 * (low - t)) - exp(-0.1 * (b - t))) / 0.1
        }
        let endpoints = try E2E.csv(folder.appendingPathComponent("endpoints.csv")).records()
        #expect(endpoints.count == 2 * 3)
        for row in endpoints {
            let aval = Double(row["AVAL"] ?? "") ?? .nan
            switch row["ENDPOINT"] {
            case "C50", "CMAX50": #expect(aval == 1, "\(row["ENDPOINT"] ?? "") \(aval)")
            case "AUC": #expect(Self.agrees(aval, auc), "AUC \(aval) vs \(auc)")
            default: Issue.record("unexpected endpoint \(row["ENDPOINT"] ?? "")")
            }
        }
    }

    /// 2-compartment oral, W1 typical patient: for each dose D at t_d ≤ t, with τ = t − t_d and
    /// λ ∈ {α, β, KA} (α, β the disposition rate constants),
    /// C = D·KA/V1 · Σ_λ (k21 − λ) / Π_{μ ≠ λ} (μ − λ) · exp(−λτ).
    struct W1 {
        static let ka = 1.0, cl = 5.0, v1 = 50.0, q = 10.0, v2 = 100.0, dose = 100.0
        static let doses = (0..<28).map { 24.0 * Double($0) }
        static let k10 = cl / v1, k12 = q / v1, k21 = q / v2
        static let rates: [Double] = {
            let s = k10 + k12 + k21, d = (s * s - 4 * k10 * k21).squareRoot()
            return [(s + d) / 2, (s - d) / 2, ka]
        }()
        static let coefficients: [Double] = {
            var result: [Double] = []
            for i in rates.indices {
                var product = 1.0
                for j in rates.indices where j != i { product *= rates[j] - rates[i] }
                result.append(dose * ka / v1 * (k21 - rates[i]) / product)
            }
            return result
        }()

        static func concentration(_ t: Double) -> Double {
            var sum = 0.0
            for td in doses where td <= t {
                for i in rates.indices { sum += coefficients[i] * exp(-rates[i] * (t - td)) }
            }
            return sum
        }

        /// ∫_a^b C dt, exact.
        static func auc(_ a: Double, _ b: Double) -> Double {
            var sum = 0.0
            for td in doses where td < b {
                let lo = max(a, td)
                for i in rates.indices {
                    let r = rates[i]
                    sum += coefficients[i] * (exp(-r * (lo - td)) - exp(-r * (b - td))) / r
                }
            }
            return sum
        }
    }

    @Test("the closed form written here reproduces BENCHMARKS.md W1")
    func closedFormMatchesBenchmarks() {
        let cmax = (0...672).map { W1.concentration(Double($0)) }.max()!
        #expect(abs(cmax - 1.661612724) < 1e-9)
        #expect(abs(W1.concentration(672) - 0.4816201058) < 1e-10)
        #expect(abs(W1.auc(648, 672) - 19.9999997547) < 1e-9)
    }

    @Test("2-compartment oral (W1): P50 equals the closed form; Cmax, Ctrough and the exact AUC_TAU")
    func twoCompartmentOral() throws {
        let (folder, result) = try E2E.runFixture("closed-form-w1.yaml", protocolID: "E2E-CF-W1")
        defer { E2E.remove(folder.deletingLastPathComponent()) }
        try #require(result.status == 0, "stderr: \(result.stderr)")
        let rows = try Self.concentrations(folder)
        #expect(rows.map(\.time) == (0...672).map(Double.init))
        var failures = 0
        for row in rows {
            let expected = W1.concentration(row.time)
            for value in row.values where !Self.agrees(value, expected) {
                failures += 1
                if failures <= 10 { Issue.record("C(\(row.time) h) = \(value), closed form \(expected)") }
            }
        }
        #expect(failures == 0)
        let p50 = rows.map { $0.values[3] }
        #expect(abs(p50.max()! - 1.661612724) < 1e-9, "Cmax over the hourly grid")
        #expect(abs(p50.last! - 0.4816201058) < 1e-10, "Ctrough at 672 h")

        let endpoints = try E2E.csv(folder.appendingPathComponent("endpoints.csv")).records()
        #expect(endpoints.count == 2 * 3)
        for row in endpoints {
            let aval = Double(row["AVAL"] ?? "") ?? .nan
            switch row["ENDPOINT"] {
            case "CMAX": #expect(abs(aval - 1.661612724) < 1e-9, "CMAX \(aval)")
            case "CTROUGH": #expect(Self.agrees(aval, W1.concentration(672)), "CTROUGH \(aval)")
            case "AUC_TAU":
                #expect(abs(aval - 19.9999997547) <= 1e-9 * 19.9999997547, "AUC_TAU \(aval)")
                #expect(Self.agrees(aval, W1.auc(648, 672)), "AUC_TAU \(aval)")
                #expect(row["BASE"] == "" && row["CHG"] == "" && row["PCHG"] == "", "auc has no BASE, CHG or PCHG")
            default: Issue.record("unexpected endpoint \(row["ENDPOINT"] ?? "")")
            }
        }
        // A protocol without `analysis`: comparisons.csv and power.csv hold their header only.
        #expect(try E2E.text(folder.appendingPathComponent("comparisons.csv")).split(separator: "\n").count == 1)
        #expect(try E2E.text(folder.appendingPathComponent("power.csv")).split(separator: "\n").count == 1)
    }
}
