public import LiaisonCore
import Crypto
public import Foundation
import GRDB
#if canImport(Glibc)
import Glibc
#endif

/// A bundle file: signed commits carried by hand between nodes (docs/PROTOCOL.md, "Bundle file").
///
/// ```
/// magic "LIAISONB", u8 version 1, exporter node id (16), u64 creation time (ms),
/// assumed vector, brought vector, Ed25519 signature (64) by the exporter over
/// "liaison/bundle/v1" 0x00 and every byte before the signature;
/// then per commit: u8 1, u32 frame length, frame; at the end: u8 0, u64 commit count.
/// ```
public enum BundleFile {
    static let magic = Array("LIAISONB".utf8)
    static let version: UInt8 = 1
    static let signatureDomain = Array("liaison/bundle/v1".utf8) + [0]
    /// The largest commit frame a bundle may hold: far above the largest import commit.
    public static let maximumFrameSize = 64 << 20

    /// The header of a bundle: who made it, and the vectors it assumes and brings.
    public struct Header: Sendable, Hashable {
        public var exporter: NodeID
        public var createdAt: Date
        /// What the exporter believed the receiver holds: the bundle carries what lies beyond it.
        public var assumes: VersionVector
        /// What the exporter held when it wrote the bundle.
        public var brings: VersionVector
    }
}

/// What `bundle export` wrote.
public struct BundleExportSummary: Sendable, Hashable {
    public var commits = 0
    public var changes = 0
    public var withheldChanges = 0
    public var bytes: Int64 = 0
    public var assumes = VersionVector()
    public var brings = VersionVector()
}

/// What `bundle import` did.
public struct BundleImportSummary: Sendable {
    public var header: BundleFile.Header
    /// Whether the header's signature was checked against a known key of its exporter.
    public var exporterVerified: Bool
    public var commitsRead = 0
    public var report = ReceiveReport()
    /// Set when the file is damaged after its header: reading stopped there, and what was read
    /// before was applied.
    public var damage: String?
}

extension Directory {
    /// Changes and bytes per transaction when importing a bundle: they bound memory whatever the
    /// bundle's size; a single larger commit is applied on its own.
    static let bundleBatchChanges = 30_000
    static let bundleBatchBytes = 32 << 20

    /// Writes the commits this node holds beyond `assumes` to a bundle file, in sequence order per
    /// origin and epoch. Changes that may not reach the receiver (`for`, when given) travel as their
    /// hash only: this node only, named nodes other than the receiver, sharing groups. The file is
    /// written beside `url` and renamed into place when complete.
    public func exportBundle(
        to url: URL, assumes: VersionVector, for receiver: NodeID? = nil, progress: (Int, Int) -> Void = { _, _ in }
    ) throws(LiaisonError) -> BundleExportSummary {
        let node = self.node
        let key = signingKey
        // Only a bundle is replaced: never a database, a key or any other file.
        if FileManager.default.fileExists(atPath: url.path) {
            let start = (try? FileHandle(forReadingFrom: url)).flatMap { handle in
                defer { try? handle.close() }
                return try? handle.read(upToCount: BundleFile.magic.count)
            }
            guard start.map({ [UInt8]($0) == BundleFile.magic }) == true else {
                throw LiaisonError(
                    .invalidFile, "exists and is not a Liaison bundle; it was not overwritten", file: url.path, hint: "choose another --out file")
            }
        }
        let partial = url.deletingLastPathComponent().appending(path: ".\(url.lastPathComponent).\(UUID.random().lowercasedString.prefix(8)).partial")
        guard FileManager.default.createFile(atPath: partial.path, contents: nil, attributes: [.posixPermissions: 0o600]),
            let handle = try? FileHandle(forWritingTo: partial)
        else {
            throw LiaisonError(.invalidFile, "cannot write the bundle", file: url.path, hint: "check that the folder exists and is writable")
        }
        var completed = false
        defer {
            try? handle.close()
            if !completed { try? FileManager.default.removeItem(at: partial) }
        }
        var summary = BundleExportSummary()
        summary.assumes = assumes
        try Self.storage {
            try database.read { db in
                let brings = try VersionVector.stored(in: db)
                summary.brings = brings
                var writer = ByteWriter(capacity: 1024)
                writer.raw(BundleFile.magic)
                writer.u8(BundleFile.version)
                writer.raw(node.id.bytes)
                writer.u64(UInt64(max(0, Date().timeIntervalSince1970 * 1000)))
                writer.raw(assumes.encoded)
                writer.raw(brings.encoded)
                let signature = try key.signature(for: BundleFile.signatureDomain + writer.bytes)
                writer.raw(signature)
                try handle.write(contentsOf: writer.bytes)
                summary.bytes += Int64(writer.bytes.count)

                let total = brings.entries.reduce(0) { $0 + Int($1.sequence - min($1.sequence, assumes.sequence(origin: $1.origin, epoch: $1.epoch))) }
                var buffer: [UInt8] = []
                for chain in brings.entries {
                    let after = assumes.sequence(origin: chain.origin, epoch: chain.epoch)
                    guard chain.sequence > after else { continue }
                    let rows = try LogStore.chainRows(origin: chain.origin, epoch: chain.epoch, after: after, in: db)
                    while let row = try rows.next() {
                        let commit = try LogStore.commit(row, in: db).reaching(receiver)
                        let bodies = commit.changeBodies
                        let frame = commit.frame
                        var frameWriter = ByteWriter(capacity: frame.count + 5)
                        frameWriter.u8(1)
                        frameWriter.u32(UInt32(frame.count))
                        frameWriter.raw(frame)
                        buffer += frameWriter.bytes
                        summary.commits += 1
                        summary.changes += bodies.count
                        summary.withheldChanges += bodies.filter { $0 == nil }.count
                        if buffer.count > 1 << 20 {
                            try handle.write(contentsOf: buffer)
                            summary.bytes += Int64(buffer.count)
                            buffer.removeAll(keepingCapacity: true)
                            progress(summary.commits, total)
                        }
                    }
                }
                var end = ByteWriter()
                end.u8(0)
                end.u64(UInt64(summary.commits))
                buffer += end.bytes
                try handle.write(contentsOf: buffer)
                summary.bytes += Int64(buffer.count)
                progress(summary.commits, total)
            }
            try handle.synchronize()
            try handle.close()
            // rename(2) replaces a file of that name in one step: there is always a whole bundle.
            guard rename(partial.path, url.path) == 0 else {
                throw LiaisonError(.invalidFile, "cannot move the bundle into place: \(String(cString: strerror(errno)))", file: url.path)
            }
            completed = true
        }
        return summary
    }

