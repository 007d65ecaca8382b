public import Foundation
import Crypto
public import GRDB
public import LiaisonCore

extension LogStore {
    /// The result of re-verifying the whole log.
    public struct VerifyReport: Sendable {
        public var commits = 0
        public var changes = 0
        public var withheldChanges = 0
    }

    /// Re-verifies every stored commit by the rules that admitted it (``CommitAdmission``): its
    /// signature with a known key of its origin, its change hashes and digest, and the chain of
    /// previous-header hashes with gapless sequences per origin and epoch.
    /// Throws at the first bad commit, naming it.
    public static func verify(in db: Database, progress: (Int) -> Void = { _ in }) throws -> VerifyReport {
        // Revoked keys too: the commits held were valid when they were applied.
        let keys = try knownKeys(in: db)
        var report = VerifyReport()
        var tips: [ChainKey: CommitAdmission.Tip] = [:]
        // Per origin, every header hash with its epoch and time: the first commit of a later
        // epoch follows one of them.
        var originHashes: [NodeID: [[UInt8]: (epoch: UInt32, time: HybridLogicalTime)]] = [:]
        var position: Int64 = 0
        while true {
            // Per origin the log is ordered by epoch and sequence; arrival order respects that.
            let batch = try entries(after: position, limit: 500, in: db)
            guard let lastEntry = batch.last else { break }
            let refusals = batch.concurrentMap(minimumChunk: 16) { entry in
                CommitAdmission.refusal(entry.commit, signer: keys[entry.commit.header.keyID], acceptingRevoked: true)
            }
            for (entry, refusal) in zip(batch, refusals) {
                let header = entry.commit.header
                let name = "commit \(header.label) at position \(entry.position)"
                if let refusal { throw LiaisonError(.verification, refusal, record: name) }
                guard header.hash == entry.storedHeaderHash else {
                    throw LiaisonError(.verification, "stored header hash does not match the header", record: name)
                }
                let chain = ChainKey(origin: header.origin, epoch: header.epoch)
                let placement = CommitAdmission.place(header, after: tips[chain]) { previousHash in
                    originHashes[header.origin]?[previousHash].flatMap { $0.epoch < header.epoch ? $0.time : nil }
                }
                switch placement {
                case .follows:
                    break
                case .waits(let reason), .refused(let reason):
                    throw LiaisonError(.verification, "breaks its chain: \(reason)", record: name)
                }
                tips[chain] = CommitAdmission.Tip(sequence: header.sequence, hash: header.hash, time: header.time)
                originHashes[header.origin, default: [:]][header.hash] = (header.epoch, header.time)
                report.commits += 1
                report.changes += entry.commit.changeHashes.count
                report.withheldChanges += entry.commit.changeBodies.filter { $0 == nil }.count
            }
            position = lastEntry.position
            progress(report.commits)
        }
        return report
    }

    /// One chain of commits: an origin's epoch.
    struct ChainKey: Hashable {
        var origin: NodeID
        var epoch: UInt32
    }

    /// The result of comparing the record tables with a replay of the log.
    public struct StateReport: Sendable {
        /// Records compared.
        public var records = 0
        /// Changes held as their hash only; they are left out of the replay as they were left out
        /// of the tables.
        public var withheldChanges = 0
    }

    /// Receives every commit of the log again, in the order it came, into a scratch database, and
    /// compares the record tables and the search index with the result, so that a row edited,
    /// added or removed behind the log's back is found. The replay goes through the same receiver
    /// as commits from other nodes, so it follows the same rules.
    ///
    /// Throws at the first record that differs, naming it. Run ``verify(in:progress:)`` first: this
    /// trusts the signatures it replays. The replay is written to a private file in `scratchFolder`
    /// (the node's own folder is best: it holds the same data) and removed afterwards.
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
        let node = try storedNode(in: db)
        try scratch.write { replay in
            // The same node and roster, without revocations: every commit held was valid when it came.
            try replay.execute(
                sql: "INSERT INTO node (id, name, agency, epoch, created_at) VALUES (?, ?, ?, ?, ?)",
                arguments: [node.id.hex, node.name, node.agency, node.epoch, Timestamp.database(Date())])
            for row in try Row.fetchAll(db, sql: "SELECT key_id, node_id, public_key, valid_from FROM node_key") {
                try replay.execute(
                    sql: "INSERT INTO node_key (key_id, node_id, public_key, valid_from) VALUES (?, ?, ?, ?)",
                    arguments: [row["key_id"], row["node_id"], row["public_key"], row["valid_from"]])
            }
            // A clock far ahead: nothing is held for its time.
            // The log holds the bodies this node opened: the replay opens nothing.
            let receiver = try Receiver(db: replay, node: node, now: .distantFuture)
            var position: Int64 = 0
            var replayed = 0
            while true {
                let batch = try entries(after: position, limit: 500, in: db)
                guard let last = batch.last else { break }
                for entry in batch {
                    report.withheldChanges += entry.commit.changeBodies.filter { $0 == nil }.count
                    try receiver.offer(entry.commit)
                }
                replayed += batch.count
                position = last.position
                progress(replayed)
            }
            try receiver.finish()
            guard receiver.report.applied == replayed else {
                let notice = (receiver.report.refused + receiver.report.held).first
                throw LiaisonError(
                    .verification, "the log does not replay: \(notice.map { "\($0.commit): \($0.reason)" } ?? "a commit was not applied")")
            }
            // Indexed again from the tables alone, not only as receiving indexed them: a fault in
            // receiving's indexing would otherwise be in both copies and pass unseen.
            let persons = Set(try String.fetchAll(replay, sql: "SELECT id FROM person").compactMap(UUID.init(uuidString:)))
            let agencies = Set(try String.fetchAll(replay, sql: "SELECT id FROM agency").compactMap(UUID.init(uuidString:)))
            try SearchIndex.reindex(persons: persons, agencies: agencies, agenciesWithMembers: [], unindexed: [], in: replay)
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

    /// The node whose database this is.
    private static func storedNode(in db: Database) throws -> NodeIdentity {
        guard let row = try Row.fetchOne(db, sql: "SELECT n.id, n.name, n.agency, n.epoch, k.public_key FROM node n JOIN node_key k ON k.key_id = n.id")
        else { throw LiaisonError(.nodeFolder, "this database has no node identity") }
        return NodeIdentity(
            id: try NodeID(hex: row["id"]), name: row["name"], agency: row["agency"], epoch: row["epoch"],
            publicKey: try Curve25519.Signing.PublicKey(rawRepresentation: row["public_key"] as Data))
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
