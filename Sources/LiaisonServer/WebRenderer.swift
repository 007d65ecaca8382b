import Foundation
import Hummingbird
import LiaisonCore
import Mustache
import NIOCore

/// Renders the page's templates (`Web/Templates/`, compiled into the server) into HTML, each page
/// with the words of the officer's language and the header every page shares.
struct WebRenderer: Sendable {
    let library: MustacheLibrary
    let catalog: WebCatalog

    static let shared = WebRenderer(catalog: .shared)

    init(catalog: WebCatalog) {
        var library = MustacheLibrary()
        for file in EmbeddedResources.web where file.name.hasPrefix("Templates/") {
            let name = String(file.name.dropFirst("Templates/".count).dropLast(".mustache".count))
            // The templates are compiled in, and a test renders every one: one that does not parse
            // is a build's mistake, found before release.
            do { try library.register(file.text, named: name) } catch { preconditionFailure("template \(name): \(error)") }
        }
        self.library = library
        self.catalog = catalog
    }

    /// A whole page: `view` plus what the header needs.
    func page(_ template: String, title: String, view: [String: Any], request: Request, context: NodeRequestContext, script: Bool = false) -> Response {
        var values = base(request: request, context: context)
        values["title"] = title
        values["script"] = script
        for (key, value) in view { values[key] = value }
        return html(library.render(values, withTemplate: template) ?? "")
    }

    /// A part of a page, such as the search results that the script puts in place.
    func fragment(_ template: String, view: [String: Any], context: NodeRequestContext) -> Response {
        var values: [String: Any] = ["t": catalog.labels(context.language), "lang": context.language]
        for (key, value) in view { values[key] = value }
        return html(library.render(values, withTemplate: template) ?? "")
    }

    func html(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    private func base(request: Request, context: NodeRequestContext) -> [String: Any] {
        let language = context.language
        var values: [String: Any] = ["t": catalog.labels(language), "lang": language]
        let back = request.uri.path + (request.uri.query.map { "?" + $0 } ?? "")
        let escapedBack = back.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "/search"
        values["languages"] = catalog.codes.map { code in
            ["code": code, "name": catalog.text("language.name", code), "back": escapedBack, "current": code == language] as [String: Any]
        }
        if let session = context.webSession {
            values["session"] = [
                "formToken": session.formToken, "signedIn": catalog.text("nav.signed_in", language, ["name": session.account]),
                "isAdmin": session.role == .admin, "mayEdit": session.role.mayEdit,
            ]
        }
        return values
    }

    /// A text for a template's section, false when empty: Mustache shows a section for an empty
    /// text, and writes "nil" for a missing one held as `Any`.
    static func nonEmpty(_ text: String) -> Any { text.isEmpty ? false : text }

    /// A value for a template's section, false when there is none.
    static func shown(_ text: String?) -> Any { text.map { $0 as Any } ?? false }

    /// The label of a vocabulary term in the officer's language: `kind.police`, `crime.…`.
    func term(_ prefix: String, _ value: String, _ language: String) -> String {
        catalog.text("\(prefix).\(value)", language)
    }
}
