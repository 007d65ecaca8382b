public import Foundation
import Crypto
import GRDB
public import LiaisonCore
#if canImport(Glibc)
import Glibc
#endif

extension Directory {
    /// Writes the commits this node holds beyond `assumes` to a bundle file, in sequence order per
    /// origin and epoch. Changes that may not reach the receiver (`for`, when given) travel as their
    /// hash only: this node only, named nodes other than the receiver, sharing groups. The file is
    /// written beside `url` and renamed into place when complete. With `limit`, the bundle carries
    /// at most that many commits, the first in that order.
    ///
    /// The notes, evaluations and links it carries are recorded in the audit log as disclosed to
    /// the file, by `actor`.
    public func exportBundle(
        to url: URL, assumes: VersionVector, for receiver: NodeID? = nil, limit: Int = .max, actor: String = Directory.localUser,
        progress: (Int, Int) -> Void = { _, _ in }
    ) throws(LiaisonError) -> BundleExportSummary {
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
        var detail = ["file": url.standardizedFileURL.path]
        if let receiver { detail["receiver"] = receiver.hex }
        let disclosure = Disclosure(action: .disclosedByBundle, actor: actor, detail: detail)
        let summary = try writeBundle(assumes: assumes, for: receiver, limit: limit, disclosure: disclosure, progress: progress) { bytes throws(LiaisonError) in
            do {
                try handle.write(contentsOf: bytes)
            } catch {
                throw LiaisonError(.invalidFile, "cannot write the bundle: \(error.localizedDescription)", file: url.path)
            }
        }
        try Self.storage {
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

    /// Writes a bundle of the commits beyond `assumes`, signed for `receiver`, through `emit`, in
    /// chunks of about a megabyte, from one read of the database. With `limit` or `maximumBytes`,
    /// the bundle stops before the commit that would pass them, and the summary's
    /// ``BundleExportSummary/complete`` is false; a first commit larger than `maximumBytes` on its
    /// own is an error (``LiaisonError/Code/tooLarge``).
    ///
    /// What each chunk carries of intelligence is recorded in the audit log as `disclosure` says,
    /// before the chunk goes: a receiver keeps every batch that arrives whole.
    package func writeBundle(
        assumes: VersionVector, for receiver: NodeID?, limit: Int = .max, maximumBytes: Int64 = .max, interruption: Interruption? = nil,
        disclosure: Disclosure, progress: (Int, Int) -> Void = { _, _ in }, emit: ([UInt8]) throws(LiaisonError) -> Void
    ) throws(LiaisonError) -> BundleExportSummary {
        let node = self.node
        let key = try requireSigningKey()
        let created = clock()
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
                writer.u64(UInt64(max(0, created.timeIntervalSince1970 * 1000)))
                writer.raw(assumes.encoded)
                writer.raw(brings.encoded)
                let signature = try key.signature(for: BundleFile.signatureDomain + writer.bytes)
                writer.raw(signature)
                var buffer = writer.bytes
                let endMarkerSize: Int64 = 9
                let total = brings.count(beyond: assumes)
                var item: [UInt8] = []
                var disclosedSet = Set<UUID>()
                // What the buffer carries of intelligence and has not been recorded yet.
                var unrecorded = (records: [String](), sealedCopies: 0)
                func send(_ bytes: [UInt8]) throws(LiaisonError) {
                    if !unrecorded.records.isEmpty || unrecorded.sealedCopies > 0 {
                        try record(disclosure, records: unrecorded.records, sealedCopies: unrecorded.sealedCopies)
                        unrecorded = ([], 0)
                    }
                    try emit(bytes)
                }
                try LogStore.forEachStoredCommit(beyond: assumes, in: db) { stored in
                    // Stopped without its end marker: the receiver keeps only what came whole.
                    if interruption?.isRequested == true { throw LiaisonError(.interrupted, "Interrupted") }
                    guard summary.commits < limit else {
                        summary.complete = false
                        return false
                    }
                    item.removeAll(keepingCapacity: true)
                    // Most commits reach every node whole: they go as stored, without being decoded.
                    let (changeCount, withheld): (Int, Int)
                    var disclosed: (commit: Commit, changes: [Change?])?
                    if stored.travelsWhole {
                        try BundleFile.writeItem(header: stored.header, signature: stored.signature, compactChanges: stored.compactChanges, into: &item)
                        (changeCount, withheld) = (stored.changeCount, 0)
                        if stored.holdsIntelligence { disclosed = try LogStore.decodedCommit(stored.row) }
                    } else {
                        let (full, changes) = try LogStore.decodedCommit(stored.row)
                        let commit = full.reaching(receiver)
                        try BundleFile.writeItem(commit, into: &item)
                        (changeCount, withheld) = (commit.changeBodies.count, commit.changeBodies.filter { $0 == nil }.count)
                        if stored.holdsIntelligence { disclosed = (commit, changes) }
                    }
                    if summary.bytes + Int64(buffer.count + item.count) + endMarkerSize > maximumBytes {
                        guard summary.commits > 0 else {
                            let size = summary.bytes + Int64(buffer.count + item.count) + endMarkerSize
                            let label = (try? CommitHeader(decoding: stored.header))?.label ?? "of \(item.count) bytes"
                            throw LiaisonError(.tooLarge, "commit \(label) alone makes a bundle of \(size) bytes")
                        }
                        summary.complete = false
                        return false
                    }
                    buffer += item
                    if let (commit, changes) = disclosed {
                        // In clear, or sealed: a copy is disclosed to whoever holds its recipient's key.
                        for (index, change) in changes.enumerated() where commit.changeBodies[index] != nil || commit.sealedBodies[index] != nil {
                            if let change, [.note, .noteEvaluation, .noteLink].contains(change.entity), disclosedSet.insert(change.recordID).inserted {
                                summary.disclosedRecords.append(change.recordID.lowercasedString)
                                unrecorded.records.append(change.recordID.lowercasedString)
                            }
                        }
                        let copies = commit.sealedBodies.values.reduce(0) { $0 + $1.count }
                        summary.sealedCopies += copies
                        unrecorded.sealedCopies += copies
                    }
                    summary.commits += 1
                    summary.changes += changeCount
                    summary.withheldChanges += withheld
                    if buffer.count > 1 << 20 {
                        try send(buffer)
                        summary.bytes += Int64(buffer.count)
                        buffer.removeAll(keepingCapacity: true)
                        progress(summary.commits, total)
                    }
                    return true
                }
                var end = ByteWriter()
                end.u8(BundleFile.Tag.end)
                end.u64(UInt64(summary.commits))
                buffer += end.bytes
                try send(buffer)
                summary.bytes += Int64(buffer.count)
                progress(summary.commits, total)
            }
        }
        return summary
    }

    /// How the audit log records what a bundle discloses: the action, who, and where it goes.
    package struct Disclosure: Sendable {
        var action: AuditAction
        var actor: String
        var detail: [String: String]

        package init(action: AuditAction, actor: String, detail: [String: String]) {
            self.action = action
            self.actor = actor
            self.detail = detail
        }

        /// A bundle written by a test or a tool for a peer, recorded as its push.
        package static func push(to peer: NodeID, by actor: String) -> Disclosure {
            Disclosure(action: .disclosedBySync, actor: actor, detail: ["peer": peer.hex, "by": "this node's push"])
        }
    }

    /// Records what one chunk of a bundle carries of intelligence.
    private func record(_ disclosure: Disclosure, records: [String], sealedCopies: Int) throws(LiaisonError) {
        var detail = disclosure.detail
        detail["sealed_copies"] = String(sealedCopies)
        try audit(disclosure.action, actor: disclosure.actor, records: records, detail: detail)
    }
}
