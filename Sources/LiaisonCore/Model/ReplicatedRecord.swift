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
    public var createdAt: Date
    public var modifiedAt: Date
    public var deleted: Bool

    public init(steward: String, createdAt: Date, modifiedAt: Date, deleted: Bool = false) {
        self.steward = steward
        self.createdAt = createdAt
        self.modifiedAt = modifiedAt
        self.deleted = deleted
    }
}
