/// The CSV exchange format: one row per contact, or per agency or unit for its own channels and roles.
public enum CSVFormat {
    /// The columns, in the order export writes them. Import takes them in any order.
    public static let columns = [
        "country", "agency", "agency_kind", "unit", "given_name", "family_name", "native_name", "position", "languages",
        "timezone", "phone", "mobile", "email", "secure_channel", "is_24x7", "crime_areas", "functions",
    ]

    /// Columns that every file must have.
    public static let requiredColumns: Set<String> = ["country", "agency"]

    static func parseBool(_ text: String) -> Bool? {
        switch text.trimmed.lowercased() {
        case "", "false", "no", "0", "n": false
        case "true", "yes", "1", "y": true
        default: nil
        }
    }

    /// Cells that a spreadsheet would run as a formula (`=`, `+`, `-`, `@` first) are written with a
    /// leading `'`, which spreadsheets show as text; import takes the `'` off again. Phone numbers are
    /// digits after `+` and are written as they are.
    static func escapeFormula(_ cell: String) -> String {
        guard let first = cell.first, "=+-@".contains(first) else { return cell }
        if first == "+", cell.dropFirst().allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ";" || $0 == "+") }) { return cell }
        return "'" + cell
    }

    static func unescapeFormula(_ cell: String) -> String {
        guard cell.hasPrefix("'"), let second = cell.dropFirst().first, "=+-@".contains(second) else { return cell }
        return String(cell.dropFirst())
    }

    static func list(_ text: String) -> [String] {
        text.split(separator: ";").map { $0.trimmed }.filter { !$0.isEmpty }
    }
}

import Foundation
