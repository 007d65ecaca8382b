import Foundation
import Hummingbird
import LiaisonCore
import LiaisonSync
import NIOCore

/// The officers' web page, on the node's HTTPS port: signing in, the search, and the pages of a
/// country, an agency and a contact. A thin layer over the library, as the CLI is: each route
/// reads through ``Directory``, records what it shows in the audit log, and renders a template.
extension NodeServer {
    static func addWebRoutes(to router: Router<NodeRequestContext>, directory: Directory, tls: NodeTLS, wakeup: BackgroundSync.Wakeup?) {
        let renderer = WebRenderer.shared
        let catalog = renderer.catalog
        let throttle = SignInThrottle()
        let web = router.group().add(middleware: WebMiddleware(directory: directory))

        web.get("/") { _, _ in WebMiddleware.redirect("/search") }
        web.get("assets/:name") { _, context in try asset(try context.parameters.require("name")) }
        web.get("language/:code") { request, context in
            let code = try context.parameters.require("code")
            guard catalog.languages[code] != nil else { throw LiaisonError(.notFound, "no such language") }
            var response = WebMiddleware.redirect(localPath(request.uri.queryParameters["back"].map(String.init)))
            response.headers[.setCookie] = "\(WebCatalog.languageCookie)=\(code); Path=/; Secure; SameSite=Lax; Max-Age=31536000"
            return response
        }

        // Signing in.
        web.get("signin") { request, context in
            let token = request.cookies[WebMiddleware.formCookie]?.value ?? Directory.secret()
            var view: [String: Any] = ["formToken": token]
            if let back = request.uri.queryParameters["back"] {
                view["back"] = localPath(String(back)).addingPercentEncoding(withAllowedCharacters: .alphanumerics)
            }
            var response = renderer.page("signin", title: catalog.text("signin.title", context.language), view: view, request: request, context: context)
            response.headers[.setCookie] = WebMiddleware.cookie(WebMiddleware.formCookie, token, maxAge: 3600)
            return response
        }
        web.post("signin") { request, context in
            let form = try await WebForm(request, upTo: WebForm.largestBeforeSignIn)
            let language = context.language
            func refuse(_ key: String, _ values: [String: String] = [:], status: HTTPResponse.Status = .ok) -> Response {
                let token = Directory.secret()
                var response = renderer.page(
                    "signin", title: catalog.text("signin.title", language),
                    view: ["formToken": token, "name": form["name"], "message": catalog.text(key, language, values)], request: request, context: context)
                response.status = status
                response.headers[.setCookie] = WebMiddleware.cookie(WebMiddleware.formCookie, token, maxAge: 3600)
                return response
            }
            guard form.carries(request.cookies[WebMiddleware.formCookie]?.value) else { return refuse("error.form_expired", status: .forbidden) }
            let network = context.clientNetwork
            guard let window = throttle.admit(network) else { return refuse("signin.throttled", status: .tooManyRequests) }
            let name = form["name"].trimmed, password = form["password"]
            let outcome = try await reading { () throws(LiaisonError) in try directory.logIn(name: name, password: password, from: network) }
            switch outcome {
            case .opened(let cookie, let session):
                throttle.forgive(network, window: window)
                var response = WebMiddleware.redirect(localPath(request.uri.queryParameters["back"].map(String.init)))
                response.headers[.setCookie] = WebMiddleware.cookie(WebMiddleware.sessionCookie, cookie, maxAge: Int(Self.secondsUntil(session.expiresAt)))
                return response
            case .refused:
                return refuse("signin.refused", status: .unauthorized)
            case .locked(let until):
                return refuse("signin.locked", ["time": Timestamp.minute(iso8601: until)], status: .tooManyRequests)
            }
        }
        web.post("signout") { request, context in
            let form = try await WebForm(request)
            guard let session = context.webSession, form.carries(session.formToken) else {
                throw LiaisonError(.forbidden, catalog.text("error.form_expired", context.language))
            }
            if let cookie = request.cookies[WebMiddleware.sessionCookie]?.value { try directory.logOut(cookie: cookie) }
            var response = WebMiddleware.redirect("/signin")
            response.headers[.setCookie] = WebMiddleware.cookie(WebMiddleware.sessionCookie, "", maxAge: 0)
            return response
        }
        addEnrolmentRoutes(to: web, directory: directory)
        addDirectoryPages(to: web, directory: directory)
        addNotePages(to: web, directory: directory)
        addEditingPages(to: web, directory: directory)
        addAdminPages(to: web, directory: directory, tls: tls, wakeup: wakeup)
    }

