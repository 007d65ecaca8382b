public import Foundation
public import GRDB

/// A decision on two contacts or two agencies that look like one: they are the same, or they are not.
///
/// Anyone may decide that two records are not the same: the pair is then never listed again. A
/// "same" decision retires ``recordID`` into ``otherID`` only when it is written by the steward of
/// ``recordID``; written by another node it is a proposal to that steward (docs/PROTOCOL.md,
/// "Duplicate decisions").
public struct DuplicateDecision: ReplicatedRecord, Hashable, Codable {
    public static let entity = Entity.duplicateDecision

    public enum Verdict: String, Sendable, Hashable, Codable, CaseIterable {
        /// `recordID` is the same as `otherID`, which survives.
        case same
        /// The two are different people or agencies.
        case distinct
    }

    public var id: UUID
    /// `.person` or `.agency`.
    public var kind: Entity
    /// For "same", the record that is retired.
    public var recordID: UUID
    /// For "same", the record that survives.
    public var otherID: UUID
    public var verdict: Verdict
    public var note: String?
    public var metadata: RecordMetadata?

    public init(id: UUID = .timeOrdered(), kind: Entity, recordID: UUID, otherID: UUID, verdict: Verdict, note: String? = nil) {
        self.id = id
        self.kind = kind
        self.recordID = recordID
        self.otherID = otherID
        self.verdict = verdict
        self.note = note
    }

    public var fieldGroups: [String: [String: FieldValue]] {
        [
            "decision": [
                "kind": .text(kind.rawValue), "record_id": .uuid(recordID), "other_id": .uuid(otherID),
                "verdict": .text(verdict.rawValue), "note": .optional(note),
            ]
        ]
    }
}

extension DuplicateDecision: FetchableRecord, TableRecord {
    public static let databaseTableName = "duplicate_decision"

    /// Reads a stored decision. One with terms or ids this version does not understand reads with
    /// a kind, verdict or id that no record matches, so it decides nothing.
    public init(row: Row) {
        self.init(
            id: row.uuid("id") ?? UUID(), kind: Entity(rawValue: row["kind"]) ?? .duplicateDecision,
            recordID: row.uuid("record_id") ?? nilUUID, otherID: row.uuid("other_id") ?? nilUUID,
            verdict: Verdict(rawValue: row["verdict"]) ?? .distinct, note: row["note"])
        metadata = row.recordMetadata
    }
}

/// Stands for an id that does not read as one: no record has it.
private let nilUUID = UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))
