public import Foundation
public import GRDB

/// Applies changes to the record tables by last-writer-wins per field group.
///
/// Every write reaches the tables through here: local writes and, later, other nodes' commits, so
/// that all nodes that apply the same changes hold the same rows.
enum ChangeApplier {
    /// The group that holds a record's tombstone stamp.
    static let deletionGroup = "~deleted"

    /// The columns of each field group, per record kind. A change naming any other group or field is
    /// refused, so a change's names can safely become column names.
    static let fieldGroups: [Entity: [String: Set<String>]] = {
        func groups(_ record: some ReplicatedRecord) -> [String: Set<String>] {
            record.fieldGroups.mapValues { Set($0.keys) }
        }
        let id = UUID()
        return [
            .agency: groups(Agency(name: "x", kind: .other, country: "XX")),
            .person: groups(Person(agencyID: id)),
            .channel: groups(Channel(kind: .phone, value: "x")),
            .designation: groups(Designation(crimeArea: nil, function: .policy)),
        ]
    }()

    /// What an applied change did.
    struct Outcome {
        var created = false
        var appliedGroups: [String] = []
        var deleted = false
    }

    static func apply(_ change: Change, stamp: Stamp, in db: Database) throws -> Outcome {
        let table = change.entity.table
        let existing = try Row.fetchOne(
            db, sql: "SELECT stamps FROM \(table) WHERE id = ?", arguments: [change.recordID.lowercasedString])
        var stamps = try existing.map { try decodeStamps($0["stamps"]) } ?? [:]
        let stampText = stamp.text
        let modifiedAt = Timestamp.database(stamp.time.date)
        var outcome = Outcome()

        switch change.operation {
        case .delete:
            guard existing != nil else {
                throw LiaisonError(.conflict, "cannot delete a record this node does not hold", record: "\(table) \(change.recordID.lowercasedString)")
            }
            guard stamps[deletionGroup].map({ $0 <= stampText }) ?? true else { return outcome }
            stamps[deletionGroup] = stampText
            outcome.deleted = isDeleted(stamps)
            try db.execute(
                sql: "UPDATE \(table) SET stamps = ?, deleted = ?, modified_at = max(modified_at, ?) WHERE id = ?",
                arguments: [try encodeStamps(stamps), outcome.deleted, modifiedAt, change.recordID.lowercasedString])

        case .upsert(let groups):
            let known = fieldGroups[change.entity] ?? [:]
            var columns: [String] = []
            var values: [(any DatabaseValueConvertible)?] = []
            for (group, fields) in groups.sorted(by: { $0.key < $1.key }) {
                guard let expected = known[group], Set(fields.keys) == expected else {
                    throw LiaisonError(.verification, "unknown field group \"\(group)\" or fields for \(table)", record: change.recordID.lowercasedString)
                }
                guard stamps[group].map({ $0 <= stampText }) ?? true else { continue }
                stamps[group] = stampText
                outcome.appliedGroups.append(group)
                for (name, value) in fields.sorted(by: { $0.key < $1.key }) {
                    columns.append(name)
                    values.append(databaseValue(value))
                }
            }
            guard !outcome.appliedGroups.isEmpty else { return outcome }
            outcome.deleted = isDeleted(stamps)
            if existing == nil {
                outcome.created = true
                let allColumns = ["id", "steward", "created_at", "modified_at", "deleted", "stamps"] + columns
                let allValues: [(any DatabaseValueConvertible)?] =
                    [change.recordID.lowercasedString, stamp.origin.hex, modifiedAt, modifiedAt, outcome.deleted, try encodeStamps(stamps)] + values
                try db.cachedStatement(
                    sql: "INSERT INTO \(table) (\(allColumns.joined(separator: ", "))) VALUES (\(Array(repeating: "?", count: allColumns.count).joined(separator: ", ")))"
                ).execute(arguments: StatementArguments(allValues))
            } else {
                let assignments = columns.map { "\($0) = ?" } + ["stamps = ?", "deleted = ?", "modified_at = max(modified_at, ?)"]
                try db.cachedStatement(sql: "UPDATE \(table) SET \(assignments.joined(separator: ", ")) WHERE id = ?")
                    .execute(arguments: StatementArguments(values + [try encodeStamps(stamps), outcome.deleted, modifiedAt, change.recordID.lowercasedString]))
            }
        }
        return outcome
    }

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
        case .list(let items): String(decoding: (try? JSONEncoder().encode(items)) ?? Data("[]".utf8), as: UTF8.self)
        }
    }

    private static func decodeStamps(_ text: String?) throws -> [String: String] {
        guard let text else { return [:] }
        return try JSONDecoder().decode([String: String].self, from: Data(text.utf8))
    }

    private static func encodeStamps(_ stamps: [String: String]) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try encoder.encode(stamps), as: UTF8.self)
    }
}
