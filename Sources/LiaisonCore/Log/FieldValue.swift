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
    public var lowercasedString: String {
        // Formatted by hand: ids are formatted for every key and query, and `uuidString` goes
        // through C and an upper-case copy first.
        let digits: StaticString = "0123456789abcdef"
        return withUnsafeBytes(of: uuid) { bytes in
            String(unsafeUninitializedCapacity: 36) { buffer in
                var position = 0
                for (index, byte) in bytes.enumerated() {
                    if index == 4 || index == 6 || index == 8 || index == 10 {
                        buffer[position] = UInt8(ascii: "-")
                        position += 1
                    }
                    buffer[position] = digits.utf8Start[Int(byte >> 4)]
                    buffer[position + 1] = digits.utf8Start[Int(byte & 0x0F)]
                    position += 2
                }
                return position
            }
        }
    }
}
