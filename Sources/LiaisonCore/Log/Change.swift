import Crypto
public import Foundation

/// The kinds of replicated records, each kept in its own table.
public enum Entity: String, Sendable, Hashable, CaseIterable, Codable {
    case agency, person, channel, designation
    /// A decision that two contacts or two agencies are the same, or are not.
    case duplicateDecision = "duplicate_decision"
    /// A graded intelligence note.
    case note
    /// A later grading of a note by any node: never changed once written.
    case noteEvaluation = "note_evaluation"
    /// A relation between two notes: one corroborates, contradicts, duplicates or relates to another.
    case noteLink = "note_link"
    /// A named set of nodes that notes can be shared with.
    case sharingGroup = "sharing_group"
    /// An order to erase a note, its evaluations and its links on every node that holds them.
    case notePurge = "note_purge"
    /// An edit of a directory record by a node that is not its steward, sent to the steward.
    case proposal
    /// The steward's answer to a proposal, sent to the node that proposed it.
    case proposalDecision = "proposal_decision"

    /// The table that holds the records.
    package var table: String { rawValue }

    /// Whether the kind belongs to the directory, which every node holds alike, rather than to
    /// intelligence, which each node holds as far as it is entitled.
    package var isDirectory: Bool {
        switch self {
        case .agency, .person, .channel, .designation, .duplicateDecision, .sharingGroup: true
        case .note, .noteEvaluation, .noteLink, .notePurge, .proposal, .proposalDecision: false
        }
    }
}

/// One change to one record: field groups set to new values, or the record deleted.
///
/// A change is the unit of replication and of need-to-know: it is hashed on its own, so it can be
/// withheld from a node or purged while the commit that carries it still verifies.
public struct Change: Sendable, Hashable {
    public enum Operation: Sendable, Hashable {
        /// Sets each named field group to the given field values.
        case upsert(FieldGroups)
        /// Marks the record deleted (a tombstone).
        case delete
    }

    public var entity: Entity
    public var recordID: UUID
    public var operation: Operation
    public var distribution: Distribution

    public init(entity: Entity, recordID: UUID, operation: Operation, distribution: Distribution = .federation) {
        self.entity = entity
        self.recordID = recordID
        self.operation = operation
        self.distribution = distribution
    }
}

extension Change {
    static let formatVersion: UInt8 = 1

    /// The canonical bytes of the change (docs/PROTOCOL.md, "Change").
    public var encoded: [UInt8] {
        var writer = ByteWriter(capacity: 256)
        writer.u8(Self.formatVersion)
        writer.text(entity.rawValue)
        writer.raw(recordID.bytes)
        distribution.encode(into: &writer)
        switch operation {
        case .delete:
            writer.u8(2)
        case .upsert(let groups):
            writer.u8(1)
            writer.u32(UInt32(groups.count))
            // Field groups hold their names in canonical order.
            for group in groups.groups {
                writer.text(group.name)
                writer.u32(UInt32(group.count))
                for (name, value) in group.fields {
                    writer.text(name)
                    Self.encode(value, into: &writer)
                }
            }
        }
        return writer.bytes
    }

    private static func encode(_ value: FieldValue, into writer: inout ByteWriter) {
        switch value {
        case .null:
            writer.u8(0)
        case .text(let text):
            writer.u8(1)
            writer.text(text)
        case .integer(let number):
            writer.u8(2)
            writer.u64(UInt64(bitPattern: number))
        case .bool(let flag):
            writer.u8(3)
            writer.u8(flag ? 1 : 0)
        case .list(let items):
            writer.u8(4)
            writer.u32(UInt32(items.count))
            for item in items { writer.text(item) }
        }
    }

