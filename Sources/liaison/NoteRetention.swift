import ArgumentParser
import Foundation
import LiaisonCore
import LiaisonSync

extension Liaison.NoteCommand {
    struct Purge: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Erase a note, its evaluations and its links, here and on every node that holds it.",
            discussion: """
                The purge is signed and travels to every node, which erases its copies: the rows, the search entries, and the bodies in its log, whose hashes stay so that every chain still verifies. Pages that held the note are overwritten and the write-ahead log is emptied. The reason travels with the purge: say why, never what. A note another node wrote is erased from this node only.

                Example: liaison note purge 1a2b3c4d --reason "source withdrew consent"
                """)

        @OptionGroup var data: DataOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "The note's id or its short form.") var note: String
        @Option(help: "Why the note is erased; it travels with the purge.") var reason: String

        func run() throws {
            try reportingErrors {
                let directory = try data.open()
                if let done = try directory.purgedNote(matching: note) {
                    // Done before: only the clearing of pages may be left to finish.
                    try directory.clearErasedPages()
                    return say("Note \(done.lowercasedString) was purged already; its pages are cleared.")
                }
                let summary = try directory.purge(note: try directory.note(matching: note).id, reason: reason)
                if output.json { return try printJSON(summary) }
                say("Purged note \(summary.noteID.lowercasedString): \(summary.recordsErased) \(summary.recordsErased == 1 ? "record" : "records") and \(summary.bodiesErased) logged \(summary.bodiesErased == 1 ? "body" : "bodies") erased\(summary.sealedCopiesErased > 0 ? ", \(summary.sealedCopiesErased) sealed copies dropped" : "").")
                if !summary.pagesCleared { warnPagesNotCleared(summary.noteID) }
                say(
                    summary.everywhere
                        ? "The purge goes to every node with the next sync or bundle; each erases its copies."
                        : "Only this node's copy was erased: \(summary.authoredHere ? "the note never left this node" : "another node wrote it, and only its author purges it everywhere").")
            }
        }
    }

    struct ReviewDue: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "review-due",
            abstract: "List notes due for review or at the end of their retention.",
            discussion: """
                A note this node wrote is purged on every node once its retain-until day has passed: any command that changes this node does it. A note another node wrote that is past that day is listed as OVERDUE: its author has not purged it. If that node is gone, erase this node's copy with `liaison note purge ID --reason ...`.
                """)

        @OptionGroup var data: DataOptions
        @OptionGroup var output: OutputOptions
        @Option(help: "Also list what falls due within this many days.") var within = 0
        @OptionGroup var audit: AuditOptions

        func validate() throws {
            guard within >= 0 else { throw ValidationError("--within takes a number of days, 0 or more") }
        }

        func run() throws {
            try reportingErrors {
                let directory = try data.open()
                let due = try directory.notesDue(within: within)
                try directory.audit(
                    .noteList, actor: Directory.localUser, records: due.map(\.note.id.lowercasedString), detail: ["list": "review-due"], reason: audit.reason)
                if output.json { return try printJSON(due) }
                guard !due.isEmpty else { return say(within == 0 ? "Nothing is due." : "Nothing is due within \(within) days.") }
                let peers = Dictionary(try directory.peers().map { ($0.nodeID, $0.name) }, uniquingKeysWith: { first, _ in first })
                var table = Table("Id", "Due", "Review on", "Retain until", "Author", "Title")
                for item in due {
                    let author = item.note.author == directory.node.id.hex ? "this node" : peers[item.note.author] ?? "node \(item.note.author.prefix(8))"
                    table.add(
                        short(item.note.id), item.reasons.map { $0 == .overdue ? "OVERDUE" : $0.rawValue }.joined(separator: ", "),
                        item.reviewOn ?? "-", item.retainUntil ?? "-", author, item.note.title)
                }
                say(table.render())
                let overdue = due.filter { $0.reasons.contains(.overdue) }
                if !overdue.isEmpty {
                    warnOverdue(overdue.count)
                }
            }
        }
    }
}

/// Says on standard error that notes past their retention are still here.
func warnOverdue(_ count: Int) {
    note(
        "WARNING: \(count) \(count == 1 ? "note is" : "notes are") past \(count == 1 ? "its" : "their") retain-until day and still held here. Their authors have not purged them; if an author's node is gone, erase this node's copy with `liaison note purge ID --reason ...`.")
}

/// Says on standard error that a note shown is past its retain-until day.
func warnIfRetentionEnded(_ shown: Note) {
    guard let retainUntil = shown.retainUntil, retainUntil < today() else { return }
    note(
        "WARNING: this note's retention ended on \(retainUntil) and its author has not purged it. If that node is gone, erase this copy: liaison note purge \(shown.id.shortID) --reason ...")
}

/// Says on standard error that a purge's pages are still in the write-ahead log.
func warnPagesNotCleared(_ noteID: UUID) {
    note(
        "warning: another process is reading this node, so its write-ahead log may still hold earlier pages of the note; they are cleared when the node next opens, or run `liaison note purge \(noteID.shortID) --reason ...` again once it has finished.")
}
