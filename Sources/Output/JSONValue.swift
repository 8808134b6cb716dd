/// A JSON value with a fixed member order, written by `jsonText()` in one deterministic layout.
///
/// Objects are ordered lists of members (not dictionaries) so that the text never depends on
/// hashing; the writer does not check for duplicate keys.
public indirect enum JSONValue: Equatable, Sendable {
    case string(String)
    case integer(Int)
    case unsignedInteger(UInt64)
    /// Written with `formatNumber` (shortest round-trip); NaN and infinities, which JSON cannot
    /// express, are written as `null`.
    case number(Double)
    case bool(Bool)
    case null
    case array([JSONValue])
    case object([JSONMember])

    /// The value as pretty JSON: two-space indentation, one member or element per line, `": "`
    /// after keys, `{}` and `[]` for empty containers, no trailing newline. Strings are escaped
    /// as RFC 8259 requires (`\"`, `\\`, `\b`, `\f`, `\n`, `\r`, `\t`, other control characters
    /// as `\u00XX`); everything else, non-ASCII included, is written as UTF-8.
    ///
    /// ```
    /// JSONValue.object([JSONMember("a", .integer(1))]).jsonText()   // "{\n  \"a\": 1\n}"
    /// ```
    public func jsonText() -> String {
        var bytes: [UInt8] = []
        append(to: &bytes, indent: 0)
        return String(decoding: bytes, as: UTF8.self)
    }

    func append(to bytes: inout [UInt8], indent: Int) {
        switch self {
        case let .string(text):
            appendJSONString(text, to: &bytes)
        case let .integer(value):
            appendInteger(value, to: &bytes)
        case let .unsignedInteger(value):
            bytes.append(contentsOf: String(value).utf8)
        case let .number(value):
            if value.isFinite { appendNumber(value, to: &bytes) } else { bytes.append(contentsOf: "null".utf8) }
        case let .bool(value):
            bytes.append(contentsOf: (value ? "true" : "false").utf8)
        case .null:
            bytes.append(contentsOf: "null".utf8)
        case let .array(elements):
            guard !elements.isEmpty else { bytes.append(contentsOf: "[]".utf8); return }
            bytes.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                bytes.append(contentsOf: index == 0 ? "\n".utf8 : ",\n".utf8)
                appendIndent(indent + 1, to: &bytes)
                element.append(to: &bytes, indent: indent + 1)
            }
            bytes.append(UInt8(ascii: "\n"))
            appendIndent(indent, to: &bytes)
            bytes.append(UInt8(ascii: "]"))
        case let .object(members):
            guard !members.isEmpty else { bytes.append(contentsOf: "{}".utf8); return }
            bytes.append(UInt8(ascii: "{"))
            for (index, member) in members.enumerated() {
                bytes.append(contentsOf: index == 0 ? "\n".utf8 : ",\n".utf8)
                appendIndent(indent + 1, to: &bytes)
                appendJSONString(member.key, to: &bytes)
                bytes.append(contentsOf: ": ".utf8)
                member.value.append(to: &bytes, indent: indent + 1)
            }
            bytes.append(UInt8(ascii: "\n"))
            appendIndent(indent, to: &bytes)
            bytes.append(UInt8(ascii: "}"))
        }
    }
}

/// One key and value of a JSON object.
public struct JSONMember: Equatable, Sendable {
    public var key: String
    public var value: JSONValue

    public init(_ key: String, _ value: JSONValue) {
        self.key = key
        self.value = value
    }
}

private func appendIndent(_ level: Int, to bytes: inout [UInt8]) {
    bytes.append(contentsOf: repeatElement(UInt8(ascii: " "), count: 2 * level))
}

private let hexDigits = Array("0123456789abcdef".utf8)

/// Appends `text` as a quoted JSON string (RFC 8259 §7).
func appendJSONString(_ text: String, to bytes: inout [UInt8]) {
    bytes.append(UInt8(ascii: "\""))
    for byte in text.utf8 {
        switch byte {
        case UInt8(ascii: "\""): bytes.append(contentsOf: "\\\"".utf8)
        case UInt8(ascii: "\\"): bytes.append(contentsOf: "\\\\".utf8)
        case 0x08: bytes.append(contentsOf: "\\b".utf8)
        case 0x0c: bytes.append(contentsOf: "\\f".utf8)
        case 0x0a: bytes.append(contentsOf: "\\n".utf8)
        case 0x0d: bytes.append(contentsOf: "\\r".utf8)
        case 0x09: bytes.append(contentsOf: "\\t".utf8)
        case 0x00..<0x20:
            bytes.append(contentsOf: "\\u00".utf8)
            bytes.append(hexDigits[Int(byte >> 4)])
            bytes.append(hexDigits[Int(byte & 0xf)])
        default: bytes.append(byte)
        }
    }
    bytes.append(UInt8(ascii: "\""))
}
