import Foundation
import HTTPTypes
import Hummingbird
import LiaisonCore
import Logging
import NIOCore
import Synchronization

/// What every request to the page goes through: the officer's language and session, the
/// security headers, a check that a form was sent from the page itself, and errors as pages.
struct WebMiddleware: RouterMiddleware {
    typealias Context = NodeRequestContext
    let directory: Directory
    let renderer = WebRenderer.shared

    /// The session cookie. `__Host-` makes browsers keep it to this host, over HTTPS, for every path.
    static let sessionCookie = "__Host-liaison"
    /// The cookie that carries the token of the sign-in and enrolment forms, before a session.
    static let formCookie = "__Host-liaison-form"

    /// Paths that serve without a session.
    static func isPublic(_ path: String) -> Bool {
        let first = path.routeSegments.first ?? ""
        return ["signin", "enrol", "assets", "language"].contains(first)
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.language = renderer.catalog.language(for: request)
        var response: Response
        do {
            if let cookie = request.cookies[Self.sessionCookie]?.value {
                context.webSession = try directory.webSession(cookie: cookie)
                context.auditActor = context.webSession.map { "web:\($0.account)" } ?? context.auditActor
            }
            if request.method == .post { try Self.checkOrigin(request) }
            if context.webSession == nil, !Self.isPublic(request.uri.path) {
                guard request.method == .get || request.method == .head else {
                    throw LiaisonError(.forbidden, renderer.catalog.text("error.form_expired", context.language))
                }
                let back = request.uri.path + (request.uri.query.map { "?" + $0 } ?? "")
                response = Self.redirect("/signin?back=\(back.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")")
            } else {
                response = try await next(request, context)
            }
        } catch let error as LiaisonError {
            response = errorPage(status: LiaisonErrorMiddleware.status(of: error.code), message: message(for: error, context), request, context)
        } catch let error as any HTTPResponseError {
            // A form too large, a malformed request: the page, with its headers, not a bare answer.
            response = errorPage(status: error.status, message: error.status.reasonPhrase, request, context)
        }
        Self.secure(&response.headers)
        return response
    }

    /// What an error page says: the store's own words for what the officer can fix; nothing of a
    /// record that was not shown (several records matching a short id), nor of the machine.
    private func message(for error: LiaisonError, _ context: Context) -> String {
        switch error.code {
        case .notFound: return renderer.catalog.text("error.not_found", context.language)
        case .ambiguous: return renderer.catalog.text("error.ambiguous", context.language)
        case .storage, .nodeFolder, .network, .interrupted:
            context.logger.error("the web page could not answer", metadata: ["code": "\(error.code.rawValue)", "error": "\(error.message)"])
            return renderer.catalog.text("error.internal", context.language)
        default: return error.message
        }
    }

    private func errorPage(status: HTTPResponse.Status, message: String, _ request: Request, _ context: Context) -> Response {
        var response = renderer.page(
            "error", title: renderer.catalog.text("error.title", context.language), view: ["message": message], request: request, context: context)
        response.status = status
        return response
    }

    /// The headers that keep the page to itself: scripts and styles from this node only, no
    /// framing, HTTPS only, no referrer to other sites (an enrolment link carries its secret).
    static func secure(_ headers: inout HTTPFields) {
        headers[.contentSecurityPolicy] =
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
        headers[.strictTransportSecurity] = "max-age=31536000"
        headers[.xContentTypeOptions] = "nosniff"
        // Not "no-referrer": with it, browsers send `Origin: null` with the page's own forms.
        headers[Self.referrerPolicy] = "same-origin"
        headers[Self.frameOptions] = "DENY"
    }

    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!  // safe: a valid field name, fixed here
    static let frameOptions = HTTPField.Name("X-Frame-Options")!  // safe: a valid field name, fixed here

    /// A form sent from another site is refused before it is read: browsers send `Origin` with
    /// every POST, and it must name this host.
    static func checkOrigin(_ request: Request) throws(LiaisonError) {
        guard let origin = request.headers[.origin] else { return }
        let host = request.head.authority ?? ""
        guard origin == "https://\(host)" else {
            throw LiaisonError(.forbidden, "this form was sent from another site (\(origin)), and is refused")
        }
    }

