public import Foundation
import GRDB

/// A note with what other nodes said of it: the page `note show` prints.
public struct NotePage: Sendable, Codable {
    public var note: Note
    /// The author node as the roster names it, or its id.
    public var author: String
    public var evaluations: [Evaluation]
    public var links: [Link]
    /// Notes held here that were derived from this one.
    public var derived: [NoteSummary]

    /// The notes the page shows, the note first, then those linked to it and derived from it: what
    /// the audit log records of a look at it.
    public var shownNotes: [String] {
        var seen = Set<UUID>()
        return ([note.id] + links.compactMap { $0.other?.id } + derived.map(\.id)).filter { seen.insert($0).inserted }.map(\.lowercasedString)
    }
    /// Each node's latest grading combined (``combinedGrading(_:)``); nil for a draft.
    public var combined: CombinedGrading?

    public struct Evaluation: Sendable, Codable {
        public var evaluation: NoteEvaluation
        public var evaluator: String
    }

    public struct Link: Sendable, Codable {
        public var link: NoteLink
        /// Whether this note is the link's first note ("this corroborates that").
        public var isOutgoing: Bool
        /// The other note, if it is held here.
        public var other: NoteSummary?
        public var author: String
    }
}

/// A line of a note list.
public struct NoteSummary: Sendable, Codable, Hashable {
    public var id: UUID
    public var title: String
    public var status: NoteStatus
    public var grading: String?
    public var marking: Marking?
    public var distribution: Distribution
    public var refersTo: String?
    public var modifiedAt: String
    /// The author node's id.
    public var author: String

    init(_ note: Note) {
        id = note.id
        title = note.title
        status = note.status
        grading = note.grading
        marking = note.marking
        distribution = note.distribution
        refersTo = note.refersTo
        modifiedAt = note.metadata?.modifiedAt ?? ""
        author = note.metadata?.steward ?? ""
    }

    /// The columns of `note n` that ``init(row:)`` reads: not the body and lists a page needs.
    static let columns = "n.id, n.title, n.status, n.reliability, n.credibility, n.marking, n.distribution, n.refers_to, n.modified_at, n.steward"

    /// A summary read from ``columns``, by position: a search reads one for each hit, and looking
    /// columns up by name costs more than the rest of it.
    init(row: Row) {
        id = (row[0] as String?).flatMap { UUID(canonicalText: $0) ?? UUID(uuidString: $0) } ?? UUID()
        title = row[1]
        status = (row[2] as String?).flatMap(NoteStatus.init(rawValue:)) ?? .draft
        let reliability = (row[3] as String?).flatMap(SourceReliability.init(rawValue:))
        let credibility = (row[4] as String?).flatMap(InformationCredibility.init(rawValue:))
        grading = reliability.flatMap { reliability in credibility.map { reliability.rawValue + $0.rawValue } }
        marking = (row[5] as String?).map { Marking(rawValue: $0) ?? .red }
        distribution = Distribution(text: row[6]) ?? .nodeOnly
        refersTo = row[7]
        modifiedAt = Timestamp.iso8601(database: row[8])
        author = row[9]
    }

    enum CodingKeys: String, CodingKey {
        case id, title, status, grading, marking, distribution, refersTo = "refers_to", modifiedAt = "modified_at", author
    }
}

/// Who reads notes through the JSON API, and so which of the notes held here it may see.
public enum NoteReader: Sendable, Hashable {
    /// This node's own officers, with a token: every note the node holds.
    case local
    /// A peer, by its certificate: the published notes whose distribution reaches it, and those it
    /// wrote; not other nodes' evaluations and links, which reach it by sync under their own
    /// distribution.
    case peer(NodeID)
    /// A token limited to directory reads: no notes.
    case directoryOnly

    public func mayRead(_ note: NoteSummary) -> Bool {
        switch self {
        case .local: true
        case .directoryOnly: false
        case .peer(let node): note.author == node.hex || (note.status == .published && NeedToKnow.mayReach(note.distribution, receiver: node))
        }
    }
}

/// The grading that the author's and every evaluator's latest grading give together.
public struct CombinedGrading: Sendable, Codable, Hashable {
    public var reliability: SourceReliability
    public var credibility: InformationCredibility
    /// How many nodes' gradings were combined.
    public var nodes: Int
    public var corroborations: Int
    public var contradictions: Int

    public var grading: String { reliability.rawValue + credibility.rawValue }
}

extension Directory {
    /// The live note named by a full or short id.
    public func note(matching reference: String) throws(LiaisonError) -> Note {
        try byID(Note.self, reference, kind: "note") { "\($0.title) (\($0.id.shortID))" }
    }

    /// Notes held here, latest first; drafts only with `drafts`.
    public func notes(drafts: Bool = true) throws(LiaisonError) -> [NoteSummary] {
        try read { db in
            try Row.fetchAll(
                db, sql: "SELECT \(NoteSummary.columns) FROM note n WHERE n.deleted = 0 \(drafts ? "" : "AND n.status = 'published'") ORDER BY n.modified_at DESC, n.id"
            ).map(NoteSummary.init(row:))
        }
    }

