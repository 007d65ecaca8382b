package import GRDB

/// What opening a node found when its database was not where it was last opened.
public enum NodeCopyNotice: Sendable, Equatable {
    /// The node had signed commits: its own commits continue in this new epoch.
    case newEpoch(UInt32)
    /// The node had signed nothing, so it stays in epoch 1.
    case copiedBeforeSigning

    /// The notice for an officer, naming the database file.
    public func sentence(database path: String) -> String {
        switch self {
        case .newEpoch(let epoch):
            "Note: \(path) is not where this node was last opened (the folder was copied, moved to another machine or restored from a backup), so Liaison started a new epoch, \(epoch), for this node's own changes, which keeps them apart from any the original has signed; the directory itself is unchanged."
        case .copiedBeforeSigning:
            "Note: \(path) is not where this node was last opened (the folder was copied, moved to another machine or restored from a backup) and the node has signed nothing yet, so nothing was changed; if the original folder is also in use, give this copy a node of its own with `liaison init --data NEW-FOLDER`, or the two will sign conflicting changes."
        }
    }
}

extension Directory {
    /// Compares where the database lives with where it was last opened. If it moved to another
    /// machine or file (a copy or a restore), starts a new epoch before anything is signed, so this
    /// copy cannot reuse a sequence number that the original may already have signed.
    /// Returns what was found when the database moved, nil when it did not.
    func checkInstance(_ fingerprint: String) throws(LiaisonError) -> NodeCopyNotice? {
        let node = self.node
        // Every command that signs opens the node: the usual case is a read, not a write transaction.
        let unchanged = try read { db in try String.fetchOne(db, sql: "SELECT instance FROM node") == fingerprint }
        guard !unchanged else { return nil }
        return try Self.storage {
            try database.write { db -> NodeCopyNotice? in
                let stored = try String.fetchOne(db, sql: "SELECT instance FROM node")
                guard stored != fingerprint else { return nil }
                try db.execute(sql: "UPDATE node SET instance = ?", arguments: [fingerprint])
                // The first open records where the node lives.
                guard stored != nil else { return nil }
                // A later epoch must follow an earlier commit, so a node that never signed stays
                // in epoch 1: two copies of it in use would sign the same positions.
                guard try Int.fetchOne(db, sql: "SELECT count(*) FROM commit_log WHERE origin = ?", arguments: [node.id.hex]) ?? 0 > 0 else {
                    return .copiedBeforeSigning
                }
                return .newEpoch(try Self.startNewEpoch(node: node, in: db, random: random))
            }
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
