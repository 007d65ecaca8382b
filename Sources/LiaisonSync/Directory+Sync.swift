package import Foundation
public import LiaisonCore

/// What one sync with a peer did, both ways.
public struct SyncSummary: Sendable {
    public var peer: Peer
    /// What receiving the commits this node lacked did; empty when the peer had nothing new.
    public var received: ReceiveReport
    /// Commits read from the peer's answer.
    public var commitsRead: Int
    /// Set when the answer was cut or damaged: what came before was applied, and the next sync
    /// goes on from there.
    public var damage: String?
    /// What this node sent: the commits the peer lacked.
    public var pushed: BundleExportSummary
    /// What receiving them did at the peer; nil when there was nothing to send.
    public var peerReport: ReceiveReport?
    /// The peer's vector when the sync began.
    public var theirs: VersionVector
}

extension Directory {
    /// Syncs with a peer both ways: pulls the commits this node lacks as a bundle the peer signs for
    /// it, applies them exactly as a bundle file is imported, then pushes the commits the peer lacks
    /// as a bundle this node signs for it. What a peer may not see never leaves this node.
    ///
    /// Each batch of a pull is applied in its own transaction, so a cut link loses at most the batch
    /// in flight and the next sync goes on from there.
    ///
    /// The outcome is kept for `peer status` and background sync: a failure delays the next
    /// background attempt by `backoff`.
    ///
    /// `progress` hears, while a pull is applied, the commits read so far, the bytes read and the
    /// bundle's size.
    public func sync(
        with transport: some SyncTransport, interruption: Interruption? = nil, backoff: SyncBackoff = SyncBackoff(),
        progress: @escaping @Sendable (Int, Int64, Int64) -> Void = { _, _, _ in }
    ) async throws(LiaisonError) -> SyncSummary {
        do {
            let summary = try await syncOnce(with: transport, interruption: interruption, progress: progress)
            let sentAll = summary.peerReport.map { $0.refused.isEmpty && $0.held.isEmpty } ?? true
            try recordSyncSuccess(with: transport.peer, theirs: summary.theirs, sentAll: sentAll, at: clock())
            return summary
        } catch {
            try? recordSyncFailure(with: transport.peer, error: error, at: clock(), backoff: backoff)
            throw error
        }
    }

    private func syncOnce(
        with transport: some SyncTransport, interruption: Interruption?, progress: @escaping @Sendable (Int, Int64, Int64) -> Void
    ) async throws(LiaisonError) -> SyncSummary {
        let peer = transport.peer
        let peerID = try NodeID(hex: peer.nodeID)
        let theirs = try await transport.vector()
        let mine = try vector()
        var summary = SyncSummary(peer: peer, received: ReceiveReport(), commitsRead: 0, pushed: BundleExportSummary(), theirs: theirs)
        // A peer that holds nothing this node lacks is not asked for it: a sync with nothing new
        // is one small exchange.
        if !mine.covers(theirs) {
            let pulledBytes = try await transport.pull(beyond: mine)
            let pulled = try await offload { [self] () throws(LiaisonError) in
                try importBundle(pulledBytes, exportedBy: peerID, interruption: interruption, progress: { progress($0, $1, Int64(pulledBytes.count)) }) { exporter in
                    "\(peer.name) answered a pull with a bundle exported by node \(exporter.hex.prefix(8)), not by itself"
                }
            }
            summary.received = pulled.report
            summary.commitsRead = pulled.commitsRead
            summary.damage = pulled.damage
        }
        (summary.pushed, summary.peerReport) = try await push(to: transport, beyond: theirs, peerID: peerID)
        return summary
    }

