import Crypto
public import Foundation
package import GRDB

/// The records written in one ``Directory/write(_:)``: each save is validated, turned into changes
/// for the field groups that differ, and applied at once; the changes are signed as a commit when the
/// batch ends.
public final class DirectoryTransaction {
    let db: Database
    let node: NodeIdentity
    private let key: Curve25519.Signing.PrivateKey
    /// The node's clock, which each commit's time follows.
    private let clock: @Sendable () -> Date
    let validator: Validator
    private(set) var commits: [CommitSummary] = []
    /// The proposals this transaction made: edits of records another node keeps, sent to it.
    public internal(set) var proposals: [Proposal] = []
    /// What a proposal made by this transaction says of itself: why the change is right.
    public var proposalComment: String?
    /// Set by a purge: the notes' search index is merged when the batch ends, once for all.
    var mergesNoteIndex = false
    /// Whether an edit of a record another node keeps becomes a proposal; when false it is
    /// refused, naming whom to ask, as imports want.
    public var proposesEdits = true
    private var pending: [Change] = []
    private var stamp: Stamp
    /// The epoch this node signs in, read when the transaction starts.
    private let epoch: UInt32
    private var touchedPersons: Set<UUID> = []
    private var touchedAgencies: Set<UUID> = []
    private var renamedAgencies: Set<UUID> = []
    /// Persons and agencies created in this batch, which the search index does not hold yet.
    private var created: Set<UUID> = []
    /// Contacts created in this batch whose index entries can be made from what was saved: none
    /// of them, their channels or roles was edited or removed in the batch.
    private var createdPersons: [UUID: SearchIndex.CreatedPerson] = [:]
    /// Agency rows the search index read, kept across the batches of this transaction.
    private let agencyRows = SearchIndex.AgencyRowCache()

    init(db: Database, node: NodeIdentity, key: Curve25519.Signing.PrivateKey, reference: ReferenceData, clock: @escaping @Sendable () -> Date) throws {
        self.db = db
        self.node = node
        self.key = key
        self.clock = clock
        validator = Validator(reference: reference, db: db)
        epoch = try UInt32.fetchOne(db.cachedStatement(sql: "SELECT epoch FROM node")) ?? node.epoch
        stamp = Stamp(time: try Self.nextTime(db, now: clock()), origin: node.id, epoch: epoch)
    }

    /// The transaction's database connection, for steps of other modules that belong in it.
    package var connection: Database { db }

    /// Changes recorded since the last commit.
    public var pendingChangeCount: Int { pending.count }

    // MARK: Saving records

    /// Validates and saves an agency or unit, creating it if its id is new. An edit of one that
    /// another node keeps becomes a proposal to that node (``proposals``), and the stored record
    /// is returned as it is.
    @discardableResult
    public func save(_ agency: Agency) throws -> Agency {
        let agency = try validator.agency(agency)
        if proposesEdits, let (existing, steward) = try keptElsewhere(Agency.self, agency.id) { return try propose(agency, existing: existing, steward: steward) }
        return try store(agency, existing: try existingForEdit(Agency.self, agency.id))
    }

    /// Validates and saves a contact person.
    ///
    /// With `allowingSameName` false it refuses a contact whose agency already has another contact
    /// of the same name, as `contact add` does unless `--allow-same-name` is given. The check runs
    /// in this transaction, so two writers cannot both add the same person.
    ///
    /// ```swift
    /// try directory.write { tx in
    ///     try tx.save(Person(agencyID: police.id, givenName: "Ion", familyName: "Popescu"), allowingSameName: false)
    /// }
    /// ```
    @discardableResult
    public func save(_ person: Person, allowingSameName: Bool = true) throws -> Person {
        let person = try validator.person(person)
        if !allowingSameName { try validator.checkNoNamesake(person) }
        if proposesEdits, let (existing, steward) = try keptElsewhere(Person.self, person.id) { return try propose(person, existing: existing, steward: steward) }
        return try store(person, existing: try existingForEdit(Person.self, person.id))
    }

    /// Validates and saves a channel; phones are normalised to E.164.
    @discardableResult
    public func save(_ channel: Channel) throws -> Channel {
        let channel = try validator.channel(channel)
        if proposesEdits, let (existing, steward) = try keptElsewhere(Channel.self, channel.id) { return try propose(channel, existing: existing, steward: steward) }
        return try store(channel, existing: try existingForEdit(Channel.self, channel.id))
    }

