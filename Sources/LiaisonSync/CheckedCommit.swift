import Crypto
import LiaisonCore

/// A received commit checked against the roster before the write lock is taken: signature,
/// hashes and change bytes, which are the costly part of receiving.
struct CheckedCommit: Sendable {
    /// The commit as it came.
    var commit: Commit
    /// The key it was checked with, as the roster held it then.
    var signer: LogStore.KnownKey?
    /// Why it must be refused, or nil.
    var refusal: String?
    /// Its changes as this node may hold them: bodies it is not entitled to are dropped.
    var visible: Commit
    var changes: [Change?]
    /// The visible changes in the compact form the log stores, made before the write lock is taken.
    var storedChanges: [UInt8] = []
    /// Whether the visible commit reaches every node as stored (``LogStore/travelsWhole(_:)``).
    var travelsWhole = false
    /// What applying each change needs, when reference data was given; else empty.
    var prepared: [PreparedChange] = []

    /// Checks `commit`; `decoded` are its changes when its transport form already gave them
    /// (nil where it did not), which need not be decoded again, and `compact` that form.
    init(
        _ commit: Commit, keys: [NodeID: LogStore.KnownKey], receiver: NodeID, opener: Curve25519.KeyAgreement.PrivateKey? = nil,
        decoded: [Change?]? = nil, compact: [UInt8]? = nil, reference: ReferenceData? = nil
    ) {
        self.commit = commit
        signer = keys[commit.header.keyID]
        refusal = CommitAdmission.refusal(commit, signer: signer) ?? commit.frameLimitRefusal
        // Bodies sealed to this node are opened, and checked against their hashes as they are;
        // bodies this node is not entitled to are kept as their hash only, whoever sent them.
        let opened = refusal == nil ? opener.map { commit.openingSealedBodies(for: receiver, key: $0) } ?? commit : commit
        visible = opened.kept(by: receiver)
        changes = []
        guard refusal == nil else { return }
        var toDecode = visible
        if let decoded, decoded.count == visible.changeBodies.count {
            for (index, change) in decoded.enumerated() where change != nil { toDecode.changeBodies[index] = nil }
        }
        switch CommitAdmission.changes(of: toDecode) {
        case .success(let decodedHere):
            changes = decodedHere.enumerated().map { index, change in
                visible.changeBodies[index] == nil ? nil : change ?? decoded?[index]
            }
            // The compact form it came in is the one to store, unless a body was dropped here:
            // it was decoded into this very commit.
            let keptEveryBody = zip(visible.changeBodies, commit.changeBodies).allSatisfy { ($0 == nil) == ($1 == nil) }
            if let compact, keptEveryBody {
                storedChanges = compact
            } else {
                storedChanges = CompactCommitEncoder.encodeChanges(of: visible, decoded: changes)
            }
            travelsWhole = LogStore.travelsWhole(visible)
            if let reference {
                prepared = changes.map { $0.map { PreparedChange($0, reference: reference) } ?? PreparedChange() }
            }
        case .failure(let error):
            refusal = error.message
        }
    }

    /// Erases from the visible commit what purges this node applied cover, re-encoding what the
    /// log stores. Returns whether anything was erased.
    mutating func erase(_ purged: PurgedNotes) -> Bool {
        guard refusal == nil, purged.erase(from: &visible, changes: &changes) else { return false }
        storedChanges = CompactCommitEncoder.encodeChanges(of: visible, decoded: changes)
        travelsWhole = LogStore.travelsWhole(visible)
        return true
    }
}

/// What applying one received change needs besides the tables, worked out before the write lock
/// is taken.
struct PreparedChange: Sendable {
    /// The change checked against the field tables.
    var fieldCheck = FieldTable.Check.unchecked
    /// An upsert's column values.
    var columns: ChangeApplier.Prepared?
    /// A contact's creation as its search entry needs it, should the change create the contact.
    var createdPerson: SearchIndex.CreatedPerson?
    /// The agency or person that a channel's or role's upsert names.
    var owners: [Receiver.Owner]?
    /// What a channel or role adds to its contact's search entry, should the change create it.
    var addition = Receiver.EntryAddition.nothing

    init() {}

    init(_ change: Change, reference: ReferenceData) {
        fieldCheck = FieldTable.checked(change, reference: reference)
        columns = ChangeApplier.prepare(change)
        switch change.entity {
        case .person:
            if case .upsert(let groups) = change.operation { createdPerson = SearchIndex.CreatedPerson(creation: groups) }
        case .channel, .designation:
            owners = Receiver.owners(in: change)
            addition = Receiver.entryAddition(of: change)
        case .agency, .duplicateDecision, .note, .noteEvaluation, .noteLink, .sharingGroup, .notePurge, .proposal, .proposalDecision:
            break
        }
    }
}
