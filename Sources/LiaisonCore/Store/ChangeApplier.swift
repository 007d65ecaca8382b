import Foundation
import GRDB

/// Applies changes to the record tables by last-writer-wins per field group.
///
/// Every write reaches the tables through here: local writes and, later, other nodes' commits, so
/// that all nodes that apply the same changes hold the same rows.
enum ChangeApplier {
    /// The group that holds a record's tombstone stamp.
    static let deletionGroup = "~deleted"

    /// The columns of each field group, per record kind. A change naming any other group or field is
    /// refused, so a change's names can safely become column names.
    static let fieldGroups: [Entity: [String: [String]]] = {
        func groups(_ record: some ReplicatedRecord) -> [String: [String]] {
            record.fieldGroups.mapValues { $0.keys.sorted() }
        }
        let id = UUID()
        return [
            .agency: groups(Agency(name: "x", kind: .other, country: "XX")),
            .person: groups(Person(agencyID: id)),
            .channel: groups(Channel(kind: .phone, value: "x")),
            .designation: groups(Designation(crimeArea: nil, function: .policy)),
        ]
    }()

    /// Applies one change. `isNew` says the caller already knows the record is not stored, which saves
    /// a lookup per record on bulk imports.
    static func apply(_ change: Change, stamp: Stamp, isNew: Bool = false, in db: Database) throws {
        let table = change.entity.table
        let existing = isNew ? nil : try Row.fetchOne(
            db.cachedStatement(sql: "SELECT stamps FROM \(table) WHERE id = ?"), arguments: [change.recordID.lowercasedString])
        var stamps = try existing.map { try decodeStamps($0["stamps"]) } ?? [:]
        let stampText = stamp.text
        let modifiedAt = stamp.databaseTime

        switch change.operation {
        case .delete:
            guard existing != nil else {
                throw LiaisonError(.conflict, "cannot delete a record this node does not hold", record: "\(table) \(change.recordID.lowercasedString)")
            }
            guard stamps[deletionGroup].map({ $0 <= stampText }) ?? true else { return }
            stamps[deletionGroup] = stampText
            try db.execute(
                sql: "UPDATE \(table) SET stamps = ?, deleted = ?, modified_at = max(modified_at, ?) WHERE id = ?",
                arguments: [encodeStamps(stamps), isDeleted(stamps), modifiedAt, change.recordID.lowercasedString])

        case .upsert(let groups):
            let known = fieldGroups[change.entity] ?? [:]
            var columns: [String] = []
            var appliedGroups = 0
            var values: [(any DatabaseValueConvertible)?] = []
            for (group, fields) in groups.sorted(by: { $0.key < $1.key }) {
                // The group's columns in a fixed order; a change with any other field is refused.
                guard let expected = known[group], fields.count == expected.count else {
                    throw LiaisonError(.verification, "unknown field group \"\(group)\" or fields for \(table)", record: change.recordID.lowercasedString)
                }
                var groupValues: [(any DatabaseValueConvertible)?] = []
                for name in expected {
                    guard let value = fields[name] else {
                        throw LiaisonError(.verification, "field group \"\(group)\" of \(table) lacks \(name)", record: change.recordID.lowercasedString)
                    }
                    groupValues.append(databaseValue(value))
                }
                guard stamps[group].map({ $0 <= stampText }) ?? true else { continue }
                stamps[group] = stampText
                appliedGroups += 1
                columns += expected
                values += groupValues
            }
            guard appliedGroups > 0 else { return }
            let deleted = isDeleted(stamps)
            if existing == nil {
                let allValues: [(any DatabaseValueConvertible)?] =
                    [change.recordID.lowercasedString, stamp.origin.hex, modifiedAt, modifiedAt, deleted, encodeStamps(stamps)] + values
                let sql = appliedGroups == known.count ? insertWithAllGroups[change.entity] ?? insertSQL(table, columns) : insertSQL(table, columns)
                try db.cachedStatement(sql: sql).execute(arguments: StatementArguments(allValues))
            } else {
                let assignments = columns.map { "\($0) = ?" } + ["stamps = ?", "deleted = ?", "modified_at = max(modified_at, ?)"]
                try db.cachedStatement(sql: "UPDATE \(table) SET \(assignments.joined(separator: ", ")) WHERE id = ?")
                    .execute(arguments: StatementArguments(values + [encodeStamps(stamps), deleted, modifiedAt, change.recordID.lowercasedString]))
            }
        }
    }

    private static func insertSQL(_ table: String, _ columns: [String]) -> String {
        let allColumns = ["id", "steward", "created_at", "modified_at", "deleted", "stamps"] + columns
        return "INSERT INTO \(table) (\(allColumns.joined(separator: ", "))) VALUES (\(Array(repeating: "?", count: allColumns.count).joined(separator: ", ")))"
    }

    /// The insert of a new record with every field group, the usual case, built once per kind.
    private static let insertWithAllGroups: [Entity: String] = Dictionary(uniqueKeysWithValues: fieldGroups.map { entity, groups in
        (entity, insertSQL(entity.table, groups.keys.sorted().flatMap { groups[$0] ?? [] }))
    })

    /// A record is deleted when its tombstone is no earlier than every write to its field groups.
    /// Equal stamps come from one commit, where a later change wins over an earlier one, so
    /// re-applying a commit changes nothing.
    private static func isDeleted(_ stamps: [String: String]) -> Bool {
        guard let deletion = stamps[deletionGroup] else { return false }
        return stamps.allSatisfy { $0.key == deletionGroup || $0.value <= deletion }
    }

    private static func databaseValue(_ value: FieldValue) -> (any DatabaseValueConvertible)? {
        switch value {
        case .null: nil
        case .text(let text): text
        case .integer(let number): number
        case .bool(let flag): flag
        case .list(let items): JSONStringArray.encode(items)
        }
    }

    /// Reads the stamps column: a JSON object of strings. Group names and stamps never need escapes,
    /// which ``encodeStamps(_:)`` relies on; anything else is refused.
    static func decodeStamps(_ text: String?) throws -> [String: String] {
        guard let text, text != "{}" else { return [:] }
        let parts = text.split(separator: "\"", omittingEmptySubsequences: false)
        guard text.hasPrefix("{\""), text.hasSuffix("\"}"), parts.count % 4 == 1, !text.contains("\\") else {
            throw LiaisonError(.storage, "unreadable stamps column: \(text.prefix(80))")
        }
        var stamps: [String: String] = [:]
        var index = 1
        while index + 2 < parts.count {
            stamps[String(parts[index])] = String(parts[index + 2])
            index += 4
        }
        return stamps
    }

    /// Writes the stamps as a JSON object with sorted keys.
    static func encodeStamps(_ stamps: [String: String]) -> String {
        "{" + stamps.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\"\($0.value)\"" }.joined(separator: ",") + "}"
    }
}
