import Foundation
import HTTPTypes
import Hummingbird
import LiaisonCore
import LiaisonSync
import Logging
import NIOCore
import NIOPosix

/// `/api/v1/...`: the JSON API for officers' tools (docs/openapi.yaml). Callers are peers, with
/// their roster certificate, or local tools with a token from `liaison token create`.
extension NodeServer {
    static func addAPIRoutes(to router: Router<NodeRequestContext>, directory: Directory) {
        router.add(middleware: ProblemDetailsMiddleware())
        let api = router.group("api/v1").add(middleware: APIAccessMiddleware(directory: directory))
        api.get("search") { request, context -> Response in
            try checkSearchParameters(request.uri.query, request.uri.queryParameters)
            let query = try searchQuery(request.uri.queryParameters)
            let (hits, countries) = try await recordedRead(request, context, directory) { () throws(LiaisonError) in
                try directory.searchNamingCountries(query)
            } records: { $0.hits.map(\.id.lowercasedString) }
            let answer = SearchAnswer(countries: countries.map { .init(code: $0.code, name: $0.name) }, hits: hits)
            return json(bytes: answer.json)
        }
        // Pages carry the notes that concern them, as far as the caller may read them.
        api.get("countries/:code") { request, context -> Response in
            let code = try context.parameters.require("code").decodedPathSegment
            let reader = context.noteReader
            let page = try await recordedRead(request, context, directory) { () throws(LiaisonError) in
                var page = try directory.countryPage(code)
                page.notes = page.notes.filter(reader.mayRead)
                return page
            } records: { [code] + $0.notes.map(\.id.lowercasedString) }
            return try json(page)
        }
        api.get("agencies/:id") { request, context -> Response in
            let reference = try context.parameters.require("id").decodedPathSegment
            let reader = context.noteReader
            let card = try await recordedRead(request, context, directory) { () throws(LiaisonError) in
                var card = try directory.agencyCard(try directory.agency(matching: reference).id)
                card.notes = card.notes.filter(reader.mayRead)
                return card
            } records: { [$0.agency.id.lowercasedString] + $0.notes.map(\.id.lowercasedString) }
            return try json(card)
        }
        api.get("contacts/:id") { request, context -> Response in
            let reference = try context.parameters.require("id").decodedPathSegment
            let reader = context.noteReader
            let card = try await recordedRead(request, context, directory) { () throws(LiaisonError) in
                var card = try directory.contactCard(try directory.person(matching: reference).id)
                card.notes = card.notes.filter(reader.mayRead)
                return card
            } records: { [$0.person.id.lowercasedString] + $0.notes.map(\.id.lowercasedString) }
            return try json(card)
        }
        api.get("notes") { request, context -> Response in
            let reader = context.noteReader
            try checkParameters(request.uri.query, request.uri.queryParameters, allowed: noteSearchParameters, repeatable: [])
            guard reader != .directoryOnly else { throw directoryOnlyRefusal }
            let query = try noteQuery(request.uri.queryParameters, includeDrafts: reader == .local)
            // A peer's search reads further, so that the notes it may not read leave a full page.
            var widened = query
            if reader != .local { widened.limit = 1000 }
            let wide = widened
            let limit = query.limit
            let shown = try await recordedRead(request, context, directory) { () throws(LiaisonError) in
                Array(try directory.searchNotes(wide).filter(reader.mayRead).prefix(limit))
            } records: { $0.map(\.id.lowercasedString) }
            return try json(shown)
        }
        api.get("notes/:id") { request, context -> Response in
            let reader = context.noteReader
            guard reader != .directoryOnly else { throw directoryOnlyRefusal }
            let reference = try context.parameters.require("id").decodedPathSegment
            let page = try await recordedRead(request, context, directory) { () throws(LiaisonError) in
                try directory.notePage(matching: reference, for: reader)
            } records: { $0.shownNotes }
            return try json(page)
        }
        api.get("contacts/:id/vcard") { request, context -> Response in
            let reference = try context.parameters.require("id").decodedPathSegment
            let (card, name) = try await recordedRead(request, context, directory) { () throws(LiaisonError) in
                let person = try directory.person(matching: reference)
                return (try directory.vCard(contact: person.id), person.id)
            } records: { [$0.1.lowercasedString] }
            return Response(
                status: .ok,
                headers: [.contentType: "text/vcard; charset=utf-8", .contentDisposition: "attachment; filename=\"\(name.shortID).vcf\""],
                body: ResponseBody(byteBuffer: ByteBuffer(string: card)))
        }
    }

