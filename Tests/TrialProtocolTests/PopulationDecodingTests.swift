import Foundation
@testable import Population
import Testing
@testable import TrialProtocol

@Suite struct PopulationDecodingTests {
    @Test func specPopulationFile() throws {
        let spec = try ProtocolLoader.loadPopulation(path: Fixtures.folder + "/adults.yaml")
        #expect(spec.name == "adults-t2d")
        #expect(spec.covariates.map(\.name) == ["AGE", "SEX", "WT", "HT", "BASE_HBA1C", "EGFR"])
        #expect(spec.covariates[0].distribution == .normal(mean: 58, sd: 10, lower: 18, upper: 80))
        #expect(spec.covariates[1].distribution == .categorical(levels: ["M", "F"], probabilities: [0.55, 0.45]))
        #expect(spec.covariates[2].distribution == .lognormal(meanlog: log(88), sdlog: log1p(0.2 * 0.2).squareRoot(), lower: 45, upper: 180))
        #expect(spec.covariates[4].distribution == .uniform(lower: 7, upper: 10.5))
        #expect(spec.covariates[5].distribution == .normal(mean: 85, sd: 20, lower: 15, upper: nil))
        #expect(spec.correlations == [CovariateCorrelation(first: 2, second: 3, rho: 0.45), CovariateCorrelation(first: 0, second: 5, rho: -0.4)])
        #expect(spec.derived.map(\.name) == ["BMI"])
        // Registers: AGE, SEX, WT, HT, BASE_HBA1C, EGFR, BMI. 80 / (200/100)^2 = 20.
        #expect(spec.derived[0].formula.evaluate([50, 0, 80, 200, 8, 90]) == 20)
        #expect(spec.inclusion.map(\.text) == ["BMI >= 25", "EGFR >= 30"])
        #expect(spec.inclusion[0].condition.evaluate([50, 0, 80, 200, 8, 90, 25]) == 1)
        #expect(spec.inclusion[0].condition.evaluate([50, 0, 80, 200, 8, 90, 24.9]) == 0)
    }