    static func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location, .cacheControl: "no-store"])
    }

    /// A `Set-Cookie` value for this host only, over HTTPS, out of scripts' reach, and not sent
    /// with requests from other sites.
    static func cookie(_ name: String, _ value: String, maxAge: Int) -> String {
        "\(name)=\(value); Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=\(maxAge)"
    }
}

/// The fields of a form the page sent (`application/x-www-form-urlencoded`).
struct WebForm {
    var fields: [String: String] = [:]

    /// A note's text may hold 200,000 characters, which a form sends in up to about 1.8 MB; the
    /// forms before a session are small, and read no further.
    static let largest = 2 << 20
    static let largestBeforeSignIn = 16 << 10

    init(_ request: Request, upTo limit: Int = WebForm.largest) async throws {
        var request = request
        let buffer = try await request.collectBody(upTo: limit)
        let text = String(buffer: buffer)
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decoded(_ part: Substring) -> String {
                part.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            }
            fields[decoded(parts[0])] = parts.count > 1 ? decoded(parts[1]) : ""
        }
    }

    subscript(_ name: String) -> String { fields[name] ?? "" }

    /// Whether the form carries `expected` as its token, compared in constant time.
    func carries(_ expected: String?) -> Bool {
        guard let expected, !expected.isEmpty else { return false }
        let sent = Array(self["form_token"].utf8), wanted = Array(expected.utf8)
        guard sent.count == wanted.count else { return false }
        return zip(sent, wanted).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}

/// The network a sign-in comes from, as failed sign-ins are counted: an IPv4 address as it is, an
/// IPv6 address by its /64, the block one machine or one office is usually given, so that the
/// addresses of one /64 count as one.
enum SignInNetwork {
    static func of(_ address: SocketAddress?) -> String {
        switch address {
        case .v4:
            return address?.ipAddress ?? "unknown"
        case .v6(let address):
            let bytes = withUnsafeBytes(of: address.address.sin6_addr) { Array($0) }
            // An IPv4 client on a dual-stack socket (::ffff:a.b.c.d) is its IPv4 address.
            if bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF {
                return bytes[12...].map(String.init).joined(separator: ".")
            }
            let groups = stride(from: 0, to: 8, by: 2).map { String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16) }
            return groups.joined(separator: ":") + "::/64"
        default:
            return "unknown"
        }
    }
}

/// Sign-ins by client network (``SignInNetwork``), so that one network cannot try many names:
/// after ``limit`` attempts that did not succeed within ``window`` of its first, it is turned away
/// until the window passes. Each attempt is counted as it arrives and forgiven if it succeeds, so
/// that attempts sent together cannot pass the limit either. Kept in memory: a restart forgets it,
/// while the locks of names (``Directory/logIn(name:password:from:)``) are kept in the database.
final class SignInThrottle: Sendable {
    static let limit = 20
    static let window: TimeInterval = 15 * 60
    private let state = Mutex<(attempts: [String: (count: Int, since: Date)], pruned: Date)>(([:], .distantPast))

    /// Counts an attempt from `network` and returns the start of the window it was counted in, or
    /// nil, counting nothing, when the network is turned away.
    func admit(_ network: String, now: Date = Date()) -> Date? {
        state.withLock { state in
            // Windows that ended are dropped now and then, not on every attempt.
            if state.attempts.count > 10_000, now.timeIntervalSince(state.pruned) > 60 {
                state.attempts = state.attempts.filter { now.timeIntervalSince($0.value.since) <= Self.window }
                state.pruned = now
            }
            let entry: (count: Int, since: Date) =
                state.attempts[network].flatMap { now.timeIntervalSince($0.since) <= Self.window ? $0 : nil } ?? (0, now)
            guard entry.count < Self.limit else { return nil }
            state.attempts[network] = (entry.count + 1, entry.since)
            return entry.since
        }
    }

    /// Takes back an attempt that succeeded, if the window it was counted in is still the network's.
    func forgive(_ network: String, window: Date) {
        state.withLock { state in
            guard let entry = state.attempts[network], entry.since == window else { return }
            state.attempts[network] = entry.count > 1 ? (entry.count - 1, entry.since) : nil
        }
    }
}
