import Foundation
import Crypto
import GRDB
import LiaisonCore

/// Applies received commits within one write transaction.
final class Receiver {
    let db: Database
    let node: NodeIdentity
    let nowMilliseconds: UInt64
    /// Where a new epoch's random step comes from, should this node meet its own commits.
    let random: () -> UInt64
    var report = ReceiveReport()
    /// The roster as this transaction sees it.
    let keys: [NodeID: LogStore.KnownKey]
    /// Commits of this node's id in its current epoch that it did not sign here.
    var metOwnCommits = false
    var currentEpoch: UInt32?
    /// Held commits by header hash, to report only those still held at the end.
    var heldNotices: [[UInt8]: ReceiveReport.Notice] = [:]
    /// Whether the refusal table may hold anything: most batches refuse nothing, and then a
    /// creation needs no look for changes that waited for it.
    var mayHaveRefusals: Bool?
    /// Refused changes, to report only those a later change in the batch did not let apply.
    var refusedNotices: [(position: Int64, index: Int, notice: ReceiveReport.Notice)] = []
    var touchedPersons: Set<UUID> = []
    var touchedAgencies: Set<UUID> = []
    var renamedAgencies: Set<UUID> = []
    var created: Set<UUID> = []
    /// Contacts created in this transaction whose index entries are made from their changes: no
    /// other change touched them, their channels or their roles, and nothing stored named them.
    var createdPersons: [UUID: SearchIndex.CreatedPerson] = [:]
    /// Contacts named by channels or roles created in this transaction before the contact was.
    var namedBeforeCreation: Set<UUID> = []
    /// The last channel and role rows stored before this transaction.
    let lastStoredAttachments: (channel: Int64, designation: Int64)
    /// Records that an earlier creation took over in this batch.
    var takenOver: [UUID: Entity] = [:]

    /// Agency rows that the search index reads, kept across the batches of one receive.
    let agencyRows: SearchIndex.AgencyRowCache
    /// Notes written in this batch, whose search entries are made anew when it ends.
    var touchedNotes: Set<UUID> = []
    /// This node's encryption key, which opens bodies sealed to it.
    let opener: Curve25519.KeyAgreement.PrivateKey?
    /// The purges applied here, whose bodies are never stored again, whoever sends them.
    var purged: PurgedNotes
    /// Set by a purge: the notes' search index is merged when the batch ends, once for all.
    var mergesNoteIndex = false
    /// The purges applied, with the node that signed each, for the audit log once the
    /// transaction is over.
    var appliedPurges: [(purge: NotePurge, origin: NodeID)] = []

    init(
        db: Database, node: NodeIdentity, now: Date, random: @escaping () -> UInt64 = { .random(in: .min ... .max) },
        agencyRows: SearchIndex.AgencyRowCache = .init(), opener: Curve25519.KeyAgreement.PrivateKey? = nil
    ) throws {
        self.opener = opener
        self.db = db
        self.agencyRows = agencyRows
        self.node = node
        self.random = random
        nowMilliseconds = UInt64(max(0, now.timeIntervalSince1970 * 1000))
        keys = try LogStore.knownKeys(in: db)
        purged = try PurgedNotes(in: db)
        lastStoredAttachments = (
            try Int64.fetchOne(db, sql: "SELECT max(local_id) FROM channel") ?? 0,
            try Int64.fetchOne(db, sql: "SELECT max(local_id) FROM designation") ?? 0)
    }

