public import Foundation
package import GRDB
import Logging

/// What a purge erases on a node, and the checks that keep what it erased from coming back.
///
/// A purge erases what this node holds of the note, its evaluations and its links: the rows, the
/// note's search entries, and the bodies and sealed copies in the log, whose hashes stay so that
/// every chain still verifies. Only a purge by the note's author, or by this node itself, reaches
/// beyond the note's own changes: a node that does not hold the note cannot tell who wrote it, so
/// a purge it cannot check erases only the note's changes and sealed copies that the purge's own
/// signer wrote. A body this node can read is erased only if it belongs to the purged note, so a
/// purge never erases a directory change or another note.
package struct PurgedNotes: Sendable {
    /// Purged notes, with the nodes that signed a purge of each.
    package private(set) var signers: [UUID: Set<NodeID>] = [:]
    /// Purged notes whose purge was signed by their author, as this node found when it held them,
    /// or by this node itself: everything of them goes, evaluations and links included.
    package private(set) var verified: Set<UUID> = []
    /// Places of changes to erase, each listed by a purge signed by the node that wrote the change.
    package private(set) var coordinates: Set<ChangeCoordinate> = []

    package var isEmpty: Bool { signers.isEmpty }
    package var notes: Set<UUID> { Set(signers.keys) }

    /// The purges this node has applied.
    package init(in db: Database) throws {
        for row in try Row.fetchAll(db, sql: "SELECT note_id, steward, changes FROM note_purge") {
            guard let noteID = row.uuid("note_id"), let signer = try? NodeID(hex: row["steward"]) else { continue }
            add(NotePurge(noteID: noteID, reason: "", changes: JSONStringArray.decode(row["changes"]).compactMap(ChangeCoordinate.init(text:))), signer: signer)
        }
        verified = Set(try String.fetchAll(db, sql: "SELECT note_id FROM purged_note").compactMap(UUID.init(uuidString:)))
    }

    package init() {}

    package mutating func add(_ purge: NotePurge, signer: NodeID) {
        signers[purge.noteID, default: []].insert(signer)
        coordinates.formUnion(purge.changes.filter { $0.origin == signer })
    }

    package mutating func verify(_ noteID: UUID) { verified.insert(noteID) }

    /// Whether a change, written by `origin`, belongs to a purged note: the note itself, from a
    /// node that signed its purge or when the purge is verified, or an evaluation of it or a link
    /// from or to it when the purge is verified.
    package func covers(_ change: Change, origin: NodeID) -> Bool {
        switch change.entity {
        case .note:
            return verified.contains(change.recordID) || signers[change.recordID]?.contains(origin) == true
        case .noteEvaluation, .noteLink:
            guard case .upsert(let groups) = change.operation, let fields = groups[change.entity == .noteLink ? "link" : "evaluation"] else { return false }
            return [fields["note_id"], fields["other_id"]].contains { value in
                if case .text(let id)? = value, let id = UUID(canonicalText: id) { verified.contains(id) } else { false }
            }
        case .agency, .person, .channel, .designation, .duplicateDecision, .sharingGroup, .notePurge, .proposal, .proposalDecision:
            return false
        }
    }

    /// Erases from `commit` what purges cover: bodies of purged records with their sealed copies,
    /// and at listed places the sealed copies and any body this node cannot read. `changes` are the
    /// commit's changes as decoded, nil where not held; erased ones become nil. Returns whether
    /// anything was erased.
    @discardableResult
    package func erase(from commit: inout Commit, changes: inout [Change?]) -> Bool {
        guard !isEmpty else { return false }
        var erased = false
        let header = commit.header
        for index in commit.changeHashes.indices {
            let listed = coordinates.contains(ChangeCoordinate(origin: header.origin, epoch: header.epoch, sequence: header.sequence, index: index))
            let change = index < changes.count ? changes[index] : nil
            let coveredBody = change.map { covers($0, origin: header.origin) } ?? false
            // A listed change this node cannot decode is not one it can show, nor check: erased
            // there. One it can read is erased only if it belongs to the note.
            let unreadableListed = listed && change == nil
            if coveredBody || (unreadableListed && commit.changeBodies[index] != nil) {
                commit.changeBodies[index] = nil
                if index < changes.count { changes[index] = nil }
                erased = true
            }
            if coveredBody || unreadableListed, commit.sealedBodies.removeValue(forKey: index) != nil { erased = true }
        }
        return erased
    }
}

