import Foundation

/// What a batch of received commits did.
public struct ReceiveReport: Sendable, Hashable, Codable {
    /// One commit or change that was not applied, with the reason.
    public struct Notice: Sendable, Hashable, Codable {
        /// `origin/epoch/sequence`, the origin shortened to 8 hex digits.
        public var commit: String
        public var reason: String
    }

    public var applied = 0
    public var changesApplied = 0
    public var alreadyHeld = 0
    /// Verified commits kept aside until their predecessors arrive or their clock time is reached.
    public var held: [Notice] = []
    /// Commits refused: bad signature, unknown or revoked key, broken chain, frozen origin.
    public var refused: [Notice] = []
    /// Changes of applied commits that the stewardship rule refused.
    public var refusedChanges: [Notice] = []
    /// Forks met: two different valid commits at one origin, epoch and sequence.
    public var forks: [Notice] = []
    /// Records whose steward changed: another node's creation of them came first.
    public var stewardChanges: [Notice] = []
    /// Commits of this node's own id signed in another epoch: another copy of this node.
    public var ownCommitsFromOtherCopies = 0
    /// Changes that were held as their hash only and arrived in full with a commit already held.
    public var changesFilledIn = 0
    /// Changes of the applied commits that came as their hash only.
    public var changesWithheld = 0
    /// Pairs of contacts or agencies that look like one record, which this receive added
    /// (`liaison duplicates` lists them).
    public var newLikelyDuplicates = 0
    /// Set when this node met commits of its own origin that it did not sign here (a copy or a
    /// restore) and started this new epoch.
    public var newEpoch: UInt32?
    /// Notes this receive purged: erased with their evaluations and links.
    public var notesPurged = 0

    public init() {}

    mutating func add(_ other: ReceiveReport) {
        applied += other.applied
        changesApplied += other.changesApplied
        alreadyHeld += other.alreadyHeld
        held += other.held
        refused += other.refused
        refusedChanges += other.refusedChanges
        forks += other.forks
        stewardChanges += other.stewardChanges
        ownCommitsFromOtherCopies += other.ownCommitsFromOtherCopies
        changesFilledIn += other.changesFilledIn
        changesWithheld += other.changesWithheld
        newEpoch = other.newEpoch ?? newEpoch
        notesPurged += other.notesPurged
    }
}

/// Two valid commits at one position of an origin's log.
public struct ForkRecord: Sendable, Hashable, Codable {
    public var origin: String
    public var epoch: UInt32
    public var sequence: UInt64
    public var heldHeaderHash: String
    public var otherHeaderHash: String
    public var detectedAt: String
}

extension ReceiveReport {
    /// Whether an officer should look: a refused commit or change, a held commit, a steward change
    /// or a fork (`bundle import` and `sync` then exit 2).
    public var needsAttention: Bool {
        !refused.isEmpty || !refusedChanges.isEmpty || !forks.isEmpty || !stewardChanges.isEmpty || !held.isEmpty
    }
}
