import Dispatch
public import Hummingbird
import HummingbirdCore
import HummingbirdTLS
public import LiaisonCore
public import LiaisonSync
public import Logging
public import NIOCore
import NIOSSL
public import ServiceLifecycle
import Synchronization
import UnixSignals

/// The request context of a node's server: keeps the connection, whose client certificate names
/// the peer that asks.
public struct NodeRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    let channel: any NIOCore.Channel

    /// Which notes the caller may read, as the API's access check found.
    var noteReader = NoteReader.directoryOnly
    /// Who asks, as the audit log names them: `peer:NODE`, `token:NAME` or `web:NAME`.
    var auditActor = "unknown"
    /// The officer signed in to the web page, if any.
    var webSession: WebSession?
    /// The language the web page speaks to this request.
    var language = "en"

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }

    /// The client's network, for counting its failed sign-ins.
    var clientNetwork: String { SignInNetwork.of(channel.remoteAddress) }

    /// The peer whose certificate the client presented, unless it presented none. The handshake
    /// already refused a certificate that is not a roster pin.
    func presentedPeer(in directory: Directory) async throws -> Peer? {
        guard let certificate = try await channel.nioSSL_peerCertificate().get(),
            let pin = NodeTLS.pin(of: [certificate])
        else { return nil }
        return try directory.peer(pinned: pin)
    }
}

/// Where and how a node serves.
public struct NodeServerConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// A connection that sends nothing for this long is closed, a TLS handshake included: a client
    /// that holds connections open cannot keep the node's peers out for longer.
    public var idleTimeout: Duration
    /// Connections open at once; the next waits until one closes.
    public var maximumConnections: Int
    /// The largest bundle a peer may push at once; the server says it before a sync, and a larger
    /// push gets 413.
    public var maximumPushBytes: Int
    /// Pulls and pushes of one peer at once; more get 429.
    public var maximumTransfersPerPeer: Int
    /// Connections open at once from one IP address; more are closed at once.
    public var maximumConnectionsPerClient: Int
    /// How long a client without a peer certificate may take to send a whole request, from the
    /// moment the connection can take one; a slower one is cut off (``StrangerDeadline``).
    public var strangerRequestTimeout: Duration

    public init(
        host: String = "0.0.0.0", port: Int = 8443, idleTimeout: Duration = .seconds(30), maximumConnections: Int = 1_000,
        maximumPushBytes: Int = SyncMedia.maximumPush, maximumTransfersPerPeer: Int = 2, maximumConnectionsPerClient: Int = 32,
        strangerRequestTimeout: Duration = .seconds(15)
    ) {
        self.host = host
        self.port = port
        self.idleTimeout = idleTimeout
        self.maximumConnections = maximumConnections
        self.maximumPushBytes = maximumPushBytes
        self.maximumTransfersPerPeer = maximumTransfersPerPeer
        self.maximumConnectionsPerClient = maximumConnectionsPerClient
        self.strangerRequestTimeout = strangerRequestTimeout
    }

    /// Reads `HOST:PORT`, `:PORT` or `HOST`.
    /// An IPv6 address is written in brackets: `[::1]:8443`. An empty text is refused, so that a
    /// blank value does not open the node on every interface.
    public init(listen: String) throws(LiaisonError) {
        let invalid = LiaisonError.invalid("server.listen", listen, "expected HOST:PORT, such as 0.0.0.0:8443 or [::1]:8443; with the port left out, 8443")
        var host = Substring(listen)
        var portText: Substring?
        if listen.hasPrefix("[") {
            guard let close = listen.firstIndex(of: "]") else { throw invalid }
            host = listen[listen.index(after: listen.startIndex)..<close]
            let rest = listen[listen.index(after: close)...]
            if !rest.isEmpty {
                guard rest.hasPrefix(":") else { throw invalid }
                portText = rest.dropFirst()
            }
            guard !host.isEmpty else { throw invalid }
        } else {
            let parts = listen.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count <= 2 else { throw invalid }
            host = parts[0]
            portText = parts.count == 2 ? parts[1] : nil
        }
        let port: Int? = if let portText { Int(portText) } else { 8443 }
        guard !listen.isEmpty, !host.contains(where: \.isWhitespace), let port, (0...65535).contains(port) else { throw invalid }
        self.init(host: host.isEmpty ? "0.0.0.0" : String(host), port: port)
    }
}

