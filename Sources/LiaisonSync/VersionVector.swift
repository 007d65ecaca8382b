public import LiaisonCore
import Crypto
public import Foundation
import GRDB

/// What a node holds: per origin and epoch, the highest contiguous sequence and its header hash.
///
/// Commits are applied in sequence order per origin and epoch, so the highest applied sequence is
/// always contiguous. Two nodes compare vectors to find what one lacks.
public struct VersionVector: Sendable, Hashable, Codable {
    public struct Entry: Sendable, Hashable, Codable {
        public var origin: NodeID
        public var epoch: UInt32
        public var sequence: UInt64
        public var headerHash: [UInt8]

        public init(origin: NodeID, epoch: UInt32, sequence: UInt64, headerHash: [UInt8]) {
            self.origin = origin
            self.epoch = epoch
            self.sequence = sequence
            self.headerHash = headerHash
        }

        enum CodingKeys: String, CodingKey { case origin, epoch, sequence, headerHash = "header_hash" }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            origin = try container.decode(NodeID.self, forKey: .origin)
            epoch = try container.decode(UInt32.self, forKey: .epoch)
            sequence = try container.decode(UInt64.self, forKey: .sequence)
            guard let hash = [UInt8](hex: try container.decode(String.self, forKey: .headerHash)), hash.count == 32 else {
                throw DecodingError.dataCorruptedError(forKey: .headerHash, in: container, debugDescription: "not 64 hex digits")
            }
            headerHash = hash
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(origin, forKey: .origin)
            try container.encode(epoch, forKey: .epoch)
            try container.encode(sequence, forKey: .sequence)
            try container.encode(headerHash.hexString, forKey: .headerHash)
        }
    }

    /// Entries ordered by origin, then epoch.
    public private(set) var entries: [Entry]

    public init(_ entries: [Entry] = []) {
        self.entries = entries.sorted { ($0.origin, $0.epoch) < ($1.origin, $1.epoch) }
    }

    /// The highest sequence held of an origin's epoch; 0 if none.
    public func sequence(origin: NodeID, epoch: UInt32) -> UInt64 {
        entries.first { $0.origin == origin && $0.epoch == epoch }?.sequence ?? 0
    }

    /// Whether this vector holds everything `other` holds.
    public func covers(_ other: VersionVector) -> Bool {
        other.entries.allSatisfy { sequence(origin: $0.origin, epoch: $0.epoch) >= $0.sequence }
    }

    // MARK: Files

    static let formatName = "liaison-vector"

    private struct File: Codable {
        var format: String
        var version: Int
        var entries: [Entry]
    }

    /// The JSON form written by `liaison log vector --json`.
    /// A short name of this exact vector: the SHA-256 of its bytes, in hex. Two vectors have the
    /// same fingerprint only when they are equal.
    public var fingerprint: String { SHA256.hash(data: encoded).map { String(format: "%02x", $0) }.joined() }

    public func json() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(File(format: Self.formatName, version: 1, entries: entries))) ?? Data()
    }

    public init(json data: Data, fileName: String) throws(LiaisonError) {
        let file: File
        do {
            file = try JSONDecoder().decode(File.self, from: data)
        } catch {
            throw LiaisonError(.invalidFile, "not a Liaison version vector: \(Directory.describe(error))", file: fileName, hint: "write one with `liaison log vector --json`")
        }
        guard file.format == Self.formatName, file.version == 1 else {
            throw LiaisonError(.invalidFile, "format \"\(file.format)\" version \(file.version) is not \(Self.formatName) version 1", file: fileName)
        }
        self.init(file.entries)
    }

    // MARK: Bytes

    /// The most entries a vector read from bytes may have (docs/PROTOCOL.md, "Bundle file"): far
    /// more chains than a federation holds, so that a damaged count cannot make a reader allocate
    /// without bound.
    static let maximumEntries = 1_000_000

    /// u32 entry count, then per entry: origin (16 bytes), epoch u32, sequence u64, header hash (32).
    var encoded: [UInt8] {
        var writer = ByteWriter(capacity: 4 + entries.count * 60)
        writer.u32(UInt32(entries.count))
        for entry in entries {
            writer.raw(entry.origin.bytes)
            writer.u32(entry.epoch)
            writer.u64(entry.sequence)
            writer.raw(entry.headerHash)
        }
        return writer.bytes
    }

    init(reading reader: inout ByteReader) throws(LiaisonError) {
        let count = try reader.u32()
        guard count <= Self.maximumEntries else { throw LiaisonError(.verification, "a version vector of \(count) entries") }
        var entries: [Entry] = []
        for _ in 0..<count {
            let origin = try NodeID(bytes: Array(try reader.take(16)))
            let epoch = try reader.u32()
            let sequence = try reader.u64()
            entries.append(Entry(origin: origin, epoch: epoch, sequence: sequence, headerHash: Array(try reader.take(32))))
        }
        self.init(entries)
    }
}

