package import Crypto
import Foundation
public import GRDB

/// Reads and writes the commit log tables.
public enum LogStore {
    /// Appends a commit; `compactChanges` are its changes in the compact form when the caller has
    /// made them already, on another thread.
    @discardableResult
    /// `travelsWhole` is ``travelsWhole(_:)`` of the commit, when the caller found it already.
    package static func append(_ commit: Commit, compactChanges: [UInt8]? = nil, travelsWhole whole: Bool? = nil, in db: Database) throws -> Int64 {
        let header = commit.header
        // SQLite integers are signed: a sequence or time beyond Int64 cannot be stored or ordered.
        guard header.sequence <= UInt64(Int64.max), header.time.rawValue <= UInt64(Int64.max) else {
            throw LiaisonError(.verification, "sequence or clock time out of range", record: "commit \(header.label)")
        }
        let changes = compactChanges ?? CompactCommitEncoder.encodeChanges(of: commit)
        try db.cachedStatement(sql: """
            INSERT INTO commit_log (origin, epoch, sequence, hlc, header, header_hash, signature, change_count, received_at, changes, travels_whole, holds_intelligence)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """
        ).run([
            header.origin.hex.databaseValue, header.epoch.databaseValue, Int64(header.sequence).databaseValue,
            Int64(bitPattern: header.time.rawValue).databaseValue, Data(header.encoded).databaseValue, Data(header.hash).databaseValue,
            Data(commit.signature).databaseValue, commit.changeHashes.count.databaseValue, Timestamp.database(Date()).databaseValue,
            Data(changes).databaseValue, (whole ?? travelsWhole(commit)).databaseValue, holdsIntelligence(commit).databaseValue,
        ])
        return db.lastInsertedRowID
    }

    /// Replaces the stored changes of the commit at `position`: bodies filled in or erased.
    package static func replaceChanges(of commit: Commit, at position: Int64, in db: Database) throws {
        try db.execute(
            sql: "UPDATE commit_log SET changes = ?, travels_whole = ?, holds_intelligence = ? WHERE position = ?",
            arguments: [Data(CompactCommitEncoder.encodeChanges(of: commit)), travelsWhole(commit), holdsIntelligence(commit), position])
    }

    /// Whether a commit carries a body of a note, an evaluation or a link, or a sealed copy.
    package static func holdsIntelligence(_ commit: Commit) -> Bool {
        !commit.sealedBodies.isEmpty || commit.changeBodies.contains { body in body.map(NeedToKnow.isIntelligence) ?? false }
    }

    /// Whether a commit holds every body, each one that any node may see: then it reaches every
    /// receiver exactly as it is stored.
    package static func travelsWhole(_ commit: Commit) -> Bool {
        commit.changeBodies.allSatisfy { body in body.map { NeedToKnow.mayReach($0, receiver: nil) } ?? false }
    }

    /// One stored commit with where it sits in the local log.
    public struct Entry: Sendable {
        public var position: Int64
        public var commit: Commit
        public var storedHeaderHash: [UInt8]
    }

    /// Commits in arrival order, from `position` on.
    public static func entries(after position: Int64 = 0, limit: Int = .max, in db: Database) throws -> [Entry] {
        let rows = try Row.fetchAll(
            db, sql: "SELECT \(commitColumns), header_hash FROM commit_log WHERE position > ? ORDER BY position LIMIT ?",
            arguments: [position, limit])
        return try rows.map { row in
            Entry(position: row["position"], commit: try commit(row), storedHeaderHash: [UInt8](row["header_hash"] as Data))
        }
    }

    /// The columns that ``commit(_:)`` reads.
    package static let commitColumns = "position, header, signature, changes"

    /// The commit of a `commit_log` row that holds at least ``commitColumns``, with its changes.
    package static func commit(_ row: Row) throws -> Commit {
        try decodedCommit(row).commit
    }

