public import Foundation

/// A record kept in the signed log: it has a stable id and is written as field groups.
///
/// A field group is the unit of last-writer-wins merging: all of its fields win or lose together.
public protocol ReplicatedRecord: Sendable, Identifiable where ID == UUID {
    static var entity: Entity { get }
    var id: UUID { get }
    /// The record's values by field group; field names are the table's column names.
    var fieldGroups: [String: [String: FieldValue]] { get }
    /// Set when the record was read from the store.
    var metadata: RecordMetadata? { get }
}

/// What every replicated record carries besides its values.
public struct RecordMetadata: Sendable, Hashable, Codable {
    /// The node that owns the record.
    public var steward: String
    /// ISO 8601 in UTC, `2026-11-29T10:00:00.123Z`, from the clock time of the commit that created
    /// the record.
    public var createdAt: String
    /// ISO 8601 in UTC, from the clock time of the latest change applied.
    public var modifiedAt: String
    public var deleted: Bool

    public init(steward: String, createdAt: String, modifiedAt: String, deleted: Bool = false) {
        self.steward = steward
        self.createdAt = createdAt
        self.modifiedAt = modifiedAt
        self.deleted = deleted
    }
}
