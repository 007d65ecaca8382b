import Foundation
import Hummingbird
import LiaisonCore
import LiaisonServer
import LiaisonSync
import Logging
import ServiceLifecycle
import UnixSignals

/// The demo's federation on loopback: headquarters (the demo node, with the sample directory), a
/// regional hub, and a field office that edits while cut off, then reconnects through the hub.
struct DemoFederation {
    let headquarters: NodeFolder
    let hub: NodeFolder
    let field: NodeFolder

    init(in folder: URL, headquarters: NodeFolder) {
        self.headquarters = headquarters
        hub = NodeFolder(url: folder.appending(path: "hub"))
        field = NodeFolder(url: folder.appending(path: "field"))
    }

    /// Runs the story and prints what travelled; then, unless `once`, serves headquarters and the
    /// hub until Ctrl-C, with background sync.
    func run(once: Bool) async throws(LiaisonError) {
        let hq = try headquarters.open()
        let hubNode = try hub.initialize(name: "Demo regional hub", agency: "Demo Regional Office (fictional)")
        let fieldNode = try field.initialize(name: "Demo field office", agency: "Demo Field Office (fictional)")
        let logger = Logger(label: "liaison.demo")
        var quiet = logger
        quiet.logLevel = .error
        let hqTLS = try NodeTLS(folder: headquarters), hubTLS = try NodeTLS(folder: hub), fieldTLS = try NodeTLS(folder: field)

        // Two servers on ports the system chooses; their addresses go in the cards.
        let (ports, continuation) = AsyncStream.makeStream(of: (String, Int).self)
        let hqApp = try Self.application(hq, tls: hqTLS, logger: quiet) { continuation.yield(("hq", $0)) }
        let hubApp = try Self.application(hubNode, tls: hubTLS, logger: quiet) { continuation.yield(("hub", $0)) }
        let servers = ServiceGroup(configuration: .init(services: [hqApp, hubApp], gracefulShutdownSignals: [.sigint, .sigterm], logger: quiet))
        let serving = Task { try await servers.run() }
        var addresses: [String: String] = [:]
        for await (name, port) in ports {
            addresses[name] = "https://127.0.0.1:\(port)"
            if addresses.count == 2 { break }
        }
        let hqURL = addresses["hq"] ?? "", hubURL = addresses["hub"] ?? ""

        // Trust: headquarters and the hub, the hub and the field office, by cards; the field office
        // also holds headquarters' key, to check its commits when the hub relays them.
        let hqCard = try hq.card(tlsPin: try headquarters.tlsPin(), url: hqURL)
        let hubCard = try hubNode.card(tlsPin: try hub.tlsPin(), url: hubURL)
        let fieldCard = try fieldNode.card(tlsPin: try field.tlsPin(), url: nil)
        _ = try hq.addPeer(hubCard)
        _ = try hq.addPeer(fieldCard)
        _ = try hubNode.addPeer(hqCard)
        _ = try hubNode.addPeer(fieldCard)
        _ = try fieldNode.addPeer(hubCard)
        _ = try fieldNode.addPeer(try hq.card(tlsPin: try headquarters.tlsPin(), url: nil))

        print("\n" + String(repeating: "=", count: 72))
        print("A federation on loopback, over mutual-TLS HTTPS:")
        print("  headquarters (the demo node)  \(hqURL)")
        print("  regional hub                  \(hubURL)")
        print("  field office                  no server: it reaches the hub\n")
        func step(_ text: String, _ summary: SyncSummary) {
            var travelled = "received \(counted(summary.received.applied, "commit")) (\(counted(summary.received.changesApplied, "change")))"
            travelled += ", sent \(counted(summary.pushed.commits, "commit")) (\(summary.pushed.bytes) bytes)"
            print("\(text): \(travelled)")
        }
        step("1. The hub syncs with headquarters", try await hubNode.sync(with: try HTTPSSyncTransport(peer: try hubNode.peer("Demo liaison desk"), tls: hubTLS)))
        step("2. The field office syncs with the hub", try await fieldNode.sync(with: try HTTPSSyncTransport(peer: try fieldNode.peer("Demo regional hub"), tls: fieldTLS)))
        let police = try fieldNode.agency(matching: "CCTP", country: "MD")
        let added = try fieldNode.write { tx in
            try tx.save(Person(agencyID: police.id, givenName: "Ana", familyName: "Ceban", position: "Field liaison officer (fictional)", languages: ["ro", "ru"]))
        }.value
        print("3. Cut off, the field office adds \(added.displayName) to CCTP (Moldova).")
        step("4. Back online, the field office syncs with the hub", try await fieldNode.sync(with: try HTTPSSyncTransport(peer: try fieldNode.peer("Demo regional hub"), tls: fieldTLS)))
        step("5. The hub syncs with headquarters", try await hubNode.sync(with: try HTTPSSyncTransport(peer: try hubNode.peer("Demo liaison desk"), tls: hubTLS)))
        let digests = [try hq.digest(), try hubNode.digest(), try fieldNode.digest()]
        print("""

            Digests: headquarters \(digests[0].prefix(16))…, hub \(digests[1].prefix(16))…, field office \(digests[2].prefix(16))…
            \(Set(digests).count == 1 ? "Equal: the three nodes hold the same directory, each commit checked against its author's key." : "NOT EQUAL")
            """)
        guard !once else {
            // Stopped as Ctrl-C stops them: the servers finish what they are doing and close.
            await servers.triggerGracefulShutdown()
            _ = await serving.result
            return
        }
        let token = try hq.createToken(name: "demo \(UUID().uuidString.prefix(8).lowercased())").token
        print("""

            Serving headquarters and the hub until Ctrl-C, each syncing with its peers in the background.
            A tool reads headquarters' JSON API with this token:
              curl -k -H "Authorization: Bearer \(token)" "\(hqURL)/api/v1/search?q=ceban"
            """)
        // Standard output may be a pipe or a file, which holds lines back: the token is needed now
        // (fflush(NULL) flushes every stream).
        fflush(nil)
        _ = await serving.result
    }

    private static func application(
        _ directory: Directory, tls: NodeTLS, logger: Logger, onPort: @escaping @Sendable (Int) -> Void
    ) throws(LiaisonError) -> some Service {
        do {
            return try NodeServer.buildApplication(directory: directory, tls: tls, configuration: .init(host: "127.0.0.1", port: 0), logger: logger) { channel in
                onPort(channel.localAddress?.port ?? 0)
            }
        } catch let error as LiaisonError {
            throw error
        } catch {
            throw LiaisonError(.network, "cannot serve on loopback: \(error)")
        }
    }
}
