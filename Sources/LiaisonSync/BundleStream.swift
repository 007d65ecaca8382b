import Foundation
public import LiaisonCore

/// A bundle on its way between the network and the database: a bounded queue of byte chunks with
/// one writer and one reader, either of which may be a blocking thread or an async task.
///
/// A writer that gets ahead of its reader waits, so at most ``capacity`` bytes are held whatever the
/// bundle's size: a slow link slows the export, and a slow import slows the link.
public final class BundleStream: @unchecked Sendable {
    /// Bytes held before a writer waits.
    public let capacity: Int
    /// What the stream carries, for error messages: "the pull from Chisinau".
    public let name: String

    // Unchecked: every field below is read and written with `condition` held.
    private let condition = NSCondition()
    private var chunks: [[UInt8]] = []
    private var head = 0
    private var buffered = 0
    private var finished = false
    private var failure: String?
    private var readerStopped = false
    private var readerStoppedFirst = false
    private var spaceWaiter: CheckedContinuation<Void, Never>?
    private var dataWaiter: CheckedContinuation<Void, Never>?

    /// How long a blocking writer waits for room before it gives up: a reader that went away
    /// without a word cannot hold the writer's thread, and what it holds, for ever.
    public let stallLimit: Duration

    public init(name: String, capacity: Int = 4 << 20, stallLimit: Duration = .seconds(120)) {
        self.name = name
        self.capacity = capacity
        self.stallLimit = stallLimit
    }

    /// Whether the reader stopped while the writer still wrote: the writer's error then only echoes
    /// the reader's.
    public var stoppedByReader: Bool { locked { readerStoppedFirst } }

    // MARK: Writing

    /// Adds a chunk, waiting while the stream is full; fails once the reader stopped.
    public func send(_ chunk: [UInt8]) async throws(LiaisonError) {
        guard !chunk.isEmpty else { return }
        while true {
            switch locked({ append(chunk) }) {
            case .appended(let waiter):
                waiter?.resume()
                return
            case .stopped:
                throw stoppedError
            case .full:
                await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in
                    let wait = locked { () -> Bool in
                        guard buffered >= capacity, !readerStopped else { return false }
                        spaceWaiter = waiter
                        return true
                    }
                    if !wait { waiter.resume() }
                }
            }
        }
    }

    /// Adds a chunk from a thread that may block, waiting while the stream is full.
    public func write(_ chunk: [UInt8]) throws(LiaisonError) {
        guard !chunk.isEmpty else { return }
        let deadline = Date.now.addingTimeInterval(Double(stallLimit.components.seconds) + Double(stallLimit.components.attoseconds) / 1e18)
        condition.lock()
        while buffered >= capacity, !readerStopped {
            guard condition.wait(until: deadline) else {
                condition.unlock()
                stopReading()
                throw LiaisonError(.network, "the receiver took nothing for \(stallLimit.components.seconds) s", file: name)
            }
        }
        let outcome = append(chunk)
        condition.unlock()
        switch outcome {
        case .appended(let waiter): waiter?.resume()
        case .stopped: throw stoppedError
        case .full: preconditionFailure("waited until there was room")
        }
    }

    /// The writer's last word: every byte was sent.
    public func finish() { end { $0.finished = true } }

    /// The writer's last word: the bundle stops here because of `reason`. The reader reads what
    /// came before, then gets an error with the reason.
    public func fail(_ reason: String) {
        end { stream in if stream.failure == nil, !stream.finished { stream.failure = reason } }
    }

    // MARK: Reading

    /// The next chunk, waiting for one; nil after the last. Throws if the writer failed.
    public func next() async throws(LiaisonError) -> [UInt8]? {
        while true {
            switch locked({ take() }) {
            case .chunk(let chunk, let waiter):
                waiter?.resume()
                return chunk
            case .end: return nil
            case .failed(let reason): throw LiaisonError(.network, "the transfer was cut off (\(reason))", file: name)
            case .empty:
                await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in
                    let wait = locked { () -> Bool in
                        guard head == chunks.count, !finished, failure == nil else { return false }
                        dataWaiter = waiter
                        return true
                    }
                    if !wait { waiter.resume() }
                }
            }
        }
    }

    /// The next chunk, blocking the thread until one comes; nil after the last. Throws if the
    /// writer failed.
    public func read() throws(LiaisonError) -> [UInt8]? {
        condition.lock()
        while head == chunks.count, !finished, failure == nil { condition.wait() }
        let outcome = take()
        condition.unlock()
        switch outcome {
        case .chunk(let chunk, let waiter):
            waiter?.resume()
            return chunk
        case .end: return nil
        case .failed(let reason): throw LiaisonError(.network, "the transfer was cut off (\(reason))", file: name)
        case .empty: preconditionFailure("waited until there was a chunk or an end")
        }
    }

    /// The reader's last word: it reads no more, and a writer waiting or still to write fails.
    public func stopReading() {
        let waiter = locked { () -> CheckedContinuation<Void, Never>? in
            if !readerStopped { readerStoppedFirst = !finished && failure == nil }
            readerStopped = true
            chunks = []
            head = 0
            buffered = 0
            condition.broadcast()
            defer { spaceWaiter = nil }
            return spaceWaiter
        }
        waiter?.resume()
    }

    // MARK: Under the lock

    private enum Appended { case appended(CheckedContinuation<Void, Never>?), stopped, full }
    private enum Taken { case chunk([UInt8], CheckedContinuation<Void, Never>?), end, failed(String), empty }

    private var stoppedError: LiaisonError { LiaisonError(.network, "the receiver stopped reading", file: name) }

    private func append(_ chunk: [UInt8]) -> Appended {
        if readerStopped || finished || failure != nil { return .stopped }
        guard buffered < capacity else { return .full }
        chunks.append(chunk)
        buffered += chunk.count
        condition.broadcast()
        defer { dataWaiter = nil }
        return .appended(dataWaiter)
    }

    private func take() -> Taken {
        guard head < chunks.count else {
            if let failure { return .failed(failure) }
            return finished ? .end : .empty
        }
        let chunk = chunks[head]
        head += 1
        buffered -= chunk.count
        if head == chunks.count {
            chunks.removeAll(keepingCapacity: true)
            head = 0
        }
        condition.broadcast()
        guard buffered < capacity else { return .chunk(chunk, nil) }
        defer { spaceWaiter = nil }
        return .chunk(chunk, spaceWaiter)
    }

    private func end(_ change: (BundleStream) -> Void) {
        let waiter = locked { () -> CheckedContinuation<Void, Never>? in
            change(self)
            condition.broadcast()
            defer { dataWaiter = nil }
            return dataWaiter
        }
        waiter?.resume()
    }

    private func locked<T>(_ body: () -> T) -> T {
        condition.lock()
        defer { condition.unlock() }
        return body()
    }
}
