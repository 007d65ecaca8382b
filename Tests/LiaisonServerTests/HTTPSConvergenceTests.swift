import Foundation
import GRDB
import LiaisonCore
import LiaisonServer
import LiaisonSync
import LiaisonTestSupport
import Testing

/// Randomized runs of three nodes that write while they sync over mutual-TLS HTTPS to each other's
/// live servers, some links cut mid-transfer: at the end all three hold the same directory.
///
/// The keys, record ids and clocks come from the seed, as in the in-memory convergence runs; only
/// the TLS keys (which sign nothing of the log) do not. `LIAISON_SEED=N` replays one run, and
/// `LIAISON_HTTPS_SEEDS` sets how many run.
@Suite struct HTTPSConvergenceTests {
    static let seedCount = ProcessInfo.processInfo.environment["LIAISON_HTTPS_SEEDS"].flatMap(Int.init) ?? 3

    @Test func nodesConvergeOverHTTPSWithCutTransfers() async throws {
        if let replay = ProcessInfo.processInfo.environment["LIAISON_SEED"].flatMap(UInt64.init) {
            try await Self.run(seed: replay)
            return
        }
        var seeds = SeededGenerator(name: "nodesConvergeOverHTTPSWithCutTransfers")
        for _ in 0..<Self.seedCount { try await Self.run(seed: seeds.next()) }
    }

    /// A node of the run: its directory and a TLS identity from a folder of its own.
    struct Member: Sendable {
        let directory: Directory
        let tls: NodeTLS
        let pin: String
        let folder: URL
    }

    static func run(seed: UInt64) async throws {
        print("HTTPSConvergenceTests: seed \(seed) (replay with LIAISON_SEED=\(seed))")
        var random = SeededGenerator(seed: seed)
        let keys = try (0..<3).map { _ in try random.signingKey() }
        let time = TestClock()
        let generators = keys.map { _ in SharedGenerator(seed: random.next()) }
        let directories = try Federation.nodes(keys: keys, clock: { _ in { time.now() } }, random: { generators[$0].next })
        let members = try directories.enumerated().map { index, directory in
            let folder = NodeFolder(url: Fixtures.temporaryFolder())
            _ = try folder.initialize(name: "TLS \(index)", agency: "TLS")
            return Member(directory: directory, tls: try NodeTLS(folder: folder), pin: try folder.tlsPin(), folder: folder.url)
        }
        defer { members.forEach { try? FileManager.default.removeItem(at: $0.folder) } }
        // The run's draws go on inside the servers' closure, one step after another.
        let draws = Draws(random)
        try await withServers(members) { ports in
            var random = draws.take()
            defer { draws.put(random) }
            // Each roster gets the others' real pins and addresses.
            for (index, member) in members.enumerated() {
                for (other, otherMember) in members.enumerated() where other != index {
                    _ = try member.directory.addPeer(try otherMember.directory.card(tlsPin: otherMember.pin, url: "https://127.0.0.1:\(ports[other])"))
                }
            }
            func link(_ from: Int, _ to: Int) throws -> HTTPSSyncTransport {
                let peer = try #require(try members[from].directory.peers().first { $0.nodeID == members[to].directory.node.id.hex })
                return try HTTPSSyncTransport(peer: peer, tls: members[from].tls, timeout: .seconds(120))
            }
            for step in 0..<24 {
                time.advance(by: Double(Int.random(in: 0...1500, using: &random)) / 1000)
                let writer = members[Int.random(in: 0..<3, using: &random)].directory
                try write(step: step, on: writer, random: &random)
                guard Bool.random(using: &random) else { continue }
                let from = Int.random(in: 0..<3, using: &random)
                let to = (from + Int.random(in: 1...2, using: &random)) % 3
                if Int.random(in: 0..<4, using: &random) == 0 {
                    let cut = CutLink(inner: try link(from, to), keeping: Int.random(in: 200...4_000, using: &random))
                    _ = try? await members[from].directory.sync(with: cut)
                } else {
                    _ = try await members[from].directory.sync(with: try link(from, to))
                }
            }
            // A line, A–B–C, synced until nothing moves: A and C never meet.
            for _ in 0..<2 {
                for (from, to) in [(0, 1), (2, 1), (1, 0), (1, 2)] { _ = try await members[from].directory.sync(with: try link(from, to)) }
            }
        }
        let digests = try members.map { try $0.directory.digest() }
        #expect(Set(digests).count == 1, "seed \(seed): digests differ (replay with LIAISON_SEED=\(seed))")
        for member in members {
            #expect(throws: Never.self, "seed \(seed)") { try member.directory.read { db in try LogStore.verifyState(in: db) } }
        }
    }

    /// Hands the seeded generator into a closure that runs while the servers do, and back.
    final class Draws: @unchecked Sendable {
        private var generator: SeededGenerator
        init(_ generator: SeededGenerator) { self.generator = generator }
        func take() -> SeededGenerator { generator }
        func put(_ generator: SeededGenerator) { self.generator = generator }
    }

    /// One random write: an agency, a contact, an edit or a removal of a record this node keeps.
    static func write(step: Int, on node: Directory, random: inout SeededGenerator) throws {
        let own = node.node.id.hex
        switch Int.random(in: 0..<4, using: &random) {
        case 0:
            let agency = Agency(id: random.uuid(), name: "Agency \(step)", kind: .police, country: ["MD", "RO", "UA"][step % 3])
            _ = try node.write { tx in try tx.save(agency) }
        case 1:
            let agencies = try node.read { db in try Agency.fetchAll(db, sql: "SELECT * FROM agency WHERE deleted = 0 ORDER BY id") }
            guard let agency = agencies.randomElement(using: &random) else { return }
            let person = Person(id: random.uuid(), agencyID: agency.id, givenName: "Ion", familyName: "Popescu \(step)")
            _ = try? node.write { tx in try tx.save(person) }
        case 2:
            let agencies = try node.read { db in
                try Agency.fetchAll(db, sql: "SELECT * FROM agency WHERE deleted = 0 AND steward = ? ORDER BY id", arguments: [own])
            }
            guard var agency = agencies.randomElement(using: &random) else { return }
            agency.acronym = "A\(step)"
            let edited = agency
            _ = try node.write { tx in try tx.save(edited) }
        default:
            let people = try node.read { db in
                try Person.fetchAll(db, sql: "SELECT * FROM person WHERE deleted = 0 AND steward = ? ORDER BY id", arguments: [own])
            }
            guard let person = people.randomElement(using: &random) else { return }
            _ = try node.write { tx in try tx.removePerson(person.id) }
        }
    }

    /// Runs a server for each member on a free loopback port while `body` runs with the ports.
    static func withServers(_ members: [Member], _ body: @Sendable ([Int]) async throws -> Void) async throws {
        @Sendable func serve(_ index: Int, ports: [Int]) async throws {
            guard index < members.count else { return try await body(ports) }
            let member = members[index]
            try await MutualTLSTests().withServer(directory: member.directory, tls: member.tls, idleTimeout: .seconds(120)) { port in
                try await serve(index + 1, ports: ports + [port])
            }
        }
        try await serve(0, ports: [])
    }
}
