public import Foundation
import Crypto
import GRDB
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
        if anchored, !existed {
            throw LiaisonError(
                .nodeFolder, "this node's audit log, audit.sqlite, is missing from its data folder; nothing was opened",
                hint: "restore audit.sqlite from the node's backup; the security officer should know that it was removed")
        }
        guard !anchored else { return }
        try Self.storage { try database.write { db in try db.execute(sql: "UPDATE node SET audit_log = 1") } }
    }

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
    /// when given.
    public func auditEntries(since: Date? = nil, record: String? = nil, limit: Int? = nil) throws(LiaisonError) -> [AuditEntry] {
        let recorder = try requireAuditRecorder()
        return try Self.storage {
            try recorder.database.read { db in
            let start = since.map { Timestamp.iso8601($0) } ?? ""
            // Records are a JSON array of ids: an id is matched whole with its quotes, a short id
            // (its last digits) at the end of one.
            let named = record.map { $0.count < 36 ? "%\($0)\"%" : "%\"\($0)\"%" } ?? "%"
            let rows = try Row.fetchAll(
                db, sql: """
                    SELECT * FROM (SELECT * FROM audit_entry WHERE at >= ? AND records LIKE ? ORDER BY sequence DESC LIMIT ?) ORDER BY sequence
                    """,
                arguments: [start, named, limit ?? -1])
            return rows.compactMap { AuditLog.entry($0)?.entry }
            }
        }
    }

    /// Checks every entry's link against the one before: an entry edited, removed or moved is
    /// an error that names it.
    public func verifyAudit() throws(LiaisonError) -> AuditVerification {
        let recorder = try requireAuditRecorder()
        let key = recorder.chainKey
        return try Self.storage {
            try recorder.database.read { db in
            var previous = AuditLog.genesis
            var expected: Int64 = 1
            let rows = try Row.fetchCursor(db, sql: "SELECT * FROM audit_entry ORDER BY sequence")
            while let row = try rows.next() {
                let sequence: Int64 = row["sequence"]
                guard sequence == expected else {
                    throw LiaisonError(
                        .verification,
                        sequence > expected
                            ? "audit entries \(expected)\(sequence - 1 > expected ? "–\(sequence - 1)" : "") were removed"
                            : "audit entry \(sequence) is out of order")
                }
                guard let (entry, chain) = AuditLog.entry(row), AuditLog.encodedDetail(entry.detail) == row["detail"] as String,
                    JSONStringArray.encode(entry.records) == row["records"] as String, AuditLog.link(entry, after: previous, key: key) == chain
                else {
                    throw LiaisonError(
                        .verification, "audit entry \(sequence) does not fit the chain: it was edited, or entries were moved or removed before it",
                        hint: "the audit log was changed outside Liaison")
                }
                previous = chain
                expected += 1
            }
            let head = "\(expected - 1):\(previous.prefix(8).map { String(format: "%02x", $0) }.joined())"
            return AuditVerification(entries: Int(expected - 1), head: head)
            }
        }
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
