import Foundation
package import LiaisonCore
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

extension HTTPSSyncTransport {
    /// One connection to the peer, and what it saw, for its errors.
    struct Connection: Sendable {
        let channel: any NIOCore.Channel
        let peerName: String
        private let presented = NIOLockedValueBox<String?>(nil)
        private let hasAnswered = NIOLockedValueBox(false)
        private let wentIdle = NIOLockedValueBox(false)

        init(channel: any NIOCore.Channel, peerName: String) {
            self.channel = channel
            self.peerName = peerName
        }

        /// The connection carried the head of an answer: the handshake is behind it.
        func answered() { hasAnswered.withLockedValue { $0 = true } }

        func close() { channel.close(promise: nil) }

        var closedEarly: LiaisonError { LiaisonError(.network, "\(peerName) closed the connection before it answered") }

        fileprivate func present(_ pin: String?) { presented.withLockedValue { $0 = pin } }
        fileprivate func idle() { wentIdle.withLockedValue { $0 = true } }
        fileprivate var presentedPin: String? { presented.withLockedValue { $0 } }
        fileprivate var didAnswer: Bool { hasAnswered.withLockedValue { $0 } }
        fileprivate var isIdle: Bool { wentIdle.withLockedValue { $0 } }
    }

    typealias Inbound = NIOAsyncChannelInboundStream<HTTPClientResponsePart>
    typealias Outbound = NIOAsyncChannelOutboundWriter<HTTPClientRequestPart>

    /// Opens a connection to the peer, checking its pin in the handshake, runs `body` on it and
    /// closes it. A failure becomes an error that says what happened: out of reach, refused in the
    /// handshake, another server at the address, or silent for `timeout`.
    func withConnection<T: Sendable>(
        _ body: @Sendable (Connection, Inbound, Outbound) async throws -> T
    ) async throws(LiaisonError) -> T {
        let context = context, expectedPin = peer.tlsPin, timeout = timeout, peerName = peer.name
        let seen = NIOLockedValueBox<Connection?>(nil)
        do {
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(TimeAmount(timeout))
                .connect(host: host, port: port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let connection = Connection(channel: channel, peerName: peerName)
                        seen.withLockedValue { $0 = connection }
                        let handler = try NIOSSLClientHandler(context: context, serverHostname: nil) { certificates, promise in
                            let pin = NodeTLS.pin(of: certificates)
                            connection.present(pin)
                            promise.succeed(pin == expectedPin ? .certificateVerified : .failed)
                        }
                        try channel.pipeline.syncOperations.addHandler(IdleStateHandler(allTimeout: TimeAmount(timeout)))
                        try channel.pipeline.syncOperations.addHandler(CloseWhenIdle { connection.idle() })
                        try channel.pipeline.syncOperations.addHandler(handler)
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(wrappingChannelSynchronously: channel)
                    }
                }
            guard let connection = seen.withLockedValue({ $0 }) else { throw LiaisonError(.network, "cannot reach \(peerName): no connection") }
            return try await channel.executeThenClose { inbound, outbound in try await body(connection, inbound, outbound) }
        } catch {
            let connection = seen.withLockedValue { $0 }
            if let connection, connection.isIdle { throw idleError }
            if let error = error as? LiaisonError { throw error }
            // In TLS 1.3 the server checks the client's certificate after the client has finished
            // its side of the handshake: a refusal comes as an alert, before any answer.
            if error is NIOSSLError || error is BoringSSLError, let connection, let pin = connection.presentedPin, !connection.didAnswer {
                throw refusedHandshake(error, presentedPin: pin)
            }
            if let connection, connection.didAnswer {
                throw LiaisonError(.network, "the connection to \(peer.name) broke: \(Self.plain(error))", hint: "sync again: what arrived whole is kept")
            }
            throw LiaisonError(
                .network, "cannot reach \(peer.name) at \(host):\(port): \(Self.plain(error))",
                hint: "check the address in its card, that its node runs `liaison serve`, and the link")
        }
    }

    /// Long polls the peer (`GET /v1/wait`) on one connection kept open between polls, so that a
    /// poll that finds nothing new costs one small round trip. `changed` hears the peer's vector
    /// each time it differs from the last one seen, starting from `fingerprint` (at once when nil).
    /// Returns the last fingerprint after `rounds` polls; throws when the connection fails.
    package func watch(
        after fingerprint: String?, seconds: Int, rounds: Int = .max, changed: @escaping @Sendable (VersionVector) async -> Void
    ) async throws(LiaisonError) -> String? {
        let host = host, peerName = peer.name
        return try await withConnection { connection, inbound, outbound in
            var answers = inbound.makeAsyncIterator()
            var known = fingerprint
            for _ in 0..<rounds {
                var headers: HTTPHeaders = ["host": host]
                let query = "/v1/wait?seconds=\(seconds)" + (known.map { "&after=\($0)" } ?? "")
                headers.add(name: "content-length", value: "0")
                try await outbound.write(.head(HTTPRequestHead(version: .http1_1, method: .GET, uri: query, headers: headers)))
                try await outbound.write(.end(nil))
                var status: HTTPResponseStatus?
                var body = Data()
                reading: while let part = try await answers.next() {
                    switch part {
                    case .head(let head):
                        connection.answered()
                        status = head.status
                    case .body(let buffer):
                        guard body.count + buffer.readableBytes <= SyncMedia.maximumAnswer else {
                            throw LiaisonError(.network, "\(peerName) sent more than \(SyncMedia.maximumAnswer >> 20) MiB in one answer")
                        }
                        body.append(contentsOf: buffer.readableBytesView)
                    case .end:
                        break reading
                    }
                }
                switch status {
                case .noContent?:
                    continue
                case .ok?:
                    let vector = try VersionVector(json: body, fileName: "the vector of \(peerName)")
                    known = vector.fingerprint
                    await changed(vector)
                case let other?:
                    throw LiaisonError(.network, "\(peerName) answered a long poll with \(other.code): \(String(decoding: body.prefix(300), as: UTF8.self))")
                case nil:
                    throw connection.closedEarly
                }
            }
            return known
        }
    }

    /// A network error as an officer can read it: the system's words, without the library's.
    static func plain(_ error: any Error) -> String {
        let text = "\(error)"
        for (marker, words) in [
            ("Connection refused", "nothing answers at that address (connection refused)"), ("Connect timeout", "no answer to the connection (timed out)"),
            ("No route to host", "no route to that host"), ("uncleanShutdown", "the other end closed the connection mid-answer"),
            ("Connection reset", "the connection was reset"), ("Network is unreachable", "the network is unreachable"),
            ("nodename nor servname", "the host name is not known"), ("Name or service not known", "the host name is not known"),
        ] where text.contains(marker) {
            return words
        }
        return text
    }

    private var idleError: LiaisonError {
        LiaisonError(.network, "\(peer.name) sent nothing for \(timeout.components.seconds) s", hint: "check the link, and try again")
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

/// Closes a connection on which nothing moved for a while, and says so.
final class CloseWhenIdle: ChannelInboundHandler, Sendable {
    typealias InboundIn = NIOAny
    let closing: @Sendable () -> Void

    init(_ closing: @escaping @Sendable () -> Void) { self.closing = closing }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is IdleStateHandler.IdleStateEvent else { return context.fireUserInboundEventTriggered(event) }
        closing()
        context.close(promise: nil)
    }
}