    @Test func everyPopulationErrorIsLocated() {
        let yaml = """
        covariates:
          AGE: { dist: normal, mean: 58 }
          SEX: { dist: categorical, levels: { M: 0.5, F: 0.25 } }
          WT: { dist: lognormal, median: 80, cv: 0.2, mean: 3 }
        correlations:
          - [SEX, AGE, 0.2]
          - [AGE, WT, 1.0]
        derived:
          BMI: WT / HT ^ 2
        inclusion:
          - AGE >= 18 and
        """
        #expect(populationErrors(yaml) == [
            "2:8: error: missing key `sd` in covariate AGE",
            "3:37: error: the probabilities of the levels of SEX must sum to 1 (within 1e-9); they sum to 0.75",
            "4:47: error: `mean` does not apply to dist: lognormal (it takes median, cv, meanlog, sdlog, min, max)",
            "7:15: error: `rho` must be in (-1, 1); got 1",
            "9:13: error: in `BMI`: unknown name 'HT'; did you mean 'WT'?",
            "11:15: error: in `inclusion`: unexpected name 'and' after a complete expression",
        ])
    }

    /// What the synthesizer would refuse is found while the file is read, at each covariate's
    /// place, every one of them (they were reported one at a time, naming the protocol, with no
    /// place); a derived covariate that turns out not finite for a drawn subject is placed at
    /// its formula, with categorical covariates given by their level names.
    @Test func distributionsWithoutProbabilityAndDerivedCovariatesAreLocated() throws {
        let yaml = """
        covariates:
          WT: { dist: normal, mean: 70, sd: 1, min: 150, max: 160 }
          HT: { dist: normal, mean: 0, sd: 1, min: -60, max: -50 }
        """
        #expect(populationErrors(yaml) == [
            "2:7: error: covariate WT: the interval [150.0, 160.0] holds no probability of the distribution (it lies beyond ±38 standard deviations): widen it or move the mean",
            "3:7: error: covariate HT: the interval [-60.0, -50.0] holds no probability of the distribution (it lies beyond ±38 standard deviations): widen it or move the mean",
        ])
        let folder = TemporaryFolder()
        let path = folder.write("population.yaml", """
        covariates:
          SEX: { dist: categorical, levels: { M: 0.5, F: 0.5 } }
          AGE: { dist: uniform, min: 20, max: 40 }
        derived:
          LA: log(AGE - 30)
        """)
        let spec = try ProtocolLoader.loadPopulation(path: path)
        #expect(PopulationError.nonFiniteDerivedCovariate(name: "LA", formula: "", inputs: "").place(in: spec)
                == SourcePlace(file: path, line: 5, column: 7))
        let synthesizer = try CohortSynthesizer(spec)
        var values = [Double](repeating: 0, count: 3)
        #expect(synthesizer.describe([1, 25, 0], count: 2) == "SEX = F, AGE = 25.0")
        #expect(throws: PopulationError.nonFiniteDerivedCovariate(name: "LA", formula: "log(AGE - 30)", inputs: "SEX = M, AGE = 25.0")) {
            values[0] = 0; values[1] = 25
            _ = try synthesizer.completeAndCheck(&values)
        }
    }

    @Test func correlationsAreBetweenContinuousCovariates() {
        let yaml = """
        covariates:
          SEX: { dist: categorical, levels: { M: 0.5, F: 0.5 } }
          WT: { dist: normal, mean: 70, sd: 10 }
        correlations: [[SEX, WT, 0.2], [WT, WT, 0.1], [WT, HT, 0.1]]
        """
        #expect(populationErrors(yaml) == [
            "4:17: error: 'SEX' is categorical: correlations are between continuous covariates only",
            "4:37: error: a covariate cannot be correlated with itself ('WT')",
            "4:52: error: unknown covariate 'HT' in correlations; did you mean 'WT'?",
        ])
    }

    /// A covariate with an error does not hide the errors of expressions that do not read it;
    /// those that read it (or a derived covariate that does) are only parsed: no follow-on errors.
    @Test func expressionErrorsAreReportedBesideCovariateErrors() {
        let yaml = """
        covariates:
          AGE: { dist: normal, mean: 58, sd: -1 }
          WT: { dist: normal, mean: 70, sd: 10 }
        derived:
          OLD: AGE > 65
          D: Q + 1
          E: OLD + WT
        inclusion:
          - OLD == 0
          - WT > Z
          - AGE > (18
        """
        #expect(populationErrors(yaml) == [
            "2:38: error: `sd` must be > 0; got -1",
            "6:6: error: in `D`: unknown name 'Q'; known names: WT",
            "10:10: error: in `inclusion`: unknown name 'Z'; known names: WT",
            "11:14: error: in `inclusion`: expected ')', found end of expression",
        ])
    }

    @Test func derivedCovariatesSeeOnlyEarlierNames() {
        let yaml = """
        covariates:
          WT: { dist: normal, mean: 70, sd: 10 }
        derived:
          A: B + 1
          B: WT * 2
        """
        #expect(populationErrors(yaml) == ["4:6: error: in `A`: unknown name 'B'; known names: WT"])
    }

    @Test func populationFileErrorsNameThatFile() {
        let population = "covariates:\n  WT: { dist: uniform, min: 90, max: 50 }\n"
        let errors = protocolErrors(minimalProtocol.replacing("""
        population:
          covariates:
            WT: { dist: normal, mean: 70, sd: 10 }
            SEX: { dist: categorical, levels: { M: 0.5, F: 0.5 } }
        """, with: "population: cohort/pop.yaml"), files: ["cohort/pop.yaml": population])
        #expect(errors == ["pop.yaml:2:29: error: `min` must be less than `max` for WT; got min 90, max 50"])
    }

    /// The errors of minimalProtocol with its population replaced by `csv` as cohort.csv.
    private func csvCohortErrors(_ csv: String, sample: String = "bootstrap") -> [String] {
        protocolErrors(minimalProtocol.replacing("""
        population:
          covariates:
            WT: { dist: normal, mean: 70, sd: 10 }
            SEX: { dist: categorical, levels: { M: 0.5, F: 0.5 } }
        """, with: "population: { csv: cohort.csv, sample: \(sample) }"), files: ["cohort.csv": csv])
    }

    /// Levels written as numbers (ECOG 0/1/2, what `vtrial cohort` writes for such levels) make a
    /// numeric column unless the column is listed in `categorical`; then the levels are the text
    /// as written ("01" and "1" differ), in order of first appearance.
    @Test func csvCohortCategoricalColumnsWithNumericLevels() throws {
        let folder = TemporaryFolder()
        folder.write("cohort.csv", "ECOG,WT\n1,70\n0,80\n01,75\n1,60\n")
        let numeric = try ProtocolLoader.loadPopulation(path: folder.write("numeric.yaml", "csv: cohort.csv\nsample: bootstrap\n"))
        #expect(numeric.table?.levels[0] == nil)
        #expect(numeric.table?.rows.map { $0[0] } == [1, 0, 1, 1])
        let listed = try ProtocolLoader.loadPopulation(path: folder.write("listed.yaml", "csv: cohort.csv\nsample: bootstrap\ncategorical: [ECOG]\n"))
        #expect(listed.table?.levels[0] == ["1", "0", "01"])
        #expect(listed.table?.levels[1] == nil)
        #expect(listed.table?.rows.map { $0[0] } == [0, 1, 2, 0])
        #expect(populationErrors("csv: cohort.csv\nsample: bootstrap\ncategorical: [ECGO]\n", files: ["cohort.csv": "ECOG\n1\n"])
                == ["3:15: error: unknown column 'ECGO' in categorical; did you mean 'ECOG'?"])
        #expect(populationErrors("covariates:\n  WT: { dist: normal, mean: 70, sd: 10 }\ncategorical: [WT]\n")
                == ["3:1: error: `categorical` applies only to a CSV cohort (`csv: FILE`); give `dist: categorical` here"])
    }

    @Test func csvCohortWithAByteOrderMark() {
        // Spreadsheet programs write a BOM before the header: the first column is still 'WT'.
        let csv = "WT,AGE\n70,40\n,51\n64,x\n"
        #expect(csvCohortErrors(csv).count == 2)
        #expect(csvCohortErrors("\u{FEFF}" + csv) == csvCohortErrors(csv))
    }

    @Test func csvCohortErrorsNameRowAndColumn() {
        #expect(csvCohortErrors("WT,AGE\n70,40\n,51\n64,x\n400000,abc\n") == [
            "cohort.csv:3:1: error: missing value in column 'WT'",
            "cohort.csv:4:4: error: malformed number 'x' in numeric column 'AGE' (a column with a number in it is numeric: list it in `categorical` to read its cells as levels)",
            "cohort.csv:5:8: error: malformed number 'abc' in numeric column 'AGE' (a column with a number in it is numeric: list it in `categorical` to read its cells as levels)",
        ])
        #expect(csvCohortErrors("WT,AGE\n70,40,1\n", sample: "as-is") == ["cohort.csv:2:7: error: row has 3 fields; the header has 2"])
        // A short row: at its end. A quoted field may span lines: the next row's place counts them.
        #expect(csvCohortErrors("WT,NOTE\n70,\"two\nlines\"\n65\n,\"é\",\n") == [
            "cohort.csv:4:3: error: row has 1 fields; the header has 2",
            "cohort.csv:5:6: error: row has 3 fields; the header has 2",
        ])
        // A short row whose last field spans lines ends on the later line.
        #expect(csvCohortErrors("WT,AGE,NOTE\n70,\"a\nb\"\n") == ["cohort.csv:3:3: error: row has 2 fields; the header has 3"])
    }
}
