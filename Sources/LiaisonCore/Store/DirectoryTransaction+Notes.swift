public import Foundation
import GRDB

extension DirectoryTransaction {
    /// Validates and saves a note, creating it if its id is new.
    ///
    /// A draft is written for this node only. A published note needs a grading and a marking, and
    /// travels under its distribution. Shared with a sharing group for the first time, or with
    /// `reshare`, the note goes to the members the group has as this node knows it now; a later
    /// save of a note shared with the group goes to those of its recipients that are members
    /// still: an edit reaches no member added since, and no member removed. Every change carries
    /// the whole note, so a node that receives only the latest holds all of it.
    @discardableResult
    public func save(_ note: Note, reshare: Bool = false) throws -> Note {
        let existing = try existingForEdit(Note.self, note.id)
        if existing?.status == .published, note.status == .draft {
            throw LiaisonError(.conflict, "a published note cannot become a draft again", record: note.id.lowercasedString)
        }
        var note = try validator.note(note)
        note.distribution = try resolvedDistribution(of: note, earlier: reshare || existing?.status != .published ? nil : existing?.distribution)
        try checkDerivation(of: note)
        _ = try record(note, existing: existing, distribution: note.distribution, whole: true)
        try NoteIndex.reindex([note.id], in: db)
        note.metadata = metadata(after: existing?.metadata)
        return note
    }

    /// Records a later grading of a note this node holds. It travels under the note's
    /// distribution, to its author too.
    @discardableResult
    public func evaluate(
        _ noteID: UUID, reliability: SourceReliability, credibility: InformationCredibility, comment: String? = nil
    ) throws -> NoteEvaluation {
        let note = try validator.live(Note.self, noteID, field: "note")
        guard note.status == .published else {
            throw LiaisonError(.conflict, "a draft is graded by editing it: evaluations are for published notes", record: noteID.lowercasedString)
        }
        var evaluation = NoteEvaluation(
            noteID: noteID, reliability: reliability, credibility: credibility,
            comment: try validator.text(comment, field: "comment", lineBreaks: true))
        _ = try record(evaluation, existing: nil, distribution: try followUpDistribution(of: note))
        evaluation.metadata = metadata(after: nil)
        return evaluation
    }

    /// Records how one note bears on another. The link travels to the nodes that may read both.
    @discardableResult
    public func link(_ noteID: UUID, _ relation: NoteRelation, _ otherID: UUID, comment: String? = nil) throws -> NoteLink {
        guard noteID != otherID else { throw LiaisonError.invalid("note", noteID.lowercasedString, "a note cannot be linked to itself") }
        let note = try validator.live(Note.self, noteID, field: "note")
        let other = try validator.live(Note.self, otherID, field: "other note")
        let first = try followUpDistribution(of: note), second = try followUpDistribution(of: other)
        let distribution: Distribution
        if first.isWithin(second, author: node.id, otherAuthor: node.id) {
            distribution = first
        } else if second.isWithin(first, author: node.id, otherAuthor: node.id) {
            distribution = second
        } else {
            let both = (first.reach(author: node.id) ?? []).intersection(second.reach(author: node.id) ?? []).subtracting([node.id])
            distribution = both.isEmpty ? .nodeOnly : .nodes(both.sorted())
        }
        var link = NoteLink(noteID: noteID, relation: relation, otherID: otherID, comment: try validator.text(comment, field: "comment", lineBreaks: true))
        _ = try record(link, existing: nil, distribution: distribution)
        link.metadata = metadata(after: nil)
        return link
    }

    /// Validates and saves a sharing group, creating it if its id is new. Every node holds the
    /// groups; only the group's steward changes it.
    @discardableResult
    public func save(_ group: SharingGroup) throws -> SharingGroup {
        let existing = try existingForEdit(SharingGroup.self, group.id)
        var group = group
        group.name = try validator.required(group.name, field: "name")
        group.purpose = try validator.text(group.purpose, field: "purpose", lineBreaks: true)
        _ = try record(group, existing: existing)
        group.metadata = metadata(after: existing?.metadata)
        return group
    }

