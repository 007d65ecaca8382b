/// The merge rules of docs/PROTOCOL.md ("Merging", "Stewardship") as pure functions: what one change
/// does to one record, given only the record's steward, claim and stamps. ``ChangeApplier`` carries
/// out the decision on the tables.
public enum Merge {
    /// The field group that holds a record's tombstone stamp.
    public static let deletionGroup = "~deleted"

    /// A stored record as the merge sees it. Stamps are `<hlc as 16 hex digits>-<origin>` texts,
    /// which sort in merge order.
    public struct Record: Sendable, Hashable {
        public var steward: String
        /// The stamp of the record's creation.
        public var claim: String
        /// Field group → stamp of its last write; the tombstone under ``Merge/deletionGroup``.
        public var stamps: [String: String]

        public init(steward: String, claim: String, stamps: [String: String]) {
            self.steward = steward
            self.claim = claim
            self.stamps = stamps
        }
    }

    /// What to do with a change.
    public enum Decision: Sendable, Hashable {
        /// Insert the record from this creation, with the change's origin as steward.
        case create
        /// Write these field groups (a subset of the change's) and their stamps. `earlierClaim` is
        /// set when the change is the steward's own creation, earlier than the record's claim (two
        /// copies of one node created it): the record's claim and creation time become this one's.
        case write([String], earlierClaim: Bool = false)
        /// Set the tombstone stamp.
        case delete
        /// Every group of the change, or the tombstone, already holds a later write.
        case superseded
        /// An earlier creation by another node: the record starts again from this change.
        case replace(previousSteward: String)
        /// Stewardship refuses the change, the same on every node.
        case refuse(String)
    }

    /// What a change stamped `stamp` by `origin` does to `record` (nil when the record is not
    /// held). `groups` are the change's field groups, nil for a delete; a change that carries all
    /// `groupCount` groups of its record kind is a creation.
    public static func decide(record: Record?, origin: String, stamp: String, groups: [String]?, groupCount: Int, kind: String) -> Decision {
        let isCreation = groups?.count == groupCount
        guard let record else {
            if groups == nil { return .refuse("deletes a \(kind) this node has no creation of") }
            return isCreation ? .create : .refuse("changes a \(kind) this node has no creation of")
        }
        guard record.steward == origin else {
            if isCreation, stamp < record.claim { return .replace(previousSteward: record.steward) }
            return .refuse("node \(origin) is not the steward of this \(kind) (\(record.steward) is)")
        }
        guard let groups else {
            return record.stamps[deletionGroup].map { $0 <= stamp } ?? true ? .delete : .superseded
        }
        // Last writer wins per field group; an equal stamp comes from the same commit, whose later
        // change wins.
        let written = groups.filter { group in record.stamps[group].map { $0 <= stamp } ?? true }
        let earlierClaim = isCreation && stamp < record.claim
        return written.isEmpty && !earlierClaim ? .superseded : .write(written, earlierClaim: earlierClaim)
    }

    /// A record is deleted when its tombstone is no earlier than every write to its field groups:
    /// an edit stamped after the delete revives it, and a delete in the same commit as an edit wins.
    public static func isDeleted(_ stamps: [String: String]) -> Bool {
        guard let deletion = stamps[deletionGroup] else { return false }
        return stamps.allSatisfy { $0.key == deletionGroup || $0.value <= deletion }
    }
}
