import Foundation
import Crypto
import GRDB
@testable import LiaisonCore
import LiaisonSync
import LiaisonTestSupport
import Testing

/// One contract, every transport: a sync does the same over a link in memory, over bundle files and
/// over mutual-TLS HTTPS to a live server.
@Suite struct ContractTests {
    typealias Node = MutualTLSTests.Node

    enum Kind: String, CaseIterable, CustomTestStringConvertible {
        case inMemory, bundleFile, https
        var testDescription: String { rawValue }
    }

    /// Runs `body` with a link from `client` to `server` of `kind`; `maximumPush` bounds what one
    /// push may carry where the transport has a limit.
    func withLink(
        _ kind: Kind, from client: Node, to server: Node, maximumPush: Int? = nil,
        _ body: @Sendable (any SyncTransport) async throws -> Void
    ) async throws {
        let peer = try #require(try client.directory.peers().first { $0.nodeID == server.directory.node.id.hex })
        switch kind {
        case .inMemory:
            try await body(DirectLink(peer: peer, other: server.directory, caller: client.directory.node.id, maximumPush: maximumPush.map(Int64.init)))
        case .bundleFile:
            let folder = Fixtures.temporaryFolder()
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            try await body(FileLink(peer: peer, other: server.directory, caller: client.directory.node.id, folder: folder))
        case .https:
            try await MutualTLSTests().withServer(server, idleTimeout: .seconds(120), maximumPushBytes: maximumPush ?? SyncMedia.maximumPush) { port in
                try await body(try HTTPSSyncTransport(peer: try client.peer(server, port: port), tls: client.tls, timeout: .seconds(120)))
            }
        }
    }

    func pair() throws -> (Node, Node) { try MutualTLSTests.peers() }

    @Test(arguments: Kind.allCases) func bothWaysThenNothingNew(_ kind: Kind) async throws {
        let (server, client) = try pair()
        defer { [server, client].forEach { $0.remove() } }
        _ = try server.directory.write { tx in
            let police = try tx.save(Agency(name: "Centre for Combating Trafficking in Persons", kind: .police, country: "MD"))
            try tx.save(Person(agencyID: police.id, givenName: "Ion", familyName: "Popescu"))
        }
        _ = try client.directory.write { tx in try tx.save(Agency(name: "Romanian Police", kind: .police, country: "RO")) }
        _ = try client.directory.write { tx in try tx.save(Agency(name: "Border Police", kind: .border, country: "RO")) }
        try await withLink(kind, from: client, to: server) { link in
            let first = try await client.directory.sync(with: link)
            #expect(first.received.applied == 1 && first.received.changesApplied == 2)
            #expect(first.pushed.commits == 2 && first.peerReport?.applied == 2)
            #expect(try client.directory.digest() == server.directory.digest())

            let counting = CountingLink(link)
            let again = try await client.directory.sync(with: counting)
            #expect(again.received.applied == 0 && again.pushed.commits == 0)
            #expect(counting.pulls == 0 && counting.pushes == 0)
        }
    }

    @Test(arguments: Kind.allCases) func aCutPullKeepsWhatArrivedAndTheNextSyncGoesOn(_ kind: Kind) async throws {
        let (server, client) = try pair()
        defer { [server, client].forEach { $0.remove() } }
        for index in 0..<40 {
            _ = try server.directory.write { tx in try tx.save(Agency(name: "Inspectorate \(index)", kind: .police, country: "MD")) }
        }
        try await withLink(kind, from: client, to: server) { link in
            let whole = try await pulledBundle(through: link, beyond: VersionVector())
            let cut = try await client.directory.sync(with: CutLink(inner: link, keeping: whole.count / 2))
            let kept = cut.received.applied
            #expect(kept > 0 && kept < 40)
            #expect(cut.damage?.contains("cut off") == true, "\(String(describing: cut.damage))")
            // The failure is kept for `peer status`.
            #expect(try client.directory.peerStatuses().first?.lastError?.contains("the link went down") == true)
            let resumed = try await client.directory.sync(with: link)
            #expect(resumed.received.applied == 40 - kept && resumed.received.alreadyHeld == 0)
            #expect(try client.directory.digest() == server.directory.digest())
        }
    }

    @Test(arguments: [Kind.inMemory, .https]) func aPushLargerThanThePeerTakesGoesInSeveral(_ kind: Kind) async throws {
        let (server, client) = try pair()
        defer { [server, client].forEach { $0.remove() } }
        for index in 0..<30 {
            _ = try client.directory.write { tx in
                try tx.save(Agency(name: "Inspectorate \(index)", kind: .police, country: "RO", address: SyncTests.incompressible(5)))
            }
        }
        try await withLink(kind, from: client, to: server, maximumPush: 4 << 10) { link in
            let counting = CountingLink(link)
            let synced = try await client.directory.sync(with: counting)
            #expect(synced.pushed.commits == 30 && synced.peerReport?.applied == 30)
            #expect(counting.pushes > 2, "pushed in \(counting.pushes) requests")
            #expect(try client.directory.digest() == server.directory.digest())
        }
    }

    /// A server and a client that both trust a third node, the author.
    func pairWithAuthor() throws -> (server: Node, client: Node, author: Node) {
        let (server, client) = try pair()
        let author = try Node("Kyiv")
        for node in [server, client] {
            _ = try node.directory.addPeer(try author.card())
            _ = try author.directory.addPeer(try node.card())
        }
        return (server, client, author)
    }

