import ArgumentParser
import Foundation
import LiaisonCore
import LiaisonSync

extension Liaison {
    struct NoteCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "note", abstract: "Write, grade, share and evaluate intelligence notes.",
            discussion: """
                A note starts as a draft, which never leaves this node. Publishing grades it (source reliability A–F, information credibility 1–6), marks it (TLP 2.0) and shares it: with this node only, named nodes (--to), a sharing group (--group) or the whole federation (--federation). Nodes that may not read a note receive only its hash.
                """,
            subcommands: [Add.self, Edit.self, Publish.self, Show.self, List.self, Evaluate.self, Link.self, ReviewDue.self, Purge.self])

        struct Add: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Write a note: a draft, or published at once with --publish.",
                discussion: "Example: liaison note add --title \"Recruitment via seasonal job ads\" --language en --body-file route.md --country MD --crime-area trafficking-in-persons")

            @OptionGroup var data: DataOptions
            @OptionGroup var fields: NoteFields
            @OptionGroup var sharing: NoteSharing
            @Flag(help: "Publish the note now; needs the grading, the marking and a distribution.") var publish = false

            func validate() throws {
                guard fields.title != nil else { throw ValidationError("--title is required") }
                if !publish, sharing.choosesDistribution {
                    throw ValidationError("a draft stays on this node: --federation, --this-node, --to and --group take effect with --publish")
                }
                guard fields.language != nil else { throw ValidationError("--language is required: the BCP 47 tag of the note's text, e.g. en, ro, ru") }
            }

            func run() throws {
                try reportingErrors {
                    let directory = try data.open()
                    var note = Note(title: "", language: "", body: "")
                    try fields.apply(to: &note, directory: directory)
                    if publish { try sharing.apply(to: &note, directory: directory, requireDistribution: true) } else { sharing.applyGrading(to: &note) }
                    let changed = note
                    let saved = try directory.write { tx in try tx.save(changed) }.value
                    say("\(saved.status == .draft ? "Drafted" : "Published") \(saved.title) \(saved.id.lowercasedString)")
                    if saved.status == .draft { say("It stays on this node until `liaison note publish \(saved.id.shortID)`.") }
                }
            }
        }

        struct Edit: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Change a note this node wrote; a published note is sent again, whole, under its distribution.")

            @OptionGroup var data: DataOptions
            @Argument(help: "The note's id or its short form.") var note: String
            @OptionGroup var fields: NoteFields

            func run() throws {
                try reportingErrors {
                    let directory = try data.open()
                    var note = try directory.note(matching: self.note)
                    try fields.apply(to: &note, directory: directory)
                    let changed = note
                    let saved = try directory.write { tx in try tx.save(changed) }.value
                    say("Saved \(saved.title) \(saved.id.lowercasedString)")
                }
            }
        }

        struct Publish: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Grade, mark and share a note; run again to change its marking or distribution.",
                discussion: """
                    Nodes that already hold a note keep it when its distribution is narrowed. A note derived from another (--derived-from) may carry no lower marking and reach no node its source does not. TLP:RED goes to named nodes only.
                    Example: liaison note publish 1a2b3c4d --reliability B --credibility 2 --marking TLP:AMBER --group "Black Sea desk"
                    """)

            @OptionGroup var data: DataOptions
            @Argument(help: "The note's id or its short form.") var note: String
            @OptionGroup var sharing: NoteSharing

            func run() throws {
                try reportingErrors {
                    let directory = try data.open()
                    var note = try directory.note(matching: self.note)
                    try sharing.apply(to: &note, directory: directory, requireDistribution: note.status == .draft)
                    let changed = note
                    let saved = try directory.write { tx in try tx.save(changed, reshare: true) }.value
                    say("Published \(saved.title) \(saved.id.lowercasedString): \(saved.grading ?? "") \(saved.marking?.rawValue ?? ""), \(try describe(saved.distribution, in: directory))")
                }
            }
        }

        struct Show: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Show a note with its evaluations, links and combined grading.")

            @OptionGroup var data: DataOptions
            @OptionGroup var output: OutputOptions
            @OptionGroup var audit: AuditOptions
            @Argument(help: "The note's id or its short form.") var note: String

            func run() throws {
                try reportingErrors {
                    let directory = try data.open()
                    let page = try directory.notePage(try directory.note(matching: note).id)
                    try directory.audit(.noteShow, actor: Directory.localUser, records: page.shownNotes, reason: audit.reason)
                    warnIfRetentionEnded(page.note)
                    if output.json { return try printJSON(page) }
                    say(try NotePageText(page: page, directory: directory).text)
                }
            }
        }

        struct List: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List the notes held here, latest first.")

            @OptionGroup var data: DataOptions
            @OptionGroup var output: OutputOptions
            @Flag(help: "Leave out drafts.") var publishedOnly = false
            @OptionGroup var audit: AuditOptions

            func run() throws {
                try reportingErrors {
                    let directory = try data.open()
                    let notes = try directory.notes(drafts: !publishedOnly)
                    try directory.audit(.noteList, actor: Directory.localUser, records: notes.map(\.id.lowercasedString), reason: audit.reason)
                    let overdue = try directory.notesDue().count { $0.reasons.contains(.overdue) }
                    if overdue > 0 { warnOverdue(overdue) }
                    if output.json { return try printJSON(notes) }
                    guard !notes.isEmpty else { return say("No notes. Write one with `liaison note add`.") }
                    var table = Table("Id", "Status", "Grade", "Marking", "Shared with", "Title")
                    for note in notes {
                        table.add(
                            short(note.id), note.status.rawValue, note.grading ?? "-", note.marking?.rawValue ?? "-",
                            try describe(note.distribution, in: directory), note.title)
                    }
                    say(table.render())
                }
            }
        }

        struct Evaluate: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Grade a note this node holds, as your agency judges it; kept as history and sent under the note's distribution.",
                discussion: "Example: liaison note evaluate 1a2b3c4d --reliability B --credibility 2 --comment \"Matches our case 2026/114\"")

            @OptionGroup var data: DataOptions
            @Argument(help: "The note's id or its short form.") var note: String
            @Option(help: "Source reliability, A (completely reliable) to F (cannot be judged).") var reliability: SourceReliability
            @Option(help: "Information credibility, 1 (confirmed) to 6 (cannot be judged).") var credibility: InformationCredibility
            @Option(help: "Why, for the other nodes' officers.") var comment: String?

            func run() throws {
                try reportingErrors {
                    let directory = try data.open()
                    let note = try directory.note(matching: self.note)
                    let (reliability, credibility, comment) = (self.reliability, self.credibility, self.comment)
                    try directory.write { tx in try tx.evaluate(note.id, reliability: reliability, credibility: credibility, comment: comment) }
                    let combined = try directory.notePage(note.id).combined
                    say("Evaluated \(note.title) as \(reliability.rawValue)\(credibility.rawValue)\(combined.map { "; combined grading now \($0.grading) from \(counted($0.nodes, "node"))" } ?? "").")
                }
            }
        }

        struct Link: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Say how one note bears on another: corroborates, contradicts, duplicates or relates-to.",
                discussion: "The link reaches only the nodes that may read both notes. Example: liaison note link 1a2b3c4d corroborates 5e6f7a8b")

            @OptionGroup var data: DataOptions
            @Argument(help: "The note that corroborates, contradicts, duplicates or relates to the other.") var note: String
            @Argument(help: "corroborates, contradicts, duplicates or relates-to.") var relation: NoteRelation
            @Argument(help: "The other note.") var other: String
            @Option(help: "Why, for the other nodes' officers.") var comment: String?

            func run() throws {
                try reportingErrors {
                    let directory = try data.open()
                    let first = try directory.note(matching: note), second = try directory.note(matching: other)
                    let (relation, comment) = (self.relation, self.comment)
                    let link = try directory.write { tx in try tx.link(first.id, relation, second.id, comment: comment) }.value
                    say("Linked: \(first.title) \(relation.rawValue) \(second.title) (\(short(link.id))).")
                }
            }
        }
    }
}

