package import Crypto
import Foundation
public import GRDB

/// Reads and writes the commit log tables.
public enum LogStore {
    @discardableResult
    package static func append(_ commit: Commit, in db: Database) throws -> Int64 {
        let header = commit.header
        // SQLite integers are signed: a sequence or time beyond Int64 cannot be stored or ordered.
        guard header.sequence <= UInt64(Int64.max), header.time.rawValue <= UInt64(Int64.max) else {
            throw LiaisonError(.verification, "sequence or clock time out of range", record: "commit \(header.label)")
        }
        try db.cachedStatement(sql: """
            INSERT INTO commit_log (origin, epoch, sequence, hlc, header, header_hash, signature, change_count, received_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """
        ).run([
            header.origin.hex.databaseValue, header.epoch.databaseValue, Int64(header.sequence).databaseValue,
            Int64(bitPattern: header.time.rawValue).databaseValue, Data(header.encoded).databaseValue, Data(header.hash).databaseValue,
            Data(commit.signature).databaseValue, commit.changeHashes.count.databaseValue, Timestamp.database(Date()).databaseValue,
        ])
        let position = db.lastInsertedRowID
        let statement = try db.cachedStatement(sql: "INSERT INTO change_log (commit_position, change_index, hash, body) VALUES (?, ?, ?, ?)")
        for (index, hash) in commit.changeHashes.enumerated() {
            try statement.run([position.databaseValue, index.databaseValue, Data(hash).databaseValue, commit.changeBodies[index].map { Data($0) }.databaseValue])
        }
        return position
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
            db, sql: "SELECT position, header, header_hash, signature FROM commit_log WHERE position > ? ORDER BY position LIMIT ?",
            arguments: [position, limit])
        return try rows.map { row in
            Entry(position: row["position"], commit: try commit(row, in: db), storedHeaderHash: [UInt8](row["header_hash"] as Data))
        }
    }

    /// The commit of a `commit_log` row that holds at least `position`, `header` and `signature`,
    /// with its changes.
    package static func commit(_ row: Row, in db: Database) throws -> Commit {
        let changes = try Row.fetchAll(
            db.cachedStatement(sql: "SELECT hash, body FROM change_log WHERE commit_position = ? ORDER BY change_index"),
            arguments: [row["position"] as Int64])
        return Commit(
            header: try CommitHeader(decoding: [UInt8](row["header"] as Data)), signature: [UInt8](row["signature"] as Data),
            changeHashes: changes.map { [UInt8]($0["hash"] as Data) },
            changeBodies: changes.map { ($0["body"] as Data?).map { [UInt8]($0) } })
    }

    /// The rows of a chain's commits after `sequence`, in order, for ``commit(_:in:)``.
    package static func chainRows(origin: NodeID, epoch: UInt32, after sequence: UInt64, in db: Database) throws -> RowCursor {
        try Row.fetchCursor(
            db, sql: "SELECT position, header, signature FROM commit_log WHERE origin = ? AND epoch = ? AND sequence > ? ORDER BY sequence",
            arguments: [origin.hex, epoch, Int64(sequence)])
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
