/// The CSV exchange format: one row per contact, or per agency or unit for its own channels and roles.
public enum CSVFormat {
    /// The columns, in the order export writes them. Import takes them in any order.
    ///
    /// Every field of every record has a column, so that export and import lose nothing but ids:
    /// the `agency_` columns describe the row's unit when it has one (as `agency_kind` does), the
    /// channel columns hold one kind each, `is_24x7`, `hours` and `marking` describe the row's
    /// channels, and `valid_from`, `valid_to` and `legal_basis` its roles.
    public static let columns = [
        "country", "agency", "agency_kind", "unit", "agency_native_name", "agency_acronym", "agency_subdivision", "agency_address",
        "agency_website", "given_name", "family_name", "native_name", "position", "rank", "languages", "timezone", "verified_at",
        "verified_by", "phone", "mobile", "fax", "email", "secure_channel", "messaging", "post", "is_24x7", "hours", "marking",
        "crime_areas", "functions", "valid_from", "valid_to", "legal_basis",
    ]

    /// The column of each channel kind. A `post` cell holds one address, which may contain `;`;
    /// the others hold `;`-separated lists.
    public static let channelColumns: [(kind: ChannelKind, column: String)] = [
        (.phone, "phone"), (.mobile, "mobile"), (.fax, "fax"), (.email, "email"), (.secureMailbox, "secure_channel"),
        (.messaging, "messaging"), (.post, "post"),
    ]

    /// The agency fields that the `agency_` columns carry besides `agency_kind`, by column.
    static let agencyDetailColumns = ["agency_native_name", "agency_acronym", "agency_subdivision", "agency_address", "agency_website"]

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

    /// The items of a channel cell: one postal address, or a `;`-separated list of the others.
    static func channelItems(_ text: String, kind: ChannelKind) -> [String] {
        kind == .post ? (text.trimmed.isEmpty ? [] : [text.trimmed]) : list(text)
    }

    /// A channel as a cell item: `LABEL: value` when it has a label (`SIENA: md@siena.example`,
    /// `Duty desk: +37322000100`), else the value. A label that import would not read back as one
    /// (longer than 24 characters, or with `@`, `;` or `: ` in it) is left out rather than make the
    /// cell unreadable: JSON keeps it.
    static func item(_ channel: Channel) -> String {
        guard let label = channel.label, readsBack(label) else { return channel.value }
        return "\(label): \(channel.value)"
    }

    static func readsBack(_ label: String) -> Bool {
        !label.isEmpty && label == label.trimmed && label.count <= SecureMailbox.maximumSystemLength
            && !label.contains("@") && !label.contains(";") && !label.contains(": ")
    }
}

import Foundation
