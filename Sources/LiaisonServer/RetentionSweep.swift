import Foundation
public import LiaisonCore
import LiaisonSync
public import Logging
public import ServiceLifecycle

/// Purges, every `period` while the server runs, the notes this node wrote whose retention has
/// ended, and warns of notes of other nodes that are past it and still held here.
public struct RetentionSweep: Service {
    let directory: Directory
    let period: Duration
    let logger: Logger

    public init(directory: Directory, period: Duration = .seconds(3600), logger: Logger) {
        self.directory = directory
        self.period = period
        self.logger = logger
    }

    public func run() async throws {
        do {
            try await cancelWhenGracefulShutdown {
                while !Task.isCancelled {
                    sweep()
                    try await Task.sleep(for: period)
                }
            }
        } catch is CancellationError {
            return
        }
    }

    func sweep() {
        do {
            directory.clearErasedPagesIfPending()
            for purge in try directory.purgeExpiredNotes() {
                logger.notice("purged a note whose retention ended", metadata: ["note": "\(purge.noteID.lowercasedString)", "everywhere": "\(purge.everywhere)"])
            }
            let overdue = try directory.notesDue().filter { $0.reasons.contains(.overdue) }
            if !overdue.isEmpty {
                logger.warning(
                    "notes of other nodes are past their retain-until day and still held here; see `liaison note review-due`",
                    metadata: ["notes": "\(overdue.count)"])
            }
        } catch {
            logger.error("cannot purge notes whose retention ended", metadata: ["error": "\(error.message)"])
        }
    }
}