    /// Validates and saves a designation; refuses a role its holder already has.
    ///
    /// The rule applies when the role is new or changes holder, crime area or function, so that a
    /// role already held twice, as a merge of two nodes' writes may leave it, can still be edited.
    @discardableResult
    public func save(_ designation: Designation) throws -> Designation {
        let designation = try validator.designation(designation)
        if proposesEdits, let (existing, steward) = try keptElsewhere(Designation.self, designation.id) {
            return try propose(designation, existing: existing, steward: steward)
        }
        let existing = try existingForEdit(Designation.self, designation.id)
        if existing.map({ $0.personID != designation.personID || $0.agencyID != designation.agencyID
            || $0.crimeArea != designation.crimeArea || $0.function != designation.function }) ?? true {
            try validator.checkRoleNotHeld(designation)
        }
        return try store(designation, existing: existing)
    }

    /// Saves a duplicate decision; ``decideDuplicate(_:record:other:verdict:note:)`` says what it does.
    func save(_ decision: DuplicateDecision) throws {
        _ = try record(decision, existing: try existingForEdit(DuplicateDecision.self, decision.id))
    }

    // Creating records with new random ids, as imports do, without looking them up first: an id that
    // is already stored is refused as a conflict, and nothing is written.

    func create(_ agency: Agency) throws -> Agency { try store(try validator.agency(agency), existing: nil) }
    func create(_ person: Person) throws -> Person { try store(try validator.person(person), existing: nil, freshID: true) }
    func create(_ channel: Channel) throws -> Channel { try store(try validator.channel(channel), existing: nil) }
    func create(_ designation: Designation) throws -> Designation { try store(try validator.designation(designation), existing: nil) }

    private func store(_ agency: Agency, existing: Agency?) throws -> Agency {
        var agency = agency
        let groups = try record(agency, existing: existing)
        if existing == nil { created.insert(agency.id) }
        agency.metadata = metadata(after: existing?.metadata)
        validator.remember(agency, id: agency.id, previous: existing)
        touchedAgencies.insert(agency.id)
        // Contacts of a new agency may have arrived from other nodes before it; a renamed one's
        // contacts carry its name in their index text.
        if existing == nil || groups.contains(where: { $0 == "name" || $0 == "placement" }) { renamedAgencies.insert(agency.id) }
        return agency
    }

    /// `freshID` says the id was made for this record, so no channel or role stored before,
    /// such as one received from another node, can name it.
    private func store(_ person: Person, existing: Person?, freshID: Bool = false) throws -> Person {
        var person = person
        _ = try record(person, existing: existing)
        if existing == nil { created.insert(person.id) }
        if existing == nil, freshID {
            createdPersons[person.id] = SearchIndex.CreatedPerson(person: person, localID: db.lastInsertedRowID)
        } else {
            createdPersons[person.id] = nil
        }
        person.metadata = metadata(after: existing?.metadata)
        validator.remember(person, id: person.id)
        touchedPersons.insert(person.id)
        return person
    }

    private func store(_ channel: Channel, existing: Channel?) throws -> Channel {
        _ = try record(channel, existing: existing)
        if existing == nil, let owner = channel.personID, createdPersons[owner] != nil {
            if channel.is24x7 { createdPersons[owner]?.has24x7Channel = true }
        } else {
            forgetCreated(channel.personID, existing?.personID)
        }
        touchOwner(agencyID: channel.agencyID, personID: channel.personID)
        touchOwner(agencyID: existing?.agencyID, personID: existing?.personID)
        return channel
    }

    private func store(_ designation: Designation, existing: Designation?) throws -> Designation {
        _ = try record(designation, existing: existing)
        if existing == nil, let owner = designation.personID, createdPersons[owner] != nil {
            createdPersons[owner]?.roles.append((designation.crimeArea, designation.function))
        } else {
            forgetCreated(designation.personID, existing?.personID)
        }
        touchOwner(agencyID: designation.agencyID, personID: designation.personID)
        touchOwner(agencyID: existing?.agencyID, personID: existing?.personID)
        return designation
    }

