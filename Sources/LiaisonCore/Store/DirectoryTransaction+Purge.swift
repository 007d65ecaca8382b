public import Foundation
import GRDB

/// What purging a note did on this node.
public struct NotePurgeSummary: Sendable, Hashable, Codable {
    public var noteID: UUID
    /// The signed purge.
    public var purgeID: UUID
    /// True when the purge travels to every node so that each erases its copies; false when only
    /// this node's copy was erased: the note never left it, or another node wrote it.
    public var everywhere: Bool
    /// Whether this node wrote the note.
    public var authoredHere: Bool
    /// Change bodies erased from this node's log, and sealed copies it carried for others.
    public var bodiesErased: Int
    public var sealedCopiesErased: Int
    /// The note, evaluation and link rows deleted.
    public var recordsErased: Int
    /// False when another process was reading the node, so that the write-ahead log may still
    /// hold earlier pages: they are cleared when the node next opens.
    public var pagesCleared = true

    enum CodingKeys: String, CodingKey {
        case noteID = "note_id", purgeID = "purge_id", everywhere, authoredHere = "authored_here", bodiesErased = "bodies_erased"
        case sealedCopiesErased = "sealed_copies_erased", recordsErased = "records_erased", pagesCleared = "pages_cleared"
    }
}

extension DirectoryTransaction {
    /// Signs a purge of a note and erases it here, with its evaluations and the links from or to
    /// it: rows, search entries, and the bodies in the log, whose hashes stay.
    ///
    /// The author's purge of a note that left this node travels to every node, which erase their
    /// copies as they apply it (docs/PROTOCOL.md, "note_purge"); a node that did not write the note
    /// erases its own copy only. `reason` travels with the purge: it says why, never what.
    public func purge(_ noteID: UUID, reason: String) throws -> NotePurgeSummary {
        let reason = try validator.required(reason, field: "reason")
        guard let note = try validator.fetch(Note.self, noteID) else {
            if try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM note_purge WHERE note_id = ?)", arguments: [noteID.lowercasedString]) == true {
                throw LiaisonError(.conflict, "this note was purged already", record: noteID.lowercasedString)
            }
            throw LiaisonError(.notFound, "no note with this id is held here", record: noteID.lowercasedString)
        }
        let records = try NoteErasure.records(of: noteID, in: db)
        let changes = try NoteErasure.coordinates(of: records, in: db)
        let isAuthor = (note.metadata?.steward ?? node.id.hex) == node.id.hex
        // A note that never left this node: every change of it and of what follows it was written
        // here for this node only (a draft, or a note published to this node alone, ever).
        let left = try changes.contains { $0.origin != node.id } || NoteErasure.anyLeftThisNode(changes, in: db)
        let everywhere = isAuthor && left
        let purge = NotePurge(noteID: noteID, reason: reason, changes: changes)
        _ = try record(purge, existing: nil, distribution: everywhere ? .federation : .nodeOnly)
        // This node's own purge covers everything of the note here, whoever wrote it.
        try db.execute(
            sql: "INSERT OR REPLACE INTO purged_note (note_id, author) VALUES (?, ?)", arguments: [noteID.lowercasedString, note.metadata?.steward ?? node.id.hex])
        let erased = try NoteErasure.erase(purge, purged: try PurgedNotes(in: db), in: db)
        try NoteErasure.markPagesToClear(in: db)
        if erased.leftIndexWords { mergesNoteIndex = true }
        return NotePurgeSummary(
            noteID: noteID, purgeID: purge.id, everywhere: everywhere, authoredHere: isAuthor, bodiesErased: erased.bodies,
            sealedCopiesErased: erased.sealedCopies, recordsErased: erased.records)
    }
}
