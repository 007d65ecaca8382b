import Foundation
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
        with transport: some SyncTransport, interruption: Interruption? = nil, backoff: SyncBackoff = SyncBackoff(), actor: String = "node",
        progress: @escaping @Sendable (Int, Int64, Int64) -> Void = { _, _, _ in }
    ) async throws(LiaisonError) -> SyncSummary {
        do {
            let (summary, cut) = try await syncOnce(with: transport, interruption: interruption, actor: actor, progress: progress)
            if let cut {
                // What arrived is kept, and the summary says so; the next try waits as after any failure.
                try? recordSyncFailure(with: transport.peer, error: cut, at: clock(), backoff: backoff)
                return summary
            }
            let sentAll = summary.peerReport.map { $0.refused.isEmpty && $0.held.isEmpty } ?? true
            try recordSyncSuccess(with: transport.peer, theirs: summary.theirs, sentAll: sentAll, at: clock())
            return summary
        } catch {
            // An officer's Ctrl-C says nothing of the peer.
            if error.code != .interrupted { try? recordSyncFailure(with: transport.peer, error: error, at: clock(), backoff: backoff) }
            throw error
        }
    }

    /// One sync; with the error that cut the pull short, after which nothing is pushed.
    private func syncOnce(
        with transport: some SyncTransport, interruption: Interruption?, actor: String, progress: @escaping @Sendable (Int, Int64, Int64) -> Void
    ) async throws(LiaisonError) -> (SyncSummary, cut: LiaisonError?) {
        let peer = transport.peer
        let peerID = try NodeID(hex: peer.nodeID)
        let state = try await transport.state(known: try lastKnownVector(of: peer))
        let theirs = state.vector
        let mine = try vector()
        var summary = SyncSummary(peer: peer, received: ReceiveReport(), commitsRead: 0, pushed: BundleExportSummary(), theirs: theirs)
        // A peer that holds nothing this node lacks is not asked for it: a sync with nothing new
        // is one small exchange.
        if !mine.covers(theirs) {
            let expected = Int64(theirs.count(beyond: mine))
            let stream = BundleStream(name: "the pull from \(peer.name)")
            let importing = startOffloaded { [self] () throws(LiaisonError) in
                try importBundle(from: stream, exportedBy: peerID, interruption: interruption, progress: { progress($0, $1, expected) }) { exporter in
                    "\(peer.name) answered a pull with a bundle exported by node \(exporter.hex.prefix(8)), not by itself"
                }
            }
            var cut: LiaisonError?
            do throws(LiaisonError) {
                try await transport.pull(beyond: mine, into: stream)
            } catch {
                cut = error
            }
            switch await importing.value {
            case .success(let pulled):
                summary.received = pulled.report
                summary.commitsRead = pulled.commitsRead
                summary.damage = pulled.damage
                if let cut { return (summary, cut) }
            case .failure(let error):
                // The importer's error, unless the link failed first and caused it.
                if let cut, !stream.stoppedByReader { throw cut }
                throw error
            }
        }
        (summary.pushed, summary.peerReport) = try await push(
            to: transport, beyond: theirs, peerID: peerID, maximumBytes: state.maximumPush, interruption: interruption, actor: actor)
        return (summary, nil)
    }

    /// Sends the commits beyond `theirs`, in bundles no larger than the peer accepts: when one
    /// limit stops a bundle, the next goes on from what the peer holds then. A peer that refuses a
    /// bundle as too large is sent half as much at a time. A single commit larger than the peer
    /// accepts is an error, not retried.
    private func push(
        to transport: some SyncTransport, beyond theirs: VersionVector, peerID: NodeID, maximumBytes: Int64?, interruption: Interruption?, actor: String
    ) async throws(LiaisonError) -> (BundleExportSummary, ReceiveReport?) {
        let peer = transport.peer
        var assumes = theirs
        var budget = maximumBytes ?? .max
        var pushed = BundleExportSummary()
        var combined: ReceiveReport?
        while try vector().count(beyond: assumes) > 0 {
            let stream = BundleStream(name: "the push to \(peer.name)")
            let exporting = startOffloaded { [self, assumes, budget] () throws(LiaisonError) in
                do throws(LiaisonError) {
                    let disclosure = Disclosure(action: .disclosedBySync, actor: actor, detail: ["peer": peerID.hex, "by": "this node's push"])
                    let summary = try writeBundle(
                        assumes: assumes, for: peerID, maximumBytes: budget, interruption: interruption, disclosure: disclosure
                    ) { bytes throws(LiaisonError) in
                        try stream.write(bytes)
                    }
                    stream.finish()
                    return summary
                } catch {
                    stream.fail(error.message)
                    throw error
                }
            }
            var sent: Result<ReceiveReport, LiaisonError>
            do throws(LiaisonError) {
                sent = .success(try await transport.push(from: stream))
            } catch {
                stream.stopReading()
                sent = .failure(error)
            }
            let exported = await exporting.value
            if case .failure(let error) = exported, !stream.stoppedByReader {
                // The export failed first, and stopped the push.
                if error.code == .interrupted {
                    throw LiaisonError(
                        .interrupted,
                        "Interrupted: the push to \(peer.name) stopped; what \(peer.name) applied before stays; sync again to finish, which sends only the rest.")
                }
                guard error.code == .tooLarge else { throw error }
                throw LiaisonError(
                    .tooLarge, "\(error.message), larger than \(peer.name) accepts in a push (\(budget) bytes)",
                    hint: "raise the push limit on \(peer.name)'s node, or carry this commit as a bundle file")
            }
            let summary: BundleExportSummary
            switch (exported, sent) {
            case (.success(let exportSummary), .success(let report)):
                summary = exportSummary
                if combined == nil { combined = report } else { combined?.add(report) }
            case (_, .failure(let error)) where error.code == .tooLarge:
                // The peer's limit is lower than it said: half as much at a time, until a single
                // commit is too large on its own.
                let tried = (try? exported.get().bytes) ?? (budget == .max ? Int64(SyncMedia.maximumPush) : budget)
                budget = tried / 2
                continue
            case (_, .failure(let error)), (.failure(let error), _):
                throw error
            }
            pushed.commits += summary.commits
            pushed.changes += summary.changes
            pushed.withheldChanges += summary.withheldChanges
            pushed.bytes += summary.bytes
            guard !summary.complete else { break }
            // More to send: from what the peer holds now. A peer that took nothing more would be
            // sent the same again, so the push ends there.
            let now = try await transport.state().vector
            guard now != assumes else { break }
            assumes = now
        }
        pushed.assumes = theirs
        return (pushed, combined)
    }

    /// Streams what `peer` lacks of this node's log as of `vector`, as a bundle this node signs for
    /// it, into `stream`, and finishes it; on failure the stream fails with the reason.
    package func streamBundle(beyond vector: VersionVector, for peer: NodeID, into stream: BundleStream) throws(LiaisonError) -> BundleExportSummary {
        do {
            let disclosure = Disclosure(action: .disclosedBySync, actor: "peer:\(peer.hex)", detail: ["peer": peer.hex, "by": "its pull"])
            let summary = try writeBundle(assumes: vector, for: peer, disclosure: disclosure) { bytes throws(LiaisonError) in try stream.write(bytes) }
            stream.finish()
            return summary
        } catch {
            stream.fail(error.message)
            throw error
        }
    }

    /// Receives a bundle that `peer` pushes, as it arrives: it must be signed by that peer. A
    /// bundle damaged or cut after some batches applied is an error that says so; those batches
    /// stay.
    package func receivePushed(from stream: BundleStream, by peer: NodeID) throws(LiaisonError) -> ReceiveReport {
        let summary = try importBundle(from: stream, exportedBy: peer) { exporter in
            "a pushed bundle must be exported by the node that pushes it, not by node \(exporter.hex.prefix(8))"
        }
        if let damage = summary.damage {
            throw LiaisonError(
                .verification,
                "the pushed bundle is damaged: \(damage); the \(counted(summary.report.applied, "commit")) before the damage were applied")
        }
        return summary.report
    }
}

/// Runs blocking work (the database, files) on another thread, so that it holds no thread of the
/// caller's executor while it runs.
package func offload<T: Sendable>(_ work: @escaping @Sendable () throws(LiaisonError) -> T) async throws(LiaisonError) -> T {
    try await offloadedResult(work).get()
}

/// Starts blocking work on another thread and returns at once: its result is awaited when needed,
/// while the caller does its part (feeds the stream the work reads, say).
package func startOffloaded<T: Sendable>(_ work: @escaping @Sendable () throws(LiaisonError) -> T) -> Task<Result<T, LiaisonError>, Never> {
    Task { await offloadedResult(work) }
}

private func offloadedResult<T: Sendable>(_ work: @escaping @Sendable () throws(LiaisonError) -> T) async -> Result<T, LiaisonError> {
    // A thread of its own: the work may wait on a stream for as long as the link takes, and must
    // not hold one of the dispatch pool's few threads meanwhile.
    await withCheckedContinuation { continuation in
        Thread.detachNewThread {
            continuation.resume(returning: Result { () throws(LiaisonError) in try work() })
        }
    }
}