/// The fields of a note that `note add` and `note edit` take.
struct NoteFields: ParsableArguments {
    @Option(help: "A short title.") var title: String?
    @Option(help: "BCP 47 tag of the note's text, e.g. en, ro, ru.") var language: String?
    @Option(help: "The Markdown body.") var body: String?
    @Option(name: .customLong("body-file"), help: ArgumentHelp("Read the Markdown body from this file; - reads standard input.", valueName: "path"))
    var bodyFile: String?
    @Option(name: .customLong("country"), help: ArgumentHelp("A country the note concerns (ISO alpha-2); repeat for more.", valueName: "code"))
    var countries: [String] = []
    @Option(name: .customLong("agency"), help: ArgumentHelp("An agency it concerns: id, acronym or name; repeat for more.", valueName: "agency"))
    var agencies: [String] = []
    @Option(name: .customLong("contact"), help: ArgumentHelp("A contact it concerns, by id; repeat for more.", valueName: "id"))
    var contacts: [String] = []
    @Option(name: .customLong("crime-area"), help: "A crime area it concerns; repeat for more.") var crimeAreas: [CrimeArea] = []
    @Option(name: .customLong("refers-to"), help: ArgumentHelp("The day the information refers to.", valueName: "YYYY-MM-DD")) var refersTo: String?
    @Option(name: .customLong("subject"), help: "A category of person it speaks of: suspect, victim, witness, other; repeat for more.")
    var subjects: [DataSubject] = []
    @Flag(help: "Whether it reports facts observed (--fact, the default for a new note) or an assessment.") var nature: NoteNature?
    @Option(name: .customLong("review-on"), help: ArgumentHelp("When to review it.", valueName: "YYYY-MM-DD")) var reviewOn: String?
    @Option(name: .customLong("retain-until"), help: ArgumentHelp("Keep it until this day.", valueName: "YYYY-MM-DD")) var retainUntil: String?
    @Option(name: .customLong("derived-from"), help: ArgumentHelp("The note this one was derived from.", valueName: "id")) var derivedFrom: String?

