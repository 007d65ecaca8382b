import Logging
import NIOCore
import NIOHTTPTypes
import NIOSSL
import NIOTLS

/// A client that shows no peer certificate (an API client, or anyone) must send each request
/// whole, body included, within `limit` of the moment the connection can take it: from the
/// connection's start, handshake included, or from the end of the previous answer. A slower one is
/// cut off. The idle timeout alone does not do this, since a byte every few seconds keeps a
/// connection busy; without a deadline, clients from many addresses could hold every connection by
/// trickling requests the node will refuse anyway.
///
/// A peer is exempt once its handshake has ended (or, should that event not come, once the head
/// of its first request has arrived): a push over a slow link may take long, and a peer is known
/// and held to `transfers_per_peer`.
final class StrangerDeadline: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let limit: TimeAmount
    private let logger: Logger
    private var deadline: Scheduled<Void>?
    private var isPeer = false
    /// A request's head has arrived and its end has not.
    private var isReceiving = false
    /// Requests whose answers have not ended: more than one when a client pipelines.
    private var unanswered = 0

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

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // The handshake checked a presented certificate against the roster: a peer is known from
        // here, and a slow link does not cut it off before its first request arrives.
        if !isPeer, case .handshakeCompleted = event as? TLSUserEvent,
            (try? context.pipeline.syncOperations.nioSSL_peerCertificate()) != nil
        {
            isPeer = true
            stopClock()
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            isReceiving = true
            unanswered += 1
            // The handshake is over once a request head arrives, so the certificate is known.
            if !isPeer, (try? context.pipeline.syncOperations.nioSSL_peerCertificate()) != nil {
                isPeer = true
                stopClock()
            }
            // A request that comes while others are answered has its own time from now; one
            // that comes on an idle connection keeps the time that started when it fell idle.
            if !isPeer, deadline == nil { startClock(context: context) }
        case .end:
            isReceiving = false
            // Being answered: the client waits on the node. Answered before its body was read
            // (a refusal): the connection is idle, and the next request's time starts now.
            if unanswered > 0 { stopClock() } else if !isPeer { startClock(context: context) }
        case .body:
            break
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) {
            unanswered = max(unanswered - 1, 0)
            if unanswered == 0, !isReceiving, !isPeer { startClock(context: context) }
        }
        context.write(data, promise: promise)
    }

    private func startClock(context: ChannelHandlerContext) {
        stopClock()
        let seconds = limit.nanoseconds / 1_000_000_000
        deadline = context.eventLoop.assumeIsolated().scheduleTask(in: limit) { [logger] in
            logger.info("closed a connection whose request took too long", metadata: ["seconds": "\(seconds)"])
            context.close(promise: nil)
        }
    }

    private func stopClock() {
        deadline?.cancel()
        deadline = nil
    }
}
