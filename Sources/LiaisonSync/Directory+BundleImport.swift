public import Foundation
import Crypto
import GRDB
public import LiaisonCore

extension Directory {
    /// Changes and bytes per transaction when importing a bundle: they bound memory whatever the
    /// bundle's size (two batches are in memory: one written, the next read); a single larger
    /// commit is applied on its own.
    static let bundleBatchChanges = 6_000
    static let bundleBatchBytes = 6 << 20

    /// Reads a bundle file and applies its commits in batches, each in one transaction, in bounded
    /// memory. Every commit is verified against its author's key as if it came from the author.
    ///
    /// A bundle made by a node outside the roster is refused: nothing vouches for its header and
    /// vectors. With `anyExporter` its commits are applied all the same, each still verified against
    /// its author's key, and its vectors are not used. `now` is the time the clock check compares
    /// with; nil reads this node's clock. An `interruption` stops the import before the next batch:
    /// the batches already applied stay, and the error (``LiaisonError/Code/interrupted``) says so.
    public func importBundle(
        from url: URL, anyExporter: Bool = false, now: Date? = nil, interruption: Interruption? = nil,
        progress: (Int, Int64) -> Void = { _, _ in }
    ) throws(LiaisonError) -> BundleImportSummary {
        try importBundle(
            reading: try BundleReader(url: url), named: url.path, anyExporter: anyExporter, now: now, interruption: interruption,
            progress: progress)
    }

    /// Applies a bundle as it arrives, exactly as a file is imported; `exporter` must have made it,
    /// and `refusal` words the error when another node did. On any error the stream's writer is
    /// told to stop.
    package func importBundle(
        from stream: BundleStream, exportedBy exporter: NodeID, interruption: Interruption? = nil, progress: (Int, Int64) -> Void = { _, _ in },
        refusal: (NodeID) -> String
    ) throws(LiaisonError) -> BundleImportSummary {
        do {
            return try importBundle(
                reading: BundleReader(stream: stream), named: stream.name, interruption: interruption, progress: progress
            ) { made throws(LiaisonError) in
                guard made == exporter else { throw LiaisonError(.verification, refusal(made)) }
            }
        } catch {
            stream.stopReading()
            throw error
        }
    }

