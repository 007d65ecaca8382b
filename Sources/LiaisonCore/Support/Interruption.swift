import Synchronization

/// A request to stop a long operation, made from another thread (a signal handler) and checked
/// between batches, so that the operation stops where it can say exactly what was kept.
public final class Interruption: Sendable {
    private let signalNumber = Atomic<Int32>(0)

    public init() {}

    /// Asks the operation to stop; `signal` is the signal that asked, if any.
    public func request(signal: Int32) { signalNumber.store(signal, ordering: .relaxed) }

    public var isRequested: Bool { signalNumber.load(ordering: .relaxed) != 0 }

    /// The signal that asked, 0 if none did.
    public var signal: Int32 { signalNumber.load(ordering: .relaxed) }
}
