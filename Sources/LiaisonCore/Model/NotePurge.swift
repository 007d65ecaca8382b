public import Foundation
public import GRDB

/// A signed order to erase a note, its evaluations and its links wherever they are held.
///
/// It names what it erases by id and by where each change sits in the log, never by content, so
/// that every node, a relay that cannot read the note included, erases the same bodies
/// (docs/PROTOCOL.md, "note_purge").
public struct NotePurge: ReplicatedRecord, Hashable, Codable {
    public static let entity = Entity.notePurge

    public var id: UUID
    public var noteID: UUID
    /// Why the note is erased: it travels with the purge, so it says why, never what.
    public var reason: String
    /// The changes whose bodies every node erases.
    public var changes: [ChangeCoordinate]
    public var metadata: RecordMetadata?

    public init(id: UUID = .timeOrdered(), noteID: UUID, reason: String, changes: [ChangeCoordinate]) {
        self.id = id
        self.noteID = noteID
        self.reason = reason
        self.changes = Set(changes).sorted()
    }

    public var fieldGroups: [String: [String: FieldValue]] {
        ["purge": ["note_id": .uuid(noteID), "reason": .text(reason), "changes": .list(Set(changes).sorted().map(\.text))]]
    }

    enum CodingKeys: String, CodingKey {
        case id, noteID = "note_id", reason, changes, metadata
    }
}

extension NotePurge: FetchableRecord, TableRecord {
    public static let databaseTableName = "note_purge"

    public init(row: Row) {
        self.init(
            id: row.uuid("id") ?? UUID(), noteID: row.uuid("note_id") ?? UUID(), reason: row["reason"],
            changes: JSONStringArray.decode(row["changes"] ?? "[]").compactMap(ChangeCoordinate.init(text:)))
        metadata = row.recordMetadata
    }
}

/// Where one change sits in every node's log: its commit's origin, epoch and sequence, and its
/// index in the commit. Written `origin:epoch:sequence:index`, in decimal after the origin.
public struct ChangeCoordinate: Sendable, Hashable, Comparable, Codable {
    public var origin: NodeID
    public var epoch: UInt32
    public var sequence: UInt64
    public var index: Int

    public init(origin: NodeID, epoch: UInt32, sequence: UInt64, index: Int) {
        self.origin = origin
        self.epoch = epoch
        self.sequence = sequence
        self.index = index
    }

    public init?(text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 4, let origin = try? NodeID(hex: String(parts[0])), origin.hex == parts[0],
            let epoch = UInt32(parts[1]), let sequence = UInt64(parts[2]), sequence <= UInt64(Int64.max), let index = Int(parts[3]),
            index >= 0, index < Int(UInt32.max), "\(epoch):\(sequence):\(index)" == parts[1...].joined(separator: ":")
        else { return nil }
        self.init(origin: origin, epoch: epoch, sequence: sequence, index: index)
    }

    public var text: String { "\(origin.hex):\(epoch):\(sequence):\(index)" }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.text < rhs.text }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(text)
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let coordinate = ChangeCoordinate(text: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not origin:epoch:sequence:index"))
        }
        self = coordinate
    }
}
