public import Foundation
public import GRDB

/// A graded intelligence note about trafficking routes, methods or actors.
///
/// A draft stays on the node that wrote it. Publishing grades it (Admiralty code), marks it (TLP
/// 2.0) and gives it a distribution; every later change rewrites the whole note under that
/// distribution, so each change that travels says who may read it (docs/PROTOCOL.md, "note").
public struct Note: ReplicatedRecord, Hashable, Codable {
    public static let entity = Entity.note

    public var id: UUID
    public var title: String
    /// BCP 47 tag of the title and body.
    public var language: String
    /// Markdown.
    public var body: String
    /// ISO 3166-1 alpha-2 codes.
    public var countries: [String]
    public var agencyIDs: [UUID]
    public var personIDs: [UUID]
    public var crimeAreas: [CrimeArea]
    /// The day the information refers to, `YYYY-MM-DD`.
    public var refersTo: String?
    public var subjects: [DataSubject]
    public var nature: NoteNature
    /// The day the note is to be reviewed, `YYYY-MM-DD`.
    public var reviewOn: String?
    /// The day after which the note is not to be kept, `YYYY-MM-DD`.
    public var retainUntil: String?
    public var status: NoteStatus
    public var reliability: SourceReliability?
    public var credibility: InformationCredibility?
    public var marking: Marking?
    /// Who may read it; a draft's is always this node only.
    public var distribution: Distribution
    /// The note this one was derived from, whose marking and distribution bound this one's.
    public var derivedFrom: UUID?
    public var metadata: RecordMetadata?

    public init(
        id: UUID = .timeOrdered(), title: String, language: String, body: String, countries: [String] = [], agencyIDs: [UUID] = [],
        personIDs: [UUID] = [], crimeAreas: [CrimeArea] = [], refersTo: String? = nil, subjects: [DataSubject] = [],
        nature: NoteNature = .fact, reviewOn: String? = nil, retainUntil: String? = nil, status: NoteStatus = .draft,
        reliability: SourceReliability? = nil, credibility: InformationCredibility? = nil, marking: Marking? = nil,
        distribution: Distribution = .nodeOnly, derivedFrom: UUID? = nil
    ) {
        self.id = id
        self.title = title
        self.language = language
        self.body = body
        self.countries = countries
        self.agencyIDs = agencyIDs
        self.personIDs = personIDs
        self.crimeAreas = crimeAreas
        self.refersTo = refersTo
        self.subjects = subjects
        self.nature = nature
        self.reviewOn = reviewOn
        self.retainUntil = retainUntil
        self.status = status
        self.reliability = reliability
        self.credibility = credibility
        self.marking = marking
        self.distribution = distribution
        self.derivedFrom = derivedFrom
    }

    public var fieldGroups: [String: [String: FieldValue]] {
        [
            "note": [
                "title": .text(title), "language": .text(language), "body": .text(body), "countries": .list(countries),
                "agency_ids": .list(agencyIDs.map(\.lowercasedString)), "person_ids": .list(personIDs.map(\.lowercasedString)),
                "crime_areas": .list(crimeAreas.map(\.rawValue)), "refers_to": .optional(refersTo), "subjects": .list(subjects.map(\.rawValue)),
                "nature": .text(nature.rawValue), "review_on": .optional(reviewOn), "retain_until": .optional(retainUntil),
                "status": .text(status.rawValue), "reliability": .optional(reliability?.rawValue),
                "credibility": .optional(credibility?.rawValue), "marking": .optional(marking?.rawValue),
                "distribution": .text(distribution.text), "derived_from": .uuid(derivedFrom),
            ]
        ]
    }

    /// The grading as the Admiralty code writes it, `B2`, or nil while either half is missing.
    public var grading: String? {
        guard let reliability, let credibility else { return nil }
        return reliability.rawValue + credibility.rawValue
    }

    enum CodingKeys: String, CodingKey {
        case id, title, language, body, countries, agencyIDs = "agency_ids", personIDs = "person_ids", crimeAreas = "crime_areas"
        case refersTo = "refers_to", subjects, nature, reviewOn = "review_on", retainUntil = "retain_until", status
        case reliability, credibility, marking, distribution, derivedFrom = "derived_from", metadata
    }
}

extension Distribution: Codable {
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let distribution = Distribution(text: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a distribution: \(text)"))
        }
        self = distribution
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(text)
    }
}

extension Note: FetchableRecord, TableRecord {
    public static let databaseTableName = "note"