    /// `/enrol/SECRET`: the officer sets the password of an account made with an enrolment link.
    static func addEnrolmentRoutes(to web: RouterGroup<NodeRequestContext>, directory: Directory) {
        let renderer = WebRenderer.shared
        let catalog = renderer.catalog
        @Sendable func form(_ request: Request, _ context: NodeRequestContext, secret: String, problem: String? = nil, status: HTTPResponse.Status = .ok) throws -> Response {
            let language = context.language
            let token = Directory.secret()
            var view: [String: Any] = ["formToken": token, "secret": secret]
            if let account = try directory.enrollingAccount(secret) {
                view["account"] = account.name
                view["intro"] = catalog.text("enrol.intro", language, ["name": account.name])
                view["passwordProblem"] = problem
            } else {
                view["message"] = catalog.text("enrol.gone", language)
            }
            var response = renderer.page("enrol", title: catalog.text("enrol.title", language), view: view, request: request, context: context)
            response.status = view["account"] == nil ? .notFound : status
            response.headers[.setCookie] = WebMiddleware.cookie(WebMiddleware.formCookie, token, maxAge: 3600)
            return response
        }
        web.get("enrol/:secret") { request, context in try form(request, context, secret: try context.parameters.require("secret")) }
        web.post("enrol/:secret") { request, context in
            let secret = try context.parameters.require("secret")
            let sent = try await WebForm(request, upTo: WebForm.largestBeforeSignIn)
            guard sent.carries(request.cookies[WebMiddleware.formCookie]?.value) else {
                return try form(request, context, secret: secret, problem: catalog.text("error.form_expired", context.language), status: .forbidden)
            }
            guard sent["password"] == sent["again"] else {
                return try form(request, context, secret: secret, problem: catalog.text("enrol.mismatch", context.language), status: .badRequest)
            }
            let password = sent["password"]
            do {
                let network = context.clientNetwork
                _ = try await reading { () throws(LiaisonError) in try directory.enrol(secret, password: password, from: network) }
            } catch let error as LiaisonError where error.field == "password" {
                return try form(request, context, secret: secret, problem: error.message, status: .badRequest)
            }
            let token = Directory.secret()
            var response = renderer.page(
                "signin", title: catalog.text("signin.title", context.language),
                view: ["formToken": token, "notice": catalog.text("enrol.done", context.language)], request: request, context: context)
            response.headers[.setCookie] = WebMiddleware.cookie(WebMiddleware.formCookie, token, maxAge: 3600)
            return response
        }
    }

