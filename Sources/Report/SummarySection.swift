import Output

/// The protocol summary: what was run (manifest.json), the arms, endpoints and AE terms found in
/// the CSV files, subjects per arm in the first replicate, and how to read the page.
enum SummarySection {
    static func markup(_ context: ReportContext) -> String {
        let manifest = context.data.manifest
        var markup = "<section id=\"summary\"><h2>Protocol summary</h2>"
        var facts: [(String, String)] = [
            ("Protocol file", manifest.protocolFile),
            ("Seed", String(manifest.seed)),
            ("Replicates", String(manifest.replicates)),
            ("Subjects per replicate", String(manifest.subjects)),
        ]
        if let sha = manifest.protocolSHA256 { facts.append(("Protocol SHA-256", sha)) }
        if let engine = manifest.engineVersion { facts.append(("Engine version", engine)) }
        if let spec = manifest.specVersion { facts.append(("Spec version", spec)) }
        facts.append(("Arms", context.arms.isEmpty ? "none" : context.arms.joined(separator: ", ")))
        facts.append(("Control", context.controls.isEmpty ? "none" : context.controls.joined(separator: ", ")))
        facts.append(("Endpoints", context.endpoints.isEmpty ? "none" : context.endpoints.joined(separator: ", ")))
        facts.append(("Adverse-event terms", context.terms.isEmpty ? "none" : context.terms.joined(separator: ", ")))
        markup += "<dl class=\"facts\">"
        for (name, value) in facts {
            markup += "<dt>\(escapeHTML(name))</dt><dd>\(escapeHTML(value))</dd>"
        }
        markup += "</dl>"

        let subjects = context.data.subjects
        if let replicate = subjects.replicate {
            let rows = context.arms.compactMap { arm -> [String]? in
                guard let counts = subjects.arm(named: arm), counts.subjects > 0 else { return nil }
                return [arm, String(counts.subjects), String(counts.dropouts)]
            }
            markup += htmlTable(headers: ["Arm", "Subjects", "Dropouts"], rows: rows, numericColumns: [1, 2],
                                caption: "Subjects by arm, replicate \(replicate) (subjects.csv)")
        } else {
            markup += noneParagraph("subjects.csv has no rows")
        }

        markup += """
        <h3>How to read this page</h3><ul class="howto">\
        <li>Everything here is computed from the CSV files of this results folder; rebuild it with \
        <code>vtrial report</code>. Numbers are rounded to 4 significant digits; the CSV files hold them in full.</li>\
        <li><b>Time courses</b> (replicate 1): per arm, the shaded bands hold the middle 90 % (P05–P95, light) \
        and 50 % (P25–P75, darker) of subjects at each time; the line is the median.</li>\
        <li><b>Forest plots</b>: each arm versus the control, averaged over replicates. A difference has its \
        no-effect line at 0, a ratio (hazard ratio or log-scale endpoint) at 1 on a logarithmic axis.</li>\
        <li><b>Adverse events</b>: incidence per arm averaged over replicates with a typical single-trial \
        Clopper–Pearson interval, and the worst grade reached per subject in replicate 1.</li>\
        <li><b>Kaplan–Meier curves</b> (replicate 1): the share of subjects without the event over time; \
        a tick marks a censored subject.</li>\
        <li><b>Power</b>: the share of replicate trials with a significant result, with its exact \
        Clopper–Pearson interval.</li></ul>
        """
        markup += "</section>"
        return markup
    }
}