package enum NoteErasure {
    /// Lists where the intelligence changes of a stored commit sit, for purges to find.
    package static func index(_ changes: [Change?], position: Int64, in db: Database) throws {
        try index(changes, indices: Array(changes.indices), position: position, in: db)
    }

    /// Lists where some changes of a stored commit sit: `indices` are their places in it.
    package static func index(_ changes: [Change?], indices: [Int], position: Int64, in db: Database) throws {
        for (change, index) in zip(changes, indices) {
            guard let change, [.note, .noteEvaluation, .noteLink].contains(change.entity) else { continue }
            // An evaluation or a link is listed under the notes it names as well, so that a purge
            // finds every version of it, refused ones included.
            var named = [change.recordID.lowercasedString]
            if case .upsert(let groups) = change.operation, let fields = groups[change.entity == .noteLink ? "link" : "evaluation"] {
                for case .text(let id)? in [fields["note_id"], fields["other_id"]] { named.append(id) }
            }
            for record in Set(named) {
                try db.cachedStatement(sql: "INSERT OR IGNORE INTO record_change (record_id, commit_position, change_index) VALUES (?, ?, ?)")
                    .execute(arguments: [record, position, index])
            }
        }
    }

    /// The records a purge of `noteID` covers here: the note, its evaluations, and links from or
    /// to it.
    package static func records(of noteID: UUID, in db: Database) throws -> [String] {
        let id = noteID.lowercasedString
        let others = try String.fetchAll(
            db, sql: "SELECT id FROM note_evaluation WHERE note_id = ?1 UNION SELECT id FROM note_link WHERE note_id = ?1 OR other_id = ?1",
            arguments: [id])
        return [id] + others
    }

    /// Where the changes to `records` sit in the log.
    package static func coordinates(of records: [String], in db: Database) throws -> [ChangeCoordinate] {
        guard !records.isEmpty else { return [] }
        let rows = try Row.fetchAll(
            db, sql: """
                SELECT c.origin, c.epoch, c.sequence, r.change_index FROM record_change r JOIN commit_log c ON c.position = r.commit_position
                WHERE r.record_id IN (\(databaseQuestionMarks(count: records.count)))
                """, arguments: StatementArguments(records))
        return try rows.map { row in
            ChangeCoordinate(origin: try NodeID(hex: row["origin"]), epoch: row["epoch"], sequence: UInt64(row["sequence"] as Int64), index: row["change_index"])
        }
    }

    /// Notes that the database's write-ahead log may still hold pages an erasure freed, until
    /// ``Directory/clearErasedPages()`` succeeds.
    package static func markPagesToClear(in db: Database) throws {
        try db.execute(sql: "UPDATE node SET pages_to_clear = 1")
    }

    /// Whether any of these changes, logged here, has a distribution beyond this node.
    package static func anyLeftThisNode(_ changes: [ChangeCoordinate], in db: Database) throws -> Bool {
        for coordinate in changes {
            guard let row = try Row.fetchOne(
                db, sql: "SELECT \(LogStore.commitColumns) FROM commit_log WHERE origin = ? AND epoch = ? AND sequence = ?",
                arguments: [coordinate.origin.hex, coordinate.epoch, Int64(coordinate.sequence)])
            else { continue }
            let changes = try LogStore.decodedCommit(row).changes
            guard coordinate.index < changes.count, let change = changes[coordinate.index] else { return true }
            if change.distribution != .nodeOnly { return true }
        }
        return false
    }

    /// What erasing a purge took away here.
    package struct Outcome: Sendable, Equatable {
        package var bodies = 0
        package var sealedCopies = 0
        package var records = 0
        /// Whether the note had search entries, whose words stay in the index until it is merged
        /// (``mergeSearchIndex(in:)``).
        package var leftIndexWords = false
    }

    /// Merges the notes' search index whole. A deletion leaves a note's words in the index's
    /// older segments until they merge (SQLite before 3.42 has no secure-delete for FTS5): merged,
    /// nothing of a purged note stays in the file. Its cost grows with the index, so it runs once
    /// for all the purges of a transaction.
    package static func mergeSearchIndex(in db: Database) throws {
        try db.execute(sql: "INSERT INTO note_search(note_search) VALUES ('optimize')")
    }

    /// Erases everything of the purged note this node holds in its tables and log, after the
    /// purge was applied. `purged` holds the purge already. Held commits, and merging the search
    /// index when ``Outcome/leftIndexWords``, are for the caller, in the same transaction.
    package static func erase(_ purge: NotePurge, purged: PurgedNotes, in db: Database) throws -> Outcome {
        var outcome = Outcome()
        // A purge this node cannot check erases no record of another node: the note is not held.
        let records = purged.verified.contains(purge.noteID) ? try records(of: purge.noteID, in: db) : [purge.noteID.lowercasedString]
        // The commits to rewrite: where the purge says, and where this node logged the records.
        var positions = Set<Int64>()
        for coordinate in Set(purge.changes).union(try coordinates(of: records, in: db)) {
            if let position = try Int64.fetchOne(
                db.cachedStatement(sql: "SELECT position FROM commit_log WHERE origin = ? AND epoch = ? AND sequence = ?"),
                arguments: [coordinate.origin.hex, coordinate.epoch, Int64(coordinate.sequence)])
            {
                positions.insert(position)
            }
        }
        for position in positions.sorted() {
            guard let row = try Row.fetchOne(db, sql: "SELECT \(LogStore.commitColumns) FROM commit_log WHERE position = ?", arguments: [position]) else { continue }
            var (commit, changes) = try LogStore.decodedCommit(row)
            let before = (bodies: commit.changeBodies.count(where: { $0 != nil }), copies: commit.sealedBodies.values.reduce(0) { $0 + $1.count })
            guard purged.erase(from: &commit, changes: &changes) else { continue }
            outcome.bodies += before.bodies - commit.changeBodies.count(where: { $0 != nil })
            outcome.sealedCopies += before.copies - commit.sealedBodies.values.reduce(0) { $0 + $1.count }
            try LogStore.replaceChanges(of: commit, at: position, in: db)
        }
        let arguments = StatementArguments(records)
        let marks = databaseQuestionMarks(count: records.count)
        if let localID = try Int64.fetchOne(db, sql: "SELECT local_id FROM note WHERE id = ?", arguments: [records[0]]) {
            try db.execute(sql: "DELETE FROM note_search WHERE rowid = ?", arguments: [localID])
            outcome.leftIndexWords = true
        }
        for table in ["note", "note_evaluation", "note_link"] {
            try db.execute(sql: "DELETE FROM \(table) WHERE id IN (\(marks))", arguments: arguments)
            outcome.records += db.changesCount
        }
        try db.execute(sql: "DELETE FROM note_subject WHERE note_id = ?", arguments: [records[0]])
        try db.execute(sql: "DELETE FROM record_change WHERE record_id IN (\(marks))", arguments: arguments)
        try db.execute(sql: "DELETE FROM refusal WHERE record_id IN (\(marks))", arguments: arguments)
        return outcome
    }
}

