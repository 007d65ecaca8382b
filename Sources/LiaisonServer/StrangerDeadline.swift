import Logging
import NIOCore
import NIOHTTPTypes
import NIOSSL

/// A client that shows no peer certificate (an API client, or anyone) must send each request
/// whole, body included, within `limit` of the moment the connection can take it: from the
/// connection's start, handshake included, or from the end of the previous answer. A slower one is
/// cut off. The idle timeout alone does not do this, since a byte every few seconds keeps a
/// connection busy; without a deadline, clients from many addresses could hold every connection by
/// trickling requests the node will refuse anyway.
///
/// A peer is exempt once the head of its first request has arrived: a push over a slow link may take
/// long, and a peer is known and held to `transfers_per_peer`.
final class StrangerDeadline: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let limit: TimeAmount
    private let logger: Logger
    private var deadline: Scheduled<Void>?
    private var isPeer = false
    /// A request has begun whose answer has not ended yet.
    private var isAnswering = false

    init(limit: TimeAmount, logger: Logger) {
        self.limit = limit
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        startClock(context: context)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        stopClock()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            isAnswering = true
            // The handshake is over once a request head arrives, so the certificate is known.
            if !isPeer, (try? context.pipeline.syncOperations.nioSSL_peerCertificate()) != nil {
                isPeer = true
                stopClock()
            }
        case .end:
            // Answered before the body was read (a refusal): the next request's time starts now.
            if isAnswering { stopClock() } else if !isPeer { startClock(context: context) }
        case .body:
            break
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) {
            isAnswering = false
            if !isPeer { startClock(context: context) }
        }
        context.write(data, promise: promise)
    }

    private func startClock(context: ChannelHandlerContext) {
        stopClock()
        let loop = context.eventLoop.assumeIsolated()
        deadline = loop.scheduleTask(in: limit) { [logger] in
            logger.info("closed a connection whose request took too long", metadata: ["seconds": "\(self.limit.nanoseconds / 1_000_000_000)"])
            context.close(promise: nil)
        }
    }

    private func stopClock() {
        deadline?.cancel()
        deadline = nil
    }
}
