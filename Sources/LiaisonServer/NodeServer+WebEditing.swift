import Foundation
import Hummingbird
import LiaisonCore
import LiaisonSync

/// The forms that change the directory, for editors: a contact, an agency, a new contact in an
/// agency. A form shows the store's own validation message next to the field it names, as the
/// command line prints it. An edit of a record another node keeps becomes a proposal to that node,
/// and the proposals page accepts or rejects those made to this one.
extension NodeServer {
    static func addEditingPages(to web: RouterGroup<NodeRequestContext>, directory: Directory) {
        let renderer = WebRenderer.shared
        let catalog = renderer.catalog

        /// The form page, with `problems` by field and a 400 when there are any.
        @Sendable func formPage(_ template: String, title: String, action: String, view: [String: Any], problems: [String: String], request: Request, context: NodeRequestContext)
            -> Response
        {
            var view = view
            view["action"] = action
            view["heading"] = title
            view["formToken"] = context.webSession?.formToken ?? ""
            var response = renderer.page(template, title: title, view: view, request: request, context: context)
            if !problems.isEmpty { response.status = .badRequest }
            return response
        }

        /// Tells the editor, before they write, that the record is another node's and the form
        /// will send a proposal to it.
        @Sendable func keptElsewhere(_ metadata: RecordMetadata?, _ view: inout [String: Any], _ language: String) throws {
            guard let steward = metadata?.steward, steward != directory.node.id.hex else { return }
            let peer = try directory.peers().first { $0.nodeID == steward }
            view["proposalNotice"] = catalog.text(
                "proposal.notice", language, ["steward": peer.map { "\($0.name) (\($0.agency))" } ?? catalog.text("proposal.steward_unknown", language)])
        }

        /// What a rejected write says, by field: a validation problem is shown on the form, any
        /// other error is the page's.
        @Sendable func problems(_ error: any Error) throws -> [String: String] {
            guard let error = error as? LiaisonError, [.invalidValue, .conflict, .ambiguous].contains(error.code) else { throw error }
            return [error.field ?? "": error.message + (error.hint.map { " (\($0))" } ?? "")]
        }

        /// The proposals an edit became, or where to go now that it is written.
        @Sendable func outcome(_ proposals: [Proposal], back: String, name: String, request: Request, context: NodeRequestContext) throws -> Response {
            guard !proposals.isEmpty else { return WebMiddleware.redirect(back) }
            let peers = Dictionary(try directory.peers().map { ($0.nodeID, "\($0.name) (\($0.agency))") }, uniquingKeysWith: { first, _ in first })
            let sent = try proposals.map { proposal in
                let summary = try directory.proposal(matching: proposal.id.lowercasedString)
                return catalog.text(
                    "proposal.sent", context.language,
                    [
                        "steward": summary.steward.flatMap { peers[$0] } ?? catalog.text("proposal.steward_unknown", context.language),
                        "record": summary.recordName ?? name, "fields": summary.changes.map(\.field).joined(separator: ", "),
                    ])
            }
            return renderer.page(
                "proposed", title: catalog.text("proposal.sent_title", context.language), view: ["sent": sent, "back": back], request: request, context: context)
        }

        web.get("contacts/:id/edit") { request, context in
            try requireEditor(context)
            let reference = try context.parameters.require("id").decodedPathSegment
            let card = try await recordedRead(request, context, directory, action: .webRead) { () throws(LiaisonError) in
                try directory.contactCard(try directory.person(matching: reference).id)
            } records: { [$0.person.id.lowercasedString] }
            var view = WebContactForm(card.person, channels: card.channels).view(renderer, context.language, problems: [:])
            try keptElsewhere(card.person.metadata, &view, context.language)
            return formPage(
                "contact-form", title: catalog.text("contact_form.edit", context.language, ["name": card.person.displayName]),
                action: "/contacts/\(card.person.id.lowercasedString)", view: view, problems: [:], request: request, context: context)
        }
        web.post("contacts/:id") { request, context in
            let session = try requireEditor(context)
            let sent = try await WebForm(request)
            guard sent.carries(session.formToken) else { throw LiaisonError(.forbidden, catalog.text("error.form_expired", context.language)) }
            let reference = try context.parameters.require("id").decodedPathSegment
            let card = try directory.contactCard(try directory.person(matching: reference).id)
            let form = WebContactForm(sent, holding: card.channels)
            let path = "/contacts/\(card.person.id.lowercasedString)"
            do {
                let proposals = try await reading { () throws(LiaisonError) in
                    var person = card.person
                    form.apply(to: &person, officer: session.account, today: String(Timestamp.iso8601(Date()).prefix(10)))
                    return try directory.write { [person] tx in
                        tx.proposalComment = form.comment.nilIfEmpty
                        try tx.save(person)
                        try form.channels.save(in: tx, agencyID: nil, personID: person.id)
                        return tx.proposals
                    }.value
                }
                return try outcome(proposals, back: path, name: card.person.displayName, request: request, context: context)
            } catch {
                let found = try problems(error)
                return formPage(
                    "contact-form", title: catalog.text("contact_form.edit", context.language, ["name": card.person.displayName]), action: path,
                    view: form.view(renderer, context.language, problems: found), problems: found, request: request, context: context)
            }
        }
        web.get("agencies/:id/contacts/new") { request, context in
            try requireEditor(context)
            let agency = try directory.agency(matching: try context.parameters.require("id").decodedPathSegment)
            return formPage(
                "contact-form", title: catalog.text("contact_form.new", context.language, ["agency": agency.name]),
                action: "/agencies/\(agency.id.lowercasedString)/contacts", view: WebContactForm(nil, channels: []).view(renderer, context.language, problems: [:]),
                problems: [:], request: request, context: context)
        }
        web.post("agencies/:id/contacts") { request, context in
            let session = try requireEditor(context)
            let sent = try await WebForm(request)
            guard sent.carries(session.formToken) else { throw LiaisonError(.forbidden, catalog.text("error.form_expired", context.language)) }
            let agency = try directory.agency(matching: try context.parameters.require("id").decodedPathSegment)
            let form = WebContactForm(sent, holding: [])
            do {
                let saved = try await reading { () throws(LiaisonError) in
                    var person = Person(agencyID: agency.id)
                    form.apply(to: &person, officer: session.account, today: String(Timestamp.iso8601(Date()).prefix(10)))
                    return try directory.write { [person] tx in
                        let saved = try tx.save(person, allowingSameName: false)
                        try form.channels.save(in: tx, agencyID: nil, personID: saved.id)
                        return saved
                    }.value
                }
                return WebMiddleware.redirect("/contacts/\(saved.id.lowercasedString)")
            } catch {
                let found = try problems(error)
                return formPage(
                    "contact-form", title: catalog.text("contact_form.new", context.language, ["agency": agency.name]),
                    action: "/agencies/\(agency.id.lowercasedString)/contacts", view: form.view(renderer, context.language, problems: found),
                    problems: found, request: request, context: context)
            }
        }
        web.get("agencies/:id/edit") { request, context in
            try requireEditor(context)
            let reference = try context.parameters.require("id").decodedPathSegment
            let card = try await recordedRead(request, context, directory, action: .webRead) { () throws(LiaisonError) in
                try directory.agencyCard(try directory.agency(matching: reference).id)
            } records: { [$0.agency.id.lowercasedString] }
            var view = WebAgencyForm(card.agency, channels: card.channels).view(renderer, context.language, problems: [:])
            try keptElsewhere(card.agency.metadata, &view, context.language)
            return formPage(
                "agency-form", title: catalog.text("agency_form.edit", context.language, ["name": card.agency.name]),
                action: "/agencies/\(card.agency.id.lowercasedString)", view: view, problems: [:], request: request, context: context)
        }
        web.post("agencies/:id") { request, context in
            let session = try requireEditor(context)
            let sent = try await WebForm(request)
            guard sent.carries(session.formToken) else { throw LiaisonError(.forbidden, catalog.text("error.form_expired", context.language)) }
            let card = try directory.agencyCard(try directory.agency(matching: try context.parameters.require("id").decodedPathSegment).id)
            let form = WebAgencyForm(sent, holding: card.channels)
            let path = "/agencies/\(card.agency.id.lowercasedString)"
            do {
                let proposals = try await reading { () throws(LiaisonError) in
                    var agency = card.agency
                    try form.apply(to: &agency)
                    return try directory.write { [agency] tx in
                        tx.proposalComment = form.comment.nilIfEmpty
                        try tx.save(agency)
                        try form.channels.save(in: tx, agencyID: agency.id, personID: nil)
                        return tx.proposals
                    }.value
                }
                return try outcome(proposals, back: path, name: card.agency.name, request: request, context: context)
            } catch {
                let found = try problems(error)
                return formPage(
                    "agency-form", title: catalog.text("agency_form.edit", context.language, ["name": card.agency.name]), action: path,
                    view: form.view(renderer, context.language, problems: found), problems: found, request: request, context: context)
            }
        }
        addProposalPages(to: web, directory: directory)
    }
}
