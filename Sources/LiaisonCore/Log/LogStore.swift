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

    /// One chain of commits: an origin's epoch.
    package struct ChainKey: Hashable, Sendable {
        package var origin: NodeID
        package var epoch: UInt32
    }

    /// What a commit follows.
    enum Followed {
        case genesis
        case commit(time: HybridLogicalTime)
        case nothing
    }

    /// What `header` follows: the commit before it in its epoch; for the first commit of epoch 1,
    /// the genesis hash; for the first commit of a later epoch, an earlier commit of its origin.
    static func followed(
        _ header: CommitHeader, previous: (hash: [UInt8], time: HybridLogicalTime)?,
        originHashes: [[UInt8]: (epoch: UInt32, time: HybridLogicalTime)]
    ) -> Followed {
        if let previous { return header.previousHash == previous.hash ? .commit(time: previous.time) : .nothing }
        if header.epoch == 1 { return header.previousHash == CommitHeader.genesisHash ? .genesis : .nothing }
        guard let followed = originHashes[header.previousHash], followed.epoch < header.epoch else { return .nothing }
        return .commit(time: followed.time)
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
    package static func chainRows(origin: NodeID, epoch: UInt32, after sequence: UInt64, limit: Int = .max, in db: Database) throws -> RowCursor {
        try Row.fetchCursor(
            db, sql: "SELECT position, header, signature FROM commit_log WHERE origin = ? AND epoch = ? AND sequence > ? ORDER BY sequence LIMIT ?",
            arguments: [origin.hex, epoch, Int64(sequence), limit])
    }

    /// A signing key of the roster (this node's own included).
    package struct KnownKey: Sendable {
        package var node: NodeID
        package var key: Curve25519.Signing.PublicKey
        package var revoked: Bool
    }

    /// The signing keys of the roster, by key id.
    package static func knownKeys(in db: Database) throws -> [NodeID: KnownKey] {
        var keys: [NodeID: KnownKey] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT key_id, node_id, public_key, revoked_at FROM node_key") {
            keys[try NodeID(hex: row["key_id"])] = KnownKey(
                node: try NodeID(hex: row["node_id"]), key: try Curve25519.Signing.PublicKey(rawRepresentation: row["public_key"] as Data),
                revoked: (row["revoked_at"] as String?) != nil)
        }
        return keys
    }

    /// The latest commits, newest first.
    public static func latest(limit: Int, in db: Database) throws -> [Entry] {
        let start = try Int64.fetchOne(db, sql: "SELECT position FROM commit_log ORDER BY position DESC LIMIT 1 OFFSET ?", arguments: [limit]) ?? 0
        return try entries(after: start, in: db).reversed()
    }

    /// The result of re-verifying the whole log.
    public struct VerifyReport: Sendable {
        public var commits = 0
        public var changes = 0
        public var withheldChanges = 0
    }

    /// Re-verifies every stored commit: its signature with a known key of its origin, its change
    /// hashes and digest, and the chain of previous-header hashes with gapless sequences per origin.
    /// Throws at the first bad commit, naming it.
    public static func verify(in db: Database, progress: (Int) -> Void = { _ in }) throws -> VerifyReport {
        // Revoked keys too: the commits held were valid when they were applied.
        let keys = try knownKeys(in: db)
        var report = VerifyReport()
        // Per origin and epoch: the last sequence and header hash; per origin: every header hash,
        // which the first commit of a later epoch may follow.
        var chains: [ChainKey: (sequence: UInt64, hash: [UInt8], time: HybridLogicalTime)] = [:]
        var originHashes: [NodeID: [[UInt8]: (epoch: UInt32, time: HybridLogicalTime)]] = [:]
        var position: Int64 = 0
        while true {
            // Per origin the log is ordered by epoch and sequence; arrival order respects that.
            let batch = try entries(after: position, limit: 500, in: db)
            guard let lastEntry = batch.last else { break }
            for entry in batch {
                let header = entry.commit.header
                let name = "commit \(header.label) at position \(entry.position)"
                guard let signer = keys[header.keyID], signer.node == header.origin else {
                    throw LiaisonError(.verification, "signed by unknown key \(header.keyID)", record: name)
                }
                do {
                    try entry.commit.verify(with: signer.key)
                } catch {
                    throw LiaisonError(.verification, error.message, record: name)
                }
                guard header.hash == entry.storedHeaderHash else {
                    throw LiaisonError(.verification, "stored header hash does not match the header", record: name)
                }
                let key = ChainKey(origin: header.origin, epoch: header.epoch)
                let previous = chains[key]
                let expectedSequence = (previous?.sequence ?? 0) + 1
                guard header.sequence == expectedSequence else {
                    throw LiaisonError(.verification, "sequence gap: expected \(header.epoch)/\(expectedSequence)", record: name)
                }
                switch followed(header, previous: previous.map { ($0.hash, $0.time) }, originHashes: originHashes[header.origin] ?? [:]) {
                case .nothing:
                    throw LiaisonError(.verification, "previous-header hash does not match the commit before it", record: name)
                case .commit(let time) where header.time <= time:
                    throw LiaisonError(.verification, "its clock time is not after the commit it follows", record: name)
                case .genesis, .commit:
                    break
                }
                chains[key] = (header.sequence, header.hash, header.time)
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
}
