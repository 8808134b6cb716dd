import Foundation
import Testing
import VirtualTrial

/// SPEC §1: `check`, `models`, `cohort`, and `run`'s quiet stdout.
@Suite("Command line (SPEC §1)")
struct CLITests {
    @Test("vtrial check exits 0, prints the arms and endpoints, writes nothing")
    func check() throws {
        let dir = try E2E.temporaryDirectory()
        defer { E2E.remove(dir) }
        let result = try E2E.vtrial(["check", E2E.fixture("stats.yaml").path], in: dir)
        #expect(result.status == 0, "stderr: \(result.stderr)")
        for word in ["placebo", "low", "high", "E_CHG", "E_PCHG", "CMAX"] {
            #expect(result.stdout.contains(word), "check output lacks \(word)")
        }
        #expect(try E2E.listing(dir).isEmpty, "check wrote files")
    }

    @Test("vtrial models lists the required twins and PD models")
    func models() throws {
        let result = try E2E.vtrial(["models"])
        #expect(result.status == 0)
        let words = Set(result.stdout.split { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "," }.map(String.init))
        for name in ["oncology.tgi", "oncology.myelosuppression", "diabetes.t2d", "cardio.qtc", "emax", "idr1"] {
            #expect(words.contains(name), "vtrial models does not list \(name)")
        }
    }

    @Test("vtrial cohort: N rows with the population's columns, same seed → same file, usable as a CSV population")
    func cohort() throws {
        let dir = try E2E.temporaryDirectory()
        defer { E2E.remove(dir) }
        let population = E2E.fixture("cohort-population.yaml").path
        let first = try E2E.vtrial(["cohort", population, "--subjects", "25", "--seed", "11"])
        let second = try E2E.vtrial(["cohort", population, "--subjects", "25", "--seed", "11"])
        let other = try E2E.vtrial(["cohort", population, "--subjects", "25", "--seed", "12"])
        try #require(first.status == 0, "stderr: \(first.stderr)")
        #expect(second.stdout == first.stdout, "same seed, different cohort")
        #expect(other.stdout != first.stdout, "different seed, same cohort")
        let rows = E2E.parseCSV(first.stdout)
        #expect(rows.first == ["AGE", "SEX", "WT", "HT", "BMI"])
        #expect(rows.count == 26)
        for row in rows.dropFirst() {
            let wt = Double(row[2]) ?? .nan, ht = Double(row[3]) ?? .nan, bmi = Double(row[4]) ?? .nan
            #expect(["M", "F"].contains(row[1]))
            #expect(E2E.close(bmi, wt / ((ht / 100) * (ht / 100)), rel: 1e-12), "derived BMI")
            #expect(bmi >= 18.5, "inclusion criterion")
            #expect((18...80).contains(Double(row[0]) ?? .nan) && (45...140).contains(wt) && (140...205).contains(ht))
        }

        let csvURL = dir.appendingPathComponent("cohort.csv")
        let written = try E2E.vtrial(["cohort", population, "--subjects", "25", "--seed", "11", "--out", csvURL.path])
        #expect(written.status == 0)
        #expect(written.stdout.isEmpty)
        #expect(try E2E.text(csvURL) == first.stdout, "--out writes what stdout shows")

        // The cohort as a bootstrap population of a protocol (path relative to the protocol file).
        let protocolText = """
            protocol: E2E-COHORT-CSV
            seed: 5
            replicates: 2
            subjects: 12
            population: { csv: cohort.csv, sample: bootstrap }
            duration: 24 h
            model:
              pk: { compartments: 1, absorption: iv-bolus }
              parameters: { CL: 4 L/h, V: 30 L }
              covariates:
                CL: { WT: { power: 0.75, ref: 70 } }
            arms:
              - name: placebo
              - name: active
                dosing: { amount: 100 mg, every: 12 h, doses: 2 }
            endpoints:
              - id: CMAX
                variable: C
                summary: max
            analysis:
              control: placebo

            """
        let protocolURL = dir.appendingPathComponent("cohort-protocol.yaml")
        try Data(protocolText.utf8).write(to: protocolURL)
        let out = dir.appendingPathComponent("out")
        let run = try E2E.vtrial(["run", protocolURL.path, "--out", out.path])
        try #require(run.status == 0, "stderr: \(run.stderr)")
        let subjects = try E2E.csv(out.appendingPathComponent("E2E-COHORT-CSV/subjects.csv"))
        #expect(subjects.header == ["REPLICATE", "USUBJID", "ARM", "AGE", "SEX", "WT", "HT", "BMI", "DROPOUT_TIME",
                                    "DOSES_TAKEN", "DOSE_CHANGES", "DOSE_LAST"])
        #expect(subjects.rows.count == 24)
        let cohortRows = Set(rows.dropFirst())
        for row in subjects.rows {
            #expect(cohortRows.contains(Array(row[3...7])), "subject \(row[1])'s covariates are not a cohort row")
        }
    }

    @Test("vtrial cohort: an as-is table needs exactly its row count; an unwritable --out is named as given")
    func cohortAsIsAndUnwritableOut() throws {
        let dir = try E2E.temporaryDirectory()
        defer { E2E.remove(dir) }
        try Data("WT\n60\n70\n80\n".utf8).write(to: dir.appendingPathComponent("rows.csv"))
        let population = dir.appendingPathComponent("asis.yaml")
        try Data("population: asis\ncsv: rows.csv\nsample: as-is\n".utf8).write(to: population)
        let fewer = try E2E.vtrial(["cohort", population.path, "--subjects", "2"])
        #expect(fewer.status == 2)
        #expect(fewer.stdout.isEmpty)
        #expect(fewer.stderr.contains("an as-is cohort uses every row once: ask for exactly 3 subjects (--subjects 3), not 2"), "\(fewer.stderr)")
        let all = try E2E.vtrial(["cohort", population.path, "--subjects", "3"])
        #expect(all.status == 0, "\(all.stderr)")
        #expect(Set(all.stdout.split(separator: "\n").dropFirst()) == ["60", "70", "80"])
        let missing = dir.appendingPathComponent("no/such/folder/c.csv").path
        let unwritable = try E2E.vtrial(["cohort", population.path, "--subjects", "3", "--out", missing])
        #expect(unwritable.status == 1)
        #expect(unwritable.stderr.contains("cannot write '\(missing)': No such file or directory"), "\(unwritable.stderr)")
    }

    @Test("vtrial run: stdout empty, no progress bar when stderr is a pipe")
    func quietRun() throws {
        let out = try E2E.temporaryDirectory()
        defer { E2E.remove(out) }
        let result = try E2E.vtrial(["run", E2E.fixture("closed-form-bolus.yaml").path, "--out", out.path])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(result.stdout.isEmpty, "stdout: \(result.stdout)")
        #expect(result.stderr.isEmpty, "stderr is a pipe, yet: \(result.stderr)")
    }

    @Test("--out defaults to ./Results in the working directory")
    func defaultOut() throws {
        let dir = try E2E.temporaryDirectory()
        defer { E2E.remove(dir) }
        let result = try E2E.vtrial(["run", E2E.fixture("closed-form-bolus.yaml").path, "--quiet"], in: dir)
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("Results/E2E-CF-BOLUS/manifest.json").path))
    }
}