    /// Makes `channels` the owner's channels of one kind: those with a value the owner already has
    /// keep their ids, the others are added, and the owner's other channels of that kind are removed.
    /// Values are compared after normalisation, so "+373 22 000 101" matches "+37322000101". With
    /// `is24x7` nil, channels already held keep their 24/7 flag and new ones are not 24/7.
    public func replaceChannels(_ channels: [Channel], kind: ChannelKind, is24x7: Bool?, agencyID: UUID?, personID: UUID?) throws {
        guard let owner = personID ?? agencyID else { return }
        let column = personID == nil ? "agency_id" : "person_id"
        let existing = try Directory.channels(owner: column, owner, db).filter { $0.kind == kind }
        var kept: Set<UUID> = []
        var values: Set<String> = []
        for var channel in channels {
            channel.kind = kind
            channel.agencyID = agencyID
            channel.personID = personID
            let normalised = try validator.channel(channel)
            guard values.insert(normalised.value).inserted else { continue }
            if let match = existing.first(where: { $0.value == normalised.value }) {
                channel.id = match.id
                channel.is24x7 = is24x7 ?? match.is24x7
                kept.insert(match.id)
            } else {
                channel.is24x7 = is24x7 ?? false
            }
            try save(channel)
        }
        for old in existing where !kept.contains(old.id) { try removeChannel(old.id) }
    }

    /// Sets the 24/7 flag of all the owner's channels.
    public func setChannels24x7(_ is24x7: Bool, agencyID: UUID?, personID: UUID?) throws {
        guard let owner = personID ?? agencyID else { return }
        for var channel in try Directory.channels(owner: personID == nil ? "agency_id" : "person_id", owner, db) {
            channel.is24x7 = is24x7
            try save(channel)
        }
    }

    // MARK: Removing records

    /// Removes an agency with its channels and designations. Refuses while it has live contacts or
    /// units, unless `cascade` removes them too.
    public func removeAgency(_ id: UUID, cascade: Bool = false) throws {
        let agency = try live(Agency.self, id)
        let units = try String.fetchAll(db.cachedStatement(sql: "SELECT id FROM agency WHERE parent_id = ? AND deleted = 0"), arguments: [id.lowercasedString])
        let persons = try String.fetchAll(db.cachedStatement(sql: "SELECT id FROM person WHERE agency_id = ? AND deleted = 0"), arguments: [id.lowercasedString])
        if !cascade, !units.isEmpty || !persons.isEmpty {
            throw LiaisonError(
                .conflict, "\(agency.name) still has \(counted(persons.count, "contact")) and \(counted(units.count, "unit"))",
                record: id.lowercasedString, hint: "remove them first, or remove with --cascade")
        }
        for unit in units.compactMap(UUID.init(uuidString:)) { try removeAgency(unit, cascade: true) }
        for person in persons.compactMap(UUID.init(uuidString:)) { try removePerson(person) }
        try removeAttachments(column: "agency_id", owner: id)
        try tombstone(Agency.self, id)
        validator.remember(nil as Agency?, id: id, previous: agency)
        touchedAgencies.insert(id)
    }

    /// Removes a contact with its channels and designations.
    public func removePerson(_ id: UUID) throws {
        _ = try live(Person.self, id)
        try removeAttachments(column: "person_id", owner: id)
        try tombstone(Person.self, id)
        forgetCreated(id)
        validator.remember(nil as Person?, id: id)
        touchedPersons.insert(id)
    }

    /// Removes a channel.
    public func removeChannel(_ id: UUID) throws {
        let channel = try live(Channel.self, id)
        try tombstone(Channel.self, id)
        forgetCreated(channel.personID)
        touchOwner(agencyID: channel.agencyID, personID: channel.personID)
    }

    /// Removes a designation.
    public func removeDesignation(_ id: UUID) throws {
        let designation = try live(Designation.self, id)
        try tombstone(Designation.self, id)
        forgetCreated(designation.personID)
        touchOwner(agencyID: designation.agencyID, personID: designation.personID)
    }

    private func removeAttachments(column: String, owner: UUID) throws {
        for id in try String.fetchAll(db.cachedStatement(sql: "SELECT id FROM channel WHERE \(column) = ? AND deleted = 0"), arguments: [owner.lowercasedString]) {
            if let id = UUID(uuidString: id) { try tombstone(Channel.self, id) }
        }
        for id in try String.fetchAll(db.cachedStatement(sql: "SELECT id FROM designation WHERE \(column) = ? AND deleted = 0"), arguments: [owner.lowercasedString]) {
            if let id = UUID(uuidString: id) { try tombstone(Designation.self, id) }
        }
    }

    // MARK: Commits

