import Testing
@testable import TrialProtocol

/// Every error is reported at its exact place (see `minimalProtocol` for line numbers).
@Suite struct DiagnosticTests {
    @Test func minimalProtocolIsValid() {
        #expect(protocolErrors(minimalProtocol) == [])
    }

    @Test func manyErrorsFromOneFileInOneRun() {
        let yaml = minimalProtocol
            .replacing("seed: 1", with: "seed: -1")
            .replacing("subjects: 40", with: "subjects: forty")
            .replacing("mean: 70, sd: 10", with: "mean: 70, sd: -10")
            .replacing("{ CL: 5 L/h,", with: "{ CLL: 5 L/h,")
            .replacing("    dosing: {", with: "    dosnig: {")
            .replacing("    at: 7 d", with: "    at: 9 d")
            .replacing("when: \"E < 60\"", with: "when: \"EE < 60\"")
            .replacing("sided: two", with: "sided: both")
        #expect(protocolErrors(yaml) == [
            "2:7: error: `seed` must be an unsigned 64-bit integer (0 … 18446744073709551615); got '-1'",
            "3:11: error: `subjects` must be an integer ≥ 1; got 'forty'",
            "7:39: error: `sd` must be > 0; got -10",
            "12:15: error: missing parameter CL (L/h) in model.parameters",
            "12:17: error: unknown parameter 'CLL' in model.parameters; did you mean 'CL'?",
            "16:5: error: unknown key 'dosnig' in arm; did you mean 'dosing'?",
            "20:9: error: `at` must be in [0, 168] h; got 216 h",
            "23:12: error: in `when`: unknown name 'EE'; did you mean 'E'?",
            "26:10: error: `sided` must be one of two, one; got 'both'",
        ])
    }

    /// An error inside a multi-line or escaped scalar is placed at its token in the file, not
    /// at the scalar's first line plus the offset in its folded value.
    @Test func expressionErrorsInsideMultiLineScalars() {
        func errors(_ when: String) -> [String] {
            protocolErrors(minimalProtocol.replacing("    when: \"E < 60\"\n", with: when))
        }
        let message = "error: in `when`: unknown name 'EE'; did you mean 'E'?"
        #expect(errors("    when: >-\n      E * 2 +\n      EE < 60\n") == ["25:7: " + message])
        #expect(errors("    when: E * 2 +\n      EE < 60\n") == ["24:7: " + message])
        #expect(errors("    when: \"E * 2 +\n      EE < 60\"\n") == ["24:7: " + message])
        #expect(errors("    when: |-\n      E * 2 +\n      EE < 60\n") == ["25:7: " + message])
        // The end of a value is right after its last character, also when another key follows.
        #expect(errors("    when: E * 2 +\n") == ["23:18: error: in `when`: expected a number, a name or '(', found end of expression"])
        #expect(errors("    when: >-\n      E * 2 +\n") == ["24:14: error: in `when`: expected a number, a name or '(', found end of expression"])
        #expect(errors("    when: >\n      E * 2 +\n\n") == ["24:14: error: in `when`: expected a number, a name or '(', found end of expression"])
        // An escape sequence stands for one character of the value.
        #expect(errors("    when: \"E * \\u0032\\x30 + EE < 60\"\n") == ["23:29: " + message])
    }

    @Test func atMostTwentyErrorsAreReported() {
        var yaml = minimalProtocol
        for i in 0..<25 { yaml += "unknown_\(i): 1\n" }
        let errors = protocolErrors(yaml)
        #expect(errors.count == 20)
        #expect(errors.first == "27:1: error: unknown key 'unknown_0' in protocol file; the keys are \(ProtocolDecoder.topLevelKeys.joined(separator: ", "))")
    }

    @Test func yamlLevelErrors() {
        #expect(protocolErrors("") == ["1:1: error: the file is empty: expected a YAML mapping"])
        #expect(protocolErrors("# only a comment\n") == ["1:1: error: the file is empty: expected a YAML mapping"])
        #expect(protocolErrors(minimalProtocol.replacing("seed: 1\n", with: "seed: 1\nseed: 2\n")) == [
            "3:1: error: duplicate key 'seed': a key may appear only once in a mapping",
        ])
        #expect(protocolErrors(minimalProtocol.replacing("{ compartments: 1, absorption: oral }", with: "{ compartments: 1, compartments: 2 }")) == [
            "10:26: error: duplicate key 'compartments': a key may appear only once in a mapping",
            // Decoding goes on: without `absorption` the model is an iv bolus, which has no KA.
            "12:37: error: unknown parameter 'KA' in model.parameters; this model's parameters are CL, V1, E0, EMAX, EC50, HILL",
        ])
        // Keys compare as the text the decoders read: a plain `1` and a quoted '1' are one level
        // name (Yams's default resolver made them an integer and a string, and two levels '1'
        // went through).
        #expect(protocolErrors(minimalProtocol.replacing("levels: { M: 0.5, F: 0.5 }", with: "levels: { 1: 0.5, '1': 0.5 }")) == [
            "8:41: error: duplicate key '1': a key may appear only once in a mapping",
        ])
        // AE grades nest (SPEC §2: each grade implies the lower), and a grade is defined once
        // whatever its spelling.
        let graded = minimalProtocol.replacing("    when: \"E < 60\"\n", with: "    variable: E\n    grades: { 1: \"< 75\", 2: \"< 80\", 3: \"> 10\" }\n")
        #expect(protocolErrors(graded) == [
            "24:29: error: grade 2 (\"< 80\") must imply grade 1 (\"< 75\"): grades are nested, each implies the lower (a threshold at least as extreme, in the same direction)",
            "24:40: error: grade 3 (\"> 10\") must imply grade 2 (\"< 80\"): grades are nested, each implies the lower (a threshold at least as extreme, in the same direction)",
        ])
        #expect(protocolErrors(minimalProtocol.replacing("    when: \"E < 60\"\n", with: "    variable: E\n    grades: { 1: \"< 75\", 2: \"<= 75\", 3: \"< 75\" }\n")) == [
            "24:29: error: grade 2 (\"<= 75\") must imply grade 1 (\"< 75\"): grades are nested, each implies the lower (a threshold at least as extreme, in the same direction)",
        ])
        #expect(protocolErrors(minimalProtocol.replacing("    when: \"E < 60\"\n", with: "    variable: E\n    grades: { 1: \"< 75\", 01: \"< 70\" }\n")) == [
            "24:26: error: grade 1 is defined twice ('01')",
        ])
        #expect(protocolErrors(minimalProtocol.replacing("    when: \"E < 60\"\n", with: "    variable: E\n    grades: { 1: \"<= 75\", 2: \"< 75\", 3: \"<= 70\" }\n")) == [])
        // Every repeat is reported (a third occurrence too), and so is every other error of the
        // file; the first occurrence is the one read.
        #expect(protocolErrors(minimalProtocol
            .replacing("seed: 1\n", with: "seed: 1\nseed: 2\n")
            .replacing("subjects: 40", with: "subjects: forty")
            .replacing("  - name: placebo\n", with: "  - name: placebo\n    name: again\n    name: thrice\n")) == [
            "3:1: error: duplicate key 'seed': a key may appear only once in a mapping",
            "4:11: error: `subjects` must be an integer ≥ 1; got 'forty'",
            "16:5: error: duplicate key 'name': a key may appear only once in a mapping",
            "17:5: error: duplicate key 'name': a key may appear only once in a mapping",
        ])
        // The repeat is looked for in the same flow mapping: not in a nested one, nor in a
        // quoted scalar.
        #expect(YAMLSource.secondOccurrence(of: "x", after: SourcePosition(line: 1, column: 6), in: "a: { x: 1, y: { x: 2 }, x: 3 }\n")
                == SourcePosition(line: 1, column: 25))
        #expect(YAMLSource.secondOccurrence(of: "x", after: SourcePosition(line: 1, column: 17), in: "k: { p: \"x: 1\", x: 2, x: 3 }\n")
                == SourcePosition(line: 1, column: 23))
        #expect(YAMLSource.secondOccurrence(of: "x", after: SourcePosition(line: 1, column: 11), in: "a: { y: { x: 2 }, x: 3 }\n") == nil)
        let syntax = protocolErrors("protocol: TEST\nseed: [1, 2\n")
        #expect(syntax.count == 1)
        #expect(syntax.first?.hasPrefix("3:1: error: YAML syntax error: ") == true)
        #expect(protocolErrors("- a\n- b\n") == ["1:1: error: `protocol file` must be a mapping; got a list"])
    }

    @Test func aByteOrderMarkIsSkipped() throws {
        // YAML allows a leading BOM (Windows editors write one): the file reads as without it, and
        // errors are placed as without it.
        #expect(protocolErrors("\u{FEFF}" + minimalProtocol) == [])
        // The source bytes (protocol_sha256 in manifest.json) are the file's own, BOM included.
        let withMark = try loadProtocol("\u{FEFF}" + minimalProtocol)
        #expect(withMark.sourceBytes == Array(("\u{FEFF}" + minimalProtocol).utf8))
        let wrong = minimalProtocol.replacing("seed: 1", with: "seed: -1")
        #expect(!protocolErrors(wrong).isEmpty)
        #expect(protocolErrors("\u{FEFF}" + wrong) == protocolErrors(wrong))
    }

    @Test func nonUTF8IsLocated() throws {
        let folder = TemporaryFolder()
        let path = folder.write("bad.yaml", bytes: Array("protocol: TEST\nti".utf8) + [0xFF, 0x41])
        #expect(throws: ProtocolLoadError.self) { try ProtocolLoader.load(path: path) }
        do { _ = try ProtocolLoader.load(path: path) } catch {
            #expect(error.diagnostics == [Diagnostic(file: path, line: 2, column: 3, message: "the file is not valid UTF-8 text (invalid byte sequence here)")])
            #expect(error.description == "\(path):2:3: error: the file is not valid UTF-8 text (invalid byte sequence here)")
        }
    }

    @Test func missingKeysArePlacedAtTheMappingThatLacksThem() {
        #expect(protocolErrors(minimalProtocol.replacing("seed: 1\n", with: "")) == [
            "1:1: error: missing key `seed` in protocol file: an unsigned 64-bit integer",
        ])
        #expect(protocolErrors(minimalProtocol.replacing("  - name: placebo\n", with: "  - ratio: 1\n")) == [
            "14:5: error: missing key `name` in arm: the arm's name",
        ])
        #expect(protocolErrors(minimalProtocol.replacing("    at: 7 d\n", with: "")) == [
            "18:5: error: missing key `at` in endpoint: the assessment time (required for `summary: at`)",
        ])
    }

    @Test func wrongTypesAndNonFiniteNumbers() {
        #expect(protocolErrors(minimalProtocol.replacing("subjects: 40", with: "subjects: [40]")) == [
            "3:11: error: `subjects` must be an integer; got a list",
        ])
        #expect(protocolErrors(minimalProtocol + "adherence: .inf\n") == [
            "27:12: error: `adherence` must be a finite number; got '.inf'",
        ])
        #expect(protocolErrors(minimalProtocol + "adherence: 1.5\n") == [
            "27:12: error: `adherence` must be in [0, 1]; got 1.5",
        ])
        #expect(protocolErrors(minimalProtocol + "replicates: 0\n") == [
            "27:13: error: `replicates` must be an integer ≥ 1; got 0",
        ])
        #expect(protocolErrors(minimalProtocol + "protocol2: x\n") == [
            "27:1: error: unknown key 'protocol2' in protocol file; did you mean 'protocol'?",
        ])
        #expect(protocolErrors(minimalProtocol.replacing("protocol: TEST", with: "protocol: my trial")) == [
            "1:11: error: `protocol` must match [A-Za-z0-9._-]+ (it names the results folder); got 'my trial'",
        ])
    }

    @Test func unitErrors() {
        #expect(protocolErrors(minimalProtocol.replacing("CL: 5 L/h", with: "CL: 5 L")) == [
            "12:21: error: `CL` expected a quantity in L/h (a clearance); got '5 L', which is in L",
        ])
        #expect(protocolErrors(minimalProtocol.replacing("E0: 100,", with: "E0: 100 mm,")) == [
            "12:48: error: `E0` takes a bare number (it is dimensionless); got '100 mm'",
        ])
        #expect(protocolErrors(minimalProtocol.replacing("E0: 100,", with: "E0: 8 %,")) == [
            "12:48: error: `E0` takes a bare number (it is dimensionless); got '8 %'",
        ])
        #expect(protocolErrors(minimalProtocol.replacing("CL: 5 L/h", with: "CL: 5 %")) == [
            "12:21: error: `CL` unknown unit '%' in '%'; units are built from mg, g, ug, ng, L, mL, h, min, d, w, y with / and *",
        ])
        #expect(protocolErrors(minimalProtocol.replacing("amount: 100 mg", with: "amount: 100 L")) == [
            "16:23: error: `amount` expected a quantity in mg (an amount); got '100 L', which is in L; a dose is in mg (or mg/kg, mg/m2)",
        ])
        #expect(protocolErrors(minimalProtocol.replacing("amount: 100 mg", with: "amount: 75 mg/m2")) == [
            "16:23: error: a dose in mg/m2 needs a numeric BSA covariate (body surface area in m²) in the population; it has WT, SEX",
        ])
    }

    @Test func expressionErrorsPointAtTheToken() {
        // Plain scalar: column of the scalar + offset.
        #expect(protocolErrors(minimalProtocol.replacing("CL: 5 L/h", with: "CL: 5 * (WTT / 70)")) == [
            "12:26: error: in `CL`: unknown name 'WTT'; did you mean 'WT'?",
        ])
        // Quoted scalar: one more for the quote.
        #expect(protocolErrors(minimalProtocol.replacing("when: \"E < 60\"", with: "when: \"E < 60 +\"")) == [
            "23:20: error: in `when`: expected a number, a name or '(', found end of expression",
        ])
        #expect(protocolErrors(minimalProtocol.replacing("CL: 5 L/h", with: "CL: \"5 * (SEX == 'X')\"")) == [
            "12:34: error: in `CL`: 'X' is not a level of SEX; its levels are M, F",
        ])
    }

    /// A protocol id names the results folder; with the hidden temporary sibling's suffix it must
    /// fit a file name, so it is at most 200 characters (a 228-character id passed `check` and
    /// failed the run with "File name too long").
    @Test func protocolIdLength() {
        #expect(protocolErrors(minimalProtocol.replacing("protocol: TEST", with: "protocol: " + String(repeating: "L", count: 200))) == [])
        #expect(protocolErrors(minimalProtocol.replacing("protocol: TEST", with: "protocol: " + String(repeating: "L", count: 228))) == [
            "1:11: error: `protocol` must be at most 200 characters (it names the results folder and its temporary siblings); got 228",
        ])
    }

    @Test func modelErrors() {
        #expect(protocolErrors(minimalProtocol.replacing("pd: { type: emax }", with: "pd: { type: emaxx }")) == [
            "11:15: error: `type` must be one of emax, idr1, idr2, idr3, idr4; got 'emaxx'; did you mean 'emax'?",
        ])
        #expect(protocolErrors(minimalProtocol.replacing("  pd: { type: emax }\n", with: "  pd: { type: emax }\n  custom: { states: {} }\n")) == [
            "11:3: error: a custom model replaces `pd` and `twin`: write the response as custom states (it reads C from the pk block)",
        ])
        #expect(protocolErrors(minimalProtocol.replacing("EC50: 1 }", with: "EC50: 1 }\n  variability: { CL: -0.1, KA: 0.2 }\n  correlations: [[CL, V1, 0.4]]")) == [
            "13:22: error: `variability.CL` must be ≥ 0; got -0.1",
            "14:23: error: 'V1' has no variability: correlations are between parameters listed in `variability` with an SD > 0",
        ])
        #expect(protocolErrors(minimalProtocol.replacing("EC50: 1 }", with: "EC50: 1 }\n  covariates: { CL: { SEX: { X: 0.8 } }, V1: { WT: { power: 1 } } }")) == [
            "13:30: error: unknown key 'X' in model.covariates.CL.SEX; the keys are M, F",
            "13:52: error: missing key `ref` in model.covariates.V1.WT: the reference value of WT",
        ])
        #expect(protocolErrors(minimalProtocol.replacing("EC50: 1 }", with: "EC50: 1 }\n  residual: { CE: { proportional: 0.1 } }\n  solver: { rtol: 0, method: fast }")) == [
            "13:15: error: 'CE' in model.residual is not an output of the model; did you mean 'C'?",
            "14:19: error: `rtol` must be > 0; got 0",
            "14:30: error: `method` must be one of auto, nonstiff, stiff; got 'fast'",
        ])
        // A parameter the model is undefined at 0 (a volume, a constant it divides by) must be
        // > 0 even without variability: refused when read, not by every subject of the run.
        #expect(protocolErrors(minimalProtocol.replacing("V: 50 L", with: "V: 0 L")) == [
            "12:31: error: `V1` must be > 0 L; got 0",
        ])
        #expect(protocolErrors(minimalProtocol.replacing("    dosing: { amount: 100 mg, every: 24 h, doses: 7 }",
                                                         with: "    dosing: { amount: 100 mg, every: 24 h, doses: 7 }\n    parameters: { V1: 0, CL: 0 }")) == [
            "17:23: error: `V1` must be > 0 L; got 0",
        ])
        // (KIN may be 0; the endpoint and AE that read E, not an output of idr1, add two errors.)
        #expect(protocolErrors(minimalProtocol.replacing("pd: { type: emax }", with: "pd: { type: idr1 }")
            .replacing("E0: 100, EMAX: -40, EC50: 1", with: "KIN: 0, KOUT: 0, IMAX: 0.5, IC50: 0")).prefix(2) == [
            "12:58: error: `KOUT` must be > 0 1/h; got 0",
            "12:78: error: `IC50` must be > 0 mg/L; got 0",
        ])
        #expect(protocolErrors(minimalProtocol.replacing("    WT: {", with: "    CL: {")) == [
            "6:3: error: covariate 'CL' has the name of model parameter 'CL': rename the covariate",
        ])
    }

    /// The steady-state rules of an arm's dosing are input errors at their place (they were
    /// reported by the plan, with the file but no line).
    @Test func steadyStateDosingErrors() {
        #expect(protocolErrors(minimalProtocol.replacing("    dosing: { amount: 100 mg, every: 24 h, doses: 7 }",
                                                         with: "    dosing: { amount: 100 mg, every: 24 h, doses: 7, start: 1 h, steady_state: true }")) == [
            "16:80: error: a steady_state regimen starts at 0 h (the subject arrives at steady state); got start 1 h",
        ])
        #expect(protocolErrors(minimalProtocol.replacing("    dosing: { amount: 100 mg, every: 24 h, doses: 7 }", with: """
                dosing:
                  - { amount: 100 mg, every: 24 h, doses: 7, steady_state: true }
                  - { amount: 50 mg, every: 12 h, doses: 14, steady_state: true }
            """)) == [
            "18:64: error: only one dosing entry of an arm can start at steady state",
        ])
    }

    @Test func armAndDosingErrors() {
        #expect(protocolErrors(minimalProtocol.replacing("  - name: active\n", with: "  - name: placebo\n    ratio: 0\n")) == [
            "15:11: error: duplicate arm name 'placebo'",
            "16:12: error: `ratio` must be an integer ≥ 1; got 0",
        ])
        // The 8th dose at 168 h is still within `duration` (168 h); a 9th is not.
        #expect(protocolErrors(minimalProtocol.replacing("doses: 7 }", with: "doses: 8, duration: 1 h }")) == [
            "16:64: error: `duration` applies only to `route: infusion`",
        ])
        #expect(protocolErrors(minimalProtocol.replacing("doses: 7 }", with: "doses: 9 }")) == [
            "16:51: error: the last of 9 doses every 24 h from 0 h falls at 192 h, after the end of the study (`duration` 168 h)",
        ])
        #expect(protocolErrors(minimalProtocol.replacing("doses: 7 }", with: "doses: 7, route: infusion }")) == [
            "16:13: error: missing key `duration` in dosing: an infusion needs its duration, e.g. '2 h'",
        ])
        #expect(protocolErrors(minimalProtocol.replacing("    dosing: {", with: "    rules: [{ on_ae: { term: Neutropenia, grade: 3 }, then: { scale: 0.5 } }]\n    dosing: {")) == [
            "16:30: error: unknown adverse event term 'Neutropenia' in on_ae; the terms are Hypotension",
        ])
    }

    @Test func endpointAnalysisAndDesignErrors() {
        #expect(protocolErrors(minimalProtocol.replacing("id: E_D7", with: "id: e-d7").replacing("variable: E\n", with: "variable: Q\n")) == [
            "18:9: error: endpoint `id` must match [A-Z0-9_]+; got 'e-d7'",
            "19:15: error: 'Q' in endpoint e-d7 is not an output of the model; its outputs are C, AUC, E",
        ])
        #expect(protocolErrors(minimalProtocol.replacing("    at: 7 d\n", with: "    summary: max\n    window: [2 d, 1 d]\n")) == [
            "21:13: error: `window` must be ordered (start < end); got [48 h, 24 h]",
        ])
        #expect(protocolErrors(minimalProtocol.replacing("control: placebo", with: "control: placbo\n  alpha: 0.7\n  success: { S: { all: [E_D8] } }")) == [
            "25:12: error: `control` must name an arm; got 'placbo'; did you mean 'placebo'?",
            "26:10: error: `alpha` must be in (0, 0.5]; got 0.7",
            "27:25: error: unknown endpoint 'E_D8' in success criterion 'S'; did you mean 'E_D7'?",
        ])
        #expect(protocolErrors(minimalProtocol.replacing("protocol: TEST", with: "protocol: TEST\ndesign: matched").replacing("  - name: placebo\n", with: "  - name: placebo\n    ratio: 2\n").replacing("  sided: two", with: "  adjust: baseline")) == [
            "16:12: error: a matched design runs every patient in every arm: `ratio` must be 1; got '2'",
            "28:11: error: `adjust: baseline` is not available in a matched design (comparisons are paired over patients)",
        ])
    }

    @Test func resourceLimits() {
        #expect(protocolErrors(minimalProtocol.replacing("subjects: 40", with: "subjects: 200000000")) == [
            "3:11: error: `subjects` is 200000000: at most 100,000,000 per replicate can be run (one replicate would hold about 40 GB of subject records)",
        ])
        #expect(protocolErrors(minimalProtocol.replacing("subjects: 40", with: "subjects: 1000000\nreplicates: 1000000")) == [
            "4:13: error: subjects × replicates = 1e+12 simulated subjects is more than can be run (limit 1e11; at about 10 µs each that is 116 days of CPU time)",
        ])
    }
}
