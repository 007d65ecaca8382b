package import Foundation
public import LiaisonCore
import NIOConcurrencyHelpers
import NIOCore
package import NIOHTTP1
import NIOPosix
import NIOSSL

/// How this node reaches one peer to sync: the seam between the sync rules and the wire.
///
/// The sync client asks the same questions of any transport; ``HTTPSSyncTransport`` answers them
/// over mutual-TLS HTTPS (docs/SYNC.md). Bundles travel as streams, so that what arrives is applied
/// batch by batch while the rest is still on its way.
public protocol SyncTransport: Sendable {
    /// The peer this transport reaches.
    var peer: Peer { get }

    /// What the peer holds now, and the largest push it accepts. `known` is the vector the peer
    /// held at the last sync: a peer that holds just that may say so without sending it again.
    func state(known: VersionVector?) async throws(LiaisonError) -> PeerState

    /// Writes into `stream`, as it arrives, a bundle signed by the peer for this node of the
    /// commits beyond `vector` that this node may see, and finishes the stream. On failure it fails
    /// the stream with the reason and throws.
    func pull(beyond vector: VersionVector, into stream: BundleStream) async throws(LiaisonError)

    /// Gives the peer the bundle this node writes into `stream`, signed for it, as it is written;
    /// returns what receiving it did there.
    func push(from stream: BundleStream) async throws(LiaisonError) -> ReceiveReport
}

extension SyncTransport {
    /// What the peer holds now, sent in full.
    public func state() async throws(LiaisonError) -> PeerState { try await state(known: nil) }
}

/// What a peer says before a sync.
public struct PeerState: Sendable, Hashable {
    /// The version vector the peer holds.
    public var vector: VersionVector
    /// The largest bundle it accepts in one push, if it says.
    public var maximumPush: Int64?

    public init(vector: VersionVector, maximumPush: Int64? = nil) {
        self.vector = vector
        self.maximumPush = maximumPush
    }
}

/// What sync requests and answers carry.
public enum SyncMedia {
    /// The media type of a bundle file (PROTOCOL.md, "Bundle file") in a request or an answer.
    public static let bundle = "application/vnd.liaison.bundle"
    /// The header of `GET /v1/vector` that gives the largest push the server accepts, in bytes.
    public static let pushLimitHeader = "liaison-push-limit"
    /// The most a push may carry by default: a larger one is refused, and the sender sends fewer
    /// commits at a time.
    public static let maximumPush = 256 << 20
    /// The most an answer other than a bundle may carry.
    static let maximumAnswer = 1 << 20
}

/// Mutual-TLS HTTPS to a peer's address from its card: TLS 1.3, this node's certificate as the
/// client's, and the server's certificate checked against the peer's pin in the handshake.
public struct HTTPSSyncTransport: SyncTransport {
    public let peer: Peer
    let host: String
    let port: Int
    /// The TLS context of this node's certificate, made once for every request to the peer.
    let context: NIOSSLContext
    /// How long a connection and an answer may take.
    let timeout: Duration

    public init(peer: Peer, tls: NodeTLS, timeout: Duration = .seconds(30)) throws(LiaisonError) {
        guard let address = peer.url, let url = URL(string: address), url.scheme == "https", let host = url.host(), !host.isEmpty else {
            throw LiaisonError(
                .invalidValue, "peer \(peer.name) (\(peer.nodeID.prefix(8))) has no https:// address",
                hint: "add its card again after its node wrote it with `liaison node card --url https://HOST:PORT`")
        }
        self.peer = peer
        self.host = host
        port = url.port ?? 443
        do {
            context = try NIOSSLContext(configuration: tls.clientConfiguration())
        } catch {
            throw LiaisonError(.nodeFolder, "cannot use the node's TLS certificate and key: \(error)")
        }
        self.timeout = timeout
    }

    public func state(known: VersionVector?) async throws(LiaisonError) -> PeerState {
        var limit: Int64?
        var unchanged = false
        let body = try await request(.GET, "/v1/vector", headers: known.map { ["if-none-match": "\"\($0.fingerprint)\""] } ?? [:]) { head in
            limit = head.headers.first(name: SyncMedia.pushLimitHeader).flatMap { Int64($0) }
            unchanged = head.status == .notModified
        }
        if unchanged, let known { return PeerState(vector: known, maximumPush: limit) }
        return PeerState(vector: try VersionVector(json: body, fileName: "the vector of \(peer.name)"), maximumPush: limit)
    }

    public func pull(beyond vector: VersionVector, into stream: BundleStream) async throws(LiaisonError) {
        do {
            let head = requestHead(.POST, "/v1/pull", contentType: "application/json", length: vector.json().count)
            let answer = try await exchange(head, body: .bytes(Array(vector.json()))) { status, buffer throws(LiaisonError) in
                guard status == .ok else { return false }
                try await stream.send(Array(buffer.readableBytesView))
                return true
            }
            try check(answer, path: "/v1/pull")
            stream.finish()
        } catch {
            stream.fail(error.message)
            throw error
        }
    }