    private func importBundle(
        reading reader: consuming BundleReader, named name: String, anyExporter: Bool = false, now: Date? = nil,
        interruption: Interruption?, progress: (Int, Int64) -> Void, checkExporter: (NodeID) throws(LiaisonError) -> Void = { _ in }
    ) throws(LiaisonError) -> BundleImportSummary {
        let now = now ?? clock()
        let header = try reader.readHeader()
        let exporter = header.0.exporter
        try checkExporter(exporter)
        let (keys, reference) = try read { db in (try LogStore.knownKeys(in: db), try FieldTable.reference(in: db)) }
        // One key per node: the exporter's key id is its node id.
        let exporterKey = keys[exporter]
        var exporterVerified = false
        if let exporterKey, exporterKey.node == exporter, !exporterKey.revoked {
            guard exporterKey.key.isValidSignature(header.signature, for: BundleFile.signatureDomain + header.signedBytes) else {
                throw LiaisonError(
                    .verification, "the bundle's header is not signed by its exporter \(exporter.hex.prefix(8)): it was changed", file: name)
            }
            exporterVerified = true
        } else if !anyExporter {
            let standing = exporterKey?.revoked == true ? "was revoked" : "is not on this node's roster"
            throw LiaisonError(
                .verification, "the bundle was exported by node \(exporter.hex.prefix(8)), which \(standing): nothing vouches for its header",
                file: name,
                hint: "add the exporter's card with `liaison peer add CARD` first, or import with --any-exporter to apply its commits anyway (each is still verified against its author's key)")
        }
        // Fewer, larger checkpoints while the batches go in: each one writes and syncs the
        // database file. The write-ahead log grows to about 32 MiB at most.
        try? database.writeWithoutTransaction { db in
            let pageSize = try Int.fetchOne(db, sql: "PRAGMA page_size") ?? 4096
            try db.execute(sql: "PRAGMA wal_autocheckpoint = \((32 << 20) / max(pageSize, 512))")
        }
        defer { try? database.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_autocheckpoint = 1000") } }
        // Where this node's records end: those created by this import come after.
        let recordsBefore = try read { db in try DuplicateFinder.NewRecords(in: db) }
        var summary = BundleImportSummary(header: header.0, exporterVerified: exporterVerified)
        // The next batch is read, inflated and checked on another thread while this one is written.
        let batches = BundleBatches(reader: reader, keys: keys, reference: reference, receiver: node.id, opener: encryptionKey)
        var upcoming = Background { batches.next() }
        var receivedAny = false
        let agencyRows = SearchIndex.AgencyRowCache()
        while true {
            if interruption?.isRequested == true { throw Self.interrupted(name, applied: summary.report.applied) }
            var batch = upcoming.value
            if batch.ending == nil { upcoming = Background { batches.next() } }
            summary.commitsRead += batch.commitsRead
            summary.report.refused += batch.damaged
            // Even a bundle with nothing new lets commits held for their clock time apply.
            if !batch.commits.isEmpty || !receivedAny {
                receivedAny = true
                summary.report.add(try receive(checked: batch.commits, now: now, agencyRows: agencyRows))
                let applied = batch.commits
                batch.commits = []
                freeInBackground(applied)
            }
            progress(summary.commitsRead, batch.offset)
            switch batch.ending {
            case nil:
                continue
            case .damage(let message):
                summary.damage = message
            case .end(let bytesAfter):
                if let bytesAfter { summary.damage = "\(bytesAfter) bytes follow the end of the bundle; they were not read" }
                if exporterVerified, exporter != node.id {
                    // Of what it says it brings, only the chains of nodes this one knows.
                    let brings = VersionVector(header.0.brings.entries.filter { keys[$0.origin] != nil || $0.origin == node.id })
                    let vector = String(decoding: brings.json(), as: UTF8.self)
                    try Self.storage {
                        try database.write { db in
                            try db.execute(sql: "UPDATE peer SET known_vector = ? WHERE node_id = ?", arguments: [vector, exporter.hex])
                        }
                    }
                }
            }
            summary.report.held = try stillHeld(summary.report.held)
            summary.report.newLikelyDuplicates = try newLikelyDuplicates(after: recordsBefore)
            return summary
        }
    }

    /// How many likely duplicate pairs involve a record created after `before`. A first receive
    /// into a node that held no contacts or agencies copies a directory whose pairs, if any, are
    /// not new: `liaison duplicates` lists them, and this counts none.
    func newLikelyDuplicates(after before: DuplicateFinder.NewRecords) throws(LiaisonError) -> Int {
        guard before.person > 0 || before.agency > 0 else { return 0 }
        let node = node.id.hex
        return try read { db in
            let now = try DuplicateFinder.NewRecords(in: db)
            guard now.person > before.person || now.agency > before.agency else { return 0 }
            return try DuplicateFinder(db: db, node: node).pairs(involving: before).count
        }
    }

    /// Each batch was its own transaction: what earlier ones applied stays, and importing the same
    /// bundle again skips it.
    private static func interrupted(_ name: String, applied: Int) -> LiaisonError {
        // A file is named by its file name; a transfer ("the pull from Chisinau") as it is.
        let file = name.hasPrefix("/") ? URL(filePath: name).lastPathComponent : name
        let again = name.hasPrefix("/") ? "run the same import again to finish" : "sync again to finish"
        guard applied > 0 else { return LiaisonError(.interrupted, "Interrupted: nothing was imported from \(file); \(name.hasPrefix("/") ? "run the import again" : "sync again").") }
        let commits = applied == 1 ? "1 commit" : "\(applied) commits"
        return LiaisonError(
            .interrupted,
            "Interrupted: the \(commits) applied before the interruption are kept and the rest of \(file) was not imported; \(again), which skips what is already here.")
    }

    /// The commits of `notices` that still wait, once for each, with what they wait for now: a
    /// later batch of the same import may have let some apply.
    private func stillHeld(_ notices: [ReceiveReport.Notice]) throws(LiaisonError) -> [ReceiveReport.Notice] {
        guard !notices.isEmpty else { return [] }
        let waiting = try read { db in
            var reasons: [String: String] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT origin, epoch, sequence, reason FROM held_commit") {
                let origin = try NodeID(hex: row["origin"])
                reasons[CommitHeader.label(origin: origin, epoch: row["epoch"], sequence: UInt64(row["sequence"] as Int64))] = row["reason"]
            }
            return reasons
        }
        var seen: Set<String> = []
        return notices.compactMap { notice in
            guard let reason = waiting[notice.commit], seen.insert(notice.commit).inserted else { return nil }
            return ReceiveReport.Notice(commit: notice.commit, reason: reason)
        }
    }
}