    /// Signs the changes recorded so far as one commit and starts a new batch. ``Directory/write(_:)``
    /// calls it at the end; bulk imports call it every few hundred records.
    public func commitBatch() throws {
        // What only this batch needed goes, whether or not it changed anything: an import that
        // matches every row of a large file changes nothing, batch after batch.
        defer { endBatch() }
        if mergesNoteIndex {
            try NoteErasure.mergeSearchIndex(in: db)
            mergesNoteIndex = false
        }
        guard !pending.isEmpty else { return }
        let last = try Row.fetchOne(
            db.cachedStatement(sql: "SELECT sequence, header_hash FROM commit_log WHERE origin = ? AND epoch = ? ORDER BY sequence DESC LIMIT 1"),
            arguments: [node.id.hex, epoch])
        let sequence = UInt64(last?["sequence"] as Int64? ?? 0) + 1
        // The first commit of a new epoch follows the latest commit of the epochs before it.
        let previous = try last ?? Row.fetchOne(
            db.cachedStatement(sql: "SELECT header_hash FROM commit_log WHERE origin = ? AND epoch < ? ORDER BY epoch DESC, sequence DESC LIMIT 1"),
            arguments: [node.id.hex, epoch])
        let previousHash = (previous?["header_hash"] as Data?).map { [UInt8]($0) } ?? CommitHeader.genesisHash
        var commit = try Commit.sign(
            changes: pending, origin: node.id, epoch: epoch, sequence: sequence,
            previousHash: previousHash, time: stamp.time, key: key)
        // Bodies for named nodes or a sharing group travel sealed to each of them.
        if pending.contains(where: { !($0.distribution.recipients ?? []).isEmpty }) {
            try commit.sealBodies(keys: try Self.encryptionKeys(in: db)) { node in Self.cannotSeal(to: node, in: self.db) }
        }
        // The log's compact form of the commit is made on another thread while the index is redone.
        let (changes, sealed) = (pending, commit)
        let compact = Background { CompactCommitEncoder.encodeChanges(of: sealed, decoded: changes) }
        try SearchIndex.reindex(
            persons: touchedPersons, agencies: touchedAgencies, agenciesWithMembers: renamedAgencies, unindexed: created,
            created: createdPersons, agencyRows: agencyRows, in: db)
        let position = try LogStore.append(commit, compactChanges: compact.value, in: db)
        try NoteErasure.index(pending, position: position, in: db)
        commits.append(CommitSummary(sequence: sequence, epoch: epoch, changeCount: pending.count, time: stamp.time))
        // A large batch's changes and commit are many small allocations: they are freed on another
        // thread, so that the next batch need not wait.
        let finished = (pending, commit)
        pending = []
        freeInBackground(finished)
        stamp = Stamp(time: HybridLogicalTime.next(after: stamp.time, now: clock()), origin: node.id, epoch: epoch)
    }

    /// Forgets the records touched in a batch. With no change pending, none of them changed, so
    /// their index entries are already right.
    private func endBatch() {
        touchedPersons.removeAll(keepingCapacity: true)
        touchedAgencies.removeAll(keepingCapacity: true)
        renamedAgencies.removeAll(keepingCapacity: true)
        created.removeAll(keepingCapacity: true)
        createdPersons.removeAll(keepingCapacity: true)
        validator.endBatch()
    }

    // MARK: Internals

    /// Records changes for the groups that differ from `existing`; returns the groups changed.
    /// With `whole`, a change carries every group as soon as one differs.
    func record<Record: ReplicatedRecord>(
        _ record: Record, existing: Record?, distribution: Distribution = .federation, whole: Bool = false
    ) throws -> [String] {
        let groups = record.fieldGroups
        let changed = existing.map { old in
            let oldGroups = old.fieldGroups
            return groups.filter { oldGroups[$0.key] != $0.value }
        } ?? groups
        guard !changed.isEmpty else { return [] }
        let carried = whole ? groups : changed
        try apply(
            Change(entity: Record.entity, recordID: record.id, operation: .upsert(FieldGroups(carried)), distribution: distribution),
            isNew: existing == nil)
        return Array(carried.keys)
    }

    /// The metadata a saved record has once its change is applied.
    func metadata(after previous: RecordMetadata?) -> RecordMetadata {
        let now = stamp.iso8601Time
        return RecordMetadata(steward: previous?.steward ?? node.id.hex, createdAt: previous?.createdAt ?? now, modifiedAt: now)
    }

