package import Crypto
import Foundation
package import GRDB

/// One entry of the audit log: who consulted or disclosed what, when, and why when they said.
/// Records are named by id only, never by their content.
public struct AuditEntry: Sendable, Codable, Hashable {
    public var sequence: Int64
    /// ISO 8601 in UTC.
    public var at: String
    /// Who: `user:NAME` for an officer at this machine, `token:NAME` or `peer:NODE` through the
    /// server, `node` for what the node does by itself (a scheduled sync, a retention purge).
    public var actor: String
    public var action: AuditAction
    /// The ids of the records concerned.
    public var records: [String]
    /// What else says what happened, as names and values: `peer`, `file`, `path`, `count`, ….
    public var detail: [String: String]
    public var reason: String?
}

/// What an audit entry records.
public enum AuditAction: String, Sendable, Codable, CaseIterable {
    // Consultations: intelligence shown to someone.
    case noteShow = "note.show"
    case noteList = "note.list"
    case noteSearch = "note.search"
    /// A country's, an agency's or a contact's page, with the notes on it.
    case pageShow = "page.show"
    case export
    /// A read through the JSON API.
    case apiRead = "api.read"
    // Disclosures: bodies that left this node.
    case disclosedBySync = "disclosed.sync"
    case disclosedByBundle = "disclosed.bundle"
    // Changes to intelligence that are accountable on their own.
    case notePurge = "note.purge"

    /// Whether the action shows intelligence to someone, rather than sending it or changing it.
    public var isConsultation: Bool {
        switch self {
        case .noteShow, .noteList, .noteSearch, .pageShow, .export, .apiRead: true
        case .disclosedBySync, .disclosedByBundle, .notePurge: false
        }
    }
}

/// The audit log: local, append-only, never synced, and chained by HMAC-SHA256 under a key
/// derived from the node's signing key, so that an entry edited, removed or moved breaks the
/// chain, and only the node can write one that fits (docs/PROTOCOL.md, "Audit log").
package enum AuditLog {
    /// The key that chains the entries: HKDF-SHA256 of the signing key's seed.
    package static func key(for signingKey: Curve25519.Signing.PrivateKey) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: signingKey.rawRepresentation), salt: Array("liaison/audit-key/v1".utf8),
            info: [UInt8](), outputByteCount: 32)
    }

    /// The chain before the first entry.
    static let genesis = [UInt8](repeating: 0, count: 32)

    /// The bytes an entry's link covers (docs/PROTOCOL.md, "Audit log").
    static func encoded(_ entry: AuditEntry) -> [UInt8] {
        var writer = ByteWriter(capacity: 128)
        writer.u64(UInt64(entry.sequence))
        writer.text(entry.at)
        writer.text(entry.actor)
        writer.text(entry.action.rawValue)
        writer.u32(UInt32(entry.records.count))
        for record in entry.records { writer.text(record) }
        let detail = entry.detail.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
        writer.u32(UInt32(detail.count))
        for (name, value) in detail {
            writer.text(name)
            writer.text(value)
        }
        if let reason = entry.reason {
            writer.u8(1)
            writer.text(reason)
        } else {
            writer.u8(0)
        }
        return writer.bytes
    }

    /// The link of an entry that follows `previous`.
    static func link(_ entry: AuditEntry, after previous: [UInt8], key: SymmetricKey) -> [UInt8] {
        var mac = HMAC<SHA256>(key: key)
        mac.update(data: previous)
        mac.update(data: encoded(entry))
        return Array(mac.finalize())
    }

    /// Appends an entry in the caller's write transaction of the audit database; `time` is ISO 8601.
    @discardableResult
    package static func append(
        _ action: AuditAction, actor: String, records: [String], detail: [String: String] = [:], reason: String? = nil, at time: String,
        key: SymmetricKey, in db: Database
    ) throws -> AuditEntry {
        let last = try Row.fetchOne(db.cachedStatement(sql: "SELECT sequence, chain FROM audit_entry ORDER BY sequence DESC LIMIT 1"))
        let entry = AuditEntry(
            sequence: (last?["sequence"] as Int64? ?? 0) + 1, at: time, actor: actor, action: action, records: records,
            detail: detail, reason: reason)
        let chain = link(entry, after: (last?["chain"] as Data?).map { [UInt8]($0) } ?? genesis, key: key)
        try db.cachedStatement(sql: """
            INSERT INTO audit_entry (sequence, at, actor, action, records, detail, reason, chain) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """
        ).execute(arguments: [
            entry.sequence, entry.at, actor, action.rawValue, JSONStringArray.encode(records), encodedDetail(detail), reason, Data(chain),
        ])
        return entry
    }

    /// The detail as stored: a JSON object, names in increasing byte order, each string written as
    /// the list columns write theirs, so that the same detail always gives the same text.
    static func encodedDetail(_ detail: [String: String]) -> String {
        var text = "{"
        for (index, (name, value)) in detail.sorted(by: { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }).enumerated() {
            if index > 0 { text += "," }
            JSONStringArray.append(name, to: &text)
            text += ":"
            JSONStringArray.append(value, to: &text)
        }
        return text + "}"
    }

    static func entry(_ row: Row) -> (entry: AuditEntry, chain: [UInt8])? {
        guard let action = AuditAction(rawValue: row["action"]) else { return nil }
        let detailText: String = row["detail"]
        let detail = (try? JSONSerialization.jsonObject(with: Data(detailText.utf8))) as? [String: String] ?? [:]
        let entry = AuditEntry(
            sequence: row["sequence"], at: row["at"], actor: row["actor"], action: action, records: JSONStringArray.decode(row["records"]),
            detail: detail, reason: row["reason"])
        return (entry, [UInt8](row["chain"] as Data))
    }
}

/// Writes the audit log, in a database of its own beside the node's (`audit.sqlite`): a write to the
/// node's database would make every reader of it drop its page cache, which costs a search more
/// than the entry itself. Each entry is written before the consultation it records returns.
package final class AuditRecorder: Sendable {
    package let database: any DatabaseWriter
    package let chainKey: SymmetricKey

    package init(database: any DatabaseWriter, key: SymmetricKey) throws {
        self.database = database
        chainKey = key
        try Self.migrator.migrate(database)
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("0001-audit-entries") { db in
            // Entries name records by id only. `chain` is the entry's link (docs/PROTOCOL.md,
            // "Audit log"): an entry edited, removed or moved breaks it.
            try db.execute(sql: """
                CREATE TABLE audit_entry (
                  sequence INTEGER PRIMARY KEY,
                  at TEXT NOT NULL,
                  actor TEXT NOT NULL,
                  action TEXT NOT NULL,
                  records TEXT NOT NULL,
                  detail TEXT NOT NULL,
                  reason TEXT,
                  chain BLOB NOT NULL CHECK (length(chain) = 32)
                ) STRICT;
                CREATE INDEX audit_entry_at ON audit_entry(at);
                """)
        }
        return migrator
    }

    /// Writes an entry after the last one, in its own transaction.
    package func record(_ entry: AuditEntry) throws(LiaisonError) {
        _ = try Directory.storage {
            try database.write { db in
                try AuditLog.append(
                    entry.action, actor: entry.actor, records: entry.records, detail: entry.detail, reason: entry.reason, at: entry.at,
                    key: chainKey, in: db)
            }
        }
    }
}