    /// Reads on the blocking pool and records the read in the audit log there, in the same hop:
    /// who, the path, the records answered, and the reason the caller gave in a `Liaison-Reason`
    /// header. The entry is written before the answer goes: a read that cannot be recorded is
    /// not answered.
    static func recordedRead<Answer: Sendable>(
        _ request: Request, _ context: NodeRequestContext, _ directory: Directory, action: AuditAction = .apiRead,
        _ read: @escaping @Sendable () throws(LiaisonError) -> Answer, records: @escaping @Sendable (Answer) -> [String]
    ) async throws -> Answer {
        let actor = context.auditActor
        let path = request.uri.path
        let reason = request.headers[auditReasonField].map { String($0.prefix(500)) }
        return try await reading { () throws(LiaisonError) in
            let answer = try read()
            try directory.audit(action, actor: actor, records: records(answer), detail: ["path": path], reason: reason)
            return answer
        }
    }

    static let auditReasonField = HTTPField.Name("Liaison-Reason")!  // safe: a valid field name, fixed here

    /// Runs a short read of the database on the pool of threads kept for blocking work, not on an
    /// event loop, and without a thread of its own for each request.
    static func reading<T: Sendable>(_ work: @escaping @Sendable () throws(LiaisonError) -> T) async throws -> T {
        try await NIOThreadPool.singleton.runIfActive { try work() }
    }

    /// The answer of `/api/v1/search`: the countries the query names, whose pages to offer first,
    /// and the hits.
    struct SearchAnswer: Encodable {
        struct CountryOffer: Encodable {
            var code: String
            var name: String
        }

        var countries: [CountryOffer]
        var hits: [SearchHit]
    }

    /// The parameters `/api/v1/search` takes; only `language` may be repeated.
    static let searchParameters: [Substring] = ["q", "country", "kind", "crime_area", "function", "language", "24x7", "limit"]

    /// The parameters `/api/v1/notes` takes, none repeated.
    static let noteSearchParameters: [Substring] = ["q", "country", "crime_area", "reliability", "credibility", "marking", "from", "to", "limit"]

    static var directoryOnlyRefusal: LiaisonError {
        LiaisonError(.forbidden, "this token reads the directory only: notes need a token made without --directory-only")
    }

    static func checkSearchParameters(_ raw: String?, _ parameters: Parameters) throws(LiaisonError) {
        try checkParameters(raw, parameters, allowed: searchParameters, repeatable: ["language"])
    }

