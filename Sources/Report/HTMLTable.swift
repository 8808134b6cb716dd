/// An HTML table of plain-text cells: every header and cell is escaped here. Columns whose index
/// is in `numericColumns` are right-aligned.
func htmlTable(headers: [String], rows: [[String]], numericColumns: Set<Int> = [], caption: String? = nil) -> String {
    // The wrapper scrolls sideways instead of letting a wide table overflow the page.
    var markup = "<div class=\"table\"><table>"
    if let caption { markup += "<caption>\(escapeHTML(caption))</caption>" }
    markup += "<thead><tr>"
    for (index, header) in headers.enumerated() {
        markup += numericColumns.contains(index) ? "<th class=\"num\">" : "<th>"
        markup += escapeHTML(header) + "</th>"
    }
    markup += "</tr></thead><tbody>"
    for row in rows {
        markup += "<tr>"
        for (index, cell) in row.enumerated() {
            markup += numericColumns.contains(index) ? "<td class=\"num\">" : "<td>"
            markup += escapeHTML(cell) + "</td>"
        }
        markup += "</tr>"
    }
    markup += "</tbody></table></div>"
    return markup
}

/// The paragraph a section shows when its file has no rows.
func noneParagraph(_ what: String) -> String {
    "<p class=\"none\">none — \(escapeHTML(what))</p>"
}