    /// The commit of a row as ``commit(_:)`` gives it, with its changes decoded where it holds them.
    package static func decodedCommit(_ row: Row) throws -> (commit: Commit, changes: [Change?]) {
        let header = try CommitHeader(decoding: [UInt8](row["header"] as Data))
        let decoded = try CompactCommitDecoder.decode(header: header, signature: [UInt8](row["signature"] as Data), changes: [UInt8](row["changes"] as Data))
        // Changes stored in their canonical form (no field table describes them) are decoded here.
        let changes = zip(decoded.changes, decoded.commit.changeBodies).map { change, body in change ?? body.flatMap { try? Change(decoding: $0) } }
        return (decoded.commit, changes)
    }

    /// The rows of a chain's commits after `sequence`, in order, for ``commit(_:)``.
    package static func chainRows(origin: NodeID, epoch: UInt32, after sequence: UInt64, in db: Database) throws -> RowCursor {
        try Row.fetchCursor(
            db, sql: "SELECT \(commitColumns) FROM commit_log WHERE origin = ? AND epoch = ? AND sequence > ? ORDER BY sequence",
            arguments: [origin.hex, epoch, Int64(sequence)])
    }

    /// Moves the changes of a log stored one row a change (`change_log`) into their commits, in
    /// the compact form, and drops that table. The second step of migration 0004.
    static func moveChangesIntoCommits(in db: Database) throws {
        // Claims are read from change_log: a node migrating from before claims fills them first.
        try ChangeApplier.runPendingTasks(in: db)
        let commits = try Row.fetchCursor(db, sql: "SELECT position, header, signature FROM commit_log ORDER BY position")
        let changes = try db.makeStatement(sql: "SELECT hash, body FROM change_log WHERE commit_position = ? ORDER BY change_index")
        while let row = try commits.next() {
            let rows = try Row.fetchAll(changes, arguments: [row["position"] as Int64])
            let commit = Commit(
                header: try CommitHeader(decoding: [UInt8](row["header"] as Data)), signature: [UInt8](row["signature"] as Data),
                changeHashes: rows.map { [UInt8]($0["hash"] as Data) },
                changeBodies: rows.map { ($0["body"] as Data?).map { [UInt8]($0) } })
            // The schema of migration 0004: the later travels_whole column is not there yet.
            try db.execute(
                sql: "UPDATE commit_log SET changes = ? WHERE position = ?",
                arguments: [Data(CompactCommitEncoder.encodeChanges(of: commit)), row["position"] as Int64])
        }
        try db.execute(sql: "DROP TABLE change_log; DROP TABLE pending_task")
    }

    /// A signing key of the roster (this node's own included).
    package struct KnownKey: Sendable, Equatable {
        package var node: NodeID
        package var key: Curve25519.Signing.PublicKey
        package var revoked: Bool

        package static func == (lhs: KnownKey, rhs: KnownKey) -> Bool {
            lhs.node == rhs.node && lhs.revoked == rhs.revoked && lhs.key.rawRepresentation == rhs.key.rawRepresentation
        }
    }

    /// The signing keys of the roster, by key id.
    package static func knownKeys(in db: Database) throws -> [NodeID: KnownKey] {
        var keys: [NodeID: KnownKey] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT key_id, node_id, public_key, revoked_at FROM node_key") {
            // A key that cannot be trusted is as good as unknown: commits signed by it are refused.
            guard let key = try? SigningKeyCheck.publicKey(row["public_key"] as Data) else { continue }
            keys[try NodeID(hex: row["key_id"])] = KnownKey(
                node: try NodeID(hex: row["node_id"]), key: key,
                revoked: (row["revoked_at"] as String?) != nil)
        }
        return keys
    }

    /// The latest commits, newest first.
    public static func latest(limit: Int, in db: Database) throws -> [Entry] {
        let start = try Int64.fetchOne(db, sql: "SELECT position FROM commit_log ORDER BY position DESC LIMIT 1 OFFSET ?", arguments: [limit]) ?? 0
        return try entries(after: start, in: db).reversed()
    }
}