public enum NodeServer {
    /// Where handshakes read the roster: a serial queue gets a thread of its own, outside the
    /// dispatch workers that the task threads are drawn from.
    private static let rosterChecks = DispatchQueue(label: "liaison.handshake-roster")

    /// The node's HTTPS server: TLS 1.3 with the node's certificate from `init`. A client that
    /// presents a certificate must present a roster pin that is not revoked, or the handshake
    /// fails; sync routes serve only such a peer.
    ///
    /// A request of a peer that background sync was waiting on after failures wakes `wakeup`.
    public static func buildApplication(
        directory: Directory, tls: NodeTLS, configuration: NodeServerConfiguration, logger: Logger = Logger(label: "liaison.server"),
        wakeup: BackgroundSync.Wakeup? = nil, stopping: Stopping = Stopping(),
        onServerRunning: @escaping @Sendable (any NIOCore.Channel) async -> Void = { _ in }
    ) throws -> some ApplicationProtocol {
        // HEAD answers as GET does, without the body (RFC 9110, 9.3.2).
        let router = Router(context: NodeRequestContext.self, options: .autoGenerateHeadEndpoints)
        router.add(middleware: LiaisonErrorMiddleware())
        router.add(middleware: PeersOnlyMiddleware(directory: directory, wakeup: wakeup))
        addSyncRoutes(to: router, directory: directory, configuration: configuration, stopping: stopping)
        addAPIRoutes(to: router, directory: directory)
        addWebRoutes(to: router, directory: directory, tls: tls, wakeup: wakeup)
        let channelConfiguration = TLSChannelConfiguration(tlsConfiguration: tls.serverConfiguration()) { certificates, verdict in
            // Read the roster at each handshake, so that a revocation takes effect at once. The
            // read may wait for the database, so it runs on a queue of its own: not on the event
            // loop, which every connection shares, nor queued behind the task threads or NIO's
            // blocking pool, which long requests and password hashing may hold.
            guard let pin = NodeTLS.pin(of: certificates) else { return verdict.succeed(.failed) }
            rosterChecks.async {
                verdict.succeed((try? directory.peer(pinned: pin)) != nil ? .certificateVerified : .failed)
            }
        }
        let perClient = ConnectionsPerClient(limit: configuration.maximumConnectionsPerClient)
        var http = HTTP1Channel.Configuration(
            additionalChannelHandlers: [perClient.handler(), StrangerDeadline(limit: TimeAmount(configuration.strangerRequestTimeout), logger: logger)],
            idleTimeout: TimeAmount(configuration.idleTimeout))
        // Requests carry a few short headers: a client that sends many, or long ones, is refused
        // before its request is read.
        http.httpDecoder.maxHeaderFieldCount = 64
        http.httpDecoder.maxHeaderFieldSize = 8 << 10
        http.httpDecoder.maxHeaderListSize = 32 << 10
        return Application(
            router: router,
            server: try .tls(.http1(configuration: http), configuration: channelConfiguration),
            configuration: .init(
                address: .hostname(configuration.host, port: configuration.port), serverName: "liaison",
                availableConnectionsDelegate: MaximumAvailableConnections(configuration.maximumConnections)),
            onServerRunning: onServerRunning,
            logger: logger)
    }