    @Test(arguments: Kind.allCases) func aBodyForNamedNodesReachesOnlyThem(_ kind: Kind) async throws {
        let (server, client, author) = try pairWithAuthor()
        defer { [server, client, author].forEach { $0.remove() } }
        // The author addresses one note to the server alone, and an agency to everyone. (The
        // directory reaches every node: a body for named nodes is intelligence.)
        let key = try #require(author.directory.signingKey)
        func note(_ title: String, for node: Node) -> Change {
            let scope = Distribution.nodes([node.directory.node.id])
            let note = Note(
                title: title, language: "en", body: "For \(node.directory.node.name) alone", status: .published, reliability: .b, credibility: .two,
                marking: .amber, distribution: scope)
            return Change(entity: .note, recordID: note.id, operation: .upsert(FieldGroups(note.fieldGroups)), distribution: scope)
        }
        let named = note("Named note", for: server)
        let open = Change(entity: .agency, recordID: UUID(), operation: .upsert([
            "name": ["name": .text("Open unit"), "native_name": .null, "acronym": .null],
            "placement": ["kind": .text("police"), "country": .text("UA"), "parent_id": .null, "subdivision": .null],
            "address": ["address": .null, "website": .null],
        ]))
        let commit = try Commit.sign(
            changes: [named, open], origin: author.directory.node.id, epoch: 1, sequence: 1, previousHash: [UInt8](repeating: 0, count: 32),
            time: HybridLogicalTime(rawValue: UInt64(Date().timeIntervalSince1970 * 1000) << 16), key: key)
        let report = try server.directory.receive([commit])
        #expect(report.applied == 1 && report.refusedChanges.isEmpty, "\(report)")
        #expect(try titles(server) == ["Named note", "Open unit"])
        // Its next commit names the client alone; the client holds it until the first arrives.
        let next = try Commit.sign(
            changes: [note("Client note", for: client)], origin: author.directory.node.id, epoch: 1, sequence: 2, previousHash: commit.header.hash,
            time: HybridLogicalTime(rawValue: (UInt64(Date().timeIntervalSince1970 * 1000) + 1) << 16), key: key)
        _ = try client.directory.receive([next])

        try await withLink(kind, from: client, to: server) { link in
            let synced = try await client.directory.sync(with: link)
            // The pulled commit, and the held one it let apply.
            #expect(synced.received.applied == 2)
            // On the pull, the commit arrived whole and verified; the named change as its hash only.
            #expect(try client.directory.vector().sequence(origin: author.directory.node.id, epoch: 1) == 2)
            #expect(try titles(client) == ["Client note", "Open unit"])
            // On the push, the same: the server holds the next commit, not the client's change.
            #expect(synced.peerReport?.applied == 1)
            #expect(try server.directory.vector().sequence(origin: author.directory.node.id, epoch: 1) == 2)
            #expect(try titles(server) == ["Named note", "Open unit"])
        }
    }

    @Test(arguments: Kind.allCases) func aNoteSealedToTheClientCrossesAServerThatCannotReadIt(_ kind: Kind) async throws {
        let (server, client, author) = try pairWithAuthor()
        defer { [server, client, author].forEach { $0.remove() } }
        let note = Note(
            title: "Convoy", language: "en", body: "SEALED-FOR-THE-CLIENT", status: .published, reliability: .b, credibility: .two,
            marking: .red, distribution: .nodes([client.directory.node.id]))
        _ = try author.directory.write { tx in try tx.save(note) }
        _ = try server.directory.receive(try author.directory.commits(beyond: VersionVector(), for: server.directory.node.id))
        #expect(try server.directory.notes().isEmpty)
        try await withLink(kind, from: client, to: server) { link in
            let synced = try await client.directory.sync(with: link)
            #expect(synced.received.applied == 1 && synced.received.refusedChanges.isEmpty)
            #expect(try client.directory.note(matching: note.id.lowercasedString).body == "SEALED-FOR-THE-CLIENT")
            #expect(try server.directory.notes().isEmpty)
            let serverLog = try server.directory.read { db in try Data.fetchAll(db, sql: "SELECT changes FROM commit_log") }
            #expect(!serverLog.contains { $0.range(of: Data("SEALED-FOR-THE-CLIENT".utf8)) != nil })
        }
    }

    @Test(arguments: Kind.allCases) func pushingTheSameBundleTwiceIsHarmless(_ kind: Kind) async throws {
        let (server, client) = try pair()
        defer { [server, client].forEach { $0.remove() } }
        _ = try client.directory.write { tx in try tx.save(Agency(name: "Romanian Police", kind: .police, country: "RO")) }
        _ = try client.directory.write { tx in try tx.save(Agency(name: "Border Police", kind: .border, country: "RO")) }
        var written: [UInt8] = []
        _ = try client.directory.writeBundle(
            assumes: VersionVector(), for: server.directory.node.id, disclosure: .push(to: server.directory.node.id, by: "user:test")
        ) { written += $0 }
        let bundle = written
        try await withLink(kind, from: client, to: server) { link in
            func push() async throws -> ReceiveReport {
                let stream = BundleStream(name: "a push")
                try stream.write(bundle)
                stream.finish()
                return try await link.push(from: stream)
            }
            let first = try await push()
            let again = try await push()
            #expect(first.applied == 2 && again.applied == 0 && again.alreadyHeld == 2)
            #expect(try client.directory.digest() == server.directory.digest())
        }
    }

    /// The notes' titles and the agencies' names a node holds, in order.
    func titles(_ node: Node) throws -> [String] {
        try node.directory.read { db in try String.fetchAll(db, sql: "SELECT title FROM note UNION ALL SELECT name FROM agency ORDER BY 1") }
    }
}
