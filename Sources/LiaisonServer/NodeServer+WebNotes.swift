import Foundation
import Hummingbird
import LiaisonCore
import NIOCore

/// The notes on the web page: the list with its filters, a note's page with its grading, marking,
/// evaluations and links, and for editors the forms that write a note, evaluate it and link it.
extension NodeServer {
    static func addNotePages(to web: RouterGroup<NodeRequestContext>, directory: Directory) {
        let renderer = WebRenderer.shared
        let catalog = renderer.catalog
        let views = WebNoteViews(renderer: renderer)

        web.get("notes") { request, context in
            let filters = try WebNoteFilters(request.uri.queryParameters)
            let notes = try await recordedRead(request, context, directory, action: .webRead) { () throws(LiaisonError) in
                try filters.run(in: directory)
            } records: { $0.map(\.id.lowercasedString) }
            return renderer.page(
                "notes", title: catalog.text("notes.title", context.language), view: views.list(notes, filters, context), request: request, context: context)
        }
        web.get("notes/new") { request, context in
            try requireEditor(context)
            return renderer.page(
                "note-new", title: catalog.text("notes.new", context.language), view: views.form(WebNoteForm(language: context.language), problems: [:], context),
                request: request, context: context)
        }
        web.post("notes") { request, context in
            let session = try requireEditor(context)
            let form = try await WebForm(request)
            guard form.carries(session.formToken) else { throw LiaisonError(.forbidden, catalog.text("error.form_expired", context.language)) }
            let fields = WebNoteForm(form)
            do {
                let saved = try await reading { () throws(LiaisonError) in
                    let note = try fields.note()
                    return try directory.write { tx in try tx.save(note) }.value
                }
                return WebMiddleware.redirect("/notes/\(saved.id.lowercasedString)")
            } catch let error as LiaisonError where error.code == .invalidValue || error.code == .conflict {
                var response = renderer.page(
                    "note-new", title: catalog.text("notes.new", context.language),
                    view: views.form(fields, problems: [error.field ?? "": error.message], context), request: request, context: context)
                response.status = .badRequest
                return response
            }
        }
        web.get("notes/:id") { request, context in
            let reference = try context.parameters.require("id").decodedPathSegment
            let page = try await recordedRead(request, context, directory, action: .webRead) { () throws(LiaisonError) in
                try directory.notePage(matching: reference, for: .local)
            } records: { $0.shownNotes }
            return renderer.page("note", title: page.note.title, view: views.page(page, context), request: request, context: context)
        }
        web.post("notes/:id/evaluations") { request, context in
            let session = try requireEditor(context)
            let form = try await WebForm(request)
            guard form.carries(session.formToken) else { throw LiaisonError(.forbidden, catalog.text("error.form_expired", context.language)) }
            let id = try directory.note(matching: try context.parameters.require("id")).id
            let reliability = try SourceReliability.parse(form["reliability"], field: "reliability")
            let credibility = try InformationCredibility.parse(form["credibility"], field: "credibility")
            let comment = form["comment"].trimmed
            _ = try await reading { () throws(LiaisonError) in
                try directory.write { tx in try tx.evaluate(id, reliability: reliability, credibility: credibility, comment: comment.isEmpty ? nil : comment) }
            }
            return WebMiddleware.redirect("/notes/\(id.lowercasedString)")
        }
        web.post("notes/:id/links") { request, context in
            let session = try requireEditor(context)
            let form = try await WebForm(request)
            guard form.carries(session.formToken) else { throw LiaisonError(.forbidden, catalog.text("error.form_expired", context.language)) }
            let id = try directory.note(matching: try context.parameters.require("id")).id
            let other = try directory.note(matching: form["other"].trimmed).id
            let relation = try NoteRelation.parse(form["relation"], field: "relation")
            let comment = form["comment"].trimmed
            _ = try await reading { () throws(LiaisonError) in
                try directory.write { tx in try tx.link(id, relation, other, comment: comment.isEmpty ? nil : comment) }
            }
            return WebMiddleware.redirect("/notes/\(id.lowercasedString)")
        }
    }

    /// The session of an officer who may edit, or the page's refusal.
    @discardableResult
    static func requireEditor(_ context: NodeRequestContext) throws(LiaisonError) -> WebSession {
        guard let session = context.webSession, session.role.mayEdit else {
            throw LiaisonError(.forbidden, WebCatalog.shared.text("error.forbidden", context.language))
        }
        return session
    }
}

/// The note list's filters, from the query string.
struct WebNoteFilters: Sendable {
    var text: String
    var country: String
    var crimeArea: CrimeArea?
    var reliability: SourceReliability?
    var credibility: InformationCredibility?
    var marking: Marking?

    init(_ parameters: Parameters) throws(LiaisonError) {
        func value(_ name: String) -> String { parameters[Substring(name)].map { String($0).trimmed } ?? "" }
        text = String(value("q").prefix(200))
        country = String(value("country").prefix(2)).uppercased()
        crimeArea = value("crime").isEmpty ? nil : try CrimeArea.parse(value("crime"))
        reliability = value("reliability").isEmpty ? nil : try SourceReliability.parse(value("reliability"))
        credibility = value("credibility").isEmpty ? nil : try InformationCredibility.parse(value("credibility"))
        marking = value("marking").isEmpty ? nil : try Marking.parse(value("marking"))
    }

    var isEmpty: Bool { text.isEmpty && country.isEmpty && crimeArea == nil && reliability == nil && credibility == nil && marking == nil }

    func run(in directory: Directory) throws(LiaisonError) -> [NoteSummary] {
        if isEmpty { return Array(try directory.notes().prefix(100)) }
        return try directory.searchNotes(
            NoteQuery(
                text, country: country.isEmpty ? nil : country, crimeArea: crimeArea, reliability: reliability, credibility: credibility, marking: marking,
                limit: 100))
    }
}

/// The fields of the note form, as sent.
struct WebNoteForm: Sendable {
    var title = ""
    var body = ""
    var language = "en"
    var countries = ""
    var crimeArea = ""
    var publish = false
    var reliability = ""
    var credibility = ""
    var marking = ""
    var sharing = "federation"

    init(language: String) { self.language = language }

    init(_ form: WebForm) {
        title = form["title"]
        body = form["body"]
        language = form["language"].trimmed
        countries = form["countries"]
        crimeArea = form["crime"]
        publish = !form["publish"].isEmpty
        reliability = form["reliability"]
        credibility = form["credibility"]
        marking = form["marking"]
        sharing = form["sharing"] == "this-node" ? "this-node" : "federation"
    }

    /// The note the form describes; the store's validation says what is wrong with it, field by field.
    func note() throws(LiaisonError) -> Note {
        var note = Note(
            title: title, language: language, body: body,
            countries: countries.split(whereSeparator: { $0 == "," || $0 == ";" || $0 == " " }).map { $0.uppercased() },
            crimeAreas: crimeArea.isEmpty ? [] : [try CrimeArea.parse(crimeArea, field: "crime_areas")])
        guard publish else { return note }
        note.status = .published
        note.reliability = reliability.isEmpty ? nil : try SourceReliability.parse(reliability, field: "reliability")
        note.credibility = credibility.isEmpty ? nil : try InformationCredibility.parse(credibility, field: "credibility")
        note.marking = marking.isEmpty ? nil : try Marking.parse(marking, field: "marking")
        note.distribution = sharing == "this-node" ? .nodeOnly : .federation
        return note
    }
}
