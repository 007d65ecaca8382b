import Foundation

/// The rules every node checks on a received note, evaluation, link or sharing group, beyond its
/// fields' types (docs/PROTOCOL.md, "Checks on a received change"). They depend on the change's
/// bytes alone, so every node refuses the same changes.
enum IntelligenceRules {
    /// What the change breaks, or nil.
    static func broken(by change: Change, _ fields: FieldGroup) -> String? {
        switch change.entity {
        case .note: note(fields, distribution: change.distribution)
        case .noteEvaluation: evaluation(fields)
        case .noteLink: link(fields)
        case .sharingGroup: group(fields)
        case .notePurge: purge(fields)
        case .proposal: proposal(fields)
        case .proposalDecision: decision(fields)
        case .agency, .person, .channel, .designation, .duplicateDecision: nil
        }
    }

    private static func note(_ fields: FieldGroup, distribution: Distribution) -> String? {
        if fields["title"] == .text("") { return "the title of a note is empty" }
        if fields["language"] == .text("") { return "the language of a note is empty" }
        guard fields["distribution"] == .text(distribution.text) else {
            return "the note's distribution field does not say the distribution its change carries"
        }
        if let reason = terms(fields["status"], NoteStatus.self) ?? terms(fields["nature"], NoteNature.self)
            ?? terms(fields["crime_areas"], CrimeArea.self) ?? terms(fields["subjects"], DataSubject.self)
            ?? terms(fields["reliability"], SourceReliability.self) ?? terms(fields["credibility"], InformationCredibility.self)
            ?? terms(fields["marking"], Marking.self)
        {
            return reason
        }
        for name in ["refers_to", "review_on", "retain_until"] {
            // Reasons reach the node that sent the change, which may be a relay: no value is quoted.
            if case .text(let day) = fields[name], !isDay(day) { return "\(name) is not a day written YYYY-MM-DD" }
        }
        for name in ["agency_ids", "person_ids"] {
            if case .list(let ids) = fields[name], ids.contains(where: { UUID(canonicalText: $0) == nil }) { return "\(name) holds an item that is not a record id" }
        }
        if case .text(let id) = fields["derived_from"], UUID(canonicalText: id) == nil { return "derived_from is not a record id" }
        if fields["status"] == .text(NoteStatus.draft.rawValue) {
            // Drafts never leave their node.
            return distribution == .nodeOnly ? nil : "a draft note is distributed beyond its node"
        }
        guard fields["reliability"] != .null, fields["credibility"] != .null, fields["marking"] != .null else {
            return "a published note lacks its grading or marking"
        }
        if fields["marking"] == .text(Marking.red.rawValue), case .federation = distribution { return redBeyondNamedNodes }
        if fields["marking"] == .text(Marking.red.rawValue), case .group = distribution { return redBeyondNamedNodes }
        return nil
    }

    /// Why TLP:RED is refused with a group or federation distribution.
    static let redBeyondNamedNodes = "TLP:RED is for the eyes of individual recipients only: it goes to named nodes, never to a group or the federation"

    private static func evaluation(_ fields: FieldGroup) -> String? {
        if case .text(let id) = fields["note_id"], UUID(canonicalText: id) == nil { return "note_id is not a record id" }
        return terms(fields["reliability"], SourceReliability.self) ?? terms(fields["credibility"], InformationCredibility.self)
    }

    private static func link(_ fields: FieldGroup) -> String? {
        for name in ["note_id", "other_id"] {
            if case .text(let id) = fields[name], UUID(canonicalText: id) == nil { return "\(name) is not a record id" }
        }
        if fields["note_id"] == fields["other_id"] { return "a note is linked to itself" }
        return terms(fields["relation"], NoteRelation.self)
    }

    private static func purge(_ fields: FieldGroup) -> String? {
        if case .text(let id) = fields["note_id"], UUID(canonicalText: id) == nil { return "note_id is not a record id" }
        if fields["reason"] == .text("") { return "the reason of a purge is empty" }
        if case .list(let items) = fields["changes"], items.contains(where: { ChangeCoordinate(text: $0) == nil }) {
            return "changes holds an item that is not origin:epoch:sequence:index"
        }
        return nil
    }

    private static func proposal(_ fields: FieldGroup) -> String? {
        guard case .text(let entity) = fields["entity"], case .text(let id) = fields["record_id"], case .text(let encoded) = fields["change"] else { return nil }
        guard let kind = Entity(rawValue: entity), Proposal.proposable.contains(kind) else { return "entity is not a kind of directory record" }
        guard let recordID = UUID(canonicalText: id) else { return "record_id is not a record id" }
        guard let change = Proposal.decodeChange(encoded) else { return "change is not a change in canonical form, base64" }
        guard change.entity == kind, change.recordID == recordID, change.distribution == .federation, case .upsert = change.operation else {
            return "change is not an edit of the record the proposal names, for the federation"
        }
        return nil
    }

    private static func decision(_ fields: FieldGroup) -> String? {
        if case .text(let id) = fields["proposal_id"], UUID(canonicalText: id) == nil { return "proposal_id is not a record id" }
        return terms(fields["verdict"], ProposalVerdict.self)
    }

    private static func group(_ fields: FieldGroup) -> String? {
        if fields["name"] == .text("") { return "the name of a sharing group is empty" }
        guard case .list(let members) = fields["members"] else { return nil }
        if !members.allSatisfy({ (try? NodeID(hex: $0))?.hex == $0 }) { return "members holds an item that is not a node id in lower-case hex" }
        if members != Set(members).sorted() { return "members are not in increasing order, or repeat" }
        return nil
    }

    /// Why a term or a list of terms is not of the vocabulary, in its canonical spelling; nil for null.
    private static func terms<Term: VocabularyTerm>(_ value: FieldValue?, _ type: Term.Type) -> String? {
        let items: [String] = switch value {
        case .text(let text): [text]
        case .list(let list): list
        default: []
        }
        guard items.contains(where: { Term(rawValue: $0) == nil }) else { return nil }
        return "\(Term.fieldName) holds a term that is not one of \(Term.allCases.map(\.rawValue).joined(separator: ", "))"
    }

    /// Whether the text is ten characters `DDDD-DD-DD` of ASCII digits, as every day field is written.
    static func isDay(_ text: String) -> Bool {
        let utf8 = Array(text.utf8)
        guard utf8.count == 10, utf8[4] == UInt8(ascii: "-"), utf8[7] == UInt8(ascii: "-") else { return false }
        return utf8.enumerated().allSatisfy { index, byte in index == 4 || index == 7 || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }
    }
}
