package import Crypto
package import Foundation
import GRDB
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Writes and reads the audit log: a file beside the node's database (`audit.log`), one line per
/// entry, each entry appended with one write before the consultation it records returns. A file
/// rather than a database, because an entry must cost a search little: a database commit costs
/// more than many searches do.
package final class AuditRecorder: Sendable {
    package let chainKey: SymmetricKey
    private let store: any AuditStore

    /// A log kept in `file`, created when missing; in memory when nil.
    package init(file: URL?, key: SymmetricKey) throws(LiaisonError) {
        chainKey = key
        store = try file.map { url throws(LiaisonError) in try AuditFile(url: url) } ?? AuditMemory()
    }

    /// Writes an entry after the last one, with its link.
    package func record(_ entry: AuditEntry) throws(LiaisonError) {
        try store.append { last in
            var entry = entry
            entry.sequence = (last?.sequence ?? 0) + 1
            let link = AuditLog.link(entry, after: last?.link ?? AuditLog.genesis, key: chainKey)
            return (AuditLog.line(entry, link: link), AuditTail(sequence: entry.sequence, link: link))
        }
    }

    /// Each line of the log in order, with its number from 1, until `body` returns false. A last
    /// line that a write did not finish is given too.
    package func forEachLine(_ body: (Int, ArraySlice<UInt8>) throws -> Bool) throws(LiaisonError) {
        try store.forEachLine(body)
    }

    /// Moves the entries of an audit log kept in a database (`audit.sqlite`, as releases before
    /// this one kept it) to a new log file, links unchanged, then removes the database: the
    /// file appears whole or not at all.
    package static func moveEntries(fromDatabase database: URL, to file: URL) throws(LiaisonError) {
        let partial = URL(fileURLWithPath: file.path + ".partial")
        try Directory.storage {
            var configuration = Configuration()
            configuration.readonly = true
            let queue = try DatabaseQueue(path: database.path, configuration: configuration)
            var text: [UInt8] = []
            try queue.read { db in
                let rows = try Row.fetchCursor(db, sql: "SELECT * FROM audit_entry ORDER BY sequence")
                while let row = try rows.next() {
                    let detailText: String = row["detail"]
                    let entry = AuditEntry(
                        sequence: row["sequence"], at: row["at"], actor: row["actor"], action: AuditAction(rawValue: row["action"]) ?? .noteShow,
                        records: JSONStringArray.decode(row["records"]),
                        detail: (try? JSONSerialization.jsonObject(with: Data(detailText.utf8))) as? [String: String] ?? [:], reason: row["reason"])
                    text += AuditLog.line(entry, link: [UInt8](row["chain"] as Data))
                    text.append(UInt8(ascii: "\n"))
                }
            }
            try queue.close()
            guard FileManager.default.createFile(atPath: partial.path, contents: Data(text), attributes: [.posixPermissions: 0o600]) else {
                throw LiaisonError(.nodeFolder, "cannot write \(partial.path)")
            }
            let descriptor = open(partial.path, O_RDONLY | O_CLOEXEC)
            if descriptor >= 0 {
                _ = fsync(descriptor)
                close(descriptor)
            }
            try FileManager.default.moveItem(at: partial, to: file)
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: database.path + suffix) }
        }
    }
}

/// The last entry of a log: what the next one follows.
struct AuditTail: Sendable {
    var sequence: Int64
    var link: [UInt8]
}

protocol AuditStore: Sendable {
    /// Appends the line `make` gives for the entry after `last`, no other writer coming between.
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
            state.text.append(UInt8(ascii: "\n"))
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
        descriptor = open(url.path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw Self.failure("cannot open", url, errno) }
    }

    deinit { close(descriptor) }

    func append(_ make: (AuditTail?) -> (line: [UInt8], tail: AuditTail)) throws(LiaisonError) {
        try written.withLock { (written: inout (end: Int64, tail: AuditTail)?) throws(LiaisonError) in
            guard flock(descriptor, LOCK_EX) == 0 else { throw Self.failure("cannot lock", url, errno) }
            defer { flock(descriptor, LOCK_UN) }
            var status = stat()
            guard fstat(descriptor, &status) == 0 else { throw Self.failure("cannot read", url, errno) }
            let size = Int64(status.st_size)
            let (last, cutShort) = if let written, written.end == size { (Optional(written.tail), false) } else { try lastEntry(size: size) }
            let made = make(last)
            // A line that a write did not finish (a full disk, a power cut) is ended, so that it
            // stays visible to `audit verify` and the new entry starts a line of its own.
            var bytes = made.line
            bytes.append(UInt8(ascii: "\n"))
            if cutShort { bytes.insert(UInt8(ascii: "\n"), at: 0) }
            let count = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            guard count == bytes.count else {
                let error = errno
                if count > 0 { _ = ftruncate(descriptor, off_t(size)) }
                throw Self.failure("cannot write", url, count < 0 ? error : ENOSPC)
            }
            written = (size + Int64(count), made.tail)
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
        var pending: [UInt8] = [], number = 0
        var block = [UInt8](repeating: 0, count: 1 << 20)
        try Directory.storage {
            while true {
                let count = block.withUnsafeMutableBytes { read(reader, $0.baseAddress, $0.count) }
                guard count >= 0 else { throw Self.failure("cannot read", url, errno) }
                guard count > 0 else { break }
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

    private static func failure(_ what: String, _ url: URL, _ code: Int32) -> LiaisonError {
        LiaisonError(.storage, "\(what) the audit log \(url.path): \(String(cString: strerror(code)))")
    }
}
