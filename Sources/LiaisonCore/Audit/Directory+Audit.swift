public import Foundation
import Crypto
package import GRDB
#if canImport(Glibc)
import Glibc
#endif

/// What checking the audit log found.
public struct AuditVerification: Sendable, Codable, Hashable {
    public var entries: Int
    /// The sequence and the first 16 hex digits of the last entry's link: write it down to notice
    /// later if entries after it were cut off, which no chain can show by itself.
    public var head: String

    public init(entries: Int, head: String) {
        self.entries = entries
        self.head = head
    }
}

extension Directory {
    /// Who runs this process, for the audit log: `user:NAME`, with the account that ran `sudo`
    /// when it did.
    public static var localUser: String {
        let name = getpwuid(geteuid()).flatMap { String(validatingCString: $0.pointee.pw_name) } ?? String(geteuid())
        if let invoker = ProcessInfo.processInfo.environment["SUDO_USER"], !invoker.isEmpty, invoker != name {
            return "user:\(name) (sudo by \(invoker))"
        }
        return "user:\(name)"
    }

    /// Makes sure the audit log this node was given is the one it keeps: a node whose log was
    /// made before refuses to go on without it. `existed` says the log's file was there before
    /// this opening.
    package func anchorAuditLog(existed: Bool) throws(LiaisonError) {
        let anchored = try read { db in try Bool.fetchOne(db, sql: "SELECT audit_log FROM node") } == true
        if anchored, !existed { throw Self.missingAuditLog }
        guard !anchored else { return }
        try Self.storage { try database.write { db in try db.execute(sql: "UPDATE node SET audit_log = 1") } }
    }

    /// Refuses to go on when the node's database says it has an audit log: read before the node
    /// opens, so that a missing log is not made anew. A database from before the audit log has
    /// none to miss.
    package static func refuseMissingAuditLog(in database: any DatabaseReader) throws(LiaisonError) {
        let anchored = try? database.read { db in try Bool.fetchOne(db, sql: "SELECT audit_log FROM node") }
        if anchored == true { throw missingAuditLog }
    }

    private static let missingAuditLog = LiaisonError(
        .nodeFolder, "this node's audit log, audit.log, is missing from its data folder; nothing was opened",
        hint: "restore audit.log from the node's backup; the security officer should know that it was removed")

    /// Records a consultation or a disclosure in the audit log, and returns once it is written:
    /// a caller shows or sends nothing that is not recorded.
    public func audit(
        _ action: AuditAction, actor: String, records: [String], detail: [String: String] = [:], reason: String? = nil
    ) throws(LiaisonError) {
        try requireAuditRecorder().record(entry(action, actor, records, detail, reason))
    }

    private func entry(_ action: AuditAction, _ actor: String, _ records: [String], _ detail: [String: String], _ reason: String?) -> AuditEntry {
        AuditEntry(
            sequence: 0, at: Timestamp.iso8601(clock()), actor: actor, action: action, records: records, detail: detail,
            reason: reason.flatMap { $0.trimmed.isEmpty ? nil : $0.trimmed })
    }

    /// Entries since `since`, naming `record` when given, oldest first; the last `limit` of them
    /// when given. A record is matched by its whole id, or a short id by the end of one.
    public func auditEntries(since: Date? = nil, record: String? = nil, limit: Int? = nil) throws(LiaisonError) -> [AuditEntry] {
        let start = since.map { Timestamp.iso8601($0) } ?? ""
        // A line that cannot name the record is passed over before it is read as JSON.
        // Ids are written in lower case, country codes in upper case: a record matches in either.
        let record = record?.lowercased()
        let named = record.map { Array(($0.count < 36 ? "\($0)\"" : "\"\($0)\"").utf8) }
        var entries: [AuditEntry] = []
        try requireAuditRecorder().forEachLine { _, line in
            if let named, line.lazy.map(Self.asciiLowercased).firstRange(of: named) == nil { return true }
            guard let entry = AuditLog.entry(line: line)?.entry, entry.at >= start else { return true }
            if let record, !entry.records.contains(where: { $0.lowercased() == record || (record.count < 36 && $0.lowercased().hasSuffix(record)) }) {
                return true
            }
            entries.append(entry)
            if let limit, entries.count > 2 * max(limit, 1_000) { entries.removeFirst(entries.count - limit) }
            return true
        }
        return limit.map { Array(entries.suffix($0)) } ?? entries
    }

    /// Checks every entry's link against the one before: an entry edited, removed or moved, or a
    /// line that is not an entry, is an error that names it. A line that is not an entry (a write
    /// cut short) is passed over, as writers do, and the entries after it are still checked.
    public func verifyAudit() throws(LiaisonError) -> AuditVerification {
        let recorder = try requireAuditRecorder()
        var previous = AuditLog.genesis
        var expected: Int64 = 1
        var strayLines: [Int] = []
        var broken: String?
        try recorder.forEachLine { number, line in
            guard let (entry, link) = AuditLog.entry(line: line) else {
                strayLines.append(number)
                return true
            }
            guard entry.sequence == expected else {
                broken =
                    entry.sequence > expected
                    ? "audit entries \(expected)\(entry.sequence - 1 > expected ? "–\(entry.sequence - 1)" : "") were removed, or moved from here"
                    : "audit entry \(entry.sequence) is out of order"
                return false
            }
            guard AuditLog.link(entry, after: previous, key: recorder.chainKey) == link else {
                broken = "audit entry \(entry.sequence) does not fit the chain: it was edited, or entries were moved or removed before it"
                return false
            }
            previous = link
            expected += 1
            return true
        }
        guard strayLines.isEmpty, broken == nil else {
            let stray = strayLines.isEmpty ? nil : strayLines.count == 1
                ? "line \(strayLines[0]) of the audit log is not an entry as Liaison writes them: it was edited, or its write was cut short"
                : "lines \(strayLines.prefix(10).map(String.init).joined(separator: ", "))\(strayLines.count > 10 ? ", …" : "") of the audit log are not entries as Liaison writes them: they were edited, or their writes were cut short"
            throw LiaisonError(
                .verification, [stray, broken].compactMap { $0 }.joined(separator: "; "),
                hint: "the audit log was changed outside Liaison, or the machine stopped while writing it")
        }
        return AuditVerification(entries: Int(expected - 1), head: "\(expected - 1):\(previous.prefix(8).hexString)")
    }

    private static func asciiLowercased(_ byte: UInt8) -> UInt8 {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte | 0x20 : byte
    }

    package func requireAuditRecorder() throws(LiaisonError) -> AuditRecorder {
        guard let auditRecorder else {
            throw LiaisonError(
                .nodeFolder, "consulting intelligence is recorded in the node's audit log, which needs the node's signing key and write access",
                hint: "run the command as the folder's owner")
        }
        return auditRecorder
    }
}
