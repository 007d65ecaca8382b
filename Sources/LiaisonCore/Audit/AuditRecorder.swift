package import Crypto
package import Foundation
import CLiaisonFile
import GRDB
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes and reads the audit log: a file beside the node's database (`audit.log`), one line per
/// entry, each entry appended with one write before the consultation it records returns. A file
/// rather than a database, because an entry must cost a search little: a database commit costs
/// more than many searches do.
package final class AuditRecorder: Sendable {
    package let chainKey: SymmetricKey
    private let keyedMAC: HMAC<SHA256>
    private let store: any AuditStore

    /// A log kept in `file`, which must exist; in memory when nil.
    package init(file: URL?, key: SymmetricKey) throws(LiaisonError) {
        chainKey = key
        keyedMAC = HMAC<SHA256>(key: key)
        store = try file.map { url throws(LiaisonError) in try AuditFile(url: url) } ?? AuditMemory()
    }

    /// Writes an entry after the last one, with its link.
    package func record(_ entry: AuditEntry) throws(LiaisonError) {
        try store.append { last in
            var entry = entry
            entry.sequence = (last?.sequence ?? 0) + 1
            let link = AuditLog.link(entry, after: last?.link ?? AuditLog.genesis, keyed: keyedMAC)
            return (AuditLog.line(entry, link: link, newline: true), AuditTail(sequence: entry.sequence, link: link))
        }
    }

    /// Each line of the log in order, with its number from 1, until `body` returns false. A last
    /// line that a write did not finish is given too.
    package func forEachLine(_ body: (Int, ArraySlice<UInt8>) throws -> Bool) throws(LiaisonError) {
        try store.forEachLine(body)
    }

    /// Moves the entries of an audit log kept in a database (`audit.sqlite`, as releases before
    /// this one kept it) to a new log file with their links, then removes the database. The file
    /// appears whole or not at all; an entry that would not come out as it went in stops the move,
    /// and the database stays.
    package static func moveEntries(fromDatabase database: URL, to file: URL) throws(LiaisonError) {
        // One opening moves them; another that starts at the same time waits, then finds the file.
        let lock = open(database.path, O_RDONLY | O_CLOEXEC)
        guard lock >= 0 else { return }
        defer { close(lock) }
        _ = flock(lock, LOCK_EX)
        defer { _ = flock(lock, LOCK_UN) }
        if !FileManager.default.fileExists(atPath: file.path) {
            let lines = try linesOfDatabase(database)
            let partial = URL(fileURLWithPath: file.path + ".partial")
            guard FileManager.default.createFile(atPath: partial.path, contents: Data(lines), attributes: [.posixPermissions: 0o600]) else {
                throw LiaisonError(.nodeFolder, "cannot write \(partial.path)")
            }
            try Directory.storage {
                try AuditFile.sync(partial)
                try FileManager.default.moveItem(at: partial, to: file)
                try AuditFile.sync(file.deletingLastPathComponent())
            }
        }
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: database.path + suffix) }
    }

    private static func linesOfDatabase(_ database: URL) throws(LiaisonError) -> [UInt8] {
        try Directory.storage {
            var configuration = Configuration()
            configuration.readonly = true
            let queue = try DatabaseQueue(path: database.path, configuration: configuration)
            defer { try? queue.close() }
            return try queue.read { db in
                var lines: [UInt8] = []
                let rows = try Row.fetchCursor(db, sql: "SELECT * FROM audit_entry ORDER BY sequence")
                while let row = try rows.next() {
                    let sequence: Int64 = row["sequence"]
                    let detailText: String = row["detail"], recordsText: String = row["records"]
                    let detail = (try? JSONSerialization.jsonObject(with: Data(detailText.utf8))) as? [String: String]
                    let records = JSONStringArray.decode(recordsText)
                    guard let action = AuditAction(rawValue: row["action"]), let detail, AuditLog.detailJSON(detail) == Array(detailText.utf8),
                        JSONStringArray.encode(records) == recordsText
                    else {
                        throw LiaisonError(
                            .nodeFolder, "audit entry \(sequence) of audit.sqlite is not as Liaison wrote it, so the log was not moved to audit.log",
                            hint: "keep audit.sqlite for the security officer; the node opens once it is moved aside")
                    }
                    let entry = AuditEntry(
                        sequence: sequence, at: row["at"], actor: row["actor"], action: action, records: records, detail: detail, reason: row["reason"])
                    lines += AuditLog.line(entry, link: [UInt8](row["chain"] as Data))
                    lines.append(UInt8(ascii: "\n"))
                }
                return lines
            }
        }
    }
}