    /// Reads a stored note. Terms this version does not know are left out, and an unknown
    /// marking reads as the most restrictive one.
    public init(row: Row) {
        func list(_ column: String) -> [String] { JSONStringArray.decode(row[column] ?? "[]") }
        self.init(
            id: row.uuid("id") ?? UUID(), title: row["title"], language: row["language"], body: row["body"], countries: list("countries"),
            agencyIDs: list("agency_ids").compactMap(UUID.init(uuidString:)), personIDs: list("person_ids").compactMap(UUID.init(uuidString:)),
            crimeAreas: list("crime_areas").compactMap(CrimeArea.init(rawValue:)), refersTo: row["refers_to"],
            subjects: list("subjects").compactMap(DataSubject.init(rawValue:)), nature: row.term("nature", default: .assessment),
            reviewOn: row["review_on"], retainUntil: row["retain_until"], status: row.term("status", default: .draft),
            reliability: (row["reliability"] as String?).flatMap(SourceReliability.init(rawValue:)),
            credibility: (row["credibility"] as String?).flatMap(InformationCredibility.init(rawValue:)),
            marking: (row["marking"] as String?).map { Marking(rawValue: $0) ?? .red },
            distribution: Distribution(text: row["distribution"]) ?? .nodeOnly, derivedFrom: row.uuid("derived_from"))
        metadata = row.recordMetadata
    }
}

/// A later grading of a note, by any node that holds it. Evaluations are never changed: a node
/// that thinks again writes another.
public struct NoteEvaluation: ReplicatedRecord, Hashable, Codable {
    public static let entity = Entity.noteEvaluation

    public var id: UUID
    public var noteID: UUID
    public var reliability: SourceReliability
    public var credibility: InformationCredibility
    public var comment: String?
    public var metadata: RecordMetadata?

    public init(id: UUID = .timeOrdered(), noteID: UUID, reliability: SourceReliability, credibility: InformationCredibility, comment: String? = nil) {
        self.id = id
        self.noteID = noteID
        self.reliability = reliability
        self.credibility = credibility
        self.comment = comment
    }

    public var fieldGroups: [String: [String: FieldValue]] {
        [
            "evaluation": [
                "note_id": .uuid(noteID), "reliability": .text(reliability.rawValue), "credibility": .text(credibility.rawValue),
                "comment": .optional(comment),
            ]
        ]
    }

    enum CodingKeys: String, CodingKey {
        case id, noteID = "note_id", reliability, credibility, comment, metadata
    }
}

extension NoteEvaluation: FetchableRecord, TableRecord {
    public static let databaseTableName = "note_evaluation"

    public init(row: Row) {
        self.init(
            id: row.uuid("id") ?? UUID(), noteID: row.uuid("note_id") ?? UUID(), reliability: row.term("reliability", default: .f),
            credibility: row.term("credibility", default: .six), comment: row["comment"])
        metadata = row.recordMetadata
    }
}

/// How one note bears on another, as a node that holds both says.
public struct NoteLink: ReplicatedRecord, Hashable, Codable {
    public static let entity = Entity.noteLink

    public var id: UUID
    public var noteID: UUID
    public var relation: NoteRelation
    public var otherID: UUID
    public var comment: String?
    public var metadata: RecordMetadata?

    public init(id: UUID = .timeOrdered(), noteID: UUID, relation: NoteRelation, otherID: UUID, comment: String? = nil) {
        self.id = id
        self.noteID = noteID
        self.relation = relation
        self.otherID = otherID
        self.comment = comment
    }

    public var fieldGroups: [String: [String: FieldValue]] {
        [
            "link": [
                "note_id": .uuid(noteID), "relation": .text(relation.rawValue), "other_id": .uuid(otherID), "comment": .optional(comment),
            ]
        ]
    }

    enum CodingKeys: String, CodingKey {
        case id, noteID = "note_id", relation, otherID = "other_id", comment, metadata
    }
}

extension NoteLink: FetchableRecord, TableRecord {
    public static let databaseTableName = "note_link"

    public init(row: Row) {
        self.init(
            id: row.uuid("id") ?? UUID(), noteID: row.uuid("note_id") ?? UUID(), relation: row.term("relation", default: .relatesTo),
            otherID: row.uuid("other_id") ?? UUID(), comment: row["comment"])
        metadata = row.recordMetadata
    }
}

/// A named set of nodes that notes can be shared with. Its steward alone changes its members;
/// every node holds it, so that any node can address a note to it.
public struct SharingGroup: ReplicatedRecord, Hashable, Codable {
    public static let entity = Entity.sharingGroup

    public var id: UUID
    public var name: String
    public var purpose: String?
    public var members: [NodeID]
    public var metadata: RecordMetadata?

    public init(id: UUID = .timeOrdered(), name: String, purpose: String? = nil, members: [NodeID] = []) {
        self.id = id
        self.name = name
        self.purpose = purpose
        self.members = Set(members).sorted()
    }

    public var fieldGroups: [String: [String: FieldValue]] {
        ["group": ["name": .text(name), "purpose": .optional(purpose), "members": .list(Set(members).sorted().map(\.hex))]]
    }
}

extension SharingGroup: FetchableRecord, TableRecord {
    public static let databaseTableName = "sharing_group"

    public init(row: Row) {
        self.init(
            id: row.uuid("id") ?? UUID(), name: row["name"], purpose: row["purpose"],
            members: JSONStringArray.decode(row["members"] ?? "[]").compactMap { try? NodeID(hex: $0) })
        metadata = row.recordMetadata
    }
}
