import Foundation
import LiaisonCore
import LiaisonServer
import LiaisonSync
import LiaisonTestSupport
import NIOConcurrencyHelpers
import NIOHTTP1
import Testing

/// Two nodes sync over mutual-TLS HTTPS against a live server on loopback: each ends with what the
/// other wrote, through the same checks as a bundle file.
@Suite struct SyncTests {
    typealias Node = MutualTLSTests.Node

    @Test func twoNodesSyncBothWaysThenHaveNothingNew() async throws {
        let (server, client) = try MutualTLSTests.peers()
        defer { [server, client].forEach { $0.remove() } }
        _ = try server.directory.write { tx in
            let police = try tx.save(Agency(name: "Centre for Combating Trafficking in Persons", acronym: "CCTP", kind: .police, country: "MD"))
            try tx.save(Person(agencyID: police.id, givenName: "Ion", familyName: "Popescu"))
        }
        _ = try client.directory.write { tx in
            let police = try tx.save(Agency(name: "Romanian Police", kind: .police, country: "RO"))
            try tx.save(Person(agencyID: police.id, givenName: "Andreea", familyName: "Ionescu"))
        }
        _ = try client.directory.write { tx in try tx.save(Agency(name: "Border Police", kind: .border, country: "RO")) }

        try await MutualTLSTests().withServer(server, idleTimeout: .seconds(120)) { port in
            let transport = try HTTPSSyncTransport(peer: try client.peer(server, port: port), tls: client.tls, timeout: .seconds(120))
            let first = try await client.directory.sync(with: transport)
            #expect(first.received.applied == 1)
            #expect(first.received.changesApplied == 2)
            #expect(first.pushed.commits == 2)
            #expect(first.peerReport?.applied == 2)
            #expect(first.peerReport?.refused.isEmpty == true)
            #expect(try client.directory.digest() == server.directory.digest())
            #expect(try server.directory.search(SearchQuery("ionescu")).count == 1)

            // Nothing new: one question, the peer's vector; nothing pulled, applied or sent.
            let counting = CountingLink(transport)
            let again = try await client.directory.sync(with: counting)
            #expect(again.received.applied == 0 && again.received.alreadyHeld == 0)
            #expect(again.pushed.commits == 0 && again.peerReport == nil)
            #expect(counting.pulls == 0 && counting.pushes == 0)
            // The peer's vector is not sent again when the client knows it: 304, no body.
            let known = try server.directory.vector()
            nonisolated(unsafe) var status: HTTPResponseStatus?
            let body = try await transport.request(.GET, "/v1/vector", headers: ["if-none-match": "\"\(known.fingerprint)\""]) { status = $0.status }
            #expect(status == .notModified && body.isEmpty)
            #expect(try await transport.state(known: known).vector == known)
            #expect(try await transport.state(known: VersionVector()).vector == known)

            // Long polls on one kept-open connection: the first says the vector, the next find
            // nothing new; a write on the server ends the next poll early with the new vector.
            let heard = NIOLockedValueBox<[VersionVector]>([])
            let last = try await transport.watch(after: nil, seconds: 0, rounds: 3) { vector in heard.withLockedValue { $0.append(vector) } }
            #expect(heard.withLockedValue { $0 } == [known] && last == known.fingerprint)
            let watching = Task { try await transport.watch(after: last, seconds: 25, rounds: 1) { vector in heard.withLockedValue { $0.append(vector) } } }
            try await Task.sleep(for: .milliseconds(300))
            _ = try server.directory.write { tx in try tx.save(Agency(name: "Chisinau Border Police", kind: .border, country: "MD")) }
            #expect(try await watching.value == (try server.directory.vector().fingerprint))
            #expect(heard.withLockedValue { $0.count } == 2)

            // A revoked node is turned away in the handshake, before it can pull or push.
            try server.directory.revokePeer(client.directory.node.id.hex)
            let refused = await #expect(throws: LiaisonError.self) { try await client.directory.sync(with: transport) }
            #expect(refused?.code == .unauthorized)
        }
    }

