public import Foundation
import GRDB
import Logging
public import LiaisonCore

extension Receiver {
    /// Why a received purge is refused: a node that holds the note lets only its author purge it
    /// everywhere. A node that does not hold it cannot tell, and erases only what the purge lists
    /// that it cannot read, or that belongs to the note.
    func purgeRefusal(_ change: Change, origin: NodeID) throws -> String? {
        guard case .upsert(let groups) = change.operation, case .text(let noteID)? = groups["purge"]?["note_id"] else { return nil }
        // The note's author as held here, or as it was when the note was purged here.
        let author = try String.fetchOne(db, sql: "SELECT steward FROM note WHERE id = ?", arguments: [noteID])
            ?? String.fetchOne(db, sql: "SELECT author FROM purged_note WHERE note_id = ?", arguments: [noteID])
        guard let author else { return nil }
        return author == origin.hex ? nil : "only the author of a note purges it on other nodes"
    }

    /// Why a received decision on a proposal is refused: a node that holds the proposal and its
    /// record lets only the record's steward decide it.
    func decisionRefusal(_ change: Change, origin: NodeID) throws -> String? {
        guard case .upsert(let groups) = change.operation, case .text(let proposalID)? = groups["decision"]?["proposal_id"],
            let proposal = try Proposal.fetchOne(db, key: ["id": proposalID]),
            let steward = try String.fetchOne(
                db, sql: "SELECT steward FROM \(proposal.recordEntity.table) WHERE id = ?", arguments: [proposal.recordID.lowercasedString])
        else { return nil }
        return steward == origin.hex ? nil : "only the steward of a record decides a proposal to it"
    }

    /// Why a change to a purge, a proposal or a decision is refused: each is written once, so that
    /// a purge cannot be taken back and a proposal cannot change after its steward read it.
    func writtenOnceRefusal(_ change: Change) throws -> String? {
        guard [.notePurge, .proposal, .proposalDecision].contains(change.entity) else { return nil }
        let stored = try Bool.fetchOne(
            db, sql: "SELECT EXISTS (SELECT 1 FROM \(change.entity.table) WHERE id = ?)", arguments: [change.recordID.lowercasedString])
        return stored == true ? "a \(change.entity.rawValue) is written once and never changed" : nil
    }

    /// Erases what a purge just applied covers: the note's rows and bodies in the log and in held
    /// commits. Changes that arrive later are erased as they come (``PurgedNotes``).
    func erasePurged(by change: Change, origin: NodeID) throws {
        guard let purge = try NotePurge.fetchOne(db, key: ["id": change.recordID.lowercasedString]) else { return }
        appliedPurges.append((purge, origin))
        purged.add(purge, signer: origin)
        // Signed by the author of a note held here: everything of the note goes.
        let noteID = purge.noteID.lowercasedString
        if try String.fetchOne(db, sql: "SELECT steward FROM note WHERE id = ?", arguments: [noteID]) == origin.hex {
            try db.execute(sql: "INSERT OR REPLACE INTO purged_note (note_id, author) VALUES (?, ?)", arguments: [noteID, origin.hex])
            purged.verify(purge.noteID)
        }
        if try NoteErasure.erase(purge, purged: purged, in: db).leftIndexWords { mergesNoteIndex = true }
        try NoteErasure.markPagesToClear(in: db)
        try Self.eraseHeldCommits(purged, in: db)
        touchedNotes.remove(purge.noteID)
        report.notesPurged += 1
    }

    /// Rewrites held commits that carry what purges cover.
    static func eraseHeldCommits(_ purged: PurgedNotes, in db: Database) throws {
        guard !purged.isEmpty else { return }
        for row in try Row.fetchAll(db, sql: "SELECT header_hash, frame FROM held_commit") {
            guard var commit = try? Commit(frame: [UInt8](row["frame"] as Data)) else { continue }
            var changes = commit.changeBodies.map { $0.flatMap { try? Change(decoding: $0) } }
            guard purged.erase(from: &commit, changes: &changes) else { continue }
            try db.execute(
                sql: "UPDATE held_commit SET frame = ? WHERE header_hash = ?", arguments: [Data(commit.frame), row["header_hash"] as Data])
        }
    }
}

extension Directory {
    /// Signs a purge of a note and erases it here, with its evaluations and links
    /// (``DirectoryTransaction/purge(_:reason:)``), then clears the pages that held it from the
    /// database file and its write-ahead log.
    @discardableResult
    /// The purge is recorded in the audit log as done by `actor`.
    public func purge(note noteID: UUID, reason: String, actor: String = Directory.localUser) throws(LiaisonError) -> NotePurgeSummary {
        _ = try requireAuditRecorder()
        var (summary, _) = try write { tx in
            let summary = try tx.purge(noteID, reason: reason)
            try Receiver.eraseHeldCommits(try PurgedNotes(in: tx.connection), in: tx.connection)
            return summary
        }
        try audit(.notePurge, actor: actor, records: [noteID.lowercasedString], reason: reason)
        do {
            try clearErasedPages()
        } catch {
            logger.warning("cannot yet clear pages a purge freed", metadata: ["error": "\(error.message)"])
            summary.pagesCleared = false
        }
        return summary
    }

    /// Purges every note this node wrote whose retention has ended (its retain-until day is past),
    /// as of `now`. Returns what it purged.
    @discardableResult
    public func purgeExpiredNotes(now: Date? = nil) throws(LiaisonError) -> [NotePurgeSummary] {
        let today = Timestamp.day(now ?? clock())
        let due = try read { db in
            try Row.fetchAll(
                db, sql: "SELECT id, retain_until FROM note WHERE steward = ? AND deleted = 0 AND retain_until IS NOT NULL AND retain_until < ? ORDER BY retain_until",
                arguments: [node.id.hex, today]
            ).compactMap { row in UUID(uuidString: row["id"]).map { ($0, row["retain_until"] as String) } }
        }
        guard !due.isEmpty else { return [] }
        _ = try requireAuditRecorder()
        let reasons = Dictionary(due.map { id, day in (id, "retention ended on \(day)") }, uniquingKeysWith: { first, _ in first })
        let (summaries, _) = try write { tx in
            // Another process may have purged some since they were read.
            let held = try due.filter { id, _ in try Bool.fetchOne(tx.connection, sql: "SELECT EXISTS (SELECT 1 FROM note WHERE id = ?)", arguments: [id.lowercasedString]) == true }
            let summaries = try held.map { id, _ in try tx.purge(id, reason: reasons[id] ?? "retention ended") }
            try Receiver.eraseHeldCommits(try PurgedNotes(in: tx.connection), in: tx.connection)
            return summaries
        }
        for summary in summaries {
            try audit(.notePurge, actor: "node", records: [summary.noteID.lowercasedString], reason: reasons[summary.noteID])
        }
        try clearErasedPages()
        return summaries
    }
}