    public func push(from stream: BundleStream) async throws(LiaisonError) -> ReceiveReport {
        // The first chunk comes before the connection: an export that fails at once sends nothing.
        guard let first = try await stream.next() else {
            throw LiaisonError(.invalidFile, "the push to \(peer.name) had no bundle to send")
        }
        var head = requestHead(.POST, "/v1/push", contentType: SyncMedia.bundle, length: nil)
        head.headers.add(name: "transfer-encoding", value: "chunked")
        let answer = try await exchange(head, body: .stream(first: first, rest: stream)) { _, _ in false }
        try check(answer, path: "/v1/push")
        do {
            return try JSONOutput.decode(ReceiveReport.self, from: answer.body)
        } catch {
            throw LiaisonError(.network, "\(peer.name) answered a push with something other than a receive report")
        }
    }

    /// The body of a successful answer to a request without a bundle; any other answer is an
    /// error that says what the peer said. `head` sees the answer's head.
    package func request(
        _ method: HTTPMethod, _ path: String, body: [UInt8]? = nil, contentType: String? = nil, headers: [String: String] = [:],
        head: (HTTPResponseHead) -> Void = { _ in }
    ) async throws(LiaisonError) -> Data {
        var requestHead = requestHead(method, path, contentType: contentType, length: body?.count)
        for (name, value) in headers { requestHead.headers.add(name: name, value: value) }
        let answer = try await exchange(requestHead, body: body.map { .bytes($0) } ?? .none) { _, _ in false }
        try check(answer, path: path)
        head(answer.head)
        return answer.body
    }

    private func requestHead(_ method: HTTPMethod, _ path: String, contentType: String?, length: Int?) -> HTTPRequestHead {
        var headers: HTTPHeaders = ["host": host, "connection": "close"]
        if let length { headers.add(name: "content-length", value: String(length)) }
        if let contentType { headers.add(name: "content-type", value: contentType) }
        return HTTPRequestHead(version: .http1_1, method: method, uri: path, headers: headers)
    }

    /// Throws, with what the peer said, unless the answer is 200.
    private func check(_ answer: Answer, path: String) throws(LiaisonError) {
        let status = answer.head.status
        guard ![.ok, .noContent, .notModified].contains(status) else { return }
        let said = String(decoding: answer.body.prefix(300), as: UTF8.self)
        let code: LiaisonError.Code = switch status {
        case .unauthorized, .forbidden: .unauthorized
        case .payloadTooLarge: .tooLarge
        case .tooManyRequests: .busy
        default: .network
        }
        throw LiaisonError(code, "\(peer.name) answered \(path) with \(status.code) \(status.reasonPhrase): \(said)")
    }

    /// What a request sends after its head.
    private enum RequestBody {
        case none
        case bytes([UInt8])
        /// A bundle as it is written, in chunks.
        case stream(first: [UInt8], rest: BundleStream)
    }

    /// An answer's head and, unless its receiver took them, its body's bytes.
    private struct Answer {
        var head: HTTPResponseHead
        var body: Data
    }

    /// Sends one request on a new connection and reads its answer. `receive` is offered each piece
    /// of the body and returns false for those it leaves to the answer (up to a megabyte).
    ///
    /// A connection on which nothing moves either way for `timeout` is closed; a transfer that
    /// keeps moving may take as long as it needs.
    private func exchange(
        _ head: HTTPRequestHead, body requestBody: RequestBody,
        receive: @escaping @Sendable (HTTPResponseStatus, ByteBuffer) async throws(LiaisonError) -> Bool
    ) async throws(LiaisonError) -> Answer {
        let peerName = peer.name
        return try await withConnection { connection, inbound, outbound in
            try await withThrowingTaskGroup(of: Void.self, returning: Answer.self) { group in
                group.addTask {
                    // A server that refuses this node's certificate may close the connection
                    // while the request is written: its alert is read from the inbound side.
                    do {
                        try await outbound.write(.head(head))
                        switch requestBody {
                        case .none: break
                        case .bytes(let bytes): try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: bytes))))
                        case .stream(let first, let rest):
                            try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: first))))
                            while let chunk = try await rest.next() { try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: chunk)))) }
                        }
                        try await outbound.write(.end(nil))
                    } catch let error as LiaisonError {
                        // The bundle stopped: the server must not take what came as whole.
                        connection.close()
                        throw error
                    }
                }
                var response: HTTPResponseHead?
                var body = Data()
                do {
                    for try await part in inbound {
                        switch part {
                        case .head(let head):
                            connection.answered()
                            response = head
                        case .body(let buffer):
                            guard let status = response?.status else { continue }
                            if try await receive(status, buffer) { continue }
                            guard body.count + buffer.readableBytes <= SyncMedia.maximumAnswer else {
                                throw LiaisonError(.network, "\(peerName) sent more than \(SyncMedia.maximumAnswer >> 20) MiB in one answer")
                            }
                            body.append(contentsOf: buffer.readableBytesView)
                        case .end:
                            group.cancelAll()
                            if let response { return Answer(head: response, body: body) }
                        }
                    }
                } catch {
                    // The request's own failure (its bundle stopped) says more than the cut it caused.
                    group.cancelAll()
                    if case .failure(let writeError as LiaisonError)? = await group.nextResult() { throw writeError }
                    throw error
                }
                if case .failure(let writeError)? = await group.nextResult() { throw writeError }
                throw connection.closedEarly
            }
        }
    }
}