extension VersionVector: CustomStringConvertible {
    public var description: String {
        entries.isEmpty ? "(nothing)" : entries.map { "\($0.origin.hex.prefix(8))/\($0.epoch):\($0.sequence)" }.joined(separator: " ")
    }
}

extension Directory {
    /// What this node holds.
    public func vector() throws(LiaisonError) -> VersionVector {
        try read { db in try VersionVector.stored(in: db) }
    }
}

extension VersionVector {
    static func stored(in db: Database) throws -> VersionVector {
        let rows = try Row.fetchAll(db, sql: """
            SELECT c.origin, c.epoch, c.sequence, c.header_hash FROM commit_log c
            JOIN (SELECT origin, epoch, max(sequence) AS sequence FROM commit_log GROUP BY origin, epoch) tip
              ON tip.origin = c.origin AND tip.epoch = c.epoch AND tip.sequence = c.sequence
            """)
        return VersionVector(try rows.map { row in
            Entry(
                origin: try NodeID(hex: row["origin"]), epoch: row["epoch"], sequence: UInt64(row["sequence"] as Int64),
                headerHash: [UInt8](row["header_hash"] as Data))
        })
    }
}

extension VersionVector {
    /// How many commits this vector holds beyond `other`.
    func count(beyond other: VersionVector) -> Int {
        entries.reduce(0) { $0 + Int($1.sequence - min($1.sequence, other.sequence(origin: $1.origin, epoch: $1.epoch))) }
    }
}

extension LogStore {
    /// Hands over each commit held beyond `vector`, in sequence order per origin and epoch, as
    /// `receiver` may see it (nil: any node), until `body` returns false.
    static func forEachCommit(beyond vector: VersionVector, for receiver: NodeID?, in db: Database, _ body: (Commit) throws -> Bool) throws {
        try forEachStoredCommit(beyond: vector, in: db) { stored in try body(try stored.commit(reaching: receiver)) }
    }

    /// A commit as the log stores it: its changes in the compact form, decoded only when asked.
    struct StoredCommit {
        let row: Row

        var header: [UInt8] { [UInt8](row["header"] as Data) }
        var signature: [UInt8] { [UInt8](row["signature"] as Data) }
        var compactChanges: [UInt8] { [UInt8](row["changes"] as Data) }
        var changeCount: Int { row["change_count"] }
        /// Every body is here and may reach any node: the stored form is what every receiver gets.
        var travelsWhole: Bool { row["travels_whole"] }
        /// Whether it carries an intelligence body or a sealed copy (``LogStore/holdsIntelligence(_:)``).
        var holdsIntelligence: Bool { row["holds_intelligence"] }

        func commit(reaching receiver: NodeID?) throws -> Commit { try LogStore.commit(row).reaching(receiver) }
    }

    /// Hands over each stored commit beyond `vector`, in sequence order per origin and epoch, until
    /// `body` returns false.
    static func forEachStoredCommit(beyond vector: VersionVector, in db: Database, _ body: (StoredCommit) throws -> Bool) throws {
        for chain in try VersionVector.stored(in: db).entries {
            let after = vector.sequence(origin: chain.origin, epoch: chain.epoch)
            guard chain.sequence > after else { continue }
            let rows = try Row.fetchCursor(
                db, sql: """
                    SELECT \(commitColumns), change_count, travels_whole, holds_intelligence FROM commit_log
                    WHERE origin = ? AND epoch = ? AND sequence > ? ORDER BY sequence
                    """,
                arguments: [chain.origin.hex, chain.epoch, Int64(after)])
            while let row = try rows.next() {
                guard try body(StoredCommit(row: row)) else { return }
            }
        }
    }
}
