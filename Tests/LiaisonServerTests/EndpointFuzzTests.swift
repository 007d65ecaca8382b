import Foundation
import LiaisonCore
@testable import LiaisonSync
import LiaisonTestSupport
import NIOHTTP1
import Testing

/// Mutated request bodies and queries sent by a peer to every sync and API route of a live server:
/// each gets an answer, 200 or a 4xx, never a 5xx, nothing half-applied, and the server keeps serving.
/// Seeded and replayable: LIAISON_SEED replays a run, LIAISON_FUZZ_CASES sets how many cases.
@Suite struct EndpointFuzzTests {
    typealias Node = MutualTLSTests.Node

    @Test func mutatedRequestsGetAClearAnswerAndNothingBreaks() async throws {
        let server = try Node("Chisinau"), client = try Node("Bucharest")
        defer { [server, client].forEach { $0.remove() } }
        _ = try server.directory.addPeer(try client.card())
        _ = try client.directory.addPeer(try server.card())
        _ = try client.directory.write { tx in
            let police = try tx.save(Agency(name: "Romanian Police", kind: .police, country: "RO"))
            try tx.save(Person(agencyID: police.id, givenName: "Andreea", familyName: "Ionescu"))
        }
        let folder = Fixtures.temporaryFolder()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appending(path: "push.liaison-bundle")
        _ = try client.directory.exportBundle(to: file, assumes: VersionVector(), for: server.directory.node.id)
        let bundle = [UInt8](try Data(contentsOf: file))
        let vector = [UInt8](try client.directory.vector().json())
        let cases = ProcessInfo.processInfo.environment["LIAISON_FUZZ_CASES"].flatMap(Int.init) ?? 150
        var random = SeededGenerator(name: "EndpointFuzzTests")
        let seed = random.seed
        let requests = (0..<cases).map { _ in Self.mutatedRequest(bundle: bundle, vector: vector, random: &random) }
        let digestBefore = try server.directory.digest()

        try await MutualTLSTests().withServer(server, idleTimeout: .seconds(120)) { port in
            let link = try HTTPSSyncTransport(peer: try client.peer(server, port: port), tls: client.tls, timeout: .seconds(120))
            var statuses: [String: Int] = [:]
            for (index, (method, path, body)) in requests.enumerated() {
                do {
                    _ = try await link.request(method, path, body: body, contentType: body == nil ? nil : "application/octet-stream")
                    statuses["200", default: 0] += 1
                } catch let error as LiaisonError {
                    // The transport turns any answer but 200 into an error that quotes the status.
                    let words: [Substring] = error.message.split(separator: " ")
                    let code: Substring? = words.first { word in word.count == 3 && word.allSatisfy { $0.isNumber } }
                    let status = code.map { String($0) } ?? "none"
                    #expect(status.hasPrefix("4"), "case \(index) (seed \(seed)): \(method) \(path): \(error.message)")
                    statuses[status, default: 0] += 1
                }
            }
            print("EndpointFuzzTests: \(cases) cases, answers \(statuses.sorted { $0.key < $1.key })")
            // The server still serves, and no mutated push changed its directory.
            #expect(try await link.state().vector == (try server.directory.vector()))
        }
        let applied = try server.directory.stats().contacts
        #expect(applied == 0 || applied == 1, "only the genuine push could apply")
        if applied == 0 { #expect(try server.directory.digest() == digestBefore) }
    }

    /// A request to one of the routes, with its body or query mutated.
    static func mutatedRequest(bundle: [UInt8], vector: [UInt8], random: inout SeededGenerator) -> (HTTPMethod, String, [UInt8]?) {
        func mutate(_ bytes: [UInt8]) -> [UInt8] {
            var bytes = bytes
            switch random.next() % 5 {
            case 0 where !bytes.isEmpty: bytes[Int(random.next() % UInt64(bytes.count))] ^= UInt8(truncatingIfNeeded: random.next() | 1)
            case 1 where !bytes.isEmpty: bytes = Array(bytes.prefix(Int(random.next() % UInt64(bytes.count))))
            case 2: bytes += (0..<Int(random.next() % 64)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            case 3 where bytes.count > 2:
                let at = Int(random.next() % UInt64(bytes.count - 1))
                bytes.remove(at: at)
            default: bytes = (0..<Int(random.next() % 200)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            }
            return bytes
        }
        let words = ["mold", "", "%00", "popescu", "%FF%FE", "a%20b", String(repeating: "x", count: 300)]
        let parameters = ["q", "kind", "crime_area", "function", "language", "24x7", "limit", "country"]
        switch random.next() % 4 {
        case 0: return (.POST, "/v1/push", mutate(bundle))
        case 1: return (.POST, "/v1/pull", mutate(vector))
        case 2:
            let query = (0..<Int(1 + random.next() % 3)).map { _ in
                "\(parameters[Int(random.next() % UInt64(parameters.count))])=\(words[Int(random.next() % UInt64(words.count))])"
            }.joined(separator: "&")
            return (.GET, "/api/v1/search?" + query, nil)
        default:
            let paths = ["/api/v1/contacts/", "/api/v1/agencies/", "/api/v1/countries/", "/api/v1/contacts/%2e%2e/vcard/"]
            return (.GET, paths[Int(random.next() % UInt64(paths.count))] + words[Int(random.next() % UInt64(words.count))], nil)
        }
    }
}