    @Test func aPushMustBeSignedByThePeerThatPushes() async throws {
        let server = try Node("Chisinau"), client = try Node("Bucharest"), other = try Node("Sofia")
        defer { [server, client, other].forEach { $0.remove() } }
        for node in [client, other] {
            _ = try server.directory.addPeer(try node.card())
            _ = try node.directory.addPeer(try server.card())
        }
        _ = try other.directory.write { tx in try tx.save(Agency(name: "National Police", kind: .police, country: "BG")) }
        let folder = Fixtures.temporaryFolder()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appending(path: "other.liaison-bundle")
        _ = try other.directory.exportBundle(to: file, assumes: VersionVector())

        try await MutualTLSTests().withServer(server, idleTimeout: .seconds(120)) { port in
            // Bucharest hands over a bundle that Sofia signed: refused, and nothing of it applied.
            let transport = try HTTPSSyncTransport(peer: try client.peer(server, port: port), tls: client.tls, timeout: .seconds(120))
            let stream = BundleStream(name: "a push")
            let error = await #expect(throws: LiaisonError.self) {
                try stream.write([UInt8](try Data(contentsOf: file)))
                stream.finish()
                return try await transport.push(from: stream)
            }
            #expect(error?.message.contains("must be exported by the node that pushes it") == true)
            #expect(try server.directory.stats().agencies == 0)
        }
    }

    @Test func commitsTravelThroughAHubThatRestarts() async throws {
        let field = try Node("Balti"), hub = try Node("Chisinau"), headquarters = try Node("Vienna")
        defer { [field, hub, headquarters].forEach { $0.remove() } }
        // Field office and headquarters are never in contact: each trusts the other's key, and
        // reaches only the hub.
        for (one, other) in [(field, hub), (hub, headquarters), (field, headquarters)] {
            _ = try one.directory.addPeer(try other.card())
            _ = try other.directory.addPeer(try one.card())
        }
        _ = try field.directory.write { tx in try tx.save(Agency(name: "Balti Police Inspectorate", kind: .police, country: "MD")) }
        try await MutualTLSTests().withServer(hub, idleTimeout: .seconds(120)) { port in
            _ = try await field.directory.sync(with: try HTTPSSyncTransport(peer: try field.peer(hub, port: port), tls: field.tls, timeout: .seconds(120)))
        }
        // The hub restarts on another port before headquarters reaches it.
        try await MutualTLSTests().withServer(hub, idleTimeout: .seconds(120)) { port in
            let synced = try await headquarters.directory.sync(with: try HTTPSSyncTransport(peer: try headquarters.peer(hub, port: port), tls: headquarters.tls, timeout: .seconds(120)))
            #expect(synced.received.applied == 1)
        }
        let digests = try [field, hub, headquarters].map { try $0.directory.digest() }
        #expect(Set(digests).count == 1)
        // Each commit was checked against its author's key: the field office's is in headquarters' log.
        #expect(try headquarters.directory.vector().sequence(origin: field.directory.node.id, epoch: 1) == 1)
    }

    @Test func aTransferCutMidStreamResumesFromWhereItStopped() async throws {
        let (server, client) = try MutualTLSTests.peers()
        defer { [server, client].forEach { $0.remove() } }
        for index in 0..<40 {
            _ = try server.directory.write { tx in try tx.save(Agency(name: "Inspectorate \(index)", kind: .police, country: "MD")) }
        }
        try await MutualTLSTests().withServer(server, idleTimeout: .seconds(120)) { port in
            let link = try HTTPSSyncTransport(peer: try client.peer(server, port: port), tls: client.tls, timeout: .seconds(120))
            let whole = try await pulledBundle(through: link, beyond: VersionVector())
            let cut = try await client.directory.sync(with: CutLink(inner: link, keeping: whole.count / 2))
            // What arrived whole was applied and kept; the rest is missing, and the summary says so.
            let kept = cut.received.applied
            #expect(kept > 0 && kept < 40)
            #expect(cut.damage != nil)
            let resumed = try await client.directory.sync(with: link)
            #expect(resumed.received.applied == 40 - kept)
            #expect(resumed.received.alreadyHeld == 0)
            #expect(try client.directory.digest() == server.directory.digest())
        }
    }

    /// Text that deflate cannot shrink much, `count` ids long.
    static func incompressible(_ count: Int) -> String { (0..<count).map { _ in UUID().uuidString }.joined(separator: " ") }

    @Test func aPushTooLargeForThePeerIsSplit() async throws {
        let (server, client) = try MutualTLSTests.peers()
        defer { [server, client].forEach { $0.remove() } }
        for index in 0..<30 {
            _ = try client.directory.write { tx in
                try tx.save(Agency(name: "Inspectorate \(index)", kind: .police, country: "RO", address: Self.incompressible(5)))
            }
        }
        try await MutualTLSTests().withServer(server, idleTimeout: .seconds(120), maximumPushBytes: 4 << 10) { port in
            let link = CountingLink(try HTTPSSyncTransport(peer: try client.peer(server, port: port), tls: client.tls, timeout: .seconds(120)))
            let synced = try await client.directory.sync(with: link)
            #expect(synced.pushed.commits == 30)
            #expect(synced.peerReport?.applied == 30)
            #expect(link.pushes > 2, "pushed in \(link.pushes) requests")
            #expect(try client.directory.digest() == server.directory.digest())

            // One commit larger than the limit is an error that says so, not a retry for ever.
            _ = try client.directory.write { tx in
                for index in 0..<20 {
                    try tx.save(Agency(name: "Unit \(index)", kind: .police, country: "RO", address: Self.incompressible(8)))
                }
            }
            let before = link.pushes
            let error = await #expect(throws: LiaisonError.self) { try await client.directory.sync(with: link) }
            #expect(error?.code == .tooLarge)
            #expect(error?.message.contains("larger than Chisinau accepts") == true, "\(String(describing: error))")
            #expect(link.pushes - before == 1, "a commit too large on its own is not tried again")
        }
    }
}
