import Foundation
import LiaisonCore
import LiaisonServer
import LiaisonSync
import LiaisonTestSupport
import Testing

/// Two nodes sync over mutual-TLS HTTPS against a live server on loopback: each ends with what the
/// other wrote, through the same checks as a bundle file.
@Suite struct SyncTests {
    typealias Node = MutualTLSTests.Node

    @Test func twoNodesSyncBothWaysThenHaveNothingNew() async throws {
        let server = try Node("Chisinau"), client = try Node("Bucharest")
        defer { [server, client].forEach { $0.remove() } }
        _ = try server.directory.addPeer(try client.card())
        _ = try client.directory.addPeer(try server.card())
        _ = try server.directory.write { tx in
            let police = try tx.save(Agency(name: "Centre for Combating Trafficking in Persons", acronym: "CCTP", kind: .police, country: "MD"))
            try tx.save(Person(agencyID: police.id, givenName: "Ion", familyName: "Popescu"))
        }
        _ = try client.directory.write { tx in
            let police = try tx.save(Agency(name: "Romanian Police", kind: .police, country: "RO"))
            try tx.save(Person(agencyID: police.id, givenName: "Andreea", familyName: "Ionescu"))
        }
        _ = try client.directory.write { tx in try tx.save(Agency(name: "Border Police", kind: .border, country: "RO")) }

        try await MutualTLSTests().withServer(server) { port in
            let transport = try HTTPSSyncTransport(peer: try client.peer(server, port: port), tls: client.tls)
            let first = try await client.directory.sync(with: transport)
            #expect(first.pulled.report.applied == 1)
            #expect(first.pulled.report.changesApplied == 2)
            #expect(first.pushed.commits == 2)
            #expect(first.peerReport?.applied == 2)
            #expect(first.peerReport?.refused.isEmpty == true)
            #expect(try client.directory.digest() == server.directory.digest())
            #expect(try server.directory.search(SearchQuery("ionescu")).count == 1)

            // Nothing new: nothing applied, nothing sent.
            let again = try await client.directory.sync(with: transport)
            #expect(again.pulled.report.applied == 0 && again.pulled.report.alreadyHeld == 0)
            #expect(again.pushed.commits == 0 && again.peerReport == nil)

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

        try await MutualTLSTests().withServer(server) { port in
            // Bucharest hands over a bundle that Sofia signed: refused, and nothing of it applied.
            let transport = try HTTPSSyncTransport(peer: try client.peer(server, port: port), tls: client.tls)
            let error = await #expect(throws: LiaisonError.self) { try await transport.push(try Data(contentsOf: file)) }
            #expect(error?.message.contains("must be exported by the node that pushes it") == true)
            #expect(try server.directory.stats().agencies == 0)
        }
    }
}