/// A bundle's commits in batches for one write transaction each, read, inflated and checked against
/// the roster: the part of receiving that needs no database.
final class BundleBatches: @unchecked Sendable {
    /// One batch, and whether the bundle ends after it.
    struct Batch: Sendable {
        enum Ending: Sendable {
            /// The end marker, and how many bytes follow it.
            case end(bytesAfter: Int?)
            /// The file is damaged from here on.
            case damage(String)
        }

        var commits: [CheckedCommit] = []
        var commitsRead = 0
        var damaged: [ReceiveReport.Notice] = []
        var offset: Int64 = 0
        var ending: Ending?
    }

    // Unchecked: `next()` is called from one thread at a time, each call only after the previous
    // one was waited for, so the reader is never used by two threads at once.
    private var reader: BundleReader
    private var waiting: Read?

    /// A commit as read: its changes where its form gave them, and its compact form.
    private typealias Read = (commit: Commit, changes: [Change?]?, compact: [UInt8]?)
    private let keys: [NodeID: LogStore.KnownKey]
    private let reference: ReferenceData
    private let receiver: NodeID
    private let opener: Curve25519.KeyAgreement.PrivateKey?

    init(
        reader: BundleReader, keys: [NodeID: LogStore.KnownKey], reference: ReferenceData, receiver: NodeID,
        opener: Curve25519.KeyAgreement.PrivateKey?
    ) {
        self.opener = opener
        self.reader = reader
        self.keys = keys
        self.reference = reference
        self.receiver = receiver
    }

    /// The next batch: up to ``Directory/bundleBatchChanges`` changes and
    /// ``Directory/bundleBatchBytes`` bytes, or one larger commit on its own.
    func next() -> Batch {
        var batch = Batch()
        var read: [Read] = []
        var changes = 0
        var bytes = 0
        func add(_ item: Read) {
            read.append(item)
            changes += item.commit.changeHashes.count
            bytes += item.commit.changeBodies.reduce(0) { $0 + 33 + ($1?.count ?? 0) }
        }
        if let waiting {
            add(waiting)
            self.waiting = nil
        }
        reading: while true {
            let item: BundleReader.Item
            do {
                item = try reader.next()
            } catch {
                batch.ending = .damage(error.message)
                break
            }
            switch item {
            case .commit(let commit, let decoded, let compact):
                batch.commitsRead += 1
                let size = commit.changeBodies.reduce(0) { $0 + 33 + ($1?.count ?? 0) }
                if !read.isEmpty, changes + commit.changeHashes.count > Directory.bundleBatchChanges || bytes + size > Directory.bundleBatchBytes {
                    waiting = (commit, decoded, compact)
                    break reading
                }
                add((commit, decoded, compact))
            case .damaged(let name, let reason):
                batch.commitsRead += 1
                batch.damaged.append(.init(commit: name, reason: reason))
            case .end:
                batch.ending = .end(bytesAfter: reader.bytesAfterEnd())
                break reading
            }
        }
        let keys = keys, reference = reference, receiver = receiver, opener = opener
        batch.commits = read.concurrentMap(minimumChunk: 2) {
            CheckedCommit($0.commit, keys: keys, receiver: receiver, opener: opener, decoded: $0.changes, compact: $0.compact, reference: reference)
        }
        batch.offset = reader.offset
        return batch
    }
}
