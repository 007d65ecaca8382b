import Dispatch
import Foundation
import Synchronization

extension Array where Element: Sendable {
    /// `map` spread over the processor's cores in contiguous chunks, for long arrays of independent
    /// work; short arrays are mapped here.
    package func concurrentMap<T: Sendable>(minimumChunk: Int = 256, _ transform: @Sendable (Element) -> T) -> [T] {
        let chunkCount = Swift.min(ProcessInfo.processInfo.activeProcessorCount, count / minimumChunk)
        guard chunkCount > 1 else { return map(transform) }
        let chunks = Mutex<[[T]]>(Array<[T]>(repeating: [], count: chunkCount))
        DispatchQueue.concurrentPerform(iterations: chunkCount) { chunk in
            let range = (count * chunk / chunkCount)..<(count * (chunk + 1) / chunkCount)
            let mapped = self[range].map(transform)
            chunks.withLock { $0[chunk] = mapped }
        }
        return chunks.withLock { $0.flatMap { $0 } }
    }
}
