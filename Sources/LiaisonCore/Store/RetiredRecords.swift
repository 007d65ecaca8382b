package import Foundation
package import GRDB

/// Which contacts and agencies are retired into another by a "same" duplicate decision
/// (docs/PROTOCOL.md, "Duplicate decisions"): the `retired_record` table, derived from the replicated
/// decisions and the records' stewards alone, so that nodes holding the same records agree.
package enum RetiredRecords {
    /// Derives the table anew. Decisions are few, so this runs after every write and receive that
    /// could change it, and costs one query when there are none.
    package static func refresh(in db: Database) throws {
        let hadAny = try Bool.fetchOne(db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM retired_record)")) ?? false
        let decided = try Bool.fetchOne(db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM duplicate_decision WHERE verdict = 'same')")) ?? false
        guard hadAny || decided else { return }
        var survivors: [String: String] = [:]
        for kind in [Entity.person, .agency] {
            // The decisions of the record's steward, on live records of the same kind. On each pair
            // the steward's latest decision counts, so a later "distinct" undoes a "same"; of a
            // record's pairs decided "same", the latest.
            let rows = try Row.fetchAll(db, sql: """
                SELECT d.record_id, d.other_id, d.verdict FROM duplicate_decision d
                JOIN \(kind.table) r ON r.id = d.record_id AND r.deleted = 0 AND r.steward = d.steward
                JOIN \(kind.table) s ON s.id = d.other_id AND s.deleted = 0
                WHERE d.deleted = 0 AND d.verdict IN ('same', 'distinct') AND d.kind = ? AND d.record_id <> d.other_id
                ORDER BY d.claim DESC, d.id DESC
                """, arguments: [kind.rawValue])
            var decidedPairs: Set<String> = []
            for row in rows {
                let record: String = row["record_id"], other: String = row["other_id"]
                guard decidedPairs.insert(record + " " + other).inserted else { continue }
                if row["verdict"] == "same", survivors[record] == nil { survivors[record] = other }
            }
        }
        breakCycles(&survivors)
        try db.execute(sql: "DELETE FROM retired_record")
        let insert = try db.cachedStatement(sql: "INSERT INTO retired_record (id, survivor) VALUES (?, ?)")
        // Each record is stored with its final survivor: one lookup, in SQL too, reaches the record
        // that stands for it.
        for (record, first) in survivors {
            var survivor = first
            while let next = survivors[survivor] { survivor = next }
            try insert.execute(arguments: [record, survivor])
        }
    }

    /// Records retired into one another in a cycle (each steward retired its own into the other's):
    /// the one with the smallest id survives.
    static func breakCycles(_ survivors: inout [String: String]) {
        for start in survivors.keys.sorted() {
            var path: [String] = []
            var current = start
            while let next = survivors[current], !path.contains(current) {
                path.append(current)
                current = next
            }
            if let loopStart = path.firstIndex(of: current), let smallest = path[loopStart...].min() {
                survivors[smallest] = nil
            }
        }
    }

    /// Every retired record with its final survivor.
    package static func survivors(in db: Database) throws -> [UUID: UUID] {
        var survivors: [UUID: UUID] = [:]
        for row in try Row.fetchAll(db.cachedStatement(sql: "SELECT id, survivor FROM retired_record")) {
            if let id = UUID(uuidString: row["id"]), let survivor = UUID(uuidString: row["survivor"]) { survivors[id] = survivor }
        }
        return survivors
    }

    /// The record that stands for `id`: its final survivor, or `id` itself.
    package static func survivor(of id: String, in db: Database) throws -> String {
        try String.fetchOne(db.cachedStatement(sql: "SELECT survivor FROM retired_record WHERE id = ?"), arguments: [id]) ?? id
    }

    /// `id` and the records retired into it, directly or through others.
    package static func aliases(of id: String, in db: Database) throws -> [String] {
        [id] + (try String.fetchAll(db.cachedStatement(sql: "SELECT id FROM retired_record WHERE survivor = ? ORDER BY id"), arguments: [id]))
    }
}
