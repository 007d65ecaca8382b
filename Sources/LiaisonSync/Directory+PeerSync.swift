public import Foundation
import GRDB
public import LiaisonCore

/// How syncing with one peer stands.
public struct PeerStatus: Sendable, Hashable, Encodable {
    public var peer: Peer
    public var lastAttemptAt: String?
    public var lastSuccessAt: String?
    public var lastError: String?
    public var lastErrorAt: String?
    /// Failures since the last success.
    public var failures: Int
    /// Background sync does not try again before this time.
    public var nextAttemptAt: String?
    /// Commits this node holds that the peer lacks, as far as this node knows: all of them while
    /// ``peerVectorKnown`` is false, an upper bound.
    public var commitsToSend: Int
    /// Whether the peer has said what it holds, in a sync or a bundle.
    public var peerVectorKnown: Bool { peer.knownVector != nil }
    /// Commits the peer held at the last sync, or in its last bundle, that this node still lacks;
    /// nil while the peer has never said what it holds.
    public var commitsToReceive: Int?

    private enum CodingKeys: String, CodingKey {
        case peer, lastAttemptAt, lastSuccessAt, lastError, lastErrorAt, failures, nextAttemptAt, commitsToSend, peerVectorKnown, commitsToReceive
    }

    /// As synthesized, with whether the peer's vector is known, and an unknown count written as
    /// null rather than left out.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(peer, forKey: .peer)
        try container.encodeIfPresent(lastAttemptAt, forKey: .lastAttemptAt)
        try container.encodeIfPresent(lastSuccessAt, forKey: .lastSuccessAt)
        try container.encodeIfPresent(lastError, forKey: .lastError)
        try container.encodeIfPresent(lastErrorAt, forKey: .lastErrorAt)
        try container.encode(failures, forKey: .failures)
        try container.encodeIfPresent(nextAttemptAt, forKey: .nextAttemptAt)
        try container.encode(commitsToSend, forKey: .commitsToSend)
        try container.encode(peerVectorKnown, forKey: .peerVectorKnown)
        try container.encode(commitsToReceive, forKey: .commitsToReceive)
    }
}

/// How long background sync waits after failures: doubling from `base` up to `cap`, each wait
/// drawn between half and the whole of it, so that nodes cut off together do not come back at
/// once.
public struct SyncBackoff: Sendable, Hashable {
    public var base: Duration
    public var cap: Duration

    public init(base: Duration = .seconds(30), cap: Duration = .seconds(3600)) {
        self.base = base
        self.cap = cap
    }

    /// The wait after `failures` failures in a row, with `random` drawn uniformly.
    public func delay(afterFailures failures: Int, random: UInt64) -> Duration {
        let doubled = base * (1 << min(max(failures - 1, 0), 20))
        let ceiling = min(doubled, cap)
        let fraction = 0.5 + 0.5 * Double(random >> 11) / Double(1 << 53)
        return ceiling * fraction
    }
}

extension Directory {
    /// Every peer on the roster with how syncing with it stands.
    public func peerStatuses() throws(LiaisonError) -> [PeerStatus] {
        let mine = try vector()
        return try read { db in
            try Row.fetchAll(db, sql: """
                SELECT p.*, s.last_attempt_at, s.last_success_at, s.last_error, s.last_error_at, coalesce(s.failures, 0) AS failures,
                  s.next_attempt_at, s.their_vector
                FROM peer p LEFT JOIN peer_sync s ON s.node_id = p.node_id ORDER BY p.name, p.node_id
                """).map { row in
                let peer = Peer(row: row)
                let theirs = (row["their_vector"] as String?).flatMap { try? VersionVector(json: Data($0.utf8), fileName: "peer_sync") }
                return PeerStatus(
                    peer: peer, lastAttemptAt: row["last_attempt_at"], lastSuccessAt: row["last_success_at"], lastError: row["last_error"],
                    lastErrorAt: row["last_error_at"], failures: row["failures"], nextAttemptAt: row["next_attempt_at"],
                    commitsToSend: mine.count(beyond: peer.knownVector ?? VersionVector()),
                    // A peer reached only by bundles said what it holds in its last bundle.
                    commitsToReceive: (theirs ?? peer.knownVector).map { $0.count(beyond: mine) })
            }
        }
    }