    /// Refuses a query that a search would otherwise read as something it does not say: a
    /// misspelt parameter (`cuntry=MD`, a search without its filter), one given twice, or a percent
    /// sign that starts no escape.
    static func checkParameters(_ raw: String?, _ parameters: Parameters, allowed: [Substring], repeatable: Set<Substring>) throws(LiaisonError) {
        let bytes = Array((raw ?? "").utf8)
        for (index, byte) in bytes.enumerated() where byte == UInt8(ascii: "%") {
            let escape = bytes.dropFirst(index + 1).prefix(2)
            let isHexDigit = { (byte: UInt8) in (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte | 0x20) }
            guard escape.count == 2, escape.allSatisfy(isHexDigit)
            else {
                let text = String(decoding: bytes[index...].prefix(3), as: UTF8.self)
                throw LiaisonError.invalid("query", text, "a percent sign must start an escape of two hexadecimal digits, such as %20")
            }
        }
        // The query as its escapes decode, which the search reads as text.
        var decoded: [UInt8] = []
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "%"), let escaped = UInt8(String(decoding: bytes[index + 1...index + 2], as: UTF8.self), radix: 16) {
                decoded.append(escaped)
                index += 3
            } else {
                decoded.append(bytes[index])
                index += 1
            }
        }
        guard String(validating: decoded, as: UTF8.self) != nil else {
            throw LiaisonError.invalid("query", raw ?? "", "is not UTF-8 text once its percent escapes are decoded")
        }
        guard !decoded.contains(where: { $0 < 0x20 || $0 == 0x7F }) else {
            throw LiaisonError.invalid("query", "", "holds a control character")
        }
        var seen: Set<Substring> = []
        for (name, value) in parameters {
            guard allowed.contains(name) else {
                throw LiaisonError.invalid(
                    String(name), String(value), "no such parameter; the search takes \(allowed.joined(separator: ", "))")
            }
            guard seen.insert(name).inserted || repeatable.contains(name) else {
                throw LiaisonError.invalid(
                    String(name), String(value),
                    "\(name) is given twice\(repeatable.isEmpty ? "" : "; only \(repeatable.sorted().joined(separator: ", ")) may be repeated")")
            }
        }
    }

    /// The CLI's search filters, from query parameters: `q`, `country`, `kind`, `crime_area`,
    /// `function`, `language` (repeated), `24x7`, `limit`.
    static func searchQuery(_ parameters: Parameters) throws(LiaisonError) -> SearchQuery {
        func term<T: RawRepresentable & CaseIterable>(_ name: String, _ type: T.Type) throws(LiaisonError) -> T? where T.RawValue == String {
            guard let found = parameters[Substring(name)] else { return nil }
            let text = String(found)
            guard let value = T(rawValue: text) else {
                throw LiaisonError.invalid(name, text, "expected one of \(T.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return value
        }
        let limitText = parameters["limit"].map(String.init) ?? "20"
        guard limitText.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }), let limit = Int(limitText), (1...1000).contains(limit) else { throw LiaisonError.invalid("limit", limitText, "expected 1 to 1000") }
        let only24x7Text = parameters["24x7"].map(String.init) ?? "false"
        guard ["true", "false"].contains(only24x7Text) else { throw LiaisonError.invalid("24x7", only24x7Text, "expected true or false") }
        let query = SearchQuery(
            parameters["q"].map(String.init) ?? "", country: parameters["country"].map { $0.uppercased() }, kind: try term("kind", AgencyKind.self),
            crimeArea: try term("crime_area", CrimeArea.self), function: try term("function", FocalFunction.self),
            languages: parameters.getAll("language").map { String($0) }, only24x7: only24x7Text == "true", limit: limit)
        guard !query.text.trimmed.isEmpty || query.country != nil || query.kind != nil || query.crimeArea != nil || query.function != nil
            || !query.languages.isEmpty || query.only24x7
        else {
            throw LiaisonError.invalid("q", "", "give words to search for, or at least one filter")
        }
        return query
    }

    /// The note search of `/api/v1/notes`, from query parameters as `liaison search --notes` takes them.
    static func noteQuery(_ parameters: Parameters, includeDrafts: Bool) throws(LiaisonError) -> NoteQuery {
        func term<T: VocabularyTerm>(_ name: String, _ type: T.Type) throws(LiaisonError) -> T? {
            guard let found = parameters[Substring(name)] else { return nil }
            return try T.parse(String(found), field: name)
        }
        let limitText = parameters["limit"].map(String.init) ?? "20"
        guard limitText.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }), let limit = Int(limitText), (1...1000).contains(limit) else {
            throw LiaisonError.invalid("limit", limitText, "expected 1 to 1000")
        }
        return NoteQuery(
            parameters["q"].map(String.init) ?? "", country: parameters["country"].map(String.init), crimeArea: try term("crime_area", CrimeArea.self),
            reliability: try term("reliability", SourceReliability.self), credibility: try term("credibility", InformationCredibility.self),
            marking: try term("marking", Marking.self), from: parameters["from"].map(String.init), to: parameters["to"].map(String.init),
            includeDrafts: includeDrafts, limit: limit)
    }

    static func json(_ value: some Encodable) throws -> Response {
        json(bytes: [UInt8](try JSONOutput.encode(value, pretty: false)))
    }

    static func json(bytes: [UInt8]) -> Response {
        Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}