    /// Reindexes what changed and, after meeting commits of its own origin, starts a new epoch.
    func finish() throws {
        try settleTakeovers()
        for refused in refusedNotices where try isRefused(position: refused.position, index: refused.index) {
            report.refusedChanges.append(refused.notice)
        }
        for (hash, notice) in heldNotices.sorted(by: { $0.value.commit < $1.value.commit })
        where try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM held_commit WHERE header_hash = ?)", arguments: [Data(hash)]) == true {
            report.held.append(notice)
        }
        try forgetCreatedPersonsNamedBefore()
        try NoteIndex.reindex(touchedNotes, in: db)
        if mergesNoteIndex { try NoteErasure.mergeSearchIndex(in: db) }
        try SearchIndex.reindex(
            persons: touchedPersons, agencies: touchedAgencies, agenciesWithMembers: renamedAgencies, unindexed: created,
            created: createdPersons, agencyRows: agencyRows, in: db)
        try RetiredRecords.refresh(in: db)
        if metOwnCommits { report.newEpoch = try Directory.startNewEpoch(node: node, in: db, random: random) }
    }

    /// Offers the held commits whose predecessor is here: those held for their clock time, now due.
    func offerDueCommits() throws {
        let due = try Data.fetchAll(db, sql: """
            SELECT frame FROM held_commit h
            WHERE h.sequence = 1 + coalesce((SELECT max(sequence) FROM commit_log c WHERE c.origin = h.origin AND c.epoch = h.epoch), 0)
            """)
        for frame in due {
            guard let commit = try heldCommit(frame) else { continue }
            try offer(commit)
        }
    }

    /// Takes one commit, checking it here.
    func offer(_ commit: Commit) throws {
        try offer(CheckedCommit(commit, keys: keys, receiver: node.id, opener: opener))
    }

    /// Takes one checked commit, and then every held commit that it lets follow.
    func offer(_ checked: CheckedCommit) throws {
        var queue = [checked]
        while let next = queue.popLast() {
            guard try process(next) else { continue }
            let header = next.commit.header
            // Commits held for this one: the next of its epoch, or a later epoch's first commit.
            let followers = try Data.fetchAll(db.cachedStatement(sql: """
                SELECT frame FROM held_commit WHERE origin = ? AND ((epoch = ? AND sequence = ?) OR (epoch > ? AND sequence = 1))
                """), arguments: [header.origin.hex, header.epoch, Int64(header.sequence + 1), header.epoch])
            for frame in followers {
                guard let commit = try heldCommit(frame) else { continue }
                queue.append(CheckedCommit(commit, keys: keys, receiver: node.id, opener: opener))
            }
        }
    }

    /// A held commit read back; one that cannot be read (written by a release with other limits)
    /// is dropped and reported as refused, so it never blocks what follows.
    func heldCommit(_ frame: Data) throws -> Commit? {
        do {
            return try Commit(frame: [UInt8](frame))
        } catch {
            let name = (try? CommitHeader(decoding: Array([UInt8](frame).prefix(CommitHeader.encodedSize))))?.label ?? "a held commit"
            report.refused.append(.init(commit: name, reason: "its held copy cannot be read: \(error.message)"))
            try db.execute(sql: "DELETE FROM held_commit WHERE frame = ?", arguments: [frame])
            return nil
        }
    }

    /// Returns whether the commit was applied.
    func process(_ checked: CheckedCommit) throws -> Bool {
        let commit = checked.commit
        let header = commit.header
        let hash = header.hash
        let name = header.label
        if let position = try Int64.fetchOne(db.cachedStatement(sql: "SELECT position FROM commit_log WHERE header_hash = ?"), arguments: [Data(hash)]) {
            report.alreadyHeld += 1
            try db.execute(sql: "DELETE FROM held_commit WHERE header_hash = ?", arguments: [Data(hash)])
            // A copy that carries changes this node holds as hashes only: a relay withheld them
            // before, or this node was not entitled then.
            // Bodies sealed to this node were opened when the copy was checked.
            var carried = checked.refusal == nil ? checked.visible : commit
            if !purged.isEmpty {
                var decoded = carried.changeBodies.map { $0.flatMap { try? Change(decoding: $0) } }
                purged.erase(from: &carried, changes: &decoded)
            }
            if carried.changeBodies.contains(where: { $0 != nil }) || !carried.sealedBodies.isEmpty {
                try fillWithheldBodies(carried, position: position, name: name)
            }
            return false
        }
        if let fork = try Row.fetchOne(db, sql: "SELECT epoch, sequence FROM fork WHERE origin = ? LIMIT 1", arguments: [header.origin.hex]) {
            let at = CommitHeader.label(origin: header.origin, epoch: fork["epoch"], sequence: UInt64(fork["sequence"] as Int64))
            try refuse(commit, "its origin is frozen by a fork at \(at); see `liaison log forks`")
            return false
        }
        // Checked before the transaction began: checked again only if the roster changed since.
        var checked = checked.signer == keys[header.keyID] ? checked : CheckedCommit(commit, keys: keys, receiver: node.id, opener: opener)
        if !purged.isEmpty { _ = checked.erase(purged) }
        if let reason = checked.refusal {
            try refuse(commit, reason)
            return false
        }
        let visible = checked.visible
        if let other = try Row.fetchOne(
            db, sql: "SELECT header, signature FROM commit_log WHERE origin = ? AND epoch = ? AND sequence = ?",
            arguments: [header.origin.hex, header.epoch, Int64(header.sequence)])
        {
            try recordFork(visible, held: other)
            return false
        }
        if let waiting = try Data.fetchOne(
            db, sql: "SELECT frame FROM held_commit WHERE origin = ? AND epoch = ? AND sequence = ? AND header_hash <> ?",
            arguments: [header.origin.hex, header.epoch, Int64(header.sequence), Data(hash)])
        {
            let held = try Commit(frame: [UInt8](waiting))
            try recordFork(visible, heldHeader: held.header.encoded, heldSignature: held.signature)
            try db.execute(sql: "DELETE FROM held_commit WHERE origin = ? AND epoch = ? AND sequence = ?", arguments: [header.origin.hex, header.epoch, Int64(header.sequence)])
            return false
        }
        if header.time.milliseconds > nowMilliseconds + UInt64(Directory.maximumClockSkew * 1000) {
            let minutes = (header.time.milliseconds - nowMilliseconds) / 60_000
            try hold(visible, reason: "its clock time is \(minutes) minutes ahead of this node's clock; it is applied once that time is reached, or check the clocks")
            return false
        }
        let tip = try Row.fetchOne(
            db.cachedStatement(sql: "SELECT sequence, header_hash, hlc FROM commit_log WHERE origin = ? AND epoch = ? ORDER BY sequence DESC LIMIT 1"),
            arguments: [header.origin.hex, header.epoch]
        ).map { row in
            CommitAdmission.Tip(
                sequence: UInt64(row["sequence"] as Int64), hash: [UInt8](row["header_hash"] as Data),
                time: HybridLogicalTime(rawValue: UInt64(bitPattern: row["hlc"])))
        }
        let placement = try CommitAdmission.place(header, after: tip) { previousHash in
            try Int64.fetchOne(
                db, sql: "SELECT hlc FROM commit_log WHERE origin = ? AND epoch < ? AND header_hash = ?",
                arguments: [header.origin.hex, header.epoch, Data(previousHash)]
            ).map { HybridLogicalTime(rawValue: UInt64(bitPattern: $0)) }
        }
        switch placement {
        case .waits(let reason):
            try hold(visible, reason: reason)
            return false
        case .refused(let reason):
            try refuse(commit, reason)
            return false
        case .follows:
            try apply(visible, checked: checked, name: name)
            return true
        }
    }

    /// Applies a commit that follows its chain: `commit` is the checked commit's visible part.
    func apply(_ commit: Commit, checked: CheckedCommit, name: String) throws {
        let changes = checked.changes
        let header = commit.header
        let position = try LogStore.append(commit, compactChanges: checked.storedChanges, travelsWhole: checked.travelsWhole, in: db)
        try NoteErasure.index(changes, position: position, in: db)
        try db.execute(sql: "DELETE FROM held_commit WHERE header_hash = ?", arguments: [Data(header.hash)])
        let stamp = Stamp(time: header.time, origin: header.origin, epoch: header.epoch)
        for (index, change) in changes.enumerated() {
            guard let change else {
                report.changesWithheld += 1
                continue
            }
            let outcome = try apply(change, stamp: stamp, name: name, prepared: index < checked.prepared.count ? checked.prepared[index] : nil)
            if case .refused(let reason) = outcome {
                try recordRefusal(change, position: position, index: index, reason: reason)
                refusedNotices.append((position, index, .init(commit: name, reason: "change \(index) (\(change.entity.rawValue) \(change.recordID.lowercasedString)): \(reason)")))
            }
        }
        if header.origin == node.id {
            // Another copy signing in this node's current epoch could reuse its sequence numbers;
            // one signing in another epoch cannot, but the officer should keep one copy in use.
            if try isInCurrentEpoch(header) { metOwnCommits = true } else { report.ownCommitsFromOtherCopies += 1 }
        }
        report.applied += 1
    }

    /// Applies one change and notes what the search index must redo. `isNew` says the record is
    /// known not to be stored; nil looks it up. `counted` is false for a logged change applied
    /// again, which the report counted when it came.
    func apply(
        _ change: Change, stamp: Stamp, name: String, isNew: Bool? = nil, prepared: PreparedChange? = nil, counted: Bool = true
    ) throws -> ChangeApplier.Outcome {
        if change.entity == .notePurge, let reason = try purgeRefusal(change, origin: stamp.origin) { return .refused(reason) }
        if change.entity == .proposalDecision, let reason = try decisionRefusal(change, origin: stamp.origin) { return .refused(reason) }
        if let reason = try writtenOnceRefusal(change) { return .refused(reason) }
        // A creation is tried as new, without a look: the insert finds a stored record itself.
        let triedAsNew = isNew ?? (prepared?.columns?.hasEveryGroup == true ? true : nil)
        // For channels and designations this read also tells whether the record is new.
        let before = triedAsNew == true ? nil : try owners(of: change)
        // A change that breaks the tables' rules (a missing name, an unknown country) is refused
        // like one that breaks stewardship, the same on every node, instead of stopping the batch.
        let outcome = try ChangeApplier.applyRefusingInvalid(
            change, stamp: stamp, isNew: triedAsNew ?? (change.entity.hasOwner && before == nil), fieldCheck: prepared?.fieldCheck ?? .unchecked,
            prepared: prepared?.columns, in: db)
        if outcome == .alreadyStored {
            return try apply(change, stamp: stamp, name: name, isNew: false, prepared: prepared, counted: counted)
        }
        // Before changes that waited for this record apply, which may edit it.
        if outcome == .created, change.entity == .person { createdPersons[change.recordID] = createdPerson(change, prepared: prepared) }
        switch outcome {
        case .refused, .superseded, .alreadyStored:
            return outcome
        case .created:
            try retryRefusals(of: change.recordID)
        case .replacedSteward(let previous):
            takenOver[change.recordID] = change.entity
            try retryRefusals(of: change.recordID)
            report.stewardChanges.append(.init(
                commit: name,
                reason: "\(change.entity.rawValue) \(change.recordID.lowercasedString) is now kept by node \(stamp.origin.hex.prefix(8)), whose creation of it is earlier than node \(previous.prefix(8))'s"))
        case .applied:
            break
        }
        if counted { report.changesApplied += 1 }
        let id = change.recordID
        switch change.entity {
        case .duplicateDecision:
            // Retirements are derived anew when the batch ends.
            break
        case .note:
            touchedNotes.insert(id)
        case .noteEvaluation, .noteLink, .sharingGroup, .proposal, .proposalDecision:
            break
        case .notePurge:
            if outcome == .created { try erasePurged(by: change, origin: stamp.origin) }
        case .person:
            touchedPersons.insert(id)
            if outcome == .created { created.insert(id) } else { createdPersons[id] = nil }
        case .agency:
            touchedAgencies.insert(id)
            if outcome == .created { created.insert(id) }
            // Its contacts' and units' index text names it; a new one's contacts may have arrived first.
            let renamed = if case .upsert(let groups) = change.operation { groups["name"] != nil || groups["placement"] != nil } else { true }
            if outcome != .applied || renamed { renamedAgencies.insert(id) }
        case .channel, .designation:
            // A record just created holds what its change says: no need to read it back.
            let after = outcome == .created ? prepared?.owners ?? Self.owners(in: change) : try owners(of: change)
            for owner in (before ?? []) + (after ?? []) {
                if owner.isPerson { touchedPersons.insert(owner.id) } else { touchedAgencies.insert(owner.id) }
            }
            // A contact created later in this transaction whose channels or roles arrived first,
            // or were moved to it first, has its entry read back from the tables.
            if outcome == .created, let owner = after?.first(where: \.isPerson), createdPersons[owner.id] != nil {
                add(prepared?.addition ?? Self.entryAddition(of: change), toEntryOf: owner.id)
            } else {
                for owner in (before ?? []) + (after ?? []) where owner.isPerson {
                    createdPersons[owner.id] = nil
                    namedBeforeCreation.insert(owner.id)
                }
            }
        }
        return outcome
    }

    /// Stores the bodies of a held commit's withheld changes that this copy of it carries, and
    /// applies them. Changes refused before may apply now (their record's creation may have been
    /// one of them), so refused changes are tried again in merge order: the records end as if every
    /// change had arrived at once.
    func fillWithheldBodies(_ commit: Commit, position: Int64, name: String) throws {
        guard let row = try Row.fetchOne(
            db, sql: "SELECT \(LogStore.commitColumns) FROM commit_log WHERE position = ?", arguments: [position])
        else { return }
        var stored = try LogStore.commit(row)
        var filled: [(index: Int, change: Change)] = []
        for index in stored.changeBodies.indices where stored.changeBodies[index] == nil {
            guard index < commit.changeBodies.count, let body = commit.changeBodies[index], NeedToKnow.mayReach(body, receiver: node.id),
                Change.hash(of: body) == stored.changeHashes[index], let change = try? Change(decoding: body)
            else { continue }
            stored.changeBodies[index] = body
            filled.append((index, change))
        }
        // Sealed copies the stored commit lacks (a relay left them out) are kept, to pass on.
        var keptCopies = false
        for (index, copies) in commit.sealedBodies where index < stored.changeHashes.count {
            let held = Set((stored.sealedBodies[index] ?? []).map(\.recipient))
            let missing = copies.filter { !held.contains($0.recipient) }
            guard !missing.isEmpty else { continue }
            stored.sealedBodies[index] = ((stored.sealedBodies[index] ?? []) + missing).sorted { $0.recipient < $1.recipient }
            keptCopies = true
        }
        guard !filled.isEmpty || keptCopies else { return }
        try LogStore.replaceChanges(of: stored, at: position, in: db)
        try NoteErasure.index(filled.map(\.change), indices: filled.map(\.index), position: position, in: db)
        let stamp = Stamp(time: commit.header.time, origin: commit.header.origin, epoch: commit.header.epoch)
        for (index, change) in filled {
            if case .refused(let reason) = try apply(change, stamp: stamp, name: name) {
                try recordRefusal(change, position: position, index: index, reason: reason)
            }
        }
        let filledCount = filled.count
        report.changesFilledIn += filledCount
        // A filled-in change may have made its node the steward of a record held before: its
        // refused changes to that record apply now.
        try retryRefusals(of: nil)
    }

    /// The agency or person that holds a channel or designation; nil if the record is not stored.
    func owners(of change: Change) throws -> [(id: UUID, isPerson: Bool)]? {
        guard change.entity.hasOwner else { return [] }
        guard let row = try Row.fetchOne(
            db.cachedStatement(sql: "SELECT agency_id, person_id FROM \(change.entity.table) WHERE id = ?"),
            arguments: [change.recordID.lowercasedString]) else { return nil }
        var owners: [(UUID, Bool)] = []
        if let agency = row.uuid("agency_id") { owners.append((agency, false)) }
        if let person = row.uuid("person_id") { owners.append((person, true)) }
        return owners
    }

    /// Refuses a commit: nothing of it is applied, and it no longer waits among the held ones.
    func refuse(_ commit: Commit, _ reason: String) throws {
        report.refused.append(.init(commit: commit.header.label, reason: reason))
        try db.execute(sql: "DELETE FROM held_commit WHERE header_hash = ?", arguments: [Data(commit.header.hash)])
    }

    /// Keeps a verified commit aside; ``process(_:)`` has already met any other commit at its place.
    func hold(_ commit: Commit, reason: String) throws {
        let header = commit.header
        try db.execute(
            sql: "INSERT OR REPLACE INTO held_commit (header_hash, origin, epoch, sequence, frame, reason, received_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            arguments: [Data(header.hash), header.origin.hex, header.epoch, Int64(header.sequence), Data(commit.frame), reason, Timestamp.database(Date())])
        heldNotices[header.hash] = .init(commit: header.label, reason: reason)
        if header.origin == node.id, try isInCurrentEpoch(header) { metOwnCommits = true }
    }

    /// Whether a commit is in the epoch this node signs in.
    func isInCurrentEpoch(_ header: CommitHeader) throws -> Bool {
        let current = try currentEpoch ?? UInt32.fetchOne(db, sql: "SELECT epoch FROM node") ?? 1
        currentEpoch = current
        return header.epoch == current
    }

    func recordFork(_ commit: Commit, held: Row) throws {
        try recordFork(commit, heldHeader: [UInt8](held["header"] as Data), heldSignature: [UInt8](held["signature"] as Data))
    }

    func recordFork(_ commit: Commit, heldHeader: [UInt8], heldSignature: [UInt8]) throws {
        let header = commit.header
        try db.execute(
            sql: """
                INSERT OR IGNORE INTO fork (origin, epoch, sequence, held_header, held_signature, other_header, other_signature, detected_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                header.origin.hex, header.epoch, Int64(header.sequence), Data(heldHeader), Data(heldSignature),
                Data(header.encoded), Data(commit.signature), Timestamp.database(Date()),
            ])
        report.forks.append(.init(commit: header.label, reason: "two different signed commits at this position; origin \(header.origin.hex.prefix(8)) is frozen"))
    }
}
