import Dispatch
import Foundation
import Synchronization

/// Work started on another thread at once, whose result is waited for when it is needed.
///
/// The thread is its own, not one of the dispatch pool's: the work may block for as long as a
/// link is slow (reading a bundle as it arrives), and a pool of as many threads as cores must not
/// be held by such waits while other work queues behind them.
package final class Background<Value: Sendable>: Sendable {
    private let result = Mutex<Value?>(nil)
    private let done = DispatchSemaphore(value: 0)

    package init(_ work: @escaping @Sendable () -> Value) {
        Thread.detachNewThread { [self] in
            let value = work()
            result.withLock { $0 = value }
            done.signal()
        }
    }

    /// The result, waiting for the work to finish if it has not.
    package var value: Value {
        done.wait()
        done.signal()
        // The worker stores its result before it signals.
        return result.withLock { $0! }
    }
}

/// Frees `value` on another thread. A large batch of changes is many small allocations, and the
/// thread that wrote it need not wait for them to be freed.
package func freeInBackground<Value: Sendable>(_ value: consuming Value) {
    let owned = value
    DispatchQueue.global(qos: .utility).async { withExtendedLifetime(owned) {} }
}