/// The last entry of a log: what the next one follows.
struct AuditTail: Sendable {
    var sequence: Int64
    var link: [UInt8]
}

protocol AuditStore: Sendable {
    /// Appends the line, newline included, that `make` gives for the entry after `last`, no other
    /// writer coming between.
    func append(_ make: (_ last: AuditTail?) -> (line: [UInt8], tail: AuditTail)) throws(LiaisonError)
    func forEachLine(_ body: (Int, ArraySlice<UInt8>) throws -> Bool) throws(LiaisonError)
}

/// A log in memory, for a directory that is.
final class AuditMemory: AuditStore {
    private let state = Mutex<(text: [UInt8], last: AuditTail?)>(([], nil))

    func append(_ make: (AuditTail?) -> (line: [UInt8], tail: AuditTail)) {
        state.withLock { state in
            let made = make(state.last)
            state.text += made.line
            state.last = made.tail
        }
    }

    func forEachLine(_ body: (Int, ArraySlice<UInt8>) throws -> Bool) throws(LiaisonError) {
        let text = state.withLock { $0.text }
        try Directory.storage {
            for (index, line) in text.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).dropLast().enumerated() {
                guard try body(index + 1, line) else { return }
            }
        }
    }
}

/// A log in a file, which other processes (the server, commands) append to as well: a writer holds
/// an exclusive `flock` on the file from reading the last entry to writing its own.
final class AuditFile: AuditStore {
    let url: URL
    private let descriptor: Int32
    /// Where this writer's last line ended, and its entry: the last entry while the file has not
    /// grown since.
    private let written = Mutex<(end: Int64, tail: AuditTail)?>(nil)

    init(url: URL) throws(LiaisonError) {
        self.url = url
        descriptor = open(url.path, O_RDWR | O_APPEND | O_CLOEXEC)
        guard descriptor >= 0 else { throw Self.failure("cannot open", url, errno) }
    }

    deinit { close(descriptor) }

    func append(_ make: (AuditTail?) -> (line: [UInt8], tail: AuditTail)) throws(LiaisonError) {
        try written.withLock { (written: inout (end: Int64, tail: AuditTail)?) throws(LiaisonError) in
            guard flock(descriptor, LOCK_EX) == 0 else { throw Self.failure("cannot lock", url, errno) }
            defer { flock(descriptor, LOCK_UN) }
            var size: Int64 = 0, links: UInt32 = 0
            guard liaison_file_size_and_links(descriptor, &size, &links) == 0 else { throw Self.failure("cannot read", url, errno) }
            // A log removed or replaced while the node is open is not written in the dark: either
            // leaves the open file with no name.
            guard links > 0 else {
                throw LiaisonError(
                    .nodeFolder, "the audit log \(url.path) was removed or replaced while the node was open; nothing more is shown until it is back",
                    hint: "restore it, then restart `liaison serve`; the security officer should know")
            }
            let (last, cutShort) = if let written, written.end == size { (Optional(written.tail), false) } else { try lastEntry(size: size) }
            let made = make(last)
            // A line that a write did not finish (a full disk, a power cut) is ended, so that it
            // stays visible to `audit verify` and the new entry starts a line of its own.
            let bytes = cutShort ? [UInt8(ascii: "\n")] + made.line : made.line
            var done = 0
            while done < bytes.count {
                let count = bytes[done...].withUnsafeBytes { systemWrite(descriptor, $0.baseAddress, $0.count) }
                if count > 0 {
                    done += count
                } else if count < 0, errno == EINTR {
                    continue
                } else {
                    // Nothing half-written stays: the next writer would take it for a line cut short.
                    let error = count < 0 ? errno : ENOSPC
                    if done > 0 { _ = ftruncate(descriptor, off_t(size)) }
                    throw Self.failure("cannot write", url, error)
                }
            }
            written = (size + Int64(done), made.tail)
        }
    }

