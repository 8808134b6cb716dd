extension ModelLibrary {
    /// The registry as plain text, what `vtrial models` prints: each model with its equations,
    /// parameters (name, unit, default or "required", meaning) and outputs.
    public static var textListing: String {
        var lines: [String] = []
        for component in components {
            lines.append("\(component.kind.rawValue) \(component.id) — \(component.title)")
            for equation in component.equations { lines.append("    \(equation)") }
            lines.append("  parameters:")
            let width = component.parameters.map(\.name.count).max() ?? 0
            for p in component.parameters {
                let name = p.name.padding(toLength: width, withPad: " ", startingAt: 0)
                let value = (p.defaultValue.map { "default \($0)" } ?? "required")
                    + (p.positive ? ", > 0" : "")
                lines.append("    \(name)  [\(p.dimension)]  \(value)  \(p.meaning)")
            }
            lines.append("  outputs: " + component.outputs.map { "\($0.name) [\($0.dimension)]" }.joined(separator: ", "))
            lines.append("  source: \(component.source)")
            lines.append("")
        }
        return lines.joined(separator: "\n")
    }
}
