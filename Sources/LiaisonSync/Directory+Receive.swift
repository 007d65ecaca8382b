public import LiaisonCore
public import Foundation
import Crypto
import GRDB
import Logging

extension Directory {
    /// How far ahead of this node's clock a commit may be stamped before it is held.
    public static let maximumClockSkew: TimeInterval = 10 * 60

    /// Verifies and applies commits authored by any node, in one transaction.
    ///
    /// Each commit is checked against its author's key from the roster, its change hashes and digest,
    /// and its chain. A commit already held is skipped; one whose predecessor is missing, or whose
    /// clock is too far ahead, is kept in `held_commit` and applied once it can be. Commits are
    /// refused, with the reason, for an unknown or revoked key, a bad signature or digest, a broken
    /// chain, or an origin frozen by a fork.
    ///
    /// Signatures and hashes are checked on every core before the write lock is taken, so readers
    /// and local writes wait only while the tables change.
    ///
    /// `now` is the time the clock check compares with; nil reads this node's clock.
    public func receive(_ commits: [Commit], now: Date? = nil) throws(LiaisonError) -> ReceiveReport {
        let node = self.node
        let now = now ?? clock()
        let (keys, reference) = try read { db in (try LogStore.knownKeys(in: db), try FieldTable.reference(in: db)) }
        let opener = encryptionKey
        let checked = commits.concurrentMap(minimumChunk: 8) { CheckedCommit($0, keys: keys, receiver: node.id, opener: opener, reference: reference) }
        return try receive(checked: checked, now: now)
    }

    /// Applies commits checked before, in one transaction. `agencyRows` may be kept across the
    /// transactions of one bundle import: a transaction that fails drops the rows it read.
    func receive(
        checked: [CheckedCommit], now: Date, agencyRows: SearchIndex.AgencyRowCache = .init()
    ) throws(LiaisonError) -> ReceiveReport {
        let node = self.node
        let (report, purges) = try Self.storage {
            try database.write { db in
                let receiver = try Receiver(db: db, node: node, now: now, random: random, agencyRows: agencyRows, opener: encryptionKey)
                try receiver.offerDueCommits()
                for commit in checked { try receiver.offer(commit) }
                try receiver.finish()
                return (receiver.report, receiver.appliedPurges)
            }
        }
        guard !purges.isEmpty else { return report }
        for (purge, origin) in purges {
            try audit(.notePurge, actor: "node", records: [purge.noteID.lowercasedString], detail: ["purged_by": origin.hex], reason: purge.reason)
        }
        // What was received stays applied: pages a reader holds are cleared later.
        clearErasedPagesIfPending()
        return report
    }

    /// The commits this node holds beyond `vector`, in sequence order per origin and epoch, at most
    /// `limit` of them. Changes that may not reach `receiver` come as their hash only.
    public func commits(beyond vector: VersionVector, for receiver: NodeID? = nil, limit: Int = .max) throws(LiaisonError) -> [Commit] {
        try read { db in
            var commits: [Commit] = []
            try LogStore.forEachCommit(beyond: vector, for: receiver, in: db) { commit in
                commits.append(commit)
                return commits.count < limit
            }
            return commits
        }
    }

    /// Forks this node has met, newest first.
    public func forks() throws(LiaisonError) -> [ForkRecord] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM fork ORDER BY detected_at DESC").map { row in
                ForkRecord(
                    origin: row["origin"], epoch: row["epoch"], sequence: UInt64(row["sequence"] as Int64),
                    heldHeaderHash: try CommitHeader(decoding: [UInt8](row["held_header"] as Data)).hash.hexString,
                    otherHeaderHash: try CommitHeader(decoding: [UInt8](row["other_header"] as Data)).hash.hexString,
                    detectedAt: Timestamp.iso8601(database: row["detected_at"]))
            }
        }
    }
}

extension Entity {
    /// Channels and designations belong to an agency or a person.
    var hasOwner: Bool { self == .channel || self == .designation }
}

