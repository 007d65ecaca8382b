import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A TCP relay on loopback that counts the bytes each way between clients and `target`: what a
/// sync puts on the wire in each direction, TLS and HTTP included, TCP and IP headers not.
final class ByteCountingRelay: @unchecked Sendable {
    private(set) var port = 0
    private let target: Int
    private let listener: Int32
    private let lock = NSLock()
    private var up = 0
    private var down = 0

    init(to target: Int) throws {
        self.target = target
        listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) } }
        guard bound == 0, listen(listener, 16) == 0 else { throw CocoaError(.fileWriteUnknown) }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) } }
        port = Int(UInt16(bigEndian: address.sin_port))
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    /// Bytes from clients to the target, and back, since the last reset.
    var counts: (up: Int, down: Int) { lock.withLock { (up, down) } }

    func reset() { lock.withLock { (up, down) = (0, 0) } }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            guard client >= 0 else { return }
            let server = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = UInt16(target).bigEndian
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(server, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard connected == 0 else {
                close(client)
                close(server)
                continue
            }
            // Without Nagle's delay: the relay must not add the 40 ms of a delayed acknowledgement.
            var on: Int32 = 1
            for socket in [client, server] { setsockopt(socket, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size)) }
            Thread.detachNewThread { [self] in pump(from: client, to: server, upward: true) }
            Thread.detachNewThread { [self] in pump(from: server, to: client, upward: false) }
        }
    }

    private func pump(from source: Int32, to sink: Int32, upward: Bool) {
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = read(source, &buffer, buffer.count)
            guard count > 0 else { break }
            lock.withLock { if upward { up += count } else { down += count } }
            var sent = 0
            while sent < count {
                let written = buffer.withUnsafeBytes { write(sink, $0.baseAddress! + sent, count - sent) }
                guard written > 0 else { break }
                sent += written
            }
        }
        shutdown(sink, Int32(SHUT_WR))
        shutdown(source, Int32(SHUT_RD))
    }
}
