public import Foundation

/// The value of one field in a change: what a column of a replicated table holds.
public enum FieldValue: Sendable, Hashable {
    case null
    case text(String)
    case integer(Int64)
    case bool(Bool)
    /// An ordered list of strings, stored as a JSON array.
    case list([String])

    /// `text` for a non-empty string, `null` for nil or empty.
    static func optional(_ value: String?) -> FieldValue {
        guard let value, !value.isEmpty else { return .null }
        return .text(value)
    }

    static func uuid(_ value: UUID?) -> FieldValue {
        value.map { .text($0.lowercasedString) } ?? .null
    }
}

extension UUID {
    /// The lower-case form stored in the database and files.
    public var lowercasedString: String { uuidString.lowercased() }
}
