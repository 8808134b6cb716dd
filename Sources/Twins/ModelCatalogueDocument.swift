/// docs/models.md, generated from the registry (`ModelLibrary.components`) so the two cannot
/// drift apart: a test compares the committed file with this text.
extension ModelLibrary {
    public static var markdownReference: String {
        var lines: [String] = [
            "# Built-in models",
            "",
            "Generated from `ModelLibrary.components` (Sources/Twins); `vtrial models` prints the same registry.",
            "Do not edit by hand: run `VTRIAL_REGENERATE_MODELS_DOC=1 swift test --filter ModelCatalogueTests`.",
            "",
            "Canonical units: mg, L, h (rates in 1/h). Parameters without a default are required in the",
            "protocol. A default is given only where the cited source gives a value that transfers between",
            "studies; drug-specific potencies and patient baselines have none. \"> 0\": the model is undefined",
            "at 0 (a volume, or a constant it divides by), so the value must be positive, also without",
            "variability; other parameters on the θ·exp(η) scale may be 0 (> 0 with variability).",
            "",
            "How models are solved: linear PK (with AUC and the effect compartment) is advanced exactly with",
            "the transition matrix of the linear system, cached per step length; direct effects (`emax`,",
            "`cardio.qtc`) are evaluated from it, and so are the integrals of `cardio.qtc`'s outputs (mean and",
            "auc endpoints: QTC0·t + SLOPE·∫C, exact, as they are affine in C or CE; those of `emax`'s E, not",
            "linear in C, are integrated by the solver). States without a closed form (IDR responses, disease twins,",
            "Michaelis–Menten PK) are integrated by the ODE solver, restarted at every dose and infusion",
            "start/stop (the first step after a restart is the smaller of the step the previous segment ended",
            "with and Hairer's estimate from the state after the dose, so a step fitted to the quiet end of",
            "one interval never spans the next absorption peak); with linear PK, C(t) inside their",
            "right-hand side is the closed form, so the PK is not",
            "integrated numerically. With linear PK the effect compartment CE stays a state of the linear",
            "system, exact, also when the solver integrates other states (an IDR response or a twin with KE0,",
            "or a `mean`/`auc` endpoint of an output that is not linear in the PK, such as E of `emax`), in",
            "built-in and custom models alike: their right-hand side reads CE(t) in closed form too,",
            "CE(0)·e^{−KE0·t} plus C's exponential modes convolved with KE0's (divided differences of the",
            "exponential, evaluated through the confluent cases KE0 = KA or KE0 equal to a disposition rate).",
            "With Michaelis–Menten PK, CE is integrated with the other states, to the solver's tolerance.",
            "",
            "Any other ODE model can be written in the protocol itself: see [custom-models.md](custom-models.md).",
        ]
        for component in components {
            lines += ["", "## \(component.id) — \(component.title)", "", "Kind: \(component.kind.rawValue). Source: \(component.source).", "", "```"]
            lines += component.equations
            lines += ["```", "", "| parameter | unit | default | meaning | source |", "|---|---|---|---|---|"]
            for p in component.parameters {
                let value = (p.defaultValue.map { "\($0)" } ?? "required")
                    + (p.positive ? ", > 0" : "")
                lines.append("| \(p.name) | \(p.dimension) | \(value) | \(p.meaning) | \(p.source ?? "") |")
            }
            lines += ["", "| output | unit | meaning |", "|---|---|---|"]
            for o in component.outputs { lines.append("| \(o.name) | \(o.dimension) | \(o.meaning) |") }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