    /// Reads a bundle file and applies its commits in batches, each in one transaction, in bounded
    /// memory. Every commit is verified against its author's key as if it came from the author.
    public func importBundle(
        from url: URL, now: Date = Date(), progress: (Int, Int64) -> Void = { _, _ in }
    ) throws(LiaisonError) -> BundleImportSummary {
        var reader = try BundleReader(url: url)
        let header = try reader.readHeader()
        // Fewer, larger checkpoints while the batches go in: each one writes and syncs the
        // database file. The write-ahead log grows to about 32 MiB at most.
        try? database.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_autocheckpoint = 8192") }
        defer { try? database.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_autocheckpoint = 1000") } }
        // One key per node: the exporter's key id is its node id.
        let exporterKey = try read { db in try LogStore.knownKeys(in: db)[header.0.exporter] }
            .flatMap { $0.node == header.0.exporter && !$0.revoked ? $0.key : nil }
        var exporterVerified = false
        if let exporterKey {
            guard exporterKey.isValidSignature(header.signature, for: BundleFile.signatureDomain + header.signedBytes) else {
                throw LiaisonError(
                    .verification, "the bundle's header is not signed by its exporter \(header.0.exporter.hex.prefix(8)): it was changed", file: url.path)
            }
            exporterVerified = true
        }
        var summary = BundleImportSummary(header: header.0, exporterVerified: exporterVerified)
        var batch: [Commit] = []
        var batchChanges = 0
        var batchBytes = 0
        var receivedAny = false
        func flush() throws(LiaisonError) {
            // Even a bundle with nothing new lets commits held for their clock time apply.
            guard !batch.isEmpty || !receivedAny else { return }
            receivedAny = true
            summary.report.add(try receive(batch, now: now))
            batch.removeAll(keepingCapacity: true)
            batchChanges = 0
            batchBytes = 0
            progress(summary.commitsRead, reader.offset)
        }
        while true {
            let next: BundleReader.Item
            do {
                next = try reader.next()
            } catch {
                try flush()
                summary.damage = error.message
                return summary
            }
            switch next {
            case .commit(let commit):
                summary.commitsRead += 1
                let bytes = commit.changeBodies.reduce(0) { $0 + 33 + ($1?.count ?? 0) }
                if batchChanges + commit.changeHashes.count > Self.bundleBatchChanges || batchBytes + bytes > Self.bundleBatchBytes { try flush() }
                batch.append(commit)
                batchChanges += commit.changeHashes.count
                batchBytes += bytes
            case .damaged(let name, let reason):
                summary.commitsRead += 1
                summary.report.refused.append(.init(commit: name, reason: reason))
            case .end:
                try flush()
                if let extra = reader.bytesAfterEnd() {
                    summary.damage = "\(extra) bytes follow the end of the bundle; they were not read"
                }
                if exporterVerified, header.0.exporter != node.id {
                    let vector = String(decoding: header.0.brings.json(), as: UTF8.self)
                    try Self.storage {
                        try database.write { db in
                            try db.execute(sql: "UPDATE peer SET known_vector = ? WHERE node_id = ?", arguments: [vector, header.0.exporter.hex])
                        }
                    }
                }
                return summary
            }
        }
    }
}

/// Reads a bundle file frame by frame, holding one frame in memory at a time.
struct BundleReader {
    enum Item {
        case commit(Commit)
        /// A frame that did not parse as a commit, named by its header if that much is readable,
        /// else by its place in the file: it is skipped.
        case damaged(name: String, reason: String)
        case end
    }