    /// The page of the note named by a full or short id, as `reader` may see it. A note it may not
    /// read is not found, with the words of a note that is not there, and counts for nothing
    /// when a short id is matched: a reader learns nothing of the notes it may not read.
    public func notePage(matching reference: String, for reader: NoteReader) throws(LiaisonError) -> NotePage {
        let missing = LiaisonError(.notFound, "no note matches \"\(reference)\"", hint: "`liaison note list` shows notes with their ids")
        guard reader != .directoryOnly else { throw missing }
        let key = reference.trimmed.lowercased()
        guard key.count >= 4, key.allSatisfy({ $0.isHexDigit || $0 == "-" }) else { throw missing }
        let candidates = try read { db in
            try Row.fetchAll(
                db, sql: "SELECT \(NoteSummary.columns) FROM note n WHERE n.deleted = 0 AND \(Self.idMatch) LIMIT 50",
                arguments: [key]
            ).map(NoteSummary.init(row:))
        }.filter(reader.mayRead)
        guard let found = candidates.first else { throw missing }
        guard candidates.count == 1 else {
            throw LiaisonError(.ambiguous, "\"\(reference)\" matches \(candidates.count) notes", hint: "give more of the id")
        }
        var page = try notePage(found.id)
        if case .peer = reader {
            (page.evaluations, page.links, page.combined) = ([], [], nil)
            page.derived = page.derived.filter(reader.mayRead)
        }
        return page
    }

    /// A note's page: the note, its evaluations in order, its links both ways and the combined grading.
    public func notePage(_ id: UUID) throws(LiaisonError) -> NotePage {
        try read { db in
            guard let note = try Note.fetchOne(db, sql: "SELECT * FROM note WHERE id = ? AND deleted = 0", arguments: [id.lowercasedString]) else {
                throw LiaisonError(.notFound, "no note \(id.lowercasedString) is held here")
            }
            let names = try RosterName.all(in: db)
            func name(_ steward: String?) -> String {
                guard let steward else { return "?" }
                if steward == self.node.id.hex { return "this node" }
                return names[steward]?.shown ?? "node \(steward.prefix(8))"
            }
            let evaluations = try NoteEvaluation.fetchAll(
                db, sql: "SELECT * FROM note_evaluation WHERE note_id = ? AND deleted = 0 ORDER BY claim, id", arguments: [id.lowercasedString])
            let links = try NoteLink.fetchAll(
                db, sql: "SELECT * FROM note_link WHERE (note_id = ?1 OR other_id = ?1) AND deleted = 0 ORDER BY claim, id", arguments: [id.lowercasedString])
            var pageLinks: [NotePage.Link] = []
            for link in links {
                let isOutgoing = link.noteID == id
                let otherID = isOutgoing ? link.otherID : link.noteID
                let other = try Note.fetchOne(db, sql: "SELECT * FROM note WHERE id = ? AND deleted = 0", arguments: [otherID.lowercasedString])
                pageLinks.append(.init(link: link, isOutgoing: isOutgoing, other: other.map(NoteSummary.init), author: name(link.metadata?.steward)))
            }
            let derived = try Note.fetchAll(
                db, sql: "SELECT * FROM note WHERE derived_from = ? AND deleted = 0 ORDER BY claim", arguments: [id.lowercasedString])
            return NotePage(
                note: note, author: name(note.metadata?.steward),
                evaluations: evaluations.map { .init(evaluation: $0, evaluator: name($0.metadata?.steward)) },
                links: pageLinks, derived: derived.map(NoteSummary.init),
                combined: Self.combinedGrading(of: note, evaluations: evaluations, links: links))
        }
    }

    /// Each node's latest grading (the author's is the note's own), combined grade by grade: the
    /// median, the worse of the two middle grades when there is an even number. F and 6 ("cannot
    /// be judged") count only when no node judged.
    static func combinedGrading(of note: Note, evaluations: [NoteEvaluation], links: [NoteLink]) -> CombinedGrading? {
        guard note.status == .published, let reliability = note.reliability, let credibility = note.credibility else { return nil }
        var latest: [String: (SourceReliability, InformationCredibility)] = [note.metadata?.steward ?? "": (reliability, credibility)]
        // Evaluations come in the order they were written: a node's later one replaces its earlier.
        for evaluation in evaluations { latest[evaluation.metadata?.steward ?? ""] = (evaluation.reliability, evaluation.credibility) }
        func median<T: Comparable>(_ grades: [T], unjudged: T) -> T {
            let judged = grades.filter { $0 != unjudged }.sorted()
            guard !judged.isEmpty else { return unjudged }
            return judged[judged.count / 2]
        }
        let incoming = links.filter { $0.otherID == note.id }
        return CombinedGrading(
            reliability: median(latest.values.map(\.0), unjudged: .f), credibility: median(latest.values.map(\.1), unjudged: .six),
            nodes: latest.count, corroborations: incoming.count { $0.relation == .corroborates },
            contradictions: incoming.count { $0.relation == .contradicts })
    }

    /// The live sharing groups, by name.
    public func sharingGroups() throws(LiaisonError) -> [SharingGroup] {
        try read { db in try SharingGroup.fetchAll(db, sql: "SELECT * FROM sharing_group WHERE deleted = 0 ORDER BY name, id") }
    }

    /// The live sharing group with this name (any case) or full or short id.
    public func sharingGroup(matching reference: String) throws(LiaisonError) -> SharingGroup {
        let key = reference.trimmed.lowercased()
        let groups = try sharingGroups()
        let matches = groups.filter { $0.name.lowercased() == key }
        let byID = key.count >= 4 ? groups.filter { $0.id.lowercasedString.hasPrefix(key) || $0.id.lowercasedString.hasSuffix(key) } : []
        let found = matches.isEmpty ? byID : matches
        guard let group = found.first else {
            throw LiaisonError(.notFound, "no sharing group \"\(reference)\"", hint: "`liaison group list` shows the groups")
        }
        guard found.count == 1 else {
            throw LiaisonError(
                .ambiguous, "\"\(reference)\" names \(found.count) sharing groups: " + found.map { "\($0.name) (\($0.id.shortID))" }.joined(separator: "; "),
                hint: "give the group's id")
        }
        return group
    }
}
