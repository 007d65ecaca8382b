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
        // A commit that carries a change of a record holds the record's 16-byte id at least once
        // in its stored form: only those commits are decoded.
        // Blob literals of hex digits only: nothing from outside reaches the SQL text.
        let mentions = takenOver.keys.map { "instr(changes, X'\($0.bytes.hexString)') > 0" }.joined(separator: " OR ")
        let rows = try Row.fetchAll(db, sql: "SELECT \(LogStore.commitColumns), hlc, origin, epoch, sequence FROM commit_log WHERE \(mentions)")
        for row in rows {
            let stamp = try Stamp(commitRow: row)
            for (index, change) in try LogStore.decodedCommit(row).changes.enumerated() {
                guard let change, takenOver[change.recordID] == change.entity else { continue }
                changes[change.recordID, default: []].append((row["position"], index, stamp, row["sequence"], change))
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
            SELECT r.commit_position, r.change_index, c.hlc, c.origin, c.epoch, c.sequence FROM refusal r
            JOIN commit_log c ON c.position = r.commit_position
            WHERE \(recordID == nil ? "1" : "r.record_id = ?")
            ORDER BY c.hlc, c.origin, c.epoch, r.change_index
            """, arguments: StatementArguments(recordID.map { [$0.lowercasedString] } ?? []))
        var commits: [Int64: [Change?]] = [:]
        for row in rows {
            let position: Int64 = row["commit_position"], index: Int64 = row["change_index"]
            // An earlier retry in this loop may already have applied it.
            guard try isRefused(position: position, index: Int(index)) else { continue }
            if commits[position] == nil, let stored = try Row.fetchOne(
                db, sql: "SELECT \(LogStore.commitColumns) FROM commit_log WHERE position = ?", arguments: [position]) {
                commits[position] = try LogStore.decodedCommit(stored).changes
            }
            guard let changes = commits[position], Int(index) < changes.count, let change = changes[Int(index)] else { continue }
            let stamp = try Stamp(commitRow: row)
            try db.execute(sql: "DELETE FROM refusal WHERE commit_position = ? AND change_index = ?", arguments: [position, index])
            let name = CommitHeader.label(origin: stamp.origin, epoch: stamp.epoch, sequence: UInt64(row["sequence"] as Int64))
            if case .refused(let reason) = try apply(change, stamp: stamp, name: name) {
                try recordRefusal(change, position: position, index: Int(index), reason: reason)
            }
        }
    }
}