    /// The search and the pages of countries, agencies and contacts, each recorded in the audit
    /// log as a read by the signed-in officer (`web:NAME`).
    static func addDirectoryPages(to web: RouterGroup<NodeRequestContext>, directory: Directory) {
        let renderer = WebRenderer.shared
        let views = WebViews(renderer: renderer)
        web.get("search") { request, context in
            let search = try WebSearch(request.uri.queryParameters)
            let (results, status) = try await searchResults(search, request, context, directory: directory, views: views)
            var view = views.search(search, context.language)
            for (key, value) in results { view[key] = value }
            var response = renderer.page("search", title: renderer.catalog.text("search.title", context.language), view: view, request: request, context: context, script: true)
            response.status = status
            return response
        }
        web.get("search/results") { request, context in
            let search = try WebSearch(request.uri.queryParameters)
            let (results, status) = try await searchResults(search, request, context, directory: directory, views: views)
            var response = renderer.fragment("results", view: results, context: context)
            response.status = status
            return response
        }
        web.get("countries/:code") { request, context in
            let code = try context.parameters.require("code").decodedPathSegment.uppercased()
            let page = try await recordedRead(request, context, directory, action: .webRead) { () throws(LiaisonError) in
                try directory.countryPage(code)
            } records: { [$0.country.code] + $0.notes.map(\.id.lowercasedString) }
            return renderer.page("country", title: page.country.name, view: views.country(page, context.language), request: request, context: context)
        }
        web.get("agencies/:id") { request, context in
            let reference = try context.parameters.require("id").decodedPathSegment
            let card = try await recordedRead(request, context, directory, action: .webRead) { () throws(LiaisonError) in
                try directory.agencyCard(try directory.agency(matching: reference).id)
            } records: { [$0.agency.id.lowercasedString] + $0.notes.map(\.id.lowercasedString) }
            let country = try directory.country(card.agency.country)
            return renderer.page("agency", title: card.agency.name, view: views.agency(card, country: country, context.language), request: request, context: context)
        }
        web.get("contacts/:id") { request, context in
            let reference = try context.parameters.require("id").decodedPathSegment
            let card = try await recordedRead(request, context, directory, action: .webRead) { () throws(LiaisonError) in
                try directory.contactCard(try directory.person(matching: reference).id)
            } records: { [$0.person.id.lowercasedString] + $0.notes.map(\.id.lowercasedString) }
            let country = try directory.country(card.agency.country)
            return renderer.page("contact", title: card.person.displayName, view: views.contact(card, country: country, context.language), request: request, context: context)
        }
        web.get("contacts/:id/vcard") { request, context in
            let reference = try context.parameters.require("id").decodedPathSegment
            let (card, id) = try await recordedRead(request, context, directory, action: .webRead) { () throws(LiaisonError) in
                let person = try directory.person(matching: reference)
                return (try directory.vCard(contact: person.id), person.id)
            } records: { [$0.1.lowercasedString] }
            return Response(
                status: .ok,
                headers: [
                    .contentType: "text/vcard; charset=utf-8", .contentDisposition: "attachment; filename=\"\(id.shortID).vcf\"", .cacheControl: "no-store",
                ],
                body: ResponseBody(byteBuffer: ByteBuffer(string: card)))
        }
        // The vCard as a QR code, for a phone to scan off the screen or the printed page.
        web.get("contacts/:id/qr.svg") { request, context in
            let reference = try context.parameters.require("id").decodedPathSegment
            let (card, person) = try await recordedRead(request, context, directory, action: .webRead) { () throws(LiaisonError) in
                let person = try directory.person(matching: reference)
                return (try directory.vCard(contact: person.id), person)
            } records: { [$0.1.id.lowercasedString] }
            guard let code = try? QRCode(Array(card.utf8)) else {
                throw LiaisonError(.invalidValue, "the contact card is too long for a QR code; download it instead")
            }
            return Response(
                status: .ok, headers: [.contentType: "image/svg+xml; charset=utf-8", .cacheControl: "no-store"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: code.svg(title: person.displayName))))
        }
    }

    /// A file of `Web/Assets/`; they change only with the release, so browsers may keep them a day.
    static func asset(_ name: String) throws -> Response {
        guard let file = EmbeddedResources.web.first(where: { $0.name == "Assets/\(name)" }) else {
            throw LiaisonError(.notFound, "no such file")
        }
        let type = name.hasSuffix(".css") ? "text/css; charset=utf-8" : name.hasSuffix(".js") ? "text/javascript; charset=utf-8" : "application/octet-stream"
        return Response(
            status: .ok, headers: [.contentType: type, .cacheControl: "max-age=86400"], body: ResponseBody(byteBuffer: ByteBuffer(string: file.text)))
    }

    /// A path on this node to go back to, never another site's: anything else is the search.
    static func localPath(_ path: String?) -> String {
        // Browsers drop tabs and read "\\" as "/" in addresses: only plain path characters pass.
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/-_.~?=&%+:")
        guard let path, path.hasPrefix("/"), !path.hasPrefix("//"), path.allSatisfy(allowed.contains) else { return "/search" }
        return path
    }

    static func secondsUntil(_ iso8601: String) -> TimeInterval {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return max(0, (formatter.date(from: iso8601) ?? Date()).timeIntervalSinceNow)
    }

    /// A search's results for the page, or, when a filter cannot be read (a language code, a
    /// country), the store's words for it above the results, with the form as the officer left it.
    static func searchResults(
        _ search: WebSearch, _ request: Request, _ context: NodeRequestContext, directory: Directory, views: WebViews
    ) async throws -> (view: [String: Any], status: HTTPResponse.Status) {
        do {
            let found = try await recordedRead(request, context, directory, action: .webRead) { () throws(LiaisonError) in
                try search.run(in: directory)
            } records: { $0.hits.map(\.id.lowercasedString) }
            return (views.results(search, found, context.language), .ok)
        } catch let error as LiaisonError where error.code == .invalidValue || error.code == .notFound {
            return (["problem": error.message], .badRequest)
        }
    }
}
