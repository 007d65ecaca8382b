import Foundation
import Glibc
import Hummingbird
import LiaisonCore
import LiaisonServer
import LiaisonSync
import LiaisonTestSupport
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization
import Testing

/// A node's server on loopback, reached by other nodes over mutual TLS: only roster certificates
/// get through the handshake, and each end checks the other's pin.
@Suite struct MutualTLSTests {
    /// A node in a folder of its own, with its TLS identity.
    struct Node {
        let folder: NodeFolder
        let directory: Directory
        let tls: NodeTLS

        init(_ name: String) throws {
            folder = NodeFolder(url: Fixtures.temporaryFolder())
            directory = try folder.initialize(name: name, agency: "Agency of \(name)")
            tls = try NodeTLS(folder: folder)
        }

        func card() throws -> NodeCard { try directory.card(tlsPin: try folder.tlsPin(), url: nil) }

        /// `other` as this node's roster holds it, at `port` on loopback.
        func peer(_ other: Node, port: Int) throws -> Peer {
            var peer = try #require(try directory.peers().first { $0.nodeID == other.directory.node.id.hex })
            peer.url = "https://127.0.0.1:\(port)"
            return peer
        }

        func remove() { try? FileManager.default.removeItem(at: folder.url) }
    }

    /// A server node and a client node, each on the other's roster.
    static func peers(server: String = "Chisinau", client: String = "Bucharest") throws -> (server: Node, client: Node) {
        let (serving, asking) = (try Node(server), try Node(client))
        _ = try serving.directory.addPeer(try asking.card())
        _ = try asking.directory.addPeer(try serving.card())
        return (serving, asking)
    }

    /// Runs `node`'s server on a free loopback port while `body` runs.
    ///
    /// The time for a request is longer than `serve`'s 15 s: the server checks a client's
    /// certificate on the test runner's few threads, which synchronous tests may hold for longer,
    /// and a handshake cut for that would fail a test that does not test it.
    func withServer<T: Sendable>(
        _ node: Node, idleTimeout: Duration = .seconds(30), maximumPushBytes: Int = SyncMedia.maximumPush, connectionsPerClient: Int = 32,
        transfersPerPeer: Int = 2, strangerRequestTimeout: Duration = .seconds(600), _ body: @Sendable (Int) async throws -> T
    ) async throws -> T {
        try await withServer(
            directory: node.directory, tls: node.tls, idleTimeout: idleTimeout, maximumPushBytes: maximumPushBytes,
            connectionsPerClient: connectionsPerClient, transfersPerPeer: transfersPerPeer, strangerRequestTimeout: strangerRequestTimeout, body)
    }