extension Directory {
    /// Whether a purge of this note was applied here.
    public func isPurged(note noteID: UUID) throws(LiaisonError) -> Bool {
        try read { db in try PurgedNotes(in: db).notes.contains(noteID) }
    }

    /// Clears the pages an erasure freed from the database's files: every freed page is zeroed as
    /// it is freed (secure_delete), a database made before that is rewritten once (VACUUM), and
    /// the write-ahead log, which still holds earlier copies of pages, is copied back and emptied.
    public func clearErasedPages() throws(LiaisonError) {
        guard database is DatabasePool else { return }
        let busy = LiaisonError(
            .storage, "the note is erased, but another process was reading this node, so its write-ahead log still holds earlier pages",
            hint: "they are cleared when this node next opens, or by `liaison note purge` with the same note once other liaison commands on it have finished")
        do {
            try database.writeWithoutTransaction { db in
                if try Bool.fetchOne(db, sql: "SELECT free_space_erased FROM node") != true {
                    try db.execute(sql: "VACUUM")
                    try db.execute(sql: "UPDATE node SET free_space_erased = 1")
                }
                let (walFrames, copied) = try db.checkpoint(.truncate)
                guard walFrames <= 0 || copied == walFrames else { throw busy }
                // Marked cleared in a write of its own, which the next checkpoint empties.
                try db.execute(sql: "UPDATE node SET pages_to_clear = 0")
            }
        } catch let error as DatabaseError where [.SQLITE_BUSY, .SQLITE_LOCKED].contains(error.resultCode) {
            throw busy
        } catch let error as LiaisonError {
            throw error
        } catch {
            throw LiaisonError(.storage, "\(error)")
        }
    }

    /// Clears the pages of an erasure that could not be cleared before (another process was
    /// reading), if any; a failure is logged and left for the next time.
    public func clearErasedPagesIfPending() {
        guard (try? read({ db in try Bool.fetchOne(db, sql: "SELECT pages_to_clear FROM node") })) == true else { return }
        do {
            try clearErasedPages()
        } catch {
            logger.warning("cannot yet clear pages a purge freed", metadata: ["error": "\(error.message)"])
        }
    }

    /// The purged note whose id is or ends with `reference`, if this node applied a purge of it.
    public func purgedNote(matching reference: String) throws(LiaisonError) -> UUID? {
        let key = reference.trimmed.lowercased()
        guard key.count >= 4 else { return nil }
        let found = try read { db in
            try String.fetchAll(db, sql: "SELECT DISTINCT note_id FROM note_purge WHERE note_id = ?1 OR note_id LIKE '%' || ?1", arguments: [key])
        }
        return found.count == 1 ? UUID(uuidString: found[0]) : nil
    }
}
