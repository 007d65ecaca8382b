package import GRDB
import Logging

extension Directory {
    /// Compares where the database lives with where it was last opened. If it moved to another
    /// machine or file (a copy or a restore), starts a new epoch before anything is signed, so this
    /// copy cannot reuse a sequence number that the original may already have signed.
    /// Returns whether a new epoch began.
    func checkInstance(_ fingerprint: String, logger: Logger) throws(LiaisonError) -> Bool {
        enum Found: Sendable { case samePlace, newEpoch(UInt32), copiedBeforeSigning }
        let node = self.node
        // Every command opens the node: the usual case is a read, not a write transaction.
        let unchanged = try read { db in try String.fetchOne(db, sql: "SELECT instance FROM node") == fingerprint }
        guard !unchanged else { return false }
        let found: Found = try Self.storage {
            try database.write { db in
                let stored = try String.fetchOne(db, sql: "SELECT instance FROM node")
                guard stored != fingerprint else { return .samePlace }
                try db.execute(sql: "UPDATE node SET instance = ?", arguments: [fingerprint])
                // The first open records where the node lives.
                guard stored != nil else { return .samePlace }
                guard try Int.fetchOne(db, sql: "SELECT count(*) FROM commit_log WHERE origin = ?", arguments: [node.id.hex]) ?? 0 > 0 else {
                    return .copiedBeforeSigning
                }
                return .newEpoch(try Self.startNewEpoch(node: node, in: db, random: random))
            }
        }
        switch found {
        case .samePlace:
            return false
        case .copiedBeforeSigning:
            // A later epoch must follow an earlier commit, so a node that never signed stays in
            // epoch 1: two copies of it in use would sign the same positions.
            logger.warning(
                "this node's database was copied or restored before it signed anything: if another copy of it is in use, give one of them a node of its own with `liaison init`",
                metadata: ["node.id": "\(node.id)"])
            return false
        case .newEpoch(let epoch):
            logger.warning(
                "this node's database was copied or restored: its own commits continue in a new epoch",
                metadata: ["node.id": "\(node.id)", "epoch": "\(epoch)"])
            return true
        }
    }

    /// Starts a new epoch for this node's own commits, so that it can never sign a sequence number
    /// that a copy of it (or the node it was restored from) already used.
    @discardableResult
    public func startNewEpoch() throws(LiaisonError) -> UInt32 {
        let node = self.node
        let random = self.random
        return try Self.storage { try database.write { db in try Self.startNewEpoch(node: node, in: db, random: random) } }
    }

    /// The new epoch is above every epoch of this origin seen so far, plus a random step drawn from
    /// `random`, so that two copies that each start one are unlikely to pick the same.
    package static func startNewEpoch(node: NodeIdentity, in db: Database, random: () -> UInt64) throws -> UInt32 {
        let current = try UInt32.fetchOne(db, sql: "SELECT epoch FROM node") ?? 1
        // A node that has signed nothing has nothing to protect, and its first commit must be in
        // epoch 1 (docs/PROTOCOL.md, "Chain rules").
        guard let seen = try Int64.fetchOne(db, sql: "SELECT max(epoch) FROM commit_log WHERE origin = ?", arguments: [node.id.hex]) else {
            return current
        }
        // A copy of this node may have signed in the highest epoch there is: the node then stays
        // in it, after that copy's commits, and should both sign on there, they are a fork.
        let epoch = UInt32(clamping: Int64(max(current, UInt32(clamping: seen))) + 1 + Int64(random() % 65_536))
        try db.execute(sql: "UPDATE node SET epoch = ?", arguments: [epoch])
        return epoch
    }
}