    /// Runs the server of `directory` with `tls` on a free loopback port while `body` runs.
    func withServer<T: Sendable>(
        directory: Directory, tls: NodeTLS, idleTimeout: Duration = .seconds(30), maximumPushBytes: Int = SyncMedia.maximumPush,
        connectionsPerClient: Int = 32, transfersPerPeer: Int = 2, strangerRequestTimeout: Duration = .seconds(600),
        _ body: @Sendable (Int) async throws -> T
    ) async throws -> T {
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let app = try NodeServer.buildApplication(
            directory: directory, tls: tls,
            configuration: .init(
                host: "127.0.0.1", port: 0, idleTimeout: idleTimeout, maximumPushBytes: maximumPushBytes,
                maximumTransfersPerPeer: transfersPerPeer, maximumConnectionsPerClient: connectionsPerClient,
                strangerRequestTimeout: strangerRequestTimeout),
            logger: Logger(label: "test.server")
        ) { channel in
            continuation.yield(channel.localAddress?.port ?? 0)
        }
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                try await app.runService(gracefulShutdownSignals: [])
                return nil
            }
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next())
            defer { group.cancelAll() }
            return try await body(port)
        }
    }

    @Test func aPeerReadsTheVectorAndOthersAreTurnedAway() async throws {
        let server = try Node("Chisinau"), client = try Node("Bucharest"), stranger = try Node("Elsewhere")
        defer { [server, client, stranger].forEach { $0.remove() } }
        _ = try server.directory.addPeer(try client.card())
        _ = try client.directory.addPeer(try server.card())
        _ = try stranger.directory.addPeer(try server.card())
        _ = try server.directory.write { tx in try tx.save(Agency(name: "Poliția", kind: .police, country: "MD")) }

        try await withServer(server) { port in
            // The peer gets the server's vector: what it needs to know what to pull.
            let transport = try HTTPSSyncTransport(peer: try client.peer(server, port: port), tls: client.tls)
            #expect(try await transport.state().vector == (try server.directory.vector()))

            // A node that the server's roster does not hold fails in the handshake.
            let refused = try HTTPSSyncTransport(peer: try stranger.peer(server, port: port), tls: stranger.tls)
            let handshake = await #expect(throws: LiaisonError.self) { try await refused.state() }
            #expect(handshake?.code == .unauthorized)
            #expect(handshake?.hint?.contains("liaison peer add") == true, "\(String(describing: handshake))")

            // A client that expects another node at that address does not send it anything.
            var impostor = try client.peer(server, port: port)
            impostor.tlsPin = try stranger.folder.tlsPin()
            let wrongServer = await #expect(throws: LiaisonError.self) {
                try await HTTPSSyncTransport(peer: impostor, tls: client.tls).state()
            }
            #expect(wrongServer?.code == .unauthorized)
            #expect(wrongServer?.message.contains("is not \(impostor.name)") == true, "\(String(describing: wrongServer))")

            // A client with no certificate gets 401 on sync routes, and no data; it cannot tell
            // which routes exist.
            let anonymous = try await curl(["-sk", "-o", "-", "-w", "\n%{http_code}", "https://127.0.0.1:\(port)/v1/vector"])
            #expect(anonymous.hasSuffix("\n401"), "\(anonymous)")
            #expect(!anonymous.contains("entries"))
            for (method, path) in [
                ("GET", "/v1/nothing"), ("POST", "/v1/vector"), ("DELETE", "/v1/vector"), ("GET", "//v1/vector"), ("GET", "///v1//wait?seconds=0"),
                ("GET", "//v1/nothing"),
            ] {
                let answer = try await curl(["-sk", "--path-as-is", "-o", "/dev/null", "-w", "%{http_code}", "-X", method, "https://127.0.0.1:\(port)\(path)"])
                #expect(answer == "401", "\(method) \(path): \(answer)")
            }


            // Revoking the peer closes the door at once.
            try server.directory.revokePeer(client.directory.node.id.hex)
            let revoked = await #expect(throws: LiaisonError.self) { try await transport.state() }
            #expect(revoked?.code == .unauthorized)
        }
    }

    @Test func aConnectionThatSendsNothingIsClosed() async throws {
        let server = try Node("Chisinau")
        defer { server.remove() }
        try await withServer(server, idleTimeout: .seconds(1)) { port in
            // A client that connects and never finishes its handshake holds no connection for long.
            let socket = try #require(RawConnection(port: port))
            defer { socket.close() }
            // Timed on the thread that waits, which the test's task may be slow to hear from.
            let closedAfter = await socket.waitForClose(within: .seconds(10))
            #expect(closedAfter.map { $0 < .seconds(5) } == true, "the server closes an idle connection: \(String(describing: closedAfter))")
        }
    }

    @Test func aClientThatHoldsManyConnectionsGetsNoMore() async throws {
        let (server, client) = try Self.peers()
        defer { [server, client].forEach { $0.remove() } }
        // Connections that never finish a handshake are cut after the time for a request: here
        // longer than the test, which may wait for a thread on a busy machine.
        try await withServer(server, idleTimeout: .seconds(600), connectionsPerClient: 4, strangerRequestTimeout: .seconds(600)) { port in
            // Four connections that never finish their handshake use up this address's share...
            let held = (0..<4).compactMap { _ in RawConnection(port: port) }
            #expect(held.count == 4)
            // The server takes them in on two threads: let it count all four first.
            try await Task.sleep(for: .seconds(1))
            // ...so a fifth is closed at once, not after the idle timeout.
            let fifth = try #require(RawConnection(port: port))
            #expect(await fifth.waitForClose(within: .seconds(20)) != nil)
            fifth.close()
            let link = try HTTPSSyncTransport(peer: try client.peer(server, port: port), tls: client.tls, timeout: .seconds(120))
            await #expect(throws: LiaisonError.self) { try await link.state() }
            // Once they close, the address is served again.
            held.forEach { $0.close() }
            try await Task.sleep(for: .milliseconds(500))
            #expect(try await link.state().vector == (try server.directory.vector()))
        }
    }

    @Test func aClientWithoutACertificateThatTricklesItsRequestIsCutOff() async throws {
        let (server, client) = try Self.peers()
        defer { [server, client].forEach { $0.remove() } }
        try await withServer(server, idleTimeout: .seconds(30), connectionsPerClient: 3, strangerRequestTimeout: .seconds(2)) { port in
            // Clients without a certificate send a byte every 200 ms, well within the idle timeout:
            // the body of a push they will be refused, the head of a search, and a second request
            // after a first one answered at once.
            let push = "POST /v1/push HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n"
            let slowSecond = "GET /api/search?q=x HTTP/1.1\r\nHost: x\r\n\r\nGET /api/search?q="
            async let pushing = Self.trickle(port: port, first: push, then: String(repeating: "L", count: 500))
            async let searching = Self.trickle(port: port, first: "GET /api/search?q=", then: String(repeating: "x", count: 500))
            async let asking = Self.trickle(port: port, first: slowSecond, then: String(repeating: "x", count: 500))
            let cut = try await [pushing, searching, asking]
            // Each is cut off about two seconds after it could have sent its request, not after
            // its 100 seconds of bytes.
            for (index, after) in cut.enumerated() {
                #expect(after.map { $0 < .seconds(8) } == true, "client \(index): \(String(describing: after))")
            }
            // The address's connections are free again for a peer.
            try await Task.sleep(for: .milliseconds(300))
            let link = try HTTPSSyncTransport(peer: try client.peer(server, port: port), tls: client.tls)
            #expect(try await link.state().vector == (try server.directory.vector()))
        }
    }

    /// Connects over TLS without a certificate, sends `first`, then `then` a byte every 200 ms:
    /// how long until the server closed the connection, or nil if it never did.
    static func trickle(port: Int, first: String, then rest: String) async throws -> Duration? {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateVerification = .none
        let context = try NIOSSLContext(configuration: configuration)
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: context, serverHostname: nil))
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        let start = ContinuousClock.now
        // The close is timed where it happens, on the connection's event loop: the tests' tasks
        // may wait for a free thread.
        let closedAfter = CloseTime()
        let closed = channel.channel.closeFuture
        closed.whenComplete { _ in closedAfter.value.withLock { $0 = ContinuousClock.now - start } }
        return try await channel.executeThenClose { inbound, outbound in
            try await withThrowingTaskGroup(of: Duration?.self) { group in
                group.addTask {
                    do { for try await _ in inbound {} } catch {}
                    try? await closed.get()
                    return closedAfter.value.withLock { $0 }
                }
                group.addTask {
                    try? await outbound.write(ByteBuffer(string: first))
                    for byte in rest.utf8 {
                        try await Task.sleep(for: .milliseconds(200))
                        do {
                            try await outbound.write(ByteBuffer(bytes: [byte]))
                        } catch {
                            // Closed: the reader tells when.
                            try? await Task.sleep(for: .seconds(3_600))
                            return nil
                        }
                    }
                    return nil
                }
                let closed = try await group.next() ?? nil
                group.cancelAll()
                return closed
            }
        }
    }

    @Test func aPeerGetsNoMoreTransfersAtOnceThanItsShare() async throws {
        let (server, client) = try Self.peers()
        defer { [server, client].forEach { $0.remove() } }
        _ = try client.directory.write { tx in try tx.save(Agency(name: "Romanian Police", kind: .police, country: "RO")) }
        try await withServer(server, idleTimeout: .seconds(30), connectionsPerClient: 1_000, transfersPerPeer: 1) { port in
            // A push that stalls after its first bytes holds the peer's one transfer, so a pull
            // gets 429 and says so. (Should the pull come first, the push is the one refused: the
            // two try again. The connections of tries that lost may linger until their idle
            // timeout, hence the high limit per client here.)
            let context = try NIOSSLContext(configuration: client.tls.clientConfiguration())
            let head = "POST /v1/push HTTP/1.1\r\nHost: x\r\nContent-Type: application/vnd.liaison.bundle\r\nContent-Length: 100000\r\n\r\n"
            let link = try HTTPSSyncTransport(peer: try client.peer(server, port: port), tls: client.tls, timeout: .seconds(120))
            var refusal: LiaisonError?
            for _ in 0..<20 where refusal == nil {
                // The stalled push closes its connection after three seconds.
                let stalled = Task {
                    try await EndpointFuzzTests.exchange(
                        Array(head.utf8) + Array(repeating: 0x4C, count: 8), halfClose: false, port: port, context: context, giveUpAfter: .seconds(3))
                }
                try await Task.sleep(for: .seconds(1))
                do {
                    _ = try await pulledBundle(through: link, beyond: VersionVector())
                } catch let error as LiaisonError {
                    refusal = error
                }
                // When the stalled push goes away, the peer's transfer is free again.
                _ = try? await stalled.value
            }
            #expect(refusal?.code == .busy, "\(String(describing: refusal))")
            #expect(refusal?.message.contains("429") == true)
            #expect(try await client.directory.sync(with: link).peerReport?.applied == 1)
        }
    }

    @Test func aPeerWithoutAnAddressOrAnUnreachableOneSaysSo() async throws {
        let server = try Node("Chisinau"), client = try Node("Bucharest")
        defer { [server, client].forEach { $0.remove() } }
        _ = try client.directory.addPeer(try server.card())
        var peer = try client.peer(server, port: 1)
        peer.url = nil
        let missing = #expect(throws: LiaisonError.self) { try HTTPSSyncTransport(peer: peer, tls: client.tls) }
        #expect(missing?.message.contains("has no https:// address") == true)

        // Nothing listens on port 1 of loopback.
        let unreachable = await #expect(throws: LiaisonError.self) {
            try await HTTPSSyncTransport(peer: try client.peer(server, port: 1), tls: client.tls).state()
        }
        #expect(unreachable?.code == .network)
        #expect(unreachable?.message.hasPrefix("cannot reach Chisinau") == true, "\(String(describing: unreachable))")
    }

    private func curl(_ arguments: [String]) async throws -> String {
        try await onOwnThread {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
            process.arguments = ["--max-time", "60"] + arguments
            let output = Pipe()
            process.standardOutput = output
            try process.run()
            let data = output.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return String(decoding: data, as: UTF8.self)
        }
    }
}

/// When a connection closed, as its event loop saw it.
final class CloseTime: Sendable {
    let value = Mutex<Duration?>(nil)
}

/// A plain TCP connection to loopback that sends nothing.
struct RawConnection {
    let descriptor: Int32

    init?(port: Int) {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard descriptor >= 0, connected == 0 else { return nil }
    }

    /// How long until the other end closed the connection, if it did within `limit`. The wait
    /// blocks a thread of its own, not one of the few that run the tests' tasks.
    func waitForClose(within limit: Duration) async -> Duration? {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                let start = ContinuousClock.now
                let closed = blockingWaitForClose(within: limit)
                continuation.resume(returning: closed ? ContinuousClock.now - start : nil)
            }
        }
    }

    private func blockingWaitForClose(within limit: Duration) -> Bool {
        var timeout = timeval(tv_sec: Int(limit.components.seconds), tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var byte: UInt8 = 0
        let received = recv(descriptor, &byte, 1, 0)
        return received == 0 || (received < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
    }

    func close() { _ = Glibc.close(descriptor) }
}