    /// The last entry in the file's first `size` bytes, skipping lines that are not entries, and
    /// whether bytes that no newline ends follow the last line.
    private func lastEntry(size: Int64) throws(LiaisonError) -> (AuditTail?, cutShort: Bool) {
        // `buffer` holds the bytes from `start` to `size`, read backwards a block at a time.
        var buffer: [UInt8] = [], start = size
        func readEarlier() throws(LiaisonError) -> Bool {
            guard start > 0 else { return false }
            let count = Int(min(65_536, start))
            start -= Int64(count)
            var block = [UInt8](repeating: 0, count: count)
            guard block.withUnsafeMutableBytes({ pread(descriptor, $0.baseAddress, count, off_t(start)) }) == count else {
                throw Self.failure("cannot read", url, errno)
            }
            buffer = block + buffer
            return true
        }
        func newline(before offset: Int64) throws(LiaisonError) -> Int64? {
            repeat {
                if let index = buffer[..<Int(offset - start)].lastIndex(of: UInt8(ascii: "\n")) { return start + Int64(index) }
            } while try readEarlier()
            return nil
        }
        guard try readEarlier() else { return (nil, false) }
        let cutShort = buffer.last != UInt8(ascii: "\n")
        var end = try newline(before: size)
        while let lineEnd = end {
            let previous = try newline(before: lineEnd)
            let lineStart = (previous ?? -1) + 1
            if let (entry, link) = AuditLog.entry(line: buffer[Int(lineStart - start)..<Int(lineEnd - start)]) {
                return (AuditTail(sequence: entry.sequence, link: link), cutShort)
            }
            end = previous
        }
        return (nil, cutShort)
    }

    func forEachLine(_ body: (Int, ArraySlice<UInt8>) throws -> Bool) throws(LiaisonError) {
        let reader = open(url.path, O_RDONLY | O_CLOEXEC)
        guard reader >= 0 else { throw Self.failure("cannot read", url, errno) }
        defer { close(reader) }
        // Lines are read up to where the file ended under a shared lock: a writer appends whole
        // lines under an exclusive one, so no line is read half-written.
        var status = stat()
        _ = flock(reader, LOCK_SH)
        let readable = fstat(reader, &status) == 0 ? Int(status.st_size) : 0
        _ = flock(reader, LOCK_UN)
        var pending: [UInt8] = [], number = 0, left = readable
        var block = [UInt8](repeating: 0, count: 1 << 20)
        try Directory.storage {
            while left > 0 {
                let count = block.withUnsafeMutableBytes { read(reader, $0.baseAddress, min($0.count, left)) }
                guard count >= 0 else { throw Self.failure("cannot read", url, errno) }
                guard count > 0 else { break }
                left -= count
                pending += block[..<count]
                var lineStart = pending.startIndex
                while let newline = pending[lineStart...].firstIndex(of: UInt8(ascii: "\n")) {
                    number += 1
                    guard try body(number, pending[lineStart..<newline]) else { return }
                    lineStart = newline + 1
                }
                pending.removeSubrange(..<lineStart)
            }
            if !pending.isEmpty { _ = try body(number + 1, pending[...]) }
        }
    }

    /// Flushes a file or a folder to the disk.
    static func sync(_ url: URL) throws {
        let descriptor = open(url.path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw failure("cannot open", url, errno) }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw failure("cannot sync", url, errno) }
    }

    private static func failure(_ what: String, _ url: URL, _ code: Int32) -> LiaisonError {
        LiaisonError(.storage, "\(what) the audit log \(url.path): \(String(cString: strerror(code)))")
    }
}

#if canImport(Glibc)
private let systemWrite = Glibc.write
#elseif canImport(Darwin)
private let systemWrite = Darwin.write
#endif
