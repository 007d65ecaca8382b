import Foundation
import GRDB
import LiaisonCore

/// Refused changes and records taken over: what receiving settles so that every node ends with the
/// records a replay in merge order gives.
extension Receiver {
    /// A record taken over by an earlier creation is rebuilt from it, which erases what had been
    /// written to it before. Every logged change of the record is then settled as a replay in merge
    /// order would: other nodes' changes are recorded as refused, as a node that received the
    /// creation first refused them, so that they apply again if their node becomes the steward once
    /// more; the steward's own are applied again, in case an earlier takeover had erased them.
    ///
    /// The log has no index by record: one pass over it per record kind finds the changes of
    /// every record taken over in the batch.
    func settleTakeovers() throws {
        // Settling can apply changes again; should one take a record over, it is settled next.
        while !takenOver.isEmpty {
            let records = takenOver
            takenOver = [:]
            try settle(records)
        }
    }

    func settle(_ takenOver: [UUID: Entity]) throws {
        var changes: [UUID: [(position: Int64, index: Int, stamp: Stamp, sequence: Int64, change: Change)]] = [:]
        for entity in Set(takenOver.values) {
            // SQLite's hex() writes upper-case digits.
            let ids = takenOver.filter { $0.value == entity }.map { "\"" + $0.key.bytes.hexString.uppercased() + "\"" }
            // A change's bytes are its format version, its kind as a length-prefixed text, then its record id.
            let idOffset = 1 + 4 + entity.rawValue.utf8.count
            let rows = try Row.fetchAll(db, sql: """
                SELECT l.commit_position, l.change_index, c.hlc, c.origin, c.epoch, c.sequence, l.body
                FROM change_log l JOIN commit_log c ON c.position = l.commit_position
                WHERE l.body IS NOT NULL AND hex(substr(l.body, ?, 16)) IN (SELECT value FROM json_each(?))
                """, arguments: [idOffset + 1, "[" + ids.joined(separator: ",") + "]"])
            for row in rows {
                let change = try Change(decoding: [UInt8](row["body"] as Data))
                guard change.entity == entity, takenOver[change.recordID] == entity else { continue }
                let stamp = try Stamp(commitRow: row)
                changes[change.recordID, default: []].append((row["commit_position"], row["change_index"], stamp, row["sequence"], change))
            }
        }
        for (recordID, entity) in takenOver {
            guard let steward = try String.fetchOne(
                db.cachedStatement(sql: "SELECT steward FROM \(entity.table) WHERE id = ?"), arguments: [recordID.lowercasedString])
            else { continue }
            let merged = (changes[recordID] ?? []).sorted { ($0.stamp, $0.position, $0.index) < ($1.stamp, $1.position, $1.index) }
            for logged in merged {
                guard try !isRefused(position: logged.position, index: logged.index) else { continue }
                if logged.stamp.origin.hex != steward {
                    try recordRefusal(
                        logged.change, position: logged.position, index: logged.index,
                        reason: "node \(logged.stamp.origin.hex) is not the steward of this \(entity.rawValue) (\(steward) is)")
                } else {
                    let name = CommitHeader.label(origin: logged.stamp.origin, epoch: logged.stamp.epoch, sequence: UInt64(logged.sequence))
                    if case .refused(let reason) = try apply(logged.change, stamp: logged.stamp, name: name, counted: false) {
                        try recordRefusal(logged.change, position: logged.position, index: logged.index, reason: reason)
                    }
                }
            }
            try retryRefusals(of: recordID)
        }
    }

    func isRefused(position: Int64, index: Int) throws -> Bool {
        try Bool.fetchOne(
            db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM refusal WHERE commit_position = ? AND change_index = ?)"),
            arguments: [position, index]) == true
    }

    func recordRefusal(_ change: Change, position: Int64, index: Int, reason: String) throws {
        mayHaveRefusals = true
        try db.execute(
            sql: "INSERT OR REPLACE INTO refusal (commit_position, change_index, entity, record_id, reason) VALUES (?, ?, ?, ?, ?)",
            arguments: [position, index, change.entity.rawValue, change.recordID.lowercasedString, reason])
    }

    /// Tries again, in merge order, the refused changes of a record (nil: of every record), and
    /// forgets those that apply now. A change refused because its record's creation had not
    /// arrived applies once it has, so the record ends as if the changes had come in order.
    func retryRefusals(of recordID: UUID?) throws {
        if mayHaveRefusals == nil { mayHaveRefusals = try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM refusal)") ?? true }
        guard mayHaveRefusals == true else { return }
        let rows = try Row.fetchAll(db, sql: """
            SELECT r.commit_position, r.change_index, c.hlc, c.origin, c.epoch, c.sequence, l.body FROM refusal r
            JOIN commit_log c ON c.position = r.commit_position
            JOIN change_log l ON l.commit_position = r.commit_position AND l.change_index = r.change_index
            WHERE l.body IS NOT NULL AND \(recordID == nil ? "1" : "r.record_id = ?")
            ORDER BY c.hlc, c.origin, c.epoch, r.change_index
            """, arguments: StatementArguments(recordID.map { [$0.lowercasedString] } ?? []))
        for row in rows {
            let position: Int64 = row["commit_position"], index: Int64 = row["change_index"]
            // An earlier retry in this loop may already have applied it.
            guard try isRefused(position: position, index: Int(index)) else { continue }
            let change = try Change(decoding: [UInt8](row["body"] as Data))
            let stamp = try Stamp(commitRow: row)
            try db.execute(sql: "DELETE FROM refusal WHERE commit_position = ? AND change_index = ?", arguments: [position, index])
            let name = CommitHeader.label(origin: stamp.origin, epoch: stamp.epoch, sequence: UInt64(row["sequence"] as Int64))
            if case .refused(let reason) = try apply(change, stamp: stamp, name: name) {
                try recordRefusal(change, position: position, index: Int(index), reason: reason)
            }
        }
    }
}