    /// The distribution a note is written under: a draft's is this node only; a sharing group's
    /// recipients are its members now, or, when the note was shared with the group before
    /// (`earlier`), those of its recipients then that are members still.
    private func resolvedDistribution(of note: Note, earlier: Distribution?) throws -> Distribution {
        guard note.status == .published else { return .nodeOnly }
        guard note.reliability != nil, note.credibility != nil else {
            throw LiaisonError(.invalidValue, "publishing needs a grading: source reliability (A–F) and information credibility (1–6)", field: "reliability")
        }
        guard let marking = note.marking else {
            throw LiaisonError(.invalidValue, "publishing needs a TLP marking: \(Marking.allCases.map(\.rawValue).joined(separator: ", "))", field: "marking")
        }
        switch note.distribution {
        case .federation:
            if marking == .red { throw LiaisonError(.invalidValue, IntelligenceRules.redBeyondNamedNodes, field: "distribution") }
            return .federation
        case .nodeOnly:
            return .nodeOnly
        case .nodes(let nodes):
            let others = Set(nodes).subtracting([node.id])
            guard !others.isEmpty else {
                throw LiaisonError(.invalidValue, "name at least one node other than this one, or share with this node only", field: "distribution")
            }
            return .nodes(others.sorted())
        case .group(let id, _):
            if marking == .red { throw LiaisonError(.invalidValue, IntelligenceRules.redBeyondNamedNodes, field: "distribution") }
            let group = try sharingGroup(id)
            guard case .group(id, let before)? = earlier else { return .group(group.id.lowercasedString, recipients: group.members) }
            return .group(group.id.lowercasedString, recipients: group.members.filter(Set(before).contains))
        }
    }

    /// A note derived from another may not carry a lower marking or reach a node its source may
    /// not reach.
    private func checkDerivation(of note: Note) throws {
        guard let sourceID = note.derivedFrom else { return }
        guard sourceID != note.id else { throw LiaisonError.invalid("derived_from", sourceID.lowercasedString, "a note cannot be derived from itself") }
        let purged = try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM note_purge WHERE note_id = ?)", arguments: [sourceID.lowercasedString])
        // A source purged since leaves nothing to compare with: the derived note keeps its own.
        if purged == true { return }
        guard let source = try validator.fetch(Note.self, sourceID), source.isLive else {
            throw LiaisonError.invalid("derived_from", sourceID.lowercasedString, "no note with this id is held here")
        }
        if note.status == .published, let floor = source.marking, let marking = note.marking, marking < floor {
            throw LiaisonError(
                .invalidValue, "a note derived from \(sourceID.shortID) (\(floor.rawValue)) cannot carry the lower marking \(marking.rawValue)",
                field: "marking", hint: "mark it \(floor.rawValue) or higher")
        }
        let sourceAuthor = try NodeID(hex: source.metadata?.steward ?? node.id.hex)
        let sourceDistribution = source.status == .published ? source.distribution : .nodeOnly
        guard note.distribution.isWithin(sourceDistribution, author: node.id, otherAuthor: sourceAuthor) else {
            throw LiaisonError(
                .invalidValue, "a note derived from \(sourceID.shortID) cannot be shared wider than it: \(sourceID.shortID) is shared with \(describe(sourceDistribution))",
                field: "distribution", hint: "share it with those nodes or fewer")
        }
    }

    /// The distribution of what follows a note (its evaluations and links): the note's, with its
    /// author among the recipients; for a sharing group, only the note's recipients that are
    /// members still, so that nobody removed since gets it, and nobody added since, who cannot
    /// read the note.
    func followUpDistribution(of note: Note) throws -> Distribution {
        let author = try NodeID(hex: note.metadata?.steward ?? node.id.hex)
        switch note.distribution {
        case .federation:
            return .federation
        case .nodeOnly:
            return author == node.id ? .nodeOnly : .nodes([author])
        case .nodes(let nodes):
            let recipients = Set(nodes).union([author]).subtracting([node.id])
            return recipients.isEmpty ? .nodeOnly : .nodes(recipients.sorted())
        case .group(let id, let recipients):
            let members = Set((try? sharingGroup(id))?.members ?? recipients)
            return .group(id, recipients: Set(recipients).intersection(members).union([author]).sorted())
        }
    }

    private func sharingGroup(_ id: String) throws -> SharingGroup {
        guard let uuid = UUID(canonicalText: id), let group = try validator.fetch(SharingGroup.self, uuid), group.isLive else {
            throw LiaisonError(.notFound, "no sharing group \(id) is held here", field: "distribution", hint: "`liaison group list` shows the groups")
        }
        return group
    }

    private func describe(_ distribution: Distribution) -> String {
        switch distribution {
        case .federation: "the whole federation"
        case .nodeOnly: "its own node only"
        case .nodes(let nodes): "\(nodes.count == 1 ? "one named node" : "\(nodes.count) named nodes")"
        case .group(_, let nodes): "a sharing group of \(nodes.count) \(nodes.count == 1 ? "node" : "nodes")"
        }
    }
}