    private let handle: FileHandle
    private let path: String
    private var buffer: [UInt8] = []
    private var bufferStart = 0
    private(set) var offset: Int64 = 0
    private var frames = 0

    init(url: URL) throws(LiaisonError) {
        guard let handle = try? FileHandle(forReadingFrom: url) else {
            throw LiaisonError(.invalidFile, "cannot open the bundle", file: url.path)
        }
        self.handle = handle
        path = url.path
    }

    /// The header, the bytes its signature covers, and the signature.
    mutating func readHeader() throws(LiaisonError) -> (BundleFile.Header, signedBytes: [UInt8], signature: [UInt8]) {
        let start = try take(8 + 1 + 16 + 8)
        guard Array(start.prefix(8)) == BundleFile.magic else {
            throw LiaisonError(.invalidFile, "not a Liaison bundle", file: path, hint: "make one with `liaison bundle export`")
        }
        guard start[8] == BundleFile.version else {
            throw LiaisonError(.invalidFile, "bundle format version \(start[8]) is not supported (this node reads version 1)", file: path)
        }
        var fixed = ByteReader(Array(start[9...]))
        let exporter = try NodeID(bytes: Array(try fixed.take(16)))
        let created = try fixed.u64()
        var signed = start
        let assumes = try readVector(into: &signed)
        let brings = try readVector(into: &signed)
        let signature = try take(64)
        let header = BundleFile.Header(
            exporter: exporter, createdAt: Date(timeIntervalSince1970: Double(created) / 1000), assumes: assumes, brings: brings)
        return (header, signed, signature)
    }

    private mutating func readVector(into signed: inout [UInt8]) throws(LiaisonError) -> VersionVector {
        let countBytes = try take(4)
        var countReader = ByteReader(countBytes)
        let count = try countReader.u32()
        guard count <= 1_000_000 else { throw LiaisonError(.verification, "the bundle's header is damaged (a vector of \(count) entries)", file: path) }
        let entries = try take(Int(count) * 60)
        signed += countBytes + entries
        var reader = ByteReader(countBytes + entries)
        return try VersionVector(reading: &reader)
    }

    mutating func next() throws(LiaisonError) -> Item {
        let tag = try take(1)[0]
        switch tag {
        case 0:
            var reader = ByteReader(try take(8))
            let count = try reader.u64()
            guard count == UInt64(frames) else {
                throw LiaisonError(
                    .verification, "the end marker at byte \(offset - 9) does not match the \(frames) commit(s) read: the file is damaged from there on",
                    file: path)
            }
            return .end
        case 1:
            frames += 1
            var lengthReader = ByteReader(try take(4))
            let length = try lengthReader.u32()
            guard length <= BundleFile.maximumFrameSize else {
                throw LiaisonError(.verification, "commit \(frames) of the file claims \(length) bytes: the file is damaged from byte \(offset - 4) on", file: path)
            }
            let frame = try take(Int(length))
            do {
                return .commit(try Commit(frame: frame))
            } catch {
                let name = (try? CommitHeader(decoding: Array(frame.prefix(CommitHeader.encodedSize))))
                    .map(\.label) ?? "commit \(frames) of the file"
                return .damaged(name: name, reason: "unreadable commit: \(error.message)")
            }
        default:
            throw LiaisonError(.verification, "unexpected byte \(tag) at byte \(offset - 1): the file is damaged from there on", file: path)
        }
    }

    /// How many bytes follow the end marker, if any.
    mutating func bytesAfterEnd() -> Int? {
        var extra = buffer.count - bufferStart
        while let chunk = try? handle.read(upToCount: 1 << 20), !chunk.isEmpty { extra += chunk.count }
        return extra > 0 ? extra : nil
    }

    private mutating func take(_ count: Int) throws(LiaisonError) -> [UInt8] {
        while buffer.count - bufferStart < count {
            let chunk: Data?
            do {
                chunk = try handle.read(upToCount: max(1 << 20, count))
            } catch {
                throw LiaisonError(.invalidFile, "cannot read the bundle: \(error.localizedDescription)", file: path)
            }
            guard let chunk, !chunk.isEmpty else {
                throw LiaisonError(.verification, "the bundle ends early, at byte \(offset + Int64(buffer.count - bufferStart)): it is truncated", file: path)
            }
            buffer.removeFirst(bufferStart)
            bufferStart = 0
            buffer += chunk
        }
        defer {
            bufferStart += count
            offset += Int64(count)
        }
        return Array(buffer[bufferStart..<bufferStart + count])
    }
}
