import Foundation
package import GRDB

/// Applies changes to the record tables by last-writer-wins per field group.
///
/// Every write reaches the tables through here: local writes and, later, other nodes' commits, so
/// that all nodes that apply the same changes hold the same rows.
package enum ChangeApplier {
    /// The columns of each field group, per record kind. A change naming any other group or field is
    /// refused, so a change's names can safely become column names.
    static let fieldGroups: [Entity: [String: [String]]] = FieldTable.canonicalFields.mapValues { groups in
        Dictionary(uniqueKeysWithValues: groups.map { ($0.group, $0.names) })
    }

    /// What applying a change did.
    package enum Outcome: Equatable {
        /// The record was created.
        case created
        /// At least one field group or the tombstone was written.
        case applied
        /// Every field group already held a later write: nothing changed.
        case superseded
        /// An earlier creation by another node took the record over: it was rebuilt from this change.
        case replacedSteward(previous: String)
        /// The stewardship rule refused the change; the same on every node.
        case refused(String)
        /// The change creates a record the caller said was new, but it is stored: nothing was
        /// written, and the change is to be applied again as one to a stored record.
        case alreadyStored
    }

    /// Applies one change by the merge rules (docs/PROTOCOL.md, "Merge"). `isNew` says the caller
    /// already knows the record is not stored, which saves a lookup per record on bulk imports.
    ///
    /// Stewardship: a record's steward is the node whose creation of it has the earliest stamp. Only
    /// the steward's changes apply; a creation with an earlier stamp than the record's claim makes
    /// its node the steward and the record starts again from that creation.
    @discardableResult
    ///
    /// `prepared` are the change's column values as ``prepare(_:)`` made them, before the write
    /// transaction began.
    package static func apply(_ change: Change, stamp: Stamp, isNew: Bool = false, prepared: Prepared? = nil, in db: Database) throws -> Outcome {
        let table = change.entity.table
        let id = change.recordID.lowercasedString
        let row = isNew ? nil : try Row.fetchOne(
            db.cachedStatement(sql: "SELECT stamps, steward, claim FROM \(table) WHERE id = ?"), arguments: [id])
        let record = try row.map { row in
            let claim: String = row["claim"]
            return Merge.Record(steward: row["steward"], claim: claim, stamps: try decodeStamps(row["stamps"], claim: claim, entity: change.entity))
        }
        let stampText = stamp.text
        let known = fieldGroups[change.entity] ?? [:]
        var groupNames: [String]?
        var values: [(group: String, columns: [String], values: [DatabaseValue])] = []
        if case .upsert(let groups) = change.operation {
            values = try prepared?.values ?? columnValues(groups, known: known, table: table, id: id)
            groupNames = values.map(\.group)
        }

        switch Merge.decide(record: record, origin: stamp.origin.hex, stamp: stampText, groups: groupNames, groupCount: known.count, kind: table) {
        case .refuse(let reason):
            return .refused(reason)
        case .superseded:
            return .superseded
        case .create:
            return try insert(change.entity, id: id, values: values, stamp: stamp, in: db) ? .created : .alreadyStored
        case .replace(let previous):
            // Every column is rewritten from the creation, so nothing of the previous steward's
            // writes remains; the row keeps its local id, which the search index refers to.
            var stamps: [String: String] = [:]
            for value in values { stamps[value.group] = stampText }
            let assignments = ["steward = ?", "claim = ?", "created_at = ?", "modified_at = ?", "deleted = 0", "stamps = ?"]
                + values.flatMap(\.columns).map { "\($0) = ?" }
            let arguments: [DatabaseValue] =
                [stamp.origin.hex, stampText, stamp.databaseTime, stamp.databaseTime, encodeStamps(stamps, claim: stampText)].map(\.databaseValue)
                + values.flatMap(\.values) + [id.databaseValue]
            try db.cachedStatement(sql: "UPDATE \(table) SET \(assignments.joined(separator: ", ")) WHERE id = ?").run(arguments)
            return .replacedSteward(previous: previous)
        case .delete:
            var stamps = record?.stamps ?? [:]
            stamps[Merge.deletionGroup] = stampText
            try db.cachedStatement(sql: "UPDATE \(table) SET stamps = ?, deleted = ?, modified_at = max(modified_at, ?) WHERE id = ?")
                .run([encodeStamps(stamps, claim: record?.claim ?? "").databaseValue, Merge.isDeleted(stamps).databaseValue, stamp.databaseTime.databaseValue, id.databaseValue])
            return .applied
        case .write(let written, let earlierClaim):
            var stamps = record?.stamps ?? [:]
            var columns: [String] = earlierClaim ? ["claim", "created_at"] : []
            var arguments: [DatabaseValue] = earlierClaim ? [stampText.databaseValue, stamp.databaseTime.databaseValue] : []
            for value in values where written.contains(value.group) {
                stamps[value.group] = stampText
                columns += value.columns
                arguments += value.values
            }
            let assignments = columns.map { "\($0) = ?" } + ["stamps = ?", "deleted = ?", "modified_at = max(modified_at, ?)"]
            let claim = earlierClaim ? stampText : record?.claim ?? ""
            try db.cachedStatement(sql: "UPDATE \(table) SET \(assignments.joined(separator: ", ")) WHERE id = ?")
                .run(arguments + [encodeStamps(stamps, claim: claim).databaseValue, Merge.isDeleted(stamps).databaseValue, stamp.databaseTime.databaseValue, id.databaseValue])
            return .applied
        }
    }

    /// Fills in the claims of records stored before claims were kept: the stamp of the first
    /// change that created each record, read from the log in order. Runs once, when migration 0004
    /// finds that migration 0003 asked for it.
    static func runPendingTasks(in db: Database) throws {
        guard try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM pending_task WHERE name = 'claims')") == true else { return }
        let changes = try Row.fetchCursor(db, sql: """
            SELECT c.hlc, c.origin, c.epoch, l.body FROM change_log l JOIN commit_log c ON c.position = l.commit_position
            WHERE l.body IS NOT NULL ORDER BY l.commit_position, l.change_index
            """)
        while let row = try changes.next() {
            let change = try Change(decoding: [UInt8](row["body"] as Data))
            guard case .upsert(let groups) = change.operation, groups.count == fieldGroups[change.entity]?.count else { continue }
            let stamp = try Stamp(commitRow: row)
            try db.execute(
                sql: "UPDATE \(change.entity.table) SET claim = ? WHERE id = ? AND claim = ''",
                arguments: [stamp.text, change.recordID.lowercasedString])
        }
        // The kinds that migration 0003 knew: later ones are created with their claims.
        for entity in [Entity.agency, .person, .channel, .designation] {
            try db.execute(sql: "UPDATE \(entity.table) SET claim = (SELECT min(value) FROM json_each(stamps)) WHERE claim = ''")
        }
        try db.execute(sql: "DELETE FROM pending_task WHERE name = 'claims'")
    }

    /// Applies a change as received from another node: one that breaks the tables' rules (a
    /// missing name, an unknown country, an unknown field group) is refused like one that breaks
    /// stewardship, the same on every node, and changes nothing.
    ///
    /// Each outcome writes with one statement, which SQLite undoes alone when it breaks a rule, so
    /// no savepoint is needed.
    ///
    /// `fieldCheck` is what checking the change's fields before the transaction found, if done.
    package static func applyRefusingInvalid(
        _ change: Change, stamp: Stamp, isNew: Bool = false, fieldCheck: FieldTable.Check = .unchecked, prepared: Prepared? = nil,
        in db: Database
    ) throws -> Outcome {
        var outcome = Outcome.superseded
        do {
            switch fieldCheck {
            case .unchecked: try FieldTable.check(change, in: db)
            case .passed: break
            case .failed(let reason): return .refused("invalid change: \(reason)")
            }
            outcome = try apply(change, stamp: stamp, isNew: isNew, prepared: prepared, in: db)
        } catch let error as LiaisonError where error.code == .verification {
            outcome = .refused("invalid change: \(error.message)")
        } catch let error as DatabaseError where [.SQLITE_CONSTRAINT, .SQLITE_MISMATCH].contains(error.resultCode) {
            // A creation tried as new may have met a stored record, which its merge could leave
            // as it is: the caller applies it again as a change to that record.
            if isNew, try Bool.fetchOne(
                db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM \(change.entity.table) WHERE id = ?)"),
                arguments: [change.recordID.lowercasedString]) == true
            {
                return .alreadyStored
            }
            outcome = .refused("invalid change: \(error.message ?? "breaks a rule of the \(change.entity.table) table")")
        }
        return outcome
    }

    /// A change's field groups in name order, each with its columns and their database values.
    package struct Prepared: Sendable {
        var values: [(group: String, columns: [String], values: [DatabaseValue])]
        /// Whether the upsert has every field group of its kind, as a creation has.
        package var hasEveryGroup: Bool
    }

    /// The column values of an upsert, made where no transaction waits; nil for a delete or for
    /// a change that names a group or field its kind does not have, which ``apply`` refuses.
    package static func prepare(_ change: Change) -> Prepared? {
        guard case .upsert(let groups) = change.operation else { return nil }
        let known = fieldGroups[change.entity] ?? [:]
        let values = try? columnValues(groups, known: known, table: change.entity.table, id: change.recordID.lowercasedString)
        return values.map { Prepared(values: $0, hasEveryGroup: $0.count == known.count) }
    }

    private static func columnValues(
        _ groups: FieldGroups, known: [String: [String]], table: String, id: String
    ) throws -> [(group: String, columns: [String], values: [DatabaseValue])] {
        try groups.groups.map { group in
            guard let expected = known[group.name], group.count == expected.count else {
                throw LiaisonError(.verification, "unknown field group \"\(group.name)\" or fields for \(table)", record: id)
            }
            // Groups hold their fields in the columns' order, unless a field is missing.
            guard group.fieldNames == expected else {
                let problem = expected.first { group[$0] == nil }.map { "lacks \($0)" } ?? "has its fields out of order"
                throw LiaisonError(.verification, "field group \"\(group.name)\" of \(table) \(problem)", record: id)
            }
            return (group.name, expected, group.values.map(databaseValue))
        }
    }

    /// Inserts a record created by `stamp`'s node with every field group of `values`: each group's
    /// stamp is the claim, which the stamps column leaves out. Returns false, having written
    /// nothing, if a record with this id is stored: a caller that takes a creation's record for new
    /// without looking learns it here, from the lookup the insert makes anyway.
    private static func insert(
        _ entity: Entity, id: String, values: [(group: String, columns: [String], values: [DatabaseValue])], stamp: Stamp,
        in db: Database
    ) throws -> Bool {
        let hasAllGroups = values.count == (fieldGroups[entity]?.count ?? 0)
        let sql = (hasAllGroups ? insertWithAllGroups[entity] : nil) ?? insertSQL(entity.table, values.flatMap(\.columns))
        let statement = try db.cachedStatement(sql: sql)
        let time = stamp.databaseTime.databaseValue
        var count: Int32 = 0
        func bind(_ value: DatabaseValue) throws {
            count += 1
            try statement.bind(value, at: count)
        }
        for value in [id.databaseValue, stamp.origin.hex.databaseValue, stamp.text.databaseValue, time, time, false.databaseValue, "{}".databaseValue] {
            try bind(value)
        }
        for group in values {
            for value in group.values { try bind(value) }
        }
        try statement.step(bound: Int(count))
        return db.changesCount > 0
    }

    private static func insertSQL(_ table: String, _ columns: [String]) -> String {
        let allColumns = ["id", "steward", "claim", "created_at", "modified_at", "deleted", "stamps"] + columns
        return "INSERT INTO \(table) (\(allColumns.joined(separator: ", "))) VALUES (\(Array(repeating: "?", count: allColumns.count).joined(separator: ", "))) ON CONFLICT (id) DO NOTHING"
    }

    /// The insert of a new record with every field group, the usual case, built once per kind: its
    /// columns come in the order of a change's groups, whose values are bound in turn.
    private static let insertWithAllGroups: [Entity: String] = FieldTable.canonicalFields.reduce(into: [:]) { inserts, kind in
        inserts[kind.key] = insertSQL(kind.key.table, kind.value.flatMap(\.names))
    }

    private static func databaseValue(_ value: FieldValue) -> DatabaseValue {
        switch value {
        case .null: .null
        case .text(let text): text.databaseValue
        case .integer(let number): number.databaseValue
        case .bool(let flag): flag.databaseValue
        case .list(let items): JSONStringArray.encode(items).databaseValue
        }
    }

    /// A record's stamps from its stamps column, which lists the field groups whose stamp is not
    /// the claim's, and the tombstone. A record is created with every field group, so a group the
    /// column leaves out was last written by the creation.
    static func decodeStamps(_ text: String?, claim: String, entity: Entity) throws -> [String: String] {
        var stamps = try decodeStamps(text)
        for group in fieldGroups[entity]?.keys ?? [:].keys where stamps[group] == nil { stamps[group] = claim }
        return stamps
    }

    /// The stamps column of a record with these stamps and claim.
    static func encodeStamps(_ stamps: [String: String], claim: String) -> String {
        encodeStamps(stamps.filter { $0.key == Merge.deletionGroup || $0.value != claim })
    }

    /// The stamps of a record as the digest spells them (docs/PROTOCOL.md, "Digest"): every field
    /// group's, the claim's included.
    package static func digestStamps(_ text: String?, claim: String, entity: Entity) throws -> String {
        encodeStamps(try decodeStamps(text, claim: claim, entity: entity))
    }

    /// Reads a JSON object of strings. Group names and stamps never need escapes, which
    /// ``encodeStamps(_:)`` relies on; anything else is refused.
    private static func decodeStamps(_ text: String?) throws -> [String: String] {
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
    private static func encodeStamps(_ stamps: [String: String]) -> String {
        "{" + stamps.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\"\($0.value)\"" }.joined(separator: ",") + "}"
    }
}
