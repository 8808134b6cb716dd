/// The colours of arms, in arm order: the Okabe–Ito palette (Okabe & Ito 2008, "Color Universal
/// Design"), distinguishable under the common colour-vision deficiencies. Yellow is left out (too
/// faint on white). With more than seven arms the colours repeat.
enum ArmPalette {
    static let colours = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"]

    /// The colour of the arm at `index` in the report's arm order.
    static func colour(_ index: Int) -> String {
        colours[index % colours.count]
    }
}

/// The colours of AE grades 1, 2, 3, 4, 5 and above: a light-to-dark sequential ramp (ColorBrewer
/// "Oranges"), so that severity reads as darkness whatever the arm colours are.
enum GradePalette {
    static let colours = ["#FDD0A2", "#FDAE6B", "#F16913", "#D94801", "#7F2704"]

    static func colour(grade: Int) -> String {
        colours[min(max(grade, 1), colours.count) - 1]
    }
}
