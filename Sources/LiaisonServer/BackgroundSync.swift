import Foundation
public import LiaisonCore
public import LiaisonSync
public import Logging
public import ServiceLifecycle
import Synchronization

/// Syncs with every peer that has an address, while the server runs: every `period`, at once when
/// this node's log grows (a local write, or commits received from another peer), and at once when a
/// peer that was failing reaches this node. A peer that fails waits by ``SyncBackoff``, and the
/// wait survives a restart.
public struct BackgroundSync: Service {
    let directory: Directory
    let tls: NodeTLS
    let period: Duration
    let backoff: SyncBackoff
    let wakeup: Wakeup
    let logger: Logger

    /// Wakes background sync before its period ends.
    public final class Wakeup: Sendable {
        private let pending = Mutex(false)

        public init() {}

        public func wake() { pending.withLock { $0 = true } }

        func take() -> Bool { pending.withLock { value in defer { value = false }; return value } }
    }

    public init(directory: Directory, tls: NodeTLS, period: Duration, backoff: SyncBackoff = SyncBackoff(), wakeup: Wakeup = Wakeup(), logger: Logger) {
        self.directory = directory
        self.tls = tls
        self.period = period
        self.backoff = backoff
        self.wakeup = wakeup
        self.logger = logger
    }

    public func run() async throws {
        // Graceful shutdown cancels the wait; a sync in flight finishes its batch first.
        do {
            try await cancelWhenGracefulShutdown {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await loop() }
                    group.addTask { await watchPeers() }
                    try await group.next()
                    group.cancelAll()
                }
            }
        } catch is CancellationError {
            return
        }
    }

    /// Holds a long poll on every peer with an address, so that its new commits are pulled within
    /// about a second, even when it cannot reach this node to push them (a node behind a firewall
    /// that serves nobody, say).
    private func watchPeers() async {
        var watching: [String: Task<Void, Never>] = [:]
        defer { watching.values.forEach { $0.cancel() } }
        while !Task.isCancelled {
            let peers = ((try? directory.peers()) ?? []).filter { $0.revokedAt == nil && $0.url != nil }
            let keys = Set(peers.map { "\($0.nodeID) \($0.url ?? "") \($0.tlsPin)" })
            for (key, task) in watching where !keys.contains(key) {
                task.cancel()
                watching[key] = nil
            }
            for peer in peers {
                let key = "\(peer.nodeID) \(peer.url ?? "") \(peer.tlsPin)"
                if watching[key] == nil { watching[key] = Task { await watch(peer) } }
            }
            try? await Task.sleep(for: .seconds(5))
        }
    }

    private func watch(_ peer: Peer) async {
        guard let transport = try? HTTPSSyncTransport(peer: peer, tls: tls, timeout: .seconds(40)) else { return }
        var known: String?
        var failures = 0
        while !Task.isCancelled {
            let started = ContinuousClock.now
            do {
                // One connection, kept open between polls, until it fails.
                known = try await transport.watch(after: known, seconds: 25) { [directory, wakeup] theirs in
                    if let mine = try? directory.vector(), !mine.covers(theirs) { wakeup.wake() }
                }
            } catch {
                // Background sync records the peer's failures; the watch only waits to try again.
                failures = ContinuousClock.now - started > .seconds(60) ? 1 : failures + 1
                logger.debug("cannot watch a peer", metadata: ["peer": "\(peer.nodeID.prefix(8))", "error": "\(error.message)"])
                try? await Task.sleep(for: backoff.delay(afterFailures: failures, random: .random(in: .min ... .max)))
            }
        }
    }

    private func loop() async throws {
        var lastRound = ContinuousClock.now - period
        var syncedVector: VersionVector?
        while !Task.isCancelled {
            let grown = (try? directory.vector()).map { $0 != syncedVector } ?? false
            if wakeup.take() || grown || ContinuousClock.now - lastRound >= period {
                lastRound = .now
                await syncDuePeers()
                syncedVector = try? directory.vector()
            }
            try await Task.sleep(for: .seconds(1))
        }
    }

    private func syncDuePeers() async {
        let peers: [Peer]
        do {
            peers = try directory.peersDueForSync(now: Date())
        } catch {
            logger.error("cannot read the roster", metadata: ["error": "\(error.message)"])
            return
        }
        for peer in peers {
            do {
                let summary = try await directory.sync(with: try HTTPSSyncTransport(peer: peer, tls: tls), backoff: backoff)
                let received = summary.received
                if received.applied > 0 || summary.pushed.commits > 0 {
                    logger.info("synced", metadata: [
                        "peer": "\(peer.nodeID.prefix(8))", "commits.received": "\(received.applied)", "commits.sent": "\(summary.pushed.commits)",
                        "commits.refused": "\(received.refused.count)", "commits.held": "\(received.held.count)",
                    ])
                }
            } catch {
                // The error is kept for `peer status`, and the next try waits.
                logger.warning("sync failed", metadata: ["peer": "\(peer.nodeID.prefix(8))", "error": "\(error.message)"])
            }
        }
    }
}
