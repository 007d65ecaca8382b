import Foundation
import Hummingbird
import LiaisonCore
import LiaisonServer
import LiaisonSync
import LiaisonTestSupport
import Logging
import ServiceLifecycle
import Testing

/// Background sync between live servers on loopback, and what `peer status` reports of it.
@Suite struct BackgroundSyncTests {
    typealias Node = MutualTLSTests.Node

    /// Runs `node`'s server, with background sync every `period`, while `body` runs.
    func withSyncingServer<T: Sendable>(
        _ node: Node, period: Duration, _ body: @Sendable (Int) async throws -> T
    ) async throws -> T {
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let logger = Logger(label: "test.server")
        let wakeup = BackgroundSync.Wakeup()
        let app = try NodeServer.buildApplication(
            directory: node.directory, tls: node.tls, configuration: .init(host: "127.0.0.1", port: 0, strangerRequestTimeout: .seconds(600)), logger: logger, wakeup: wakeup
        ) { channel in continuation.yield(channel.localAddress?.port ?? 0) }
        let sync = BackgroundSync(directory: node.directory, tls: node.tls, period: period, wakeup: wakeup, logger: logger)
        let group = ServiceGroup(configuration: .init(services: [app, sync], logger: logger))
        return try await withThrowingTaskGroup(of: T?.self) { tasks in
            tasks.addTask {
                try await group.run()
                return nil
            }
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next())
            defer { tasks.cancelAll() }
            return try await body(port)
        }
    }

    /// Waits up to `seconds` for `condition`, checking every 100 ms.
    func eventually(within seconds: Double, _ condition: () throws -> Bool) async throws -> Bool {
        let end = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while ContinuousClock.now < end {
            if try condition() { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return try condition()
    }

    @Test func aLocalWriteReachesTheNeighbourInAboutASecond() async throws {
        let hub = try Node("Chisinau"), office = try Node("Balti")
        defer { [hub, office].forEach { $0.remove() } }
        _ = try hub.directory.addPeer(try office.card())
        _ = try office.directory.addPeer(try hub.card())
        try await MutualTLSTests().withServer(hub, idleTimeout: .seconds(120)) { hubPort in
            // The office knows the hub's address; its period is long, so only the write can wake it.
            let hubCard = try hub.directory.card(tlsPin: try hub.folder.tlsPin(), url: "https://127.0.0.1:\(hubPort)")
            _ = try office.directory.addPeer(hubCard)
            try await withSyncingServer(office, period: .seconds(3600)) { _ in
                // The first round runs at start; then the office writes while running. Its period
                // is an hour: only the growth of its log can send the write on. (How soon is
                // measured by the benchmark; the tests share two cores with CPU-heavy suites.)
                let first = try await eventually(within: 120) { try office.directory.peerStatuses().first?.lastSuccessAt != nil }
                let status = try office.directory.peerStatuses().first
                #expect(first, "\(String(describing: status))")
                _ = try office.directory.write { tx in try tx.save(Agency(name: "Balti Police Inspectorate", kind: .police, country: "MD")) }
                #expect(try await eventually(within: 120) { try hub.directory.digest() == office.directory.digest() })
                // The office notes the sync once the hub's answer is in.
                #expect(try await eventually(within: 120) {
                    let after = try office.directory.peerStatuses().first
                    return after?.commitsToSend == 0 && after?.commitsToReceive == 0 && after?.lastError == nil
                })
            }
        }
    }

    @Test func aChangeOnAPeerThatCannotReachThisNodeArrivesByTheLongPoll() async throws {
        let hub = try Node("Chisinau"), office = try Node("Balti")
        defer { [hub, office].forEach { $0.remove() } }
        // The hub has no address for the office: it can never push to it.
        _ = try hub.directory.addPeer(try office.card())
        try await MutualTLSTests().withServer(hub, idleTimeout: .seconds(120)) { hubPort in
            _ = try office.directory.addPeer(try hub.directory.card(tlsPin: try hub.folder.tlsPin(), url: "https://127.0.0.1:\(hubPort)"))
            try await withSyncingServer(office, period: .seconds(3600)) { _ in
                #expect(try await eventually(within: 120) { try office.directory.peerStatuses().first?.lastSuccessAt != nil })
                // The office's period is an hour and its own log does not grow: only its watch
                // on the hub can bring the hub's write.
                _ = try hub.directory.write { tx in try tx.save(Agency(name: "Chisinau Border Police", kind: .border, country: "MD")) }
                #expect(try await eventually(within: 120) { try hub.directory.digest() == office.directory.digest() })
            }
        }
    }

    @Test func aFailingPeerWaitsAndIsTriedAgainWhenItConnects() async throws {
        let hub = try Node("Chisinau"), office = try Node("Balti")
        defer { [hub, office].forEach { $0.remove() } }
        _ = try hub.directory.addPeer(try office.card())
        // The office has the hub at an address where nothing listens.
        _ = try office.directory.addPeer(try hub.directory.card(tlsPin: try hub.folder.tlsPin(), url: "https://127.0.0.1:1"))
        let hubPeer = try #require(try office.directory.peers().first)
        let unreachable = try HTTPSSyncTransport(peer: hubPeer, tls: office.tls, timeout: .seconds(2))
        await #expect(throws: LiaisonError.self) { try await office.directory.sync(with: unreachable) }
        let failed = try #require(try office.directory.peerStatuses().first)
        #expect(failed.failures == 1 && failed.lastError?.contains("cannot reach") == true && failed.nextAttemptAt != nil)
        // Never reached: what it holds is unknown, so everything is to send, and nothing is known to receive.
        let held = try office.directory.stats().commits
        #expect(!failed.peerVectorKnown && failed.commitsToSend == held && failed.commitsToReceive == nil)
        // Waiting: background sync leaves it out until its time comes.
        #expect(try office.directory.peersDueForSync(now: Date()).isEmpty)
        #expect(try office.directory.peersDueForSync(now: Date().addingTimeInterval(3600)).map(\.nodeID) == [hubPeer.nodeID])

        // When the office reaches the hub, the hub stops waiting on it (had it been failing too).
        try hub.directory.recordSyncFailure(with: try #require(try hub.directory.peers().first), error: LiaisonError(.network, "cut"), at: Date())
        try await MutualTLSTests().withServer(hub, idleTimeout: .seconds(120)) { port in
            #expect(try hub.directory.peerStatuses().first?.nextAttemptAt != nil)
            _ = try await office.directory.sync(with: try HTTPSSyncTransport(peer: try office.peer(hub, port: port), tls: office.tls, timeout: .seconds(120)))
            #expect(try hub.directory.peerStatuses().first?.nextAttemptAt == nil)
            let recovered = try #require(try office.directory.peerStatuses().first)
            #expect(recovered.failures == 0 && recovered.lastSuccessAt != nil && recovered.nextAttemptAt == nil)
        }
    }

    @Test func backoffDoublesUpToItsCapWithJitter() {
        let backoff = SyncBackoff(base: .seconds(30), cap: .seconds(600))
        #expect(backoff.delay(afterFailures: 1, random: 0) == .seconds(15))
        #expect(backoff.delay(afterFailures: 1, random: .max) <= .seconds(30))
        #expect(backoff.delay(afterFailures: 3, random: .max) > .seconds(119))
        #expect(backoff.delay(afterFailures: 3, random: .max) <= .seconds(120))
        #expect(backoff.delay(afterFailures: 40, random: .max) <= .seconds(600))
        #expect(backoff.delay(afterFailures: 40, random: 0) == .seconds(300))
    }
}