    func validate() throws {
        if body != nil, bodyFile != nil { throw ValidationError("give --body or --body-file, not both") }
    }

    /// Sets on `note` each field given: lists given replace the note's.
    func apply(to note: inout Note, directory: Directory) throws {
        if let title { note.title = title }
        if let language { note.language = language }
        if let body { note.body = body }
        if let bodyFile { note.body = try readBody(bodyFile) }
        if !countries.isEmpty { note.countries = countries }
        if !agencies.isEmpty { note.agencyIDs = try agencies.map { try directory.agency(matching: $0).id } }
        if !contacts.isEmpty { note.personIDs = try contacts.map { try directory.person(matching: $0).id } }
        if !crimeAreas.isEmpty { note.crimeAreas = crimeAreas }
        if let refersTo { note.refersTo = refersTo }
        if !subjects.isEmpty { note.subjects = subjects }
        if let nature { note.nature = nature }
        if let reviewOn { note.reviewOn = reviewOn }
        if let retainUntil { note.retainUntil = retainUntil }
        if let derivedFrom { note.derivedFrom = try directory.note(matching: derivedFrom).id }
    }

    private func readBody(_ path: String) throws -> String {
        let data: Data
        if path == "-" {
            data = FileHandle.standardInput.readDataToEndOfFile()
        } else {
            guard let contents = FileManager.default.contents(atPath: path) else {
                throw LiaisonError(.notFound, "cannot read the body file \(path)")
            }
            data = contents
        }
        guard let text = String(data: data, encoding: .utf8) else { throw LiaisonError(.invalidValue, "the body is not UTF-8 text", field: "body") }
        return text
    }
}

/// The grading, marking and distribution that publishing sets.
struct NoteSharing: ParsableArguments {
    @Option(help: "Source reliability, A (completely reliable) to F (cannot be judged).") var reliability: SourceReliability?
    @Option(help: "Information credibility, 1 (confirmed by other sources) to 6 (cannot be judged).") var credibility: InformationCredibility?
    @Option(help: "TLP 2.0 marking: TLP:CLEAR, TLP:GREEN, TLP:AMBER, TLP:AMBER+STRICT, TLP:RED.") var marking: Marking?
    @Flag(help: "Share with every node of the federation.") var federation = false
    @Flag(name: .customLong("this-node"), help: "Publish on this node only.") var thisNode = false
    @Option(name: .customLong("to"), help: ArgumentHelp("Share with this node: a peer's name or node id; repeat for more.", valueName: "node"))
    var nodes: [String] = []
    @Option(help: ArgumentHelp("Share with the members of this sharing group: its name or id.", valueName: "group")) var group: String?

    var choosesDistribution: Bool { federation || thisNode || !nodes.isEmpty || group != nil }

    func validate() throws {
        let chosen = [federation, thisNode, !nodes.isEmpty, group != nil].filter { $0 }.count
        if chosen > 1 { throw ValidationError("choose one distribution: --federation, --this-node, --to or --group") }
    }

    func applyGrading(to note: inout Note) {
        if let reliability { note.reliability = reliability }
        if let credibility { note.credibility = credibility }
        if let marking { note.marking = marking }
    }

    func apply(to note: inout Note, directory: Directory, requireDistribution: Bool) throws {
        applyGrading(to: &note)
        note.status = .published
        if federation {
            note.distribution = .federation
        } else if thisNode {
            note.distribution = .nodeOnly
        } else if !nodes.isEmpty {
            note.distribution = .nodes(try nodes.map { name in
                let peer = try directory.peer(name)
                guard peer.revokedAt == nil else { throw LiaisonError(.conflict, "\(peer.name) (\(peer.agency)) is revoked: nothing is shared with it") }
                return try NodeID(hex: peer.nodeID)
            })
        } else if let group {
            note.distribution = .group(try directory.sharingGroup(matching: group).id.lowercasedString, recipients: [])
        } else if requireDistribution {
            throw ValidationError("say whom to share it with: --federation, --this-node, --to NODE or --group GROUP")
        }
    }
}

/// "the whole federation", "this node only", "Chisinau desk (CCTP), Athens hub (HP)", "group Black Sea desk (3 nodes)".
func describe(_ distribution: Distribution, in directory: Directory) throws -> String {
    switch distribution {
    case .federation: return "the whole federation"
    case .nodeOnly: return "this node only"
    case .nodes(let nodes):
        let peers = Dictionary(try directory.peers().map { ($0.nodeID, $0.name) }, uniquingKeysWith: { first, _ in first })
        return nodes.map { $0 == directory.node.id ? "this node" : peers[$0.hex] ?? "node \($0.hex.prefix(8))" }.joined(separator: ", ")
    case .group(let id, let recipients):
        let name = try directory.sharingGroups().first { $0.id.lowercasedString == id }?.name ?? "group \(id.suffix(8))"
        return "group \(name) (\(counted(recipients.count, "node")))"
    }
}
