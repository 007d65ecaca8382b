public import LiaisonCore
public import Foundation
import Crypto
import GRDB
import Logging

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
    /// Set when this node met commits of its own origin that it did not sign here (a copy or a
    /// restore) and started this new epoch.
    public var newEpoch: UInt32?

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
    }
}

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
    public func receive(_ commits: [Commit], now: Date = Date()) throws(LiaisonError) -> ReceiveReport {
        let node = self.node
        return try Self.storage {
            try database.write { db in
                let receiver = Receiver(db: db, node: node, now: now)
                // Held commits whose predecessor is here: held for their clock time, now due again.
                let due = try Data.fetchAll(db, sql: """
                    SELECT frame FROM held_commit h
                    WHERE h.sequence = 1 + coalesce((SELECT max(sequence) FROM commit_log c WHERE c.origin = h.origin AND c.epoch = h.epoch), 0)
                    """)
                for frame in due { try receiver.offer(try Commit(frame: [UInt8](frame))) }
                for commit in commits { try receiver.offer(commit) }
                try receiver.finish()
                return receiver.report
            }
        }
    }

    /// The commits this node holds beyond `vector`, in sequence order per origin and epoch, at most
    /// `limit` of them. Changes that may not reach `receiver` come as their hash only.
    public func commits(beyond vector: VersionVector, for receiver: NodeID? = nil, limit: Int = .max) throws(LiaisonError) -> [Commit] {
        try read { db in
            var commits: [Commit] = []
            for chain in try VersionVector.stored(in: db).entries where commits.count < limit {
                let after = vector.sequence(origin: chain.origin, epoch: chain.epoch)
                guard chain.sequence > after else { continue }
                let rows = try LogStore.chainRows(origin: chain.origin, epoch: chain.epoch, after: after, limit: limit - commits.count, in: db)
                while let row = try rows.next() { commits.append(try LogStore.commit(row, in: db).reaching(receiver)) }
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

/// Two valid commits at one position of an origin's log.
public struct ForkRecord: Sendable, Hashable, Codable {
    public var origin: String
    public var epoch: UInt32
    public var sequence: UInt64
    public var heldHeaderHash: String
    public var otherHeaderHash: String
    public var detectedAt: String
}

/// Applies received commits within one write transaction.
final class Receiver {
    private let db: Database
    private let node: NodeIdentity
    private let nowMilliseconds: UInt64
    private(set) var report = ReceiveReport()
    private var keys: [NodeID: LogStore.KnownKey]?
    /// Commits of this node's id in its current epoch that it did not sign here.
    private var metOwnCommits = false
    private var currentEpoch: UInt32?
    /// Held commits by header hash, to report only those still held at the end.
    private var heldNotices: [[UInt8]: ReceiveReport.Notice] = [:]
    /// Whether the refusal table may hold anything: most batches refuse nothing, and then a
    /// creation needs no look for changes that waited for it.
    private var mayHaveRefusals: Bool?
    /// Refused changes, to report only those a later change in the batch did not let apply.
    private var refusedNotices: [(position: Int64, index: Int, notice: ReceiveReport.Notice)] = []
    private var touchedPersons: Set<UUID> = []
    private var touchedAgencies: Set<UUID> = []
    private var renamedAgencies: Set<UUID> = []
    private var created: Set<UUID> = []
    /// Records that an earlier creation took over in this batch.
    private var takenOver: [UUID: Entity] = [:]

    init(db: Database, node: NodeIdentity, now: Date) {
        self.db = db
        self.node = node
        nowMilliseconds = UInt64(max(0, now.timeIntervalSince1970 * 1000))
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
        try SearchIndex.reindex(persons: touchedPersons, agencies: touchedAgencies, agenciesWithMembers: renamedAgencies, unindexed: created, in: db)
        if metOwnCommits { report.newEpoch = try Directory.startNewEpoch(node: node, in: db) }
    }

    /// Takes one commit, and then every held commit that it lets follow.
    func offer(_ commit: Commit) throws {
        var queue = [commit]
        while let next = queue.popLast() {
            guard try process(next) else { continue }
            // Commits held for this one: the next of its epoch, or a later epoch's first commit.
            let followers = try Data.fetchAll(db.cachedStatement(sql: """
                SELECT frame FROM held_commit WHERE origin = ? AND ((epoch = ? AND sequence = ?) OR (epoch > ? AND sequence = 1))
                """), arguments: [next.header.origin.hex, next.header.epoch, Int64(next.header.sequence + 1), next.header.epoch])
            for frame in followers { queue.append(try Commit(frame: [UInt8](frame))) }
        }
    }

    /// Returns whether the commit was applied.
    private func process(_ commit: Commit) throws -> Bool {
        let header = commit.header
        let hash = header.hash
        let name = header.label
        if let position = try Int64.fetchOne(db.cachedStatement(sql: "SELECT position FROM commit_log WHERE header_hash = ?"), arguments: [Data(hash)]) {
            report.alreadyHeld += 1
            try db.execute(sql: "DELETE FROM held_commit WHERE header_hash = ?", arguments: [Data(hash)])
            // A copy that carries changes this node holds as hashes only: a relay withheld them
            // before, or this node was not entitled then.
            if commit.changeBodies.contains(where: { $0 != nil }) { try fillWithheldBodies(commit, position: position, name: name) }
            return false
        }
        if let fork = try Row.fetchOne(db, sql: "SELECT epoch, sequence FROM fork WHERE origin = ? LIMIT 1", arguments: [header.origin.hex]) {
            let at = CommitHeader.label(origin: header.origin, epoch: fork["epoch"], sequence: UInt64(fork["sequence"] as Int64))
            try refuse(commit, "its origin is frozen by a fork at \(at); see `liaison log forks`")
            return false
        }
        guard let signer = try key(header.keyID) else {
            try refuse(
                commit,
                "signed by key \(header.keyID.hex.prefix(8)), which is not in this node's roster: its origin is not trusted here")
            return false
        }
        guard signer.node == header.origin else {
            try refuse(
                commit,
                "signed by the key of node \(signer.node.hex.prefix(8)) but claims origin \(header.origin.hex.prefix(8)): forged or damaged")
            return false
        }
        // SQLite stores these as signed 64-bit integers; the schema needs epochs and sequences from 1.
        guard header.epoch >= 1, header.sequence >= 1, header.sequence <= UInt64(Int64.max), header.time.rawValue <= UInt64(Int64.max) else {
            try refuse(commit, "epoch, sequence or clock time out of range")
            return false
        }
        guard !signer.revoked else {
            try refuse(commit, "signed by revoked key \(header.keyID.hex.prefix(8))")
            return false
        }
        do {
            try commit.verify(with: signer.key)
        } catch {
            try refuse(commit, error.message)
            return false
        }
        // Bodies this node is not entitled to are kept as their hash only, whoever sent them.
        let commit = commit.reaching(node.id)
        var changes: [Change?] = []
        for (index, body) in commit.changeBodies.enumerated() {
            do {
                changes.append(try body.map { bytes throws(LiaisonError) in try Change(decoding: bytes) })
            } catch {
                try refuse(commit, "change \(index) is unreadable: \(error.message)")
                return false
            }
        }
        if let other = try Row.fetchOne(
            db, sql: "SELECT header, signature FROM commit_log WHERE origin = ? AND epoch = ? AND sequence = ?",
            arguments: [header.origin.hex, header.epoch, Int64(header.sequence)])
        {
            try recordFork(commit, held: other)
            return false
        }
        if let waiting = try Data.fetchOne(
            db, sql: "SELECT frame FROM held_commit WHERE origin = ? AND epoch = ? AND sequence = ? AND header_hash <> ?",
            arguments: [header.origin.hex, header.epoch, Int64(header.sequence), Data(hash)])
        {
            let held = try Commit(frame: [UInt8](waiting))
            try recordFork(commit, heldHeader: held.header.encoded, heldSignature: held.signature)
            try db.execute(sql: "DELETE FROM held_commit WHERE origin = ? AND epoch = ? AND sequence = ?", arguments: [header.origin.hex, header.epoch, Int64(header.sequence)])
            return false
        }
        if header.time.milliseconds > nowMilliseconds + UInt64(Directory.maximumClockSkew * 1000) {
            let minutes = (header.time.milliseconds - nowMilliseconds) / 60_000
            try hold(commit, reason: "its clock time is \(minutes) minutes ahead of this node's clock; it is applied once that time is reached, or check the clocks")
            return false
        }
        let tip = try Row.fetchOne(
            db.cachedStatement(sql: "SELECT sequence, header_hash, hlc FROM commit_log WHERE origin = ? AND epoch = ? ORDER BY sequence DESC LIMIT 1"),
            arguments: [header.origin.hex, header.epoch])
        let expected = UInt64(tip?["sequence"] as Int64? ?? 0) + 1
        if header.sequence > expected {
            try hold(commit, reason: "waiting for \(CommitHeader.label(origin: header.origin, epoch: header.epoch, sequence: expected))")
            return false
        }
        // The commit it follows: the chain's tip, or for the first commit of a later epoch, the
        // earlier-epoch commit it names.
        var predecessorTime: Int64?
        if let tip {
            guard header.previousHash == [UInt8](tip["header_hash"] as Data) else {
                try refuse(commit, "does not follow the commit before it (previous-header hash differs)")
                return false
            }
            predecessorTime = tip["hlc"]
        } else if header.epoch == 1 {
            guard header.previousHash == CommitHeader.genesisHash else {
                try refuse(commit, "the first commit of epoch 1 must follow the genesis hash")
                return false
            }
        } else {
            guard header.previousHash != CommitHeader.genesisHash else {
                try refuse(commit, "the first commit of a later epoch must follow an earlier commit of its node")
                return false
            }
            guard let time = try Int64.fetchOne(
                db, sql: "SELECT hlc FROM commit_log WHERE origin = ? AND epoch < ? AND header_hash = ?",
                arguments: [header.origin.hex, header.epoch, Data(header.previousHash)])
            else {
                try hold(commit, reason: "waiting for the earlier-epoch commit it follows")
                return false
            }
            predecessorTime = time
        }
        // A node's clock never goes back along its log, so it cannot back-date a commit to win a
        // record's stewardship after it has seen the record.
        if let predecessorTime, header.time.rawValue <= UInt64(bitPattern: predecessorTime) {
            try refuse(commit, "its clock time is not after the commit it follows")
            return false
        }
        try apply(commit, changes: changes, name: name)
        return true
    }

    private func apply(_ commit: Commit, changes: [Change?], name: String) throws {
        let header = commit.header
        let position = try LogStore.append(commit, in: db)
        try db.execute(sql: "DELETE FROM held_commit WHERE header_hash = ?", arguments: [Data(header.hash)])
        let stamp = Stamp(time: header.time, origin: header.origin, epoch: header.epoch)
        // Which of the commit's records are stored, in one read per kind instead of one a change.
        var stored = try storedRecords(changes.compactMap { $0 })
        for (index, change) in changes.enumerated() {
            guard let change else {
                report.changesWithheld += 1
                continue
            }
            let outcome = try apply(change, stamp: stamp, name: name, isNew: !stored.contains(change.recordID))
            if outcome == .created { stored.insert(change.recordID) }
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

    /// The ids of these changes' records that are stored.
    private func storedRecords(_ changes: [Change]) throws -> Set<UUID> {
        var stored: Set<UUID> = []
        for entity in Entity.allCases {
            let ids = changes.filter { $0.entity == entity }.map { "\"" + $0.recordID.lowercasedString + "\"" }
            guard !ids.isEmpty else { continue }
            let found = try String.fetchAll(
                db.cachedStatement(sql: "SELECT id FROM \(entity.table) WHERE id IN (SELECT value FROM json_each(?))"),
                arguments: ["[" + ids.joined(separator: ",") + "]"])
            stored.formUnion(found.compactMap(UUID.init(uuidString:)))
        }
        return stored
    }

    /// Applies one change and notes what the search index must redo. `isNew` says the record is
    /// known not to be stored; nil looks it up. `counted` is false for a logged change applied
    /// again, which the report counted when it came.
    private func apply(_ change: Change, stamp: Stamp, name: String, isNew: Bool? = nil, counted: Bool = true) throws -> ChangeApplier.Outcome {
        // For channels and designations this read also tells whether the record is new.
        let before = isNew == true ? nil : try owners(of: change)
        // A change that breaks the tables' rules (a missing name, an unknown country) is refused
        // like one that breaks stewardship, the same on every node, instead of stopping the batch.
        let outcome = try ChangeApplier.applyRefusingInvalid(
            change, stamp: stamp, isNew: isNew ?? (change.entity.hasOwner && before == nil), in: db)
        switch outcome {
        case .refused, .superseded:
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
        case .person:
            touchedPersons.insert(id)
            if outcome == .created { created.insert(id) }
        case .agency:
            touchedAgencies.insert(id)
            if outcome == .created { created.insert(id) }
            // Its contacts' and units' index text names it; a new one's contacts may have arrived first.
            let renamed = if case .upsert(let groups) = change.operation { groups["name"] != nil || groups["placement"] != nil } else { true }
            if outcome != .applied || renamed { renamedAgencies.insert(id) }
        case .channel, .designation:
            for owner in try (before ?? []) + (owners(of: change) ?? []) {
                if owner.isPerson { touchedPersons.insert(owner.id) } else { touchedAgencies.insert(owner.id) }
            }
        }
        return outcome
    }

    /// Stores the bodies of a held commit's withheld changes that this copy of it carries, and
    /// applies them. Changes refused before may apply now (their record's creation may have been
    /// one of them), so refused changes are tried again in merge order: the records end as if every
    /// change had arrived at once.
    private func fillWithheldBodies(_ commit: Commit, position: Int64, name: String) throws {
        let missing = try Row.fetchAll(
            db.cachedStatement(sql: "SELECT change_index, hash FROM change_log WHERE commit_position = ? AND body IS NULL"), arguments: [position])
        var filled = 0
        let stamp = Stamp(time: commit.header.time, origin: commit.header.origin, epoch: commit.header.epoch)
        for row in missing {
            let index: Int = row["change_index"]
            guard index < commit.changeBodies.count, let body = commit.changeBodies[index], NeedToKnow.mayReach(body, receiver: node.id),
                Change.hash(of: body) == [UInt8](row["hash"] as Data), let change = try? Change(decoding: body)
            else { continue }
            try db.execute(
                sql: "UPDATE change_log SET body = ? WHERE commit_position = ? AND change_index = ?", arguments: [Data(body), position, index])
            if case .refused(let reason) = try apply(change, stamp: stamp, name: name) {
                try recordRefusal(change, position: position, index: index, reason: reason)
            }
            filled += 1
        }
        guard filled > 0 else { return }
        report.changesFilledIn += filled
        // A filled-in change may have made its node the steward of a record held before: its
        // refused changes to that record apply now.
        try retryRefusals(of: nil)
    }

    /// A record taken over by an earlier creation is rebuilt from it, which erases what had been
    /// written to it before. Every logged change of the record is then settled as a replay in merge
    /// order would: other nodes' changes are recorded as refused, as a node that received the
    /// creation first refused them, so that they apply again if their node becomes the steward once
    /// more; the steward's own are applied again, in case an earlier takeover had erased them.
    ///
    /// The log has no index by record: one pass over it per record kind finds the changes of
    /// every record taken over in the batch.
    private func settleTakeovers() throws {
        // Settling can apply changes again; should one take a record over, it is settled next.
        while !takenOver.isEmpty {
            let records = takenOver
            takenOver = [:]
            try settle(records)
        }
    }

    private func settle(_ takenOver: [UUID: Entity]) throws {
        var changes: [UUID: [(position: Int64, index: Int, stamp: Stamp, sequence: Int64, change: Change)]] = [:]
        for entity in Set(takenOver.values) {
            // SQLite's hex() writes upper-case digits.
            let ids = takenOver.filter { $0.value == entity }.map { "\"" + $0.key.bytes.hexString.uppercased() + "\"" }
            // A change's bytes are its format version, its kind as a length-prefixed text, then its record id.
            let idOffset = 1 + 4 + entity.rawValue.utf8.count
            let rows = try Row.fetchAll(db, sql: """
                SELECT l.commit_position, l.change_index, c.hlc, c.origin, c.epoch, c.sequence, l.body
                FROM change_log l JOIN commit_log c ON c.position = l.commit_position
                WHERE l.body IS NOT NULL AND hex(substr(l.body, ?, 16)) IN (SELECT value FROM json_each(?))
                """, arguments: [idOffset + 1, "[" + ids.joined(separator: ",") + "]"])
            for row in rows {
                let change = try Change(decoding: [UInt8](row["body"] as Data))
                guard change.entity == entity, takenOver[change.recordID] == entity else { continue }
                let stamp = try Stamp(commitRow: row)
                changes[change.recordID, default: []].append((row["commit_position"], row["change_index"], stamp, row["sequence"], change))
            }
        }
        for (recordID, entity) in takenOver {
            guard let steward = try String.fetchOne(
                db.cachedStatement(sql: "SELECT steward FROM \(entity.table) WHERE id = ?"), arguments: [recordID.lowercasedString])
            else { continue }
            let merged = (changes[recordID] ?? []).sorted { ($0.stamp, $0.position, $0.index) < ($1.stamp, $1.position, $1.index) }
            for logged in merged {
                guard try !isRefused(position: logged.position, index: logged.index) else { continue }
                if logged.stamp.origin.hex != steward {
                    try recordRefusal(
                        logged.change, position: logged.position, index: logged.index,
                        reason: "node \(logged.stamp.origin.hex) is not the steward of this \(entity.rawValue) (\(steward) is)")
                } else {
                    let name = CommitHeader.label(origin: logged.stamp.origin, epoch: logged.stamp.epoch, sequence: UInt64(logged.sequence))
                    if case .refused(let reason) = try apply(logged.change, stamp: logged.stamp, name: name, counted: false) {
                        try recordRefusal(logged.change, position: logged.position, index: logged.index, reason: reason)
                    }
                }
            }
            try retryRefusals(of: recordID)
        }
    }

    private func isRefused(position: Int64, index: Int) throws -> Bool {
        try Bool.fetchOne(
            db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM refusal WHERE commit_position = ? AND change_index = ?)"),
            arguments: [position, index]) == true
    }

    private func recordRefusal(_ change: Change, position: Int64, index: Int, reason: String) throws {
        mayHaveRefusals = true
        try db.execute(
            sql: "INSERT OR REPLACE INTO refusal (commit_position, change_index, entity, record_id, reason) VALUES (?, ?, ?, ?, ?)",
            arguments: [position, index, change.entity.rawValue, change.recordID.lowercasedString, reason])
    }

    /// Tries again, in merge order, the refused changes of a record (nil: of every record), and
    /// forgets those that apply now. A change refused because its record's creation had not
    /// arrived applies once it has, so the record ends as if the changes had come in order.
    private func retryRefusals(of recordID: UUID?) throws {
        if mayHaveRefusals == nil { mayHaveRefusals = try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM refusal)") ?? true }
        guard mayHaveRefusals == true else { return }
        let rows = try Row.fetchAll(db, sql: """
            SELECT r.commit_position, r.change_index, c.hlc, c.origin, c.epoch, c.sequence, l.body FROM refusal r
            JOIN commit_log c ON c.position = r.commit_position
            JOIN change_log l ON l.commit_position = r.commit_position AND l.change_index = r.change_index
            WHERE l.body IS NOT NULL AND \(recordID == nil ? "1" : "r.record_id = ?")
            ORDER BY c.hlc, c.origin, c.epoch, r.change_index
            """, arguments: StatementArguments(recordID.map { [$0.lowercasedString] } ?? []))
        for row in rows {
            let position: Int64 = row["commit_position"], index: Int64 = row["change_index"]
            // An earlier retry in this loop may already have applied it.
            guard try isRefused(position: position, index: Int(index)) else { continue }
            let change = try Change(decoding: [UInt8](row["body"] as Data))
            let stamp = try Stamp(commitRow: row)
            try db.execute(sql: "DELETE FROM refusal WHERE commit_position = ? AND change_index = ?", arguments: [position, index])
            let name = CommitHeader.label(origin: stamp.origin, epoch: stamp.epoch, sequence: UInt64(row["sequence"] as Int64))
            if case .refused(let reason) = try apply(change, stamp: stamp, name: name) {
                try recordRefusal(change, position: position, index: Int(index), reason: reason)
            }
        }
    }

    /// The agency or person that holds a channel or designation; nil if the record is not stored.
    private func owners(of change: Change) throws -> [(id: UUID, isPerson: Bool)]? {
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
    private func refuse(_ commit: Commit, _ reason: String) throws {
        report.refused.append(.init(commit: commit.header.label, reason: reason))
        try db.execute(sql: "DELETE FROM held_commit WHERE header_hash = ?", arguments: [Data(commit.header.hash)])
    }

    /// Keeps a verified commit aside; ``process(_:)`` has already met any other commit at its place.
    private func hold(_ commit: Commit, reason: String) throws {
        let header = commit.header
        try db.execute(
            sql: "INSERT OR REPLACE INTO held_commit (header_hash, origin, epoch, sequence, frame, reason, received_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            arguments: [Data(header.hash), header.origin.hex, header.epoch, Int64(header.sequence), Data(commit.frame), reason, Timestamp.database(Date())])
        heldNotices[header.hash] = .init(commit: header.label, reason: reason)
        if header.origin == node.id, try isInCurrentEpoch(header) { metOwnCommits = true }
    }

    /// Whether a commit is in the epoch this node signs in.
    private func isInCurrentEpoch(_ header: CommitHeader) throws -> Bool {
        let current = try currentEpoch ?? UInt32.fetchOne(db, sql: "SELECT epoch FROM node") ?? 1
        currentEpoch = current
        return header.epoch == current
    }

    private func recordFork(_ commit: Commit, held: Row) throws {
        try recordFork(commit, heldHeader: [UInt8](held["header"] as Data), heldSignature: [UInt8](held["signature"] as Data))
    }

    private func recordFork(_ commit: Commit, heldHeader: [UInt8], heldSignature: [UInt8]) throws {
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

    private func key(_ keyID: NodeID) throws -> LogStore.KnownKey? {
        if keys == nil { keys = try LogStore.knownKeys(in: db) }
        return keys?[keyID]
    }
}
