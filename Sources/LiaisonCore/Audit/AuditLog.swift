package import Crypto
import Foundation


/// One entry of the audit log: who consulted or disclosed what, when, and why when they said.
/// Records are named by id only, never by their content.
public struct AuditEntry: Sendable, Codable, Hashable {
    public var sequence: Int64
    /// ISO 8601 in UTC.
    public var at: String
    /// Who: `user:NAME` for an officer at this machine, `token:NAME` or `peer:NODE` through the
    /// server, `web:NAME` for an officer on the web page, `node` for what the node does by itself (a scheduled sync, a retention purge).
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
    /// A page of the officers' web page.
    case webRead = "web.read"
    // Disclosures: bodies that left this node.
    case disclosedBySync = "disclosed.sync"
    case disclosedByBundle = "disclosed.bundle"
    // Changes to intelligence that are accountable on their own.
    case notePurge = "note.purge"

    /// Whether the action shows intelligence to someone, rather than sending it or changing it.
    public var isConsultation: Bool {
        switch self {
        case .noteShow, .noteList, .noteSearch, .pageShow, .export, .apiRead, .webRead: true
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
    package static let genesis = [UInt8](repeating: 0, count: 32)

    /// The bytes an entry's link covers (docs/PROTOCOL.md, "Audit log").
    package static func encoded(_ entry: AuditEntry) -> [UInt8] {
        var writer = ByteWriter(capacity: 64 + textBytes(entry))
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

    /// About how many bytes the texts of an entry take, to size its buffers once.
    private static func textBytes(_ entry: AuditEntry) -> Int {
        var count = entry.at.utf8.count + entry.actor.utf8.count + (entry.reason?.utf8.count ?? 0)
        for record in entry.records { count += record.utf8.count + 4 }
        for (name, value) in entry.detail { count += name.utf8.count + value.utf8.count + 8 }
        return count
    }

    /// The link of an entry that follows `previous`.
    static func link(_ entry: AuditEntry, after previous: [UInt8], key: SymmetricKey) -> [UInt8] {
        link(entry, after: previous, keyed: HMAC<SHA256>(key: key))
    }

    /// The link, from an HMAC already keyed: keying hashes the key's two pads, which need not be
    /// done again for each entry.
    package static func link(_ entry: AuditEntry, after previous: [UInt8], keyed: HMAC<SHA256>) -> [UInt8] {
        var mac = keyed
        mac.update(data: previous)
        mac.update(data: encoded(entry))
        return Array(mac.finalize())
    }

    /// An entry as a line of the log's file, without its newline: a JSON object with its names
    /// in this order and nothing else, each string written as the list columns write theirs, so
    /// that the same entry always gives the same line (docs/PROTOCOL.md, "Audit log"). Built as
    /// bytes, because an entry is written before every search that shows notes.
    package static func line(_ entry: AuditEntry, link: [UInt8], newline: Bool = false) -> [UInt8] {
        var line = JSONLine(capacity: 192 + textBytes(entry))
        line.raw("{\"sequence\":")
        line.bytes += String(entry.sequence).utf8
        line.raw(",\"at\":")
        line.string(entry.at)
        line.raw(",\"actor\":")
        line.string(entry.actor)
        line.raw(",\"action\":")
        line.string(entry.action.rawValue)
        line.raw(",\"records\":[")
        for (index, record) in entry.records.enumerated() {
            if index > 0 { line.raw(",") }
            line.string(record)
        }
        line.raw("],\"detail\":")
        line.detail(entry.detail)
        if let reason = entry.reason {
            line.raw(",\"reason\":")
            line.string(reason)
        }
        line.raw(",\"link\":\"")
        line.bytes += link.hexString.utf8
        line.raw("\"}")
        if newline { line.raw("\n") }
        return line.bytes
    }

    /// A detail as the log writes it: names in increasing byte order.
    static func detailJSON(_ detail: [String: String]) -> [UInt8] {
        var json = JSONLine()
        json.detail(detail)
        return json.bytes
    }

    /// The entry and link a line holds, or nil when the line is not one that ``line(_:link:)``
    /// writes: not JSON, an unknown action, or its text changed in any way (spaces, order, escapes).
    static func entry(line: some Collection<UInt8>) -> (entry: AuditEntry, link: [UInt8])? {
        guard let stored = try? JSONDecoder().decode(StoredEntry.self, from: Data(line)),
            let action = AuditAction(rawValue: stored.action), let link = [UInt8](hex: stored.link), link.count == 32
        else { return nil }
        let entry = AuditEntry(
            sequence: stored.sequence, at: stored.at, actor: stored.actor, action: action, records: stored.records, detail: stored.detail,
            reason: stored.reason)
        guard self.line(entry, link: link).elementsEqual(line) else { return nil }
        return (entry, link)
    }

    private struct StoredEntry: Decodable {
        var sequence: Int64
        var at: String
        var actor: String
        var action: String
        var records: [String]
        var detail: [String: String]
        var reason: String?
        var link: String
    }
}

/// A JSON text built as bytes. Strings are written as ``JSONStringArray`` writes them: quoted, with
/// `"`, `\\` and control characters escaped and nothing else.
struct JSONLine {
    var bytes: [UInt8] = []

    init(capacity: Int = 512) { bytes.reserveCapacity(capacity) }

    mutating func raw(_ text: StaticString) {
        text.withUTF8Buffer { bytes += $0 }
    }

    mutating func detail(_ detail: [String: String]) {
        raw("{")
        for (index, (name, value)) in detail.sorted(by: { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }).enumerated() {
            if index > 0 { raw(",") }
            string(name)
            raw(":")
            string(value)
        }
        raw("}")
    }

    mutating func string(_ text: String) {
        var text = text
        text.withUTF8 { utf8 in
            bytes.append(UInt8(ascii: "\""))
            // The characters to escape are ASCII, so bytes of other characters are copied as they are.
            guard utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) else {
                bytes += utf8
                bytes.append(UInt8(ascii: "\""))
                return
            }
            for byte in utf8 {
                switch byte {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"): bytes += [UInt8(ascii: "\\"), byte]
                case UInt8(ascii: "\n"): bytes += Array("\\n".utf8)
                case UInt8(ascii: "\r"): bytes += Array("\\r".utf8)
                case UInt8(ascii: "\t"): bytes += Array("\\t".utf8)
                case 0..<0x20: bytes += Array(String(format: "\\u%04x", byte).utf8)
                default: bytes.append(byte)
                }
            }
            bytes.append(UInt8(ascii: "\""))
        }
    }
}
