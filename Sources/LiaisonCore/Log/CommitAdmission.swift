/// The rules that admit a commit to a log (docs/PROTOCOL.md, "Verifying a commit", "Chain rules"
/// and "Receiving commits"), as pure checks over facts that the caller reads. Receiving and
/// `log verify` ask the same questions here, so they cannot disagree.
package enum CommitAdmission {
    /// Checks who signed a commit and that its signature, change hashes and digest hold. It needs no
    /// database, so receivers run it before they take the write lock, on every core.
    ///
    /// Returns the reason to refuse the commit, or nil. `log verify` accepts revoked keys: the
    /// commits it holds were valid when they came.
    package static func refusal(_ commit: Commit, signer: LogStore.KnownKey?, acceptingRevoked: Bool = false) -> String? {
        let header = commit.header
        guard let signer else {
            return "signed by key \(header.keyID.hex.prefix(8)), which is not in this node's roster: its origin is not trusted here (add that node's card with `liaison peer add`; a card without an address will do)"
        }
        guard signer.node == header.origin else {
            return "signed by the key of node \(signer.node.hex.prefix(8)) but claims origin \(header.origin.hex.prefix(8)): forged or damaged"
        }
        // SQLite stores these as signed 64-bit integers; the schema needs epochs and sequences from 1.
        guard header.epoch >= 1, header.sequence >= 1, header.sequence <= UInt64(Int64.max), header.time.rawValue <= UInt64(Int64.max) else {
            return "epoch, sequence or clock time out of range"
        }
        guard acceptingRevoked || !signer.revoked else { return "signed by revoked key \(header.keyID.hex.prefix(8))" }
        do {
            try commit.verify(with: signer.key)
        } catch {
            return error.message
        }
        return nil
    }

    /// The commit's change bytes decoded, nil where only the hash is present; or the reason to
    /// refuse the commit when one does not decode.
    package static func changes(of commit: Commit) -> Result<[Change?], LiaisonError> {
        var changes: [Change?] = []
        changes.reserveCapacity(commit.changeBodies.count)
        for (index, body) in commit.changeBodies.enumerated() {
            guard let body else {
                changes.append(nil)
                continue
            }
            do {
                changes.append(try Change(decoding: body))
            } catch {
                return .failure(LiaisonError(.verification, "change \(index) is unreadable: \(error.message)"))
            }
        }
        return .success(changes)
    }

    /// The last commit held of a chain (one origin's epoch).
    package struct Tip: Sendable, Hashable {
        package var sequence: UInt64
        package var hash: [UInt8]
        package var time: HybridLogicalTime

        package init(sequence: UInt64, hash: [UInt8], time: HybridLogicalTime) {
            self.sequence = sequence
            self.hash = hash
            self.time = time
        }
    }

    /// Where a commit stands against its chain.
    package enum Placement: Sendable, Hashable {
        /// It is the next commit of its chain: it may be applied.
        case follows
        /// Its predecessor is not held yet: it waits for it.
        case waits(String)
        /// It can never follow: refuse it.
        case refused(String)
    }

    /// Places a commit after `tip`, the last held commit of its origin and epoch (nil: none yet).
    /// The first commit of a later epoch follows an earlier-epoch commit of its origin, named by its
    /// previous-header hash: `earlierEpochCommitTime` gives that commit's clock time when it is held.
    package static func place(
        _ header: CommitHeader, after tip: Tip?, earlierEpochCommitTime: ([UInt8]) throws -> HybridLogicalTime?
    ) rethrows -> Placement {
        let expected = (tip?.sequence ?? 0) + 1
        if header.sequence > expected {
            return .waits("waiting for \(CommitHeader.label(origin: header.origin, epoch: header.epoch, sequence: expected))")
        }
        guard header.sequence == expected else {
            return .refused("sequence \(header.sequence) is not the next of its chain (\(expected))")
        }
        let predecessorTime: HybridLogicalTime?
        if let tip {
            guard header.previousHash == tip.hash else {
                return .refused("does not follow the commit before it (previous-header hash differs)")
            }
            predecessorTime = tip.time
        } else if header.epoch == 1 {
            guard header.previousHash == CommitHeader.genesisHash else {
                return .refused("the first commit of epoch 1 must follow the genesis hash")
            }
            predecessorTime = nil
        } else {
            guard header.previousHash != CommitHeader.genesisHash else {
                return .refused("the first commit of a later epoch must follow an earlier commit of its node")
            }
            guard let time = try earlierEpochCommitTime(header.previousHash) else {
                return .waits("waiting for the earlier-epoch commit it follows")
            }
            predecessorTime = time
        }
        // A node's clock never goes back along its log, so it cannot back-date a commit to win a
        // record's stewardship after it has seen the record.
        if let predecessorTime, header.time <= predecessorTime {
            return .refused("its clock time is not after the commit it follows")
        }
        return .follows
    }
}
