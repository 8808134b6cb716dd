/// `text` with the five characters that are special in HTML and XML replaced by entities, so that
/// arm names, terms and endpoint ids (user input) are shown as text and never parsed as markup:
/// `&` `<` `>` `"` `'`. Safe in element content and in quoted attribute values.
func escapeHTML(_ text: String) -> String {
    var escaped = ""
    escaped.reserveCapacity(text.utf8.count)
    for character in text.unicodeScalars {
        switch character {
        case "&": escaped += "&amp;"
        case "<": escaped += "&lt;"
        case ">": escaped += "&gt;"
        case "\"": escaped += "&quot;"
        case "'": escaped += "&#39;"
        default: escaped.unicodeScalars.append(character)
        }
    }
    return escaped
}
