public import Foundation
import Crypto
import GRDB
public import LiaisonCore

extension Directory {
    /// Changes and bytes per transaction when importing a bundle: they bound memory whatever the
    /// bundle's size; a single larger commit is applied on its own.
    static let bundleBatchChanges = 30_000
    static let bundleBatchBytes = 32 << 20

    /// Reads a bundle file and applies its commits in batches, each in one transaction, in bounded
    /// memory. Every commit is verified against its author's key as if it came from the author.
    ///
    /// A bundle made by a node outside the roster is refused: nothing vouches for its header and
    /// vectors. With `anyExporter` its commits are applied all the same, each still verified against
    /// its author's key, and its vectors are not used. `now` is the time the clock check compares
    /// with; nil reads this node's clock.
    public func importBundle(
        from url: URL, anyExporter: Bool = false, now: Date? = nil, progress: (Int, Int64) -> Void = { _, _ in }
    ) throws(LiaisonError) -> BundleImportSummary {
        let now = now ?? clock()
        var reader = try BundleReader(url: url)
        let header = try reader.readHeader()
        let exporter = header.0.exporter
        // One key per node: the exporter's key id is its node id.
        let exporterKey = try read { db in try LogStore.knownKeys(in: db)[exporter] }
        var exporterVerified = false
        if let exporterKey, exporterKey.node == exporter, !exporterKey.revoked {
            guard exporterKey.key.isValidSignature(header.signature, for: BundleFile.signatureDomain + header.signedBytes) else {
                throw LiaisonError(
                    .verification, "the bundle's header is not signed by its exporter \(exporter.hex.prefix(8)): it was changed", file: url.path)
            }
            exporterVerified = true
        } else if !anyExporter {
            let standing = exporterKey?.revoked == true ? "was revoked" : "is not on this node's roster"
            throw LiaisonError(
                .verification, "the bundle was exported by node \(exporter.hex.prefix(8)), which \(standing): nothing vouches for its header",
                file: url.path,
                hint: "add the exporter's card with `liaison peer add CARD` first, or import with --any-exporter to apply its commits anyway (each is still verified against its author's key)")
        }
        // Fewer, larger checkpoints while the batches go in: each one writes and syncs the
        // database file. The write-ahead log grows to about 32 MiB at most.
        try? database.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_autocheckpoint = 8192") }
        defer { try? database.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_autocheckpoint = 1000") } }
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
                summary.report.held = try stillHeld(summary.report.held)
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
                summary.report.held = try stillHeld(summary.report.held)
                return summary
            }
        }
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