/// The API serves a peer, by its roster certificate, or a local tool with a token that works:
/// `Authorization: Bearer TOKEN`. Anyone else gets 401 before any data.
struct APIAccessMiddleware: RouterMiddleware {
    typealias Context = NodeRequestContext
    let directory: Directory
    let tokens = RecentTokens()

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        if let peer = try await context.presentedPeer(in: directory) {
            context.noteReader = .peer(try NodeID(hex: peer.nodeID))
            context.auditActor = "peer:\(peer.nodeID)"
            return try await next(request, context)
        }
        // The scheme's name is not case-sensitive (RFC 9110, 11.1).
        guard let authorization = request.headers[.authorization], authorization.prefix(7).lowercased() == "bearer ",
            let token = try tokens.holder(String(authorization.dropFirst(7)).trimmed, in: directory)
        else {
            throw LiaisonError(
                .unauthorized, "the API serves peers and holders of a token: send Authorization: Bearer TOKEN",
                hint: "make a token on the node with `liaison token create --name NAME`; an expired or revoked token does not work")
        }
        context.noteReader = token.directoryOnly ? .directoryOnly : .local
        context.auditActor = "token:\(token.name)"
        return try await next(request, context)
    }
}

/// Errors of the API as problem details (RFC 9457): `type`, `title`, `status`, `detail`, and the
/// Liaison error `code`. Never with data of a record.
struct ProblemDetailsMiddleware: RouterMiddleware {
    typealias Context = NodeRequestContext

    struct Problem: Encodable {
        var type: String
        var title: String
        var status: Int
        var detail: String
        var code: String
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        // Sync routes answer errors as docs/SYNC.md says; every other path with problems.
        let segments = request.uri.path.routeSegments
        guard segments.first != "v1" else { return try await next(request, context) }
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound && request.method != .get && Self.isAPIRoute(segments) {
            let problem = Problem(
                type: "about:blank", title: HTTPResponse.Status.methodNotAllowed.reasonPhrase, status: 405,
                detail: "the API is read with GET (or HEAD)", code: "invalid-value")
            return try Self.response(problem, status: .methodNotAllowed, headers: [.allow: "GET, HEAD"])
        } catch let error as LiaisonError {
            let status = LiaisonErrorMiddleware.status(of: error.code)
            context.logger.info("refused an API request", metadata: ["route": "\(request.uri.path.routeShape)", "code": "\(error.code.rawValue)"])
            // An ambiguous reference lists the records it matches: their names stay on the node.
            let detail = error.code == .ambiguous
                ? "the reference matches several records: give more of the id (the last 8 hex digits that lists show, or the whole id)"
                : [error.message, error.hint].compactMap { $0 }.joined(separator: "; ")
            let problem = Problem(
                type: "https://liaison.example/problems/\(error.code.rawValue)", title: status.reasonPhrase, status: status.code, detail: detail,
                code: error.code.rawValue)
            return try Self.response(problem, status: status, headers: error.code == .unauthorized ? [.wwwAuthenticate: "Bearer"] : [:])
        } catch let error as HTTPError {
            // The router's own refusals (no such route, a method not allowed) as problems too.
            let problem = Problem(
                type: "about:blank", title: error.status.reasonPhrase, status: error.status.code, detail: error.body ?? error.status.reasonPhrase,
                code: error.status == .notFound ? "not-found" : "invalid-value")
            return try Self.response(problem, status: error.status)
        }
    }

    /// A problem as its answer: its JSON as `application/problem+json`, with `headers` added.
    static func response(_ problem: Problem, status: HTTPResponse.Status, headers: HTTPFields = [:]) throws -> Response {
        var fields: HTTPFields = [.contentType: "application/problem+json"]
        fields.append(contentsOf: headers)
        return Response(status: status, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(bytes: try JSONOutput.encode(problem, pretty: false))))
    }
}

extension ProblemDetailsMiddleware {
    /// Whether a path is one of the API's routes, whatever the method.
    static func isAPIRoute(_ segments: [Substring]) -> Bool {
        guard segments.count >= 3, segments[0] == "api", segments[1] == "v1" else { return false }
        switch (segments[2], segments.count) {
        case ("search", 3), ("countries", 4), ("agencies", 4), ("contacts", 4): return true
        case ("contacts", 5): return segments[4] == "vcard"
        default: return false
        }
    }
}

extension String {
    /// A path segment with its percent escapes decoded: a tool may look an agency up by a name
    /// with spaces.
    var decodedPathSegment: String { removingPercentEncoding ?? self }
}
