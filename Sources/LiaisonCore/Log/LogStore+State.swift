public import Foundation
public import GRDB

extension LogStore {
    /// The result of comparing the record tables with a replay of the log.
    public struct StateReport: Sendable {
        /// Records compared.
        public var records = 0
        /// Changes whose bodies are withheld or purged. A log with any cannot be replayed in full,
        /// and then no record is compared.
        public var withheldChanges = 0
    }

    /// Replays every change of the log into a scratch database and compares the record tables with
    /// the result, so that a row edited, added or removed behind the log's back is found.
    ///
    /// Throws at the first record that differs, naming it. Run ``verify(in:progress:)`` first: this
    /// trusts the changes it replays. The replay is written to a private file in `scratchFolder` (the
    /// node's own folder is best: it holds the same data) and removed afterwards.
    public static func verifyState(
        in db: Database, scratchFolder: URL = FileManager.default.temporaryDirectory, progress: (Int) -> Void = { _ in }
    ) throws -> StateReport {
        let scratchURL = scratchFolder.appending(path: "verify-\(UUID().uuidString).sqlite")
        defer {
            for suffix in ["", "-wal", "-shm", "-journal"] { try? FileManager.default.removeItem(atPath: scratchURL.path + suffix) }
        }
        guard FileManager.default.createFile(atPath: scratchURL.path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
            throw LiaisonError(.storage, "cannot create a scratch file in \(scratchFolder.path)")
        }
        let scratch = try DatabaseQueue(path: scratchURL.path)
        try Migrations.migrator.migrate(scratch)
        var report = StateReport()
        // The replay goes in merge order (clock time, origin, epoch): the merge gives the same
        // records whatever the order of arrival, and in this order every record's creation comes
        // before its other changes.
        let order = try Int64.fetchAll(db, sql: "SELECT position FROM commit_log ORDER BY hlc, origin, epoch, position")
        try scratch.write { replay in
            var replayed = 0
            for start in stride(from: 0, to: order.count, by: 500) {
                for position in order[start..<min(start + 500, order.count)] {
                    guard let entry = try entries(after: position - 1, limit: 1, in: db).first else { continue }
                    let stamp = Stamp(time: entry.commit.header.time, origin: entry.commit.header.origin, epoch: entry.commit.header.epoch)
                    for body in entry.commit.changeBodies {
                        guard let body else {
                            report.withheldChanges += 1
                            continue
                        }
                        _ = try ChangeApplier.applyRefusingInvalid(try Change(decoding: body), stamp: stamp, in: replay)
                    }
                    replayed += 1
                }
                progress(replayed)
            }
        }
        guard report.withheldChanges == 0 else { return report }
        try scratch.write { replay in
            let persons = Set(try String.fetchAll(replay, sql: "SELECT id FROM person").compactMap(UUID.init(uuidString:)))
            let agencies = Set(try String.fetchAll(replay, sql: "SELECT id FROM agency").compactMap(UUID.init(uuidString:)))
            try SearchIndex.reindex(persons: persons, agencies: agencies, agenciesWithMembers: [], unindexed: persons.union(agencies), in: replay)
        }
        try scratch.read { replay in
            for entity in Entity.allCases {
                let table = entity.table
                let columns = try db.columns(in: table).map(\.name).filter { $0 != "local_id" }
                let sql = "SELECT \(columns.joined(separator: ", ")) FROM \(table) ORDER BY id"
                try walk(sql, stored: db, rebuilt: replay) { left, right in
                    guard let left, let right else {
                        let id: String = (left ?? right)?["id"] ?? "?"
                        throw LiaisonError(
                            .verification,
                            left == nil ? "is in the log but missing from the \(table) table" : "is in the \(table) table but not in the log",
                            record: "\(table) \(id)")
                    }
                    let leftID: String = left["id"], rightID: String = right["id"]
                    guard leftID == rightID else {
                        let missing = leftID > rightID ? rightID : leftID
                        throw LiaisonError(
                            .verification,
                            leftID > rightID ? "is in the log but missing from the \(table) table" : "is in the \(table) table but not in the log",
                            record: "\(table) \(missing)")
                    }
                    if left != right {
                        let column = columns.first { left[$0] as DatabaseValue != right[$0] as DatabaseValue } ?? "a column"
                        throw LiaisonError(
                            .verification, "\(column) differs from what the log says",
                            record: "\(table) \(leftID)", hint: "the table was changed without a signed commit")
                    }
                    report.records += 1
                }
            }
            // The search index is derived from the tables: rebuilt from the replay, it must be the
            // same, record by record (local row ids depend on the order records arrived in).
            let sql = """
                SELECT 'person' AS kind, p.id, s.name, s.other, s.facets FROM person p JOIN search_index s ON s.rowid = p.local_id * 2
                UNION ALL
                SELECT 'agency', a.id, s.name, s.other, s.facets FROM agency a JOIN search_index s ON s.rowid = a.local_id * 2 + 1
                ORDER BY 2
                """
            try walk(sql, stored: db, rebuilt: replay) { left, right in
                guard let left, let right, left == right else {
                    let row = (left ?? right)
                    throw LiaisonError(
                        .verification, "its search index entry differs from what its record says",
                        record: "\(row?["kind"] as String? ?? "record") \(row?["id"] as String? ?? "?")",
                        hint: "the search index was changed without a signed commit")
                }
            }
            let count = "SELECT count(*) FROM search_index"
            guard try Int.fetchOne(db, sql: count) == Int.fetchOne(replay, sql: count) else {
                throw LiaisonError(
                    .verification, "the search index holds entries that belong to no record",
                    hint: "the search index was changed without a signed commit")
            }
        }
        return report
    }

    /// Runs one query in both databases and hands over their rows side by side until both end.
    private static func walk(_ sql: String, stored: Database, rebuilt: Database, _ body: (Row?, Row?) throws -> Void) throws {
        let storedRows = try Row.fetchCursor(stored, sql: sql)
        let rebuiltRows = try Row.fetchCursor(rebuilt, sql: sql)
        while true {
            let left = try storedRows.next()
            let right = try rebuiltRows.next()
            guard left != nil || right != nil else { return }
            try body(left, right)
        }
    }
}
