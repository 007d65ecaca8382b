import NIOCore
import Synchronization

/// Connections open at once from each IP address: one client that opens many cannot use up the
/// server's connections, or its threads, while the others wait.
final class ConnectionsPerClient: Sendable {
    let limit: Int
    private let open = Mutex<[String: Int]>([:])

    init(limit: Int) { self.limit = limit }

    /// A handler for one new connection: it counts the connection while it is open, and closes it
    /// at once when its address already has `limit` open.
    func handler() -> Handler { Handler(owner: self) }

    private func admit(_ address: String) -> Bool {
        open.withLock { open in
            guard open[address, default: 0] < limit else { return false }
            open[address, default: 0] += 1
            return true
        }
    }

    private func release(_ address: String) {
        open.withLock { open in
            open[address, default: 1] -= 1
            if open[address] == 0 { open[address] = nil }
        }
    }

    final class Handler: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = NIOAny
        let owner: ConnectionsPerClient
        private var counted: String?

        init(owner: ConnectionsPerClient) { self.owner = owner }

        func handlerAdded(context: ChannelHandlerContext) {
            let address = context.channel.remoteAddress?.ipAddress ?? "unknown"
            if owner.admit(address) {
                counted = address
            } else {
                context.close(promise: nil)
            }
        }

        func handlerRemoved(context: ChannelHandlerContext) {
            if let counted { owner.release(counted) }
            counted = nil
        }
    }
}
