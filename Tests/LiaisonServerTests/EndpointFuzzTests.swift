import Crypto
import Foundation
@testable import LiaisonCore
@testable import LiaisonSync
import LiaisonTestSupport
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Testing

/// Mutated request bodies and queries sent by a peer to every sync and API route of a live server:
/// each gets an answer, 200 or a 4xx, never a 5xx, nothing half-applied, and the server keeps serving.
/// Seeded and replayable: LIAISON_SEED replays a run, LIAISON_FUZZ_CASES sets how many cases.
@Suite struct EndpointFuzzTests {
    typealias Node = MutualTLSTests.Node

    @Test func mutatedRequestsGetAClearAnswerAndNothingBreaks() async throws {
        let (server, client) = try MutualTLSTests.peers()
        defer { [server, client].forEach { $0.remove() } }
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
        let cases = ProcessInfo.processInfo.environment["LIAISON_FUZZ_CASES"].flatMap(Int.init) ?? 2_000
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

    /// Requests mutated below HTTP: broken request lines, floods and giant headers, lengths that
    /// lie, bad chunks, and bodies cut off mid-stream. Each gets a 4xx, a 2xx for one that is still
    /// valid, or a closed connection; never a 5xx or a hang; and the server goes on serving.
    @Test func mutatedRawRequestsAndCutStreamsGetAClearAnswer() async throws {
        let (server, client) = try MutualTLSTests.peers()
        defer { [server, client].forEach { $0.remove() } }
        _ = try client.directory.write { tx in try tx.save(Agency(name: "Romanian Police", kind: .police, country: "RO")) }
        var bundle: [UInt8] = []
        _ = try client.directory.writeBundle(
            assumes: VersionVector(), for: server.directory.node.id, disclosure: .push(to: server.directory.node.id, by: "user:test")
        ) { bundle += $0 }
        let cases = ProcessInfo.processInfo.environment["LIAISON_FUZZ_RAW_CASES"].flatMap(Int.init) ?? 1_000
        var random = SeededGenerator(name: "EndpointFuzzTests.raw")
        let seed = random.seed
        let requests = (0..<cases).map { _ in Self.rawRequest(bundle: bundle, random: &random) }
        let digestBefore = try server.directory.digest()

        try await MutualTLSTests().withServer(server, idleTimeout: .seconds(3)) { port in
            let context = try NIOSSLContext(configuration: client.tls.clientConfiguration())
            var answers: [String: Int] = [:]
            for (index, request) in requests.enumerated() {
                let (answer, hung) = try await Self.exchange(request.bytes, halfClose: request.halfClose, port: port, context: context)
                #expect(!hung, "case \(index) (seed \(seed)): \(request.name) had no answer within 60 s")
                let status = answer.starts(with: Array("HTTP/1.1 ".utf8)) ? String(decoding: answer[9..<min(12, answer.count)], as: UTF8.self) : "closed"
                #expect(status == "closed" || status.hasPrefix("4") || status.hasPrefix("2"), "case \(index) (seed \(seed)): \(request.name) got \(status)")
                answers["\(request.name) \(status)", default: 0] += 1
            }
            print("EndpointFuzzTests raw: \(cases) cases, answers \(answers.sorted { $0.key < $1.key })")
            let link = try HTTPSSyncTransport(peer: try client.peer(server, port: port), tls: client.tls, timeout: .seconds(120))
            #expect(try await link.state().vector == (try server.directory.vector()))
        }
        // Only the genuine bundle, whole, could apply.
        let agencies = try server.directory.stats().agencies
        #expect(agencies == 0 || agencies == 1)
        if agencies == 0 { #expect(try server.directory.digest() == digestBefore) }
    }

    @Test func aPushWithAHugeVectorOrAPullTooLargeIsRefusedUnread() async throws {
        let (server, client) = try MutualTLSTests.peers()
        defer { [server, client].forEach { $0.remove() } }
        // A bundle, signed by the peer, whose header brings a vector of more entries than a
        // streamed bundle may hold.
        var writer = ByteWriter()
        writer.raw(BundleFile.magic)
        writer.u8(BundleFile.version)
        writer.raw(client.directory.node.id.bytes)
        writer.u64(UInt64(Date().timeIntervalSince1970 * 1000))
        writer.raw(VersionVector().encoded)
        let entries = try (0..<(BundleReader.maximumStreamedVectorEntries + 1)).map { index in
            VersionVector.Entry(
                origin: try NodeID(bytes: withUnsafeBytes(of: UInt64(index).bigEndian, Array.init) + [UInt8](repeating: 7, count: 8)),
                epoch: 1, sequence: 1, headerHash: [UInt8](repeating: 0, count: 32))
        }
        writer.raw(VersionVector(entries).encoded)
        writer.raw(try #require(client.directory.signingKey).signature(for: BundleFile.signatureDomain + writer.bytes))
        writer.u8(BundleFile.Tag.end)
        writer.u64(0)
        let bundle = writer.bytes
        try await MutualTLSTests().withServer(server, idleTimeout: .seconds(120)) { port in
            let link = try HTTPSSyncTransport(peer: try client.peer(server, port: port), tls: client.tls, timeout: .seconds(120))
            let stream = BundleStream(name: "a push", capacity: .max)
            try stream.write(bundle)
            stream.finish()
            let refused = await #expect(throws: LiaisonError.self) { try await link.push(from: stream) }
            #expect(refused?.message.contains("422") == true && refused?.message.contains("more than 65536") == true, "\(String(describing: refused))")
            #expect(try server.directory.peers().first?.knownVector == nil)

            let tooLarge = await #expect(throws: LiaisonError.self) {
                try await link.request(.POST, "/v1/pull", body: [UInt8](repeating: 0x20, count: 2 << 20), contentType: "application/json")
            }
            #expect(tooLarge?.code == .tooLarge, "\(String(describing: tooLarge))")
        }
    }

    struct RawRequest {
        var name: String
        var bytes: [UInt8]
        var halfClose: Bool
    }

    static func rawRequest(bundle: [UInt8], random: inout SeededGenerator) -> RawRequest {
        func pick<T>(_ items: [T]) -> T { items[Int(random.next() % UInt64(items.count))] }
        let paths = ["/v1/vector", "/v1/pull", "/v1/push", "/v1/wait?seconds=0", "/api/v1/search?q=mold", "/api/v1/contacts/x"]
        let path = pick(paths)
        let close = "Connection: close\r\n"
        func request(_ head: String, body: [UInt8] = []) -> [UInt8] { Array(head.utf8) + body }
        switch random.next() % 8 {
        case 0:
            let line = pick(["GET", "POST", "DELETE", "PATCH", "G\u{0}T", "GET GET"]) + " " + pick([path, "*", "http://x/../../etc/passwd", "", "/\u{1}"])
                + pick([" HTTP/1.1", " HTTP/9.9", "", " HTTP/1.1 extra"])
            return RawRequest(name: "request line", bytes: request(line + "\r\nHost: x\r\n" + close + "\r\n"), halfClose: false)
        case 1:
            let headers = (0..<(64 + Int(random.next() % 200))).map { "X-Flood-\($0): y\r\n" }.joined()
            return RawRequest(name: "header flood", bytes: request("GET \(path) HTTP/1.1\r\nHost: x\r\n" + headers + close + "\r\n"), halfClose: false)
        case 2:
            let value = String(repeating: "a", count: 8_000 + Int(random.next() % 40_000))
            return RawRequest(name: "giant header", bytes: request("GET \(path) HTTP/1.1\r\nHost: x\r\nX-Big: \(value)\r\n" + close + "\r\n"), halfClose: false)
        case 3:
            let length = pick(["abc", "-1", "5, 7", "99999999999999999999", "0x10"])
            return RawRequest(
                name: "bad length", bytes: request("POST \(path) HTTP/1.1\r\nHost: x\r\nContent-Length: \(length)\r\n" + close + "\r\n", body: Array(bundle.prefix(16))),
                halfClose: false)
        case 4:
            // The second chunk promises more than comes: the client then closes its side.
            let chunk = pick(["zz\r\nab\r\n0\r\n\r\n", "ffffffffffffffff\r\nab", "3\r\nabcdef\r\n0\r\n\r\n", "-5\r\nabcde\r\n0\r\n\r\n"])
            return RawRequest(
                name: "bad chunk", bytes: request("POST /v1/push HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n" + close + "\r\n" + chunk), halfClose: chunk.hasPrefix("ffff"))
        case 5:
            // A push cut off mid-stream: the length promises more than comes, and the client goes.
            let sent = Int(random.next() % UInt64(bundle.count))
            return RawRequest(
                name: "cut push",
                bytes: request("POST /v1/push HTTP/1.1\r\nHost: x\r\nContent-Type: application/vnd.liaison.bundle\r\nContent-Length: \(bundle.count)\r\n" + close + "\r\n", body: Array(bundle.prefix(sent))),
                halfClose: true)
        case 6:
            // The same, chunked, without its last chunk.
            let sent = Int(random.next() % UInt64(bundle.count))
            let chunk = String(sent, radix: 16) + "\r\n"
            return RawRequest(
                name: "cut chunked push",
                bytes: request("POST /v1/push HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n" + close + "\r\n" + chunk, body: Array(bundle.prefix(sent)) + Array("\r\n".utf8)),
                halfClose: true)
        default:
            let header = pick(["Authorization: Bearer \u{0}", "Authorization: Basic Zm9vOmJhcg==", "If-None-Match: *", "Host:", "Content-Type: ☃", "Expect: 100-continue"])
            return RawRequest(name: "odd header", bytes: request("GET \(path) HTTP/1.1\r\nHost: x\r\n\(header)\r\n" + close + "\r\n"), halfClose: false)
        }
    }

    /// Sends `bytes` on a new TLS connection with the client's certificate, closes its side when
    /// `halfClose`, and reads the answer until the server closes, for at most 60 seconds: a hang,
    /// not a slow answer on a loaded machine.
    static func exchange(
        _ bytes: [UInt8], halfClose: Bool, port: Int, context: NIOSSLContext, giveUpAfter limit: Duration = .seconds(60)
    ) async throws -> (answer: [UInt8], hung: Bool) {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let handler = try NIOSSLClientHandler(context: context, serverHostname: nil) { _, promise in promise.succeed(.certificateVerified) }
                    try channel.pipeline.syncOperations.addHandler(handler)
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(
                        wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
                }
            }
        let raw = channel.channel
        let hung = NIOLockedValueBox(false)
        let timer = Task {
            try await Task.sleep(for: limit)
            hung.withLockedValue { $0 = true }
            raw.close(promise: nil)
        }
        defer { timer.cancel() }
        let answer = try await channel.executeThenClose { inbound, outbound in
            try? await outbound.write(ByteBuffer(bytes: bytes))
            if halfClose { outbound.finish() }
            var answer: [UInt8] = []
            do {
                for try await chunk in inbound { answer += chunk.readableBytesView }
            } catch {
                // A reset after the answer: what came is the answer.
            }
            return answer
        }
        return (answer, hung.withLockedValue { $0 })
    }
}