    /// The peers that background sync should reach now: with an address, not revoked, and not
    /// waiting after failures.
    public func peersDueForSync(now: Date) throws(LiaisonError) -> [Peer] {
        let time = Timestamp.database(now)
        return try read { db in
            try Row.fetchAll(db, sql: """
                SELECT p.* FROM peer p LEFT JOIN peer_sync s ON s.node_id = p.node_id
                WHERE p.url IS NOT NULL AND p.revoked_at IS NULL AND (s.next_attempt_at IS NULL OR s.next_attempt_at <= ?)
                ORDER BY p.name, p.node_id
                """, arguments: [time]).map(Peer.init(row:))
        }
    }

    /// Notes a sync that reached the peer: its vector as it said it, and, when everything sent was
    /// applied there, that it now holds this node's vector. Clears the backoff.
    /// The vector `peer` said it held when a sync with it last succeeded.
    func lastKnownVector(of peer: Peer) throws(LiaisonError) -> VersionVector? {
        let text = try read { db in try String.fetchOne(db, sql: "SELECT their_vector FROM peer_sync WHERE node_id = ?", arguments: [peer.nodeID]) }
        return text.flatMap { try? VersionVector(json: Data($0.utf8), fileName: "peer_sync") }
    }

    func recordSyncSuccess(with peer: Peer, theirs: VersionVector, sentAll: Bool, at now: Date) throws(LiaisonError) {
        let time = Timestamp.database(now)
        let known = sentAll ? try vector() : theirs
        try Self.storage {
            try database.write { db in
                try db.execute(sql: """
                    INSERT INTO peer_sync (node_id, last_attempt_at, last_success_at, failures, next_attempt_at, their_vector)
                    VALUES (?1, ?2, ?2, 0, NULL, ?3)
                    ON CONFLICT (node_id) DO UPDATE SET last_attempt_at = ?2, last_success_at = ?2, failures = 0, next_attempt_at = NULL,
                      their_vector = ?3
                    """, arguments: [peer.nodeID, time, String(decoding: theirs.json(), as: UTF8.self)])
                try db.execute(sql: "UPDATE peer SET known_vector = ? WHERE node_id = ?", arguments: [String(decoding: known.json(), as: UTF8.self), peer.nodeID])
            }
        }
    }

    /// Notes a failed sync and when background sync may try again.
    public func recordSyncFailure(with peer: Peer, error: LiaisonError, at now: Date, backoff: SyncBackoff = SyncBackoff()) throws(LiaisonError) {
        let time = Timestamp.database(now)
        let random = self.random()
        try Self.storage {
            try database.write { db in
                let failures = (try Int.fetchOne(db, sql: "SELECT failures FROM peer_sync WHERE node_id = ?", arguments: [peer.nodeID]) ?? 0) + 1
                let wait = backoff.delay(afterFailures: failures, random: random)
                let next = Timestamp.database(now.addingTimeInterval(Double(wait.components.seconds) + Double(wait.components.attoseconds) / 1e18))
                try db.execute(sql: """
                    INSERT INTO peer_sync (node_id, last_attempt_at, last_error, last_error_at, failures, next_attempt_at)
                    VALUES (?1, ?2, ?3, ?2, ?4, ?5)
                    ON CONFLICT (node_id) DO UPDATE SET last_attempt_at = ?2, last_error = ?3, last_error_at = ?2, failures = ?4, next_attempt_at = ?5
                    """, arguments: [peer.nodeID, time, error.message, failures, next])
            }
        }
    }

    /// A peer that reached this node is reachable again: background sync tries it at once.
    /// Returns whether it was waiting.
    @discardableResult
    public func clearBackoff(of nodeID: String) throws(LiaisonError) -> Bool {
        // Asked at every request of a peer: a read, and a write only when the peer was waiting.
        let waiting = try read { db in
            try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM peer_sync WHERE node_id = ? AND next_attempt_at IS NOT NULL)", arguments: [nodeID]) ?? false
        }
        guard waiting else { return false }
        return try Self.storage {
            try database.write { db in
                try db.execute(sql: "UPDATE peer_sync SET failures = 0, next_attempt_at = NULL WHERE node_id = ? AND next_attempt_at IS NOT NULL", arguments: [nodeID])
                return db.changesCount > 0
            }
        }
    }
}
