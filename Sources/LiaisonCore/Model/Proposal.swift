public import Foundation
public import GRDB

/// An edit of a directory record by a node that is not its steward. It travels to the steward
/// alone, which accepts it, making it its own change, or rejects it with a reason.
public struct Proposal: ReplicatedRecord, Hashable {
    public static let entity = Entity.proposal
    /// The kinds of record a proposal may edit.
    public static let proposable: Set<Entity> = [.agency, .person, .channel, .designation]

    public var id: UUID
    public var recordEntity: Entity
    public var recordID: UUID
    /// The proposed change: field groups of the record, for the federation.
    public var change: Change
    public var comment: String?
    public var metadata: RecordMetadata?

    public init(id: UUID = .timeOrdered(), change: Change, comment: String? = nil) {
        self.id = id
        recordEntity = change.entity
        recordID = change.recordID
        self.change = change
        self.comment = comment
    }

    public var fieldGroups: [String: [String: FieldValue]] {
        [
            "proposal": [
                "entity": .text(recordEntity.rawValue), "record_id": .uuid(recordID), "change": .text(Data(change.encoded).base64EncodedString()),
                "comment": .optional(comment),
            ]
        ]
    }

    /// The change of a proposal's `change` field, if it is base64 of a change in canonical form.
    static func decodeChange(_ text: String) -> Change? {
        guard let data = Data(base64Encoded: text), data.base64EncodedString() == text else { return nil }
        return try? Change(decoding: [UInt8](data))
    }
}

extension Proposal: FetchableRecord, TableRecord {
    public static let databaseTableName = "proposal"

    /// A proposal read back; one whose change does not decode (the receive rules refuse it, so
    /// none is stored) reads as an empty edit of its record.
    public init(row: Row) {
        let recordID = row.uuid("record_id") ?? UUID()
        let entity = Entity(rawValue: row["entity"]) ?? .agency
        let change = Self.decodeChange(row["change"]) ?? Change(entity: entity, recordID: recordID, operation: .upsert(FieldGroups([:])))
        self.init(id: row.uuid("id") ?? UUID(), change: change, comment: row["comment"])
        metadata = row.recordMetadata
    }
}

/// What a steward decided about a proposal.
public enum ProposalVerdict: String, VocabularyTerm {
    case accepted, rejected
    public static let fieldName = "verdict"
}

/// A steward's answer to a proposal, sent to the node that proposed it.
public struct ProposalDecision: ReplicatedRecord, Hashable, Codable {
    public static let entity = Entity.proposalDecision

    public var id: UUID
    public var proposalID: UUID
    public var verdict: ProposalVerdict
    public var reason: String?
    public var metadata: RecordMetadata?

    public init(id: UUID = .timeOrdered(), proposalID: UUID, verdict: ProposalVerdict, reason: String? = nil) {
        self.id = id
        self.proposalID = proposalID
        self.verdict = verdict
        self.reason = reason
    }

    public var fieldGroups: [String: [String: FieldValue]] {
        ["decision": ["proposal_id": .uuid(proposalID), "verdict": .text(verdict.rawValue), "reason": .optional(reason)]]
    }

    enum CodingKeys: String, CodingKey {
        case id, proposalID = "proposal_id", verdict, reason, metadata
    }
}

extension ProposalDecision: FetchableRecord, TableRecord {
    public static let databaseTableName = "proposal_decision"

    public init(row: Row) {
        self.init(
            id: row.uuid("id") ?? UUID(), proposalID: row.uuid("proposal_id") ?? UUID(), verdict: row.term("verdict", default: .rejected),
            reason: row["reason"])
        metadata = row.recordMetadata
    }
}
