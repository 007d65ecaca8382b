import Foundation

/// The JSON array of strings stored in list columns such as `person.languages`.
///
/// Written and read by hand: these columns are written and read for every contact of a bulk import,
/// and a `JSONEncoder` per value costs more than the rest of the row.
enum JSONStringArray {
    static func encode(_ items: [String]) -> String {
        var text = "["
        for (index, item) in items.enumerated() {
            if index > 0 { text += "," }
            append(item, to: &text)
        }
        return text + "]"
    }

    /// Appends one item as a JSON string: quoted, with `"`, `\` and control characters escaped and
    /// nothing else (docs/PROTOCOL.md, "Digest").
    static func append(_ item: String, to text: inout String) {
        // Most items, ids above all, have nothing to escape: copied whole, not scalar by scalar.
        if !item.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            text += "\""
            text += item
            text += "\""
            return
        }
        text += "\""
        for scalar in item.unicodeScalars {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            case _ where scalar.value < 0x20: text += String(format: "\\u%04x", scalar.value)
            default: text.unicodeScalars.append(scalar)
            }
        }
        text += "\""
    }

    static func decode(_ text: String) -> [String] {
        if !text.contains("\\") {
            // No escapes: the items are the text between quote pairs.
            let parts = text.split(separator: "\"", omittingEmptySubsequences: false)
            return stride(from: 1, to: parts.count - 1, by: 2).map { String(parts[$0]) }
        }
        return (try? JSONDecoder().decode([String].self, from: Data(text.utf8))) ?? []
    }
}