    /// Decodes canonical bytes, refusing any other encoding of the same change, so that one change
    /// has one hash.
    public init(decoding bytes: [UInt8]) throws(LiaisonError) {
        var reader = ByteReader(bytes)
        let version = try reader.u8()
        guard version == Self.formatVersion else {
            throw LiaisonError(.verification, "unknown change format version \(version)")
        }
        let entityName = try reader.text()
        guard let entity = Entity(rawValue: entityName) else {
            throw LiaisonError(.verification, "unknown record kind \"\(entityName)\" in change")
        }
        let recordID = UUID(bytes: Array(try reader.take(16)))
        let distribution = try Distribution(reading: &reader)
        let operation: Operation
        switch try reader.u8() {
        case 2:
            operation = .delete
        case 1:
            // Canonical form, checked as it is read: names in strictly increasing byte order.
            var groups: [FieldGroup] = []
            var previousGroup: String?
            for _ in 0..<(try reader.u32()) {
                let group = try reader.text()
                guard previousGroup.map({ $0.canonicallyPrecedes(group) }) ?? true else { throw Self.notCanonical }
                previousGroup = group
                var names: [String] = []
                var values: [FieldValue] = []
                for _ in 0..<(try reader.u32()) {
                    let name = try reader.text()
                    guard names.last.map({ $0.canonicallyPrecedes(name) }) ?? true else { throw Self.notCanonical }
                    names.append(name)
                    values.append(try Self.decodeValue(&reader))
                }
                groups.append(FieldGroup(name: group, fieldNames: names, values: values))
            }
            operation = .upsert(FieldGroups(canonical: groups))
        case let kind:
            throw LiaisonError(.verification, "unknown change operation \(kind)")
        }
        self.init(entity: entity, recordID: recordID, operation: operation, distribution: distribution)
        guard reader.isAtEnd else { throw Self.notCanonical }
    }

    private static var notCanonical: LiaisonError { LiaisonError(.verification, "change bytes are not in canonical form") }

    private static func decodeValue(_ reader: inout ByteReader) throws(LiaisonError) -> FieldValue {
        switch try reader.u8() {
        case 0: return .null
        case 1: return .text(try reader.text())
        case 2: return .integer(Int64(bitPattern: try reader.u64()))
        case 3:
            switch try reader.u8() {
            case 0: return .bool(false)
            case 1: return .bool(true)
            default: throw notCanonical
            }
        case 4:
            var items: [String] = []
            for _ in 0..<(try reader.u32()) { items.append(try reader.text()) }
            return .list(items)
        case let tag: throw LiaisonError(.verification, "unknown field value tag \(tag)")
        }
    }

    /// SHA-256 of the domain prefix `liaison/change/v1` and a zero byte, then the change bytes.
    public static func hash(of encoded: [UInt8]) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(data: Domain.change)
        hasher.update(data: encoded)
        return Array(hasher.finalize())
    }
}

/// Domain-separation prefixes, each a label and a zero byte (docs/PROTOCOL.md).
enum Domain {
    static let change = Array("liaison/change/v1".utf8) + [0]
    static let changes = Array("liaison/changes/v1".utf8) + [0]
    static let header = Array("liaison/header/v1".utf8) + [0]
    static let signature = Array("liaison/commit-signature/v1".utf8) + [0]
}

extension UUID {
    /// The 16 bytes of the UUID, in the order they are written.
    public var bytes: [UInt8] {
        withUnsafeBytes(of: uuid) { Array($0) }
    }

    /// The id whose canonical text (36 characters, lower-case hex digits, four hyphens) this is;
    /// nil for any other text. Cheaper than parsing with `UUID(uuidString:)`, which also takes
    /// upper case: the compact form asks it of every text value it writes.
    package init?(canonicalText text: String) {
        guard text.utf8.count == 36 else { return nil }
        var raw: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        let parsed = withUnsafeMutableBytes(of: &raw) { buffer -> Bool in
            var index = 0
            var high: UInt8?
            for (position, character) in text.utf8.enumerated() {
                if position == 8 || position == 13 || position == 18 || position == 23 {
                    guard character == UInt8(ascii: "-") else { return false }
                    continue
                }
                let digit: UInt8
                switch character {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = character - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = character - UInt8(ascii: "a") + 10
                default: return false
                }
                if let first = high {
                    buffer[index] = first << 4 | digit
                    index += 1
                    high = nil
                } else {
                    high = digit
                }
            }
            return true
        }
        guard parsed else { return nil }
        self.init(uuid: raw)
    }

    package init(bytes: [UInt8]) {
        var raw: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &raw) { buffer in
            for (index, byte) in bytes.prefix(16).enumerated() { buffer[index] = byte }
        }
        self.init(uuid: raw)
    }
}