    func tombstone<Record: ReplicatedRecord>(_ type: Record.Type, _ id: UUID, distribution: Distribution = .federation) throws {
        try apply(Change(entity: Record.entity, recordID: id, operation: .delete, distribution: distribution))
    }

    private func apply(_ change: Change, isNew: Bool = false) throws {
        // The rules every receiver checks: a change this node signs is never refused elsewhere.
        try FieldTable.check(change, in: db)
        switch try ChangeApplier.apply(change, stamp: stamp, isNew: isNew, in: db) {
        case .refused(let reason):
            throw LiaisonError(.conflict, reason, record: change.recordID.lowercasedString)
        case .alreadyStored:
            throw LiaisonError(.conflict, "a record with this id is already stored", record: change.recordID.lowercasedString)
        case .created, .applied, .superseded, .replacedSteward:
            break
        }
        pending.append(change)
    }

    /// Leaves these contacts' index entries to be read from the tables.
    private func forgetCreated(_ persons: UUID?...) {
        for person in persons.compactMap({ $0 }) { createdPersons[person] = nil }
    }

    private func touchOwner(agencyID: UUID?, personID: UUID?) {
        if let agencyID { touchedAgencies.insert(agencyID) }
        if let personID { touchedPersons.insert(personID) }
    }

    /// The stored record with this id, if any, after checking that this node may edit it.
    func existingForEdit<Record: ReplicatedRecord & FetchableRecord & TableRecord>(_ type: Record.Type, _ id: UUID) throws -> Record? {
        guard let existing = try validator.fetch(type, id) else { return nil }
        guard existing.isLive else {
            throw LiaisonError(.conflict, "this \(Record.entity.rawValue) was removed", record: id.lowercasedString)
        }
        if let steward = existing.metadata?.steward, steward != node.id.hex {
            throw LiaisonError(.conflict, try Self.keptElsewhere(Record.entity, steward: steward, in: db), record: id.lowercasedString)
        }
        return existing
    }

    private func live<Record: ReplicatedRecord & FetchableRecord & TableRecord>(_ type: Record.Type, _ id: UUID) throws -> Record {
        guard let record = try existingForEdit(type, id) else {
            throw LiaisonError(.notFound, "no \(Record.entity.rawValue) with this id", record: id.lowercasedString)
        }
        return record
    }

    /// Why nothing can be sealed to `node`: it is revoked, not on the roster, or its card predates
    /// encryption keys.
    private static func cannotSeal(to node: NodeID, in db: Database) -> LiaisonError {
        let row = try? Row.fetchOne(db, sql: "SELECT name, agency, revoked_at FROM peer WHERE node_id = ?", arguments: [node.hex])
        guard let row else {
            return LiaisonError(
                .conflict, "node \(node.hex.prefix(8)) is not on this node's roster, so nothing can be shared with it",
                hint: "add its node card (`liaison peer add CARD`), or share without it")
        }
        let name = "\(row["name"] as String) (\(row["agency"] as String))"
        if (row["revoked_at"] as String?) != nil {
            return LiaisonError(
                .conflict, "\(name) is revoked: nothing is shared with it", hint: "share without it, or remove it from the group (`liaison group remove-member`)")
        }
        return LiaisonError(
            .conflict, "\(name) has no encryption key on this node's roster, so nothing can be sealed to it",
            hint: "add its current node card again (`liaison peer add CARD`): cards made before sealed notes lack the key")
    }

    /// The encryption keys of the roster's peers that are not revoked, by node.
    private static func encryptionKeys(in db: Database) throws -> [NodeID: Curve25519.KeyAgreement.PublicKey] {
        var keys: [NodeID: Curve25519.KeyAgreement.PublicKey] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT node_id, encryption_key FROM peer WHERE encryption_key IS NOT NULL AND revoked_at IS NULL") {
            guard let node = try? NodeID(hex: row["node_id"]), let key = try? Curve25519.KeyAgreement.PublicKey(rawRepresentation: row["encryption_key"] as Data) else { continue }
            keys[node] = key
        }
        return keys
    }

    private static func nextTime(_ db: Database, now: Date) throws -> HybridLogicalTime {
        let latest = try Int64.fetchOne(db.cachedStatement(sql: "SELECT max(hlc) FROM commit_log")).map { HybridLogicalTime(rawValue: UInt64(bitPattern: $0)) }
        return HybridLogicalTime.next(after: latest, now: now)
    }
}

