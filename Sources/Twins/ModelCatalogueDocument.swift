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
            "studies; drug-specific potencies and patient baselines have none.",
            "",
            "How models are solved: linear PK (with AUC and the effect compartment) is advanced exactly with",
            "the transition matrix of the linear system, cached per step length; direct effects (`emax`,",
            "`cardio.qtc`) are evaluated from it. States without a closed form (IDR responses, disease twins,",
            "Michaelis–Menten PK) are integrated by the ODE solver, restarted at every dose and infusion",
            "start/stop; with linear PK, C(t) inside their right-hand side is the closed form, so the PK is not",
            "integrated numerically. The effect compartment CE joins the solver's states when there are any (an",
            "IDR response or a twin with KE0, or a `mean`/`auc` endpoint of an output that is not linear in the",
            "PK, such as E of `emax`): it is then exact only to the solver's tolerance (about 1e-6 relative at",
            "the default rtol 1e-6), so adding such an endpoint can move CE and E in their 7th digit.",
            "",
            "Any other ODE model can be written in the protocol itself: see [custom-models.md](custom-models.md).",
        ]
        for component in components {
            lines += ["", "## \(component.id) — \(component.title)", "", "Kind: \(component.kind.rawValue). Source: \(component.source).", "", "```"]
            lines += component.equations
            lines += ["```", "", "| parameter | unit | default | meaning | source |", "|---|---|---|---|---|"]
            for p in component.parameters {
                let value = p.defaultValue.map { "\($0)" } ?? "required"
                lines.append("| \(p.name) | \(p.dimension) | \(value) | \(p.meaning) | \(p.source ?? "") |")
            }
            lines += ["", "| output | unit | meaning |", "|---|---|---|"]
            for o in component.outputs { lines.append("| \(o.name) | \(o.dimension) | \(o.meaning) |") }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
