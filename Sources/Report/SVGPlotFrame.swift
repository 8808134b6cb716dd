/// The frame of an x–y plot in SVG: the canvas, the plot area inside its margins, the two axes,
/// and the markup for grid lines, ticks, tick labels and axis titles.
///
/// Geometry (pixels, origin top left): the plot area spans x from `left` to `width − right` and y
/// from `top` to `height − bottom`; the y axis's `pixelStart` is the area's bottom.
struct SVGPlotFrame {
    static let width = 960.0
    static let left = 80.0
    static let right = 180.0  // room for the legend
    static let top = 20.0
    static let bottom = 50.0

    let height: Double
    let xAxis: PlotAxis
    let yAxis: PlotAxis

    /// The plot area's pixel bounds.
    static var plotLeft: Double { left }
    static var plotRight: Double { width - right }
    func plotTop() -> Double { Self.top }
    func plotBottom() -> Double { height - Self.bottom }

    /// The opening `<svg>` tag sized to the frame, with an accessible name.
    func openTag(label: String) -> String {
        svgOpenTag(width: Self.width, height: height, label: label)
    }

    /// Grid lines, axis lines, tick marks, tick labels and the two axis titles.
    func axesMarkup(xTitle: String, yTitle: String) -> String {
        let bottom = plotBottom()
        let top = plotTop()
        var markup = "<g class=\"axes\">"
        for tick in yAxis.ticks {
            let y = svgNumber(yAxis.pixel(tick))
            markup += "<line class=\"grid\" x1=\"\(svgNumber(Self.plotLeft))\" y1=\"\(y)\" x2=\"\(svgNumber(Self.plotRight))\" y2=\"\(y)\"/>"
            markup += "<text class=\"tick\" x=\"\(svgNumber(Self.plotLeft - 6))\" y=\"\(y)\" text-anchor=\"end\" dominant-baseline=\"middle\">\(displayNumber(tick))</text>"
        }
        for tick in xAxis.ticks {
            let x = svgNumber(xAxis.pixel(tick))
            markup += "<line class=\"grid\" x1=\"\(x)\" y1=\"\(svgNumber(top))\" x2=\"\(x)\" y2=\"\(svgNumber(bottom))\"/>"
            markup += "<line class=\"axis\" x1=\"\(x)\" y1=\"\(svgNumber(bottom))\" x2=\"\(x)\" y2=\"\(svgNumber(bottom + 5))\"/>"
            markup += "<text class=\"tick\" x=\"\(x)\" y=\"\(svgNumber(bottom + 18))\" text-anchor=\"middle\">\(displayNumber(tick))</text>"
        }
        markup += "<line class=\"axis\" x1=\"\(svgNumber(Self.plotLeft))\" y1=\"\(svgNumber(bottom))\" x2=\"\(svgNumber(Self.plotRight))\" y2=\"\(svgNumber(bottom))\"/>"
        markup += "<line class=\"axis\" x1=\"\(svgNumber(Self.plotLeft))\" y1=\"\(svgNumber(top))\" x2=\"\(svgNumber(Self.plotLeft))\" y2=\"\(svgNumber(bottom))\"/>"
        let centreX = (Self.plotLeft + Self.plotRight) / 2
        markup += "<text class=\"title\" x=\"\(svgNumber(centreX))\" y=\"\(svgNumber(height - 10))\" text-anchor=\"middle\">\(escapeHTML(xTitle))</text>"
        let centreY = (top + bottom) / 2
        markup += "<text class=\"title\" x=\"16\" y=\"\(svgNumber(centreY))\" text-anchor=\"middle\" transform=\"rotate(-90 16 \(svgNumber(centreY)))\">\(escapeHTML(yTitle))</text>"
        markup += "</g>"
        return markup
    }

    /// A legend in the right margin: one coloured swatch and name per entry, in order.
    func legendMarkup(_ entries: [(name: String, colour: String)]) -> String {
        var markup = "<g class=\"legend\">"
        for (index, entry) in entries.enumerated() {
            let y = Self.top + 8 + Double(index) * 20
            markup += "<rect x=\"\(svgNumber(Self.plotRight + 16))\" y=\"\(svgNumber(y - 6))\" width=\"14\" height=\"12\" fill=\"\(entry.colour)\"/>"
            markup += "<text x=\"\(svgNumber(Self.plotRight + 36))\" y=\"\(svgNumber(y))\" dominant-baseline=\"middle\">\(escapeHTML(entry.name))</text>"
        }
        markup += "</g>"
        return markup
    }
}

/// `<svg …>` with the XML namespace (so the page also parses as XML), a fixed viewBox and an
/// accessible name.
func svgOpenTag(width: Double, height: Double, label: String) -> String {
    "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(svgNumber(width))\" height=\"\(svgNumber(height))\" viewBox=\"0 0 \(svgNumber(width)) \(svgNumber(height))\" role=\"img\" aria-label=\"\(escapeHTML(label))\">"
}

/// The vertical grid lines, tick labels and bottom axis line of a horizontal (row-per-item) chart
/// — forest plots, incidence and power bars — between `top` and `bottom`, from `left` to `right`.
/// Opens the `axes` group, which the caller closes after adding its own reference lines and title.
func horizontalAxisMarkup(_ axis: PlotAxis, top: Double, bottom: Double, left: Double, right: Double) -> String {
    var markup = "<g class=\"axes\">"
    for tick in axis.ticks {
        let x = svgNumber(axis.pixel(tick))
        markup += "<line class=\"grid\" x1=\"\(x)\" y1=\"\(svgNumber(top))\" x2=\"\(x)\" y2=\"\(svgNumber(bottom))\"/>"
        markup += "<text class=\"tick\" x=\"\(x)\" y=\"\(svgNumber(bottom + 18))\" text-anchor=\"middle\">\(displayNumber(tick))</text>"
    }
    markup += "<line class=\"axis\" x1=\"\(svgNumber(left))\" y1=\"\(svgNumber(bottom))\" x2=\"\(svgNumber(right))\" y2=\"\(svgNumber(bottom))\"/>"
    return markup
}
