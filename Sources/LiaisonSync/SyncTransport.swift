public import Foundation
public import LiaisonCore
import NIOConcurrencyHelpers
import NIOCore
package import NIOHTTP1
import NIOPosix
import NIOSSL

/// How this node reaches one peer to sync: the seam between the sync rules and the wire.
///
/// The sync client asks the same questions of any transport; ``HTTPSSyncTransport`` answers them
/// over mutual-TLS HTTPS (docs/SYNC.md).
public protocol SyncTransport: Sendable {
    /// The peer this transport reaches.
    var peer: Peer { get }

    /// The version vector the peer holds now.
    func vector() async throws(LiaisonError) -> VersionVector

    /// A bundle, signed by the peer for this node, of the commits beyond `vector` that this node
    /// may see.
    func pull(beyond vector: VersionVector) async throws(LiaisonError) -> Data

    /// Gives the peer a bundle this node signed for it; returns what receiving it did there.
    func push(_ bundle: Data) async throws(LiaisonError) -> ReceiveReport
}

/// What sync requests and answers carry.
public enum SyncMedia {
    /// The media type of a bundle file (PROTOCOL.md, "Bundle file") in a request or an answer.
    public static let bundle = "application/vnd.liaison.bundle"
    /// The most a request or an answer may carry: a pull or push larger than this is refused, and
    /// the sender sends fewer commits at a time.
    public static let maximumBody = 256 << 20
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

    public func vector() async throws(LiaisonError) -> VersionVector {
        let body = try await request(.GET, "/v1/vector")
        return try VersionVector(json: body, fileName: "the vector of \(peer.name)")
    }

    public func pull(beyond vector: VersionVector) async throws(LiaisonError) -> Data {
        try await request(.POST, "/v1/pull", body: Array(vector.json()), contentType: "application/json")
    }

    public func push(_ bundle: Data) async throws(LiaisonError) -> ReceiveReport {
        let body = try await request(.POST, "/v1/push", body: Array(bundle), contentType: SyncMedia.bundle)
        do {
            return try JSONOutput.decode(ReceiveReport.self, from: body)
        } catch {
            throw LiaisonError(.network, "\(peer.name) answered a push with something other than a receive report")
        }
    }

    /// The body of a successful answer; any other answer is an error that says what the peer said.
    package func request(_ method: HTTPMethod, _ path: String, body: [UInt8]? = nil, contentType: String? = nil) async throws(LiaisonError) -> Data {
        let response: (status: HTTPResponseStatus, body: Data)
        var headers: HTTPHeaders = ["host": host, "connection": "close"]
        if let body {
            headers.add(name: "content-length", value: String(body.count))
            if let contentType { headers.add(name: "content-type", value: contentType) }
        }
        do {
            response = try await exchange(HTTPRequestHead(version: .http1_1, method: method, uri: path, headers: headers), body: body)
        } catch let error as LiaisonError {
            throw error
        } catch {
            throw LiaisonError(
                .network, "cannot reach \(peer.name) at \(host):\(port): \(error)",
                hint: "check the address in its card, that its node runs `liaison serve`, and the link")
        }
        guard response.status == .ok else {
            let said = String(decoding: response.body.prefix(300), as: UTF8.self)
            let code: LiaisonError.Code = switch response.status {
            case .unauthorized, .forbidden: .unauthorized
            case .payloadTooLarge: .tooLarge
            default: .network
            }
            throw LiaisonError(code, "\(peer.name) answered \(path) with \(response.status.code) \(response.status.reasonPhrase): \(said)")
        }
        return response.body
    }

    /// Sends one request on a new connection and reads the whole answer, up to
    /// ``SyncMedia/maximumBody`` bytes.
    private func exchange(_ head: HTTPRequestHead, body requestBody: [UInt8]?) async throws -> (status: HTTPResponseStatus, body: Data) {
        let context = context
        let expectedPin = peer.tlsPin
        let peerName = peer.name
        let presented = NIOLockedValueBox<String?>(nil)
        let answered = NIOLockedValueBox(false)
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(TimeAmount(timeout))
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let handler = try NIOSSLClientHandler(context: context, serverHostname: nil) { certificates, promise in
                        let pin = NodeTLS.pin(of: certificates)
                        presented.withLockedValue { $0 = pin }
                        promise.succeed(pin == expectedPin ? .certificateVerified : .failed)
                    }
                    try channel.pipeline.syncOperations.addHandler(handler)
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(wrappingChannelSynchronously: channel)
                }
            }
        do {
            return try await withThrowingTaskGroup(of: (status: HTTPResponseStatus, body: Data)?.self) { group in
                group.addTask {
                    try await channel.executeThenClose { inbound, outbound in
                        // A server that refuses this node's certificate may close the connection
                        // while the request is written: its alert is read from the inbound side.
                        var writeError: (any Error)?
                        do {
                            try await outbound.write(.head(head))
                            if let requestBody { try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: requestBody)))) }
                            try await outbound.write(.end(nil))
                        } catch {
                            writeError = error
                        }
                        var status: HTTPResponseStatus?
                        var body = Data()
                        for try await part in inbound {
                            switch part {
                            case .head(let response):
                                answered.withLockedValue { $0 = true }
                                status = response.status
                            case .body(let buffer):
                                guard body.count + buffer.readableBytes <= SyncMedia.maximumBody else {
                                    throw LiaisonError(.network, "\(peerName) sent more than \(SyncMedia.maximumBody >> 20) MiB in one answer")
                                }
                                body.append(contentsOf: buffer.readableBytesView)
                            case .end: return status.map { ($0, body) }
                            }
                        }
                        if let writeError { throw writeError }
                        return nil
                    }
                }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    throw LiaisonError(.network, "\(peerName) did not answer within \(timeout.components.seconds) s")
                }
                defer { group.cancelAll() }
                guard let answer = try await group.next() ?? nil else {
                    throw LiaisonError(.network, "\(peerName) closed the connection before it answered")
                }
                return answer
            }
        } catch let error as LiaisonError {
            throw error
        } catch let error where error is NIOSSLError || error is BoringSSLError {
            // In TLS 1.3 the server checks the client's certificate after the client has finished
            // its side of the handshake: a refusal comes as an alert, before any answer.
            guard let pin = presented.withLockedValue({ $0 }), !answered.withLockedValue({ $0 }) else { throw error }
            throw refusedHandshake(error, presentedPin: pin)
        }
    }

    /// The error of a connection that the handshake ended: a server certificate other than the
    /// roster's says so plainly; else the server refused this node.
    private func refusedHandshake(_ error: any Error, presentedPin: String) -> LiaisonError {
        if presentedPin != peer.tlsPin {
            return LiaisonError(
                .unauthorized,
                "the server at \(host):\(port) is not \(peer.name): its certificate's pin is \(presentedPin.prefix(16))…, the roster's is \(peer.tlsPin.prefix(16))…",
                hint: "if \(peer.name) made a new TLS key, add its new card; otherwise someone else answers at that address")
        }
        return LiaisonError(
            .unauthorized, "\(peer.name) at \(host):\(port) ended the connection in the TLS handshake, before any answer (\(error))",
            hint: "it accepts only nodes on its roster: it must add this node's card with `liaison peer add`")
    }
}
