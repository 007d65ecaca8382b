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
            try await cancelWhenGracefulShutdown { try await loop() }
        } catch is CancellationError {
            return
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