    /// Sends the commits beyond `theirs`: in one bundle, or, when the peer refuses one as too large,
    /// in bundles of half as many commits each time, until it takes them. A single commit larger
    /// than the peer accepts is an error, not retried.
    private func push(
        to transport: some SyncTransport, beyond theirs: VersionVector, peerID: NodeID
    ) async throws(LiaisonError) -> (BundleExportSummary, ReceiveReport?) {
        var assumes = theirs
        var limit = Int.max
        var pushed = BundleExportSummary()
        var combined: ReceiveReport?
        while true {
            let (summary, bundle) = try await offload { [self, assumes, limit] () throws(LiaisonError) in
                try withTemporaryFile(named: "push.liaison-bundle") { file throws(LiaisonError) in
                    let summary = try exportBundle(to: file, assumes: assumes, for: peerID, limit: limit)
                    return (summary, summary.commits > 0 ? try readFile(file) : nil)
                }
            }
            guard let bundle else { break }
            let report: ReceiveReport
            do {
                report = try await transport.push(bundle)
            } catch where error.code == .tooLarge {
                guard summary.commits > 1 else {
                    throw LiaisonError(
                        .tooLarge, "one commit, of \(summary.bytes) bytes in its bundle, is larger than \(transport.peer.name) accepts in a push",
                        hint: "raise the push limit on \(transport.peer.name)'s node, or carry this commit as a bundle file")
                }
                limit = summary.commits / 2
                continue
            }
            pushed.commits += summary.commits
            pushed.changes += summary.changes
            pushed.withheldChanges += summary.withheldChanges
            pushed.bytes += summary.bytes
            if combined == nil { combined = report } else { combined?.add(report) }
            guard summary.commits >= limit else { break }
            // More to send: from what the peer holds now. A peer that took nothing more would be
            // sent the same again, so the push ends there.
            let now = try await transport.vector()
            guard now != assumes else { break }
            assumes = now
        }
        pushed.assumes = theirs
        return (pushed, combined)
    }

    /// What `peer` lacks of this node's log as of `vector`, as a bundle this node signs for it.
    package func bundle(beyond vector: VersionVector, for peer: NodeID) throws(LiaisonError) -> Data {
        try withTemporaryFile(named: "pull.liaison-bundle") { file throws(LiaisonError) in
            _ = try exportBundle(to: file, assumes: vector, for: peer)
            return try readFile(file)
        }
    }

    /// Receives a bundle that `peer` pushed: it must be signed by that peer.
    package func receivePushed(_ bundle: Data, from peer: NodeID) throws(LiaisonError) -> ReceiveReport {
        try importBundle(bundle, exportedBy: peer) { exporter in
            "a pushed bundle must be exported by the node that pushes it, not by node \(exporter.hex.prefix(8))"
        }.report
    }

    /// Imports bundle bytes that `peer` must have exported; `refusal` words the error when another
    /// node did.
    private func importBundle(
        _ bundle: Data, exportedBy peer: NodeID, interruption: Interruption? = nil, progress: (Int, Int64) -> Void = { _, _ in },
        refusal: (NodeID) -> String
    ) throws(LiaisonError) -> BundleImportSummary {
        try withTemporaryFile(named: "received.liaison-bundle") { file throws(LiaisonError) in
            try writeFile(bundle, to: file)
            var reader = try BundleReader(url: file)
            let exporter = try reader.readHeader().0.exporter
            guard exporter == peer else { throw LiaisonError(.verification, refusal(exporter)) }
            return try importBundle(from: file, interruption: interruption, progress: progress)
        }
    }
}

/// Runs blocking work (the database, files) on another thread, so that it holds no thread of the
/// caller's executor while it runs.
package func offload<T: Sendable>(_ work: @escaping @Sendable () throws(LiaisonError) -> T) async throws(LiaisonError) -> T {
    let result: Result<T, LiaisonError> = await withCheckedContinuation { continuation in
        DispatchQueue.global(qos: .userInitiated).async {
            continuation.resume(returning: Result { () throws(LiaisonError) in try work() })
        }
    }
    return try result.get()
}

/// A file in a new temporary folder, removed with the folder when `body` ends.
private func withTemporaryFile<T>(named name: String, _ body: (URL) throws(LiaisonError) -> T) throws(LiaisonError) -> T {
    let folder = FileManager.default.temporaryDirectory.appending(path: "liaison-sync-\(UUID().uuidString)")
    do {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    } catch {
        throw LiaisonError(.storage, "cannot make a temporary folder in \(FileManager.default.temporaryDirectory.path): \(error.localizedDescription)")
    }
    defer { try? FileManager.default.removeItem(at: folder) }
    return try body(folder.appending(path: name))
}

private func writeFile(_ data: Data, to file: URL) throws(LiaisonError) {
    do {
        try data.write(to: file)
    } catch {
        throw LiaisonError(.storage, "cannot write \(file.path): \(error.localizedDescription)")
    }
}

private func readFile(_ file: URL) throws(LiaisonError) -> Data {
    do {
        return try Data(contentsOf: file)
    } catch {
        throw LiaisonError(.storage, "cannot read \(file.path): \(error.localizedDescription)")
    }
}
