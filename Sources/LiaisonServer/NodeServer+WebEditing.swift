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
            view["proposalNotice"] = catalog.text(
                "proposal.notice", language, ["steward": try directory.peerNames()[steward] ?? catalog.text("proposal.steward_unknown", language)])
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
            let peers = try directory.peerNames()
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

        /// `PATH/:id/edit`, the form of a record, and `PATH/:id`, where it is sent.
        func addEditing<Form: WebRecordForm>(_ form: Form.Type, at path: String) {
            web.get("\(path)/:id/edit") { request, context in
                try requireEditor(context)
                let reference = try context.parameters.require("id").decodedPathSegment
                let held = try await recordedRead(request, context, directory, action: .webRead) { () throws(LiaisonError) in
                    try Form.held(reference, in: directory)
                } records: { [$0.record.id.lowercasedString] }
                var view = Form(held.record, channels: held.channels).view(renderer, context.language, problems: [:])
                try keptElsewhere(held.record.metadata, &view, context.language)
                return formPage(
                    Form.template, title: catalog.text(Form.editTitle, context.language, ["name": held.name]),
                    action: "/\(path)/\(held.record.id.lowercasedString)", view: view, problems: [:], request: request, context: context)
            }
            web.post("\(path)/:id") { request, context in
                let session = try requireEditor(context)
                let sent = try await WebForm(request)
                guard sent.carries(session.formToken) else { throw LiaisonError(.forbidden, catalog.text("error.form_expired", context.language)) }
                let held = try Form.held(try context.parameters.require("id").decodedPathSegment, in: directory)
                let form = Form(sent, holding: held.channels)
                let back = "/\(path)/\(held.record.id.lowercasedString)"
                do {
                    let proposals = try await reading { () throws(LiaisonError) in
                        let record = try form.edited(held.record, officer: session.account, today: String(Timestamp.iso8601(Date()).prefix(10)))
                        return try directory.write { tx in
                            tx.proposalComment = form.comment.nilIfEmpty
                            try Form.save(record, in: tx)
                            let owner = Form.channelOwner(record)
                            try form.channels.save(in: tx, agencyID: owner.agencyID, personID: owner.personID)
                            return tx.proposals
                        }.value
                    }
                    return try outcome(proposals, back: back, name: held.name, request: request, context: context)
                } catch {
                    let found = try problems(error)
                    return formPage(
                        Form.template, title: catalog.text(Form.editTitle, context.language, ["name": held.name]), action: back,
                        view: form.view(renderer, context.language, problems: found), problems: found, request: request, context: context)
                }
            }
        }
        addEditing(WebContactForm.self, at: "contacts")
        addEditing(WebAgencyForm.self, at: "agencies")
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
                    let person = try form.edited(Person(agencyID: agency.id), officer: session.account, today: String(Timestamp.iso8601(Date()).prefix(10)))
                    return try directory.write { tx in
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
        addProposalPages(to: web, directory: directory)
    }
}
