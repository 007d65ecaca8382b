public import Foundation

/// Runs `body`, which blocks (a child process, a pipe), on a thread of its own and awaits it.
///
/// Tests run on the few task threads that the servers under test answer on too: a test that
/// blocks one of them while it waits for a server, or for a long command, can starve every server
/// in the run until a handshake times out.
public func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
    }
}

extension Process {
    /// Waits for the process to end without holding a task thread.
    public func exited() async {
        let process = UncheckedProcess(process: self)
        _ = try? await onOwnThread { process.process.waitUntilExit() }
    }
}

/// A process handed to the thread that waits for it: it is only waited on there.
private struct UncheckedProcess: @unchecked Sendable {
    let process: Process
}

/// Places for child processes that tests start, so that a run of many tests does not start more
/// at once than the machine has cores: waiting for a place holds no thread.
public actor ProcessSlots {
    /// The slots every test shares.
    public static let shared = ProcessSlots(limit: max(2, ProcessInfo.processInfo.activeProcessorCount))

    private let limit: Int
    private var used = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []

    public init(limit: Int) { self.limit = limit }

    /// Waits for a free slot and takes it.
    public func acquire() async {
        if used < limit {
            used += 1
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    /// Gives the slot back.
    public func release() {
        if waiting.isEmpty { used -= 1 } else { waiting.removeFirst().resume() }
    }
}