    /// Serves until SIGINT or SIGTERM, then lets the requests and the sync in flight finish and
    /// returns. With `syncPeriod`, syncs with every peer that has an address in the background
    /// (``BackgroundSync``). `onListening` gets the port, which the system chose if the
    /// configuration asked for 0.
    public static func run(
        directory: Directory, tls: NodeTLS, configuration: NodeServerConfiguration, syncPeriod: Duration? = nil,
        backoff: SyncBackoff = SyncBackoff(), logger: Logger = Logger(label: "liaison.server"),
        onListening: @escaping @Sendable (Int) -> Void = { _ in }
    ) async throws {
        let wakeup = BackgroundSync.Wakeup()
        let stopping = Stopping()
        let app = try buildApplication(
            directory: directory, tls: tls, configuration: configuration, logger: logger, wakeup: wakeup, stopping: stopping
        ) { channel in
            onListening(channel.localAddress?.port ?? configuration.port)
        }
        var services: [any Service] = [stopping, app, RetentionSweep(directory: directory, logger: logger)]
        if let syncPeriod {
            services.append(BackgroundSync(directory: directory, tls: tls, period: syncPeriod, backoff: backoff, wakeup: wakeup, logger: logger))
        }
        let group = ServiceGroup(configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}

/// Sync routes serve only peers, whatever the path and method: a client without a roster
/// certificate is turned away before any data, and learns nothing of which routes exist.
struct PeersOnlyMiddleware: RouterMiddleware {
    typealias Context = NodeRequestContext
    let directory: Directory
    let wakeup: BackgroundSync.Wakeup?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        // By segments, as the router reads them: "//v1/vector" is a sync route too.
        guard request.uri.path.routeSegments.first == "v1" else { return try await next(request, context) }
        guard let peer = try await context.presentedPeer(in: directory) else {
            throw LiaisonError(.unauthorized, "sync routes serve only peers: present this node's roster certificate")
        }
        // A peer that reaches this node is reachable: stop waiting on it.
        if try directory.clearBackoff(of: peer.nodeID) { wakeup?.wake() }
        return try await next(request, context)
    }
}

/// Turns a ``LiaisonError`` into an HTTP status and a JSON body with its message, never with data
/// of a record.
struct LiaisonErrorMiddleware: RouterMiddleware {
    typealias Context = NodeRequestContext

    static func status(of code: LiaisonError.Code) -> HTTPResponse.Status {
        switch code {
        case .unauthorized: .unauthorized
        case .forbidden: .forbidden
        case .notFound: .notFound
        case .invalidValue, .invalidFile, .invalidRows, .ambiguous: .badRequest
        case .conflict: .conflict
        case .verification: .unprocessableContent
        case .nodeFolder, .storage, .network: .internalServerError
        case .interrupted: .serviceUnavailable
        case .tooLarge: .contentTooLarge
        case .busy: .tooManyRequests
        }
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as LiaisonError {
            let status = Self.status(of: error.code)
            context.logger.info("refused a request", metadata: ["route": "\(request.uri.path.routeShape)", "code": "\(error.code.rawValue)"])
            let body = try JSONOutput.encode(["error": error.message, "code": error.code.rawValue])
            return Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
        }
    }
}

extension String {
    /// The path's segments as the router reads them: empty ones ("//") do not count.
    var routeSegments: [Substring] { split(separator: "/") }

    /// The path with every segment that is not a word of a route replaced by `*`: what may be
    /// logged, since an id or a name in a path can name a person.
    var routeShape: String {
        let words: Set<Substring> = [
            "v1", "api", "vector", "wait", "pull", "push", "search", "countries", "agencies", "contacts", "vcard", "signin", "signout", "enrol",
            "assets", "language", "results", "notes", "new", "evaluations", "links", "sync", "audit",
        ]
        return "/" + routeSegments.map { words.contains($0) ? String($0) : "*" }.joined(separator: "/")
    }
}

/// Says when the server has begun to stop, so that long polls answer at once instead of holding
/// the shutdown until their time is up.
public final class Stopping: Service, Sendable {
    private let stopped = Mutex(false)

    public init() {}

    public var isStopping: Bool { stopped.withLock { $0 } }

    public func run() async throws {
        try? await gracefulShutdown()
        stopped.withLock { $0 = true }
    }
}
