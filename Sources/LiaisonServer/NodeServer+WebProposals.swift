import Foundation
import Hummingbird
import LiaisonCore
import LiaisonSync

/// The proposals page: edits other nodes proposed to the records this node keeps, to accept or
/// reject, and the fate of those this node made.
extension NodeServer {
    static func addProposalPages(to web: RouterGroup<NodeRequestContext>, directory: Directory) {
        let renderer = WebRenderer.shared
        let catalog = renderer.catalog
        let views = WebViews(renderer: renderer)

        web.get("proposals") { request, context in
            try requireEditor(context)
            let proposals = try await recordedRead(request, context, directory, action: .webRead) { () throws(LiaisonError) in
                try directory.proposals()
            } records: { $0.map(\.recordID.lowercasedString) }
            let peers = try directory.peerNames()
            let language = context.language
            func named(_ node: String?) -> String {
                node == directory.node.id.hex ? catalog.text("proposal.this_node", language) : node.flatMap { peers[$0] } ?? String(node?.prefix(8) ?? "?")
            }
            let rows: [[String: Any]] = proposals.map { proposal in
                var row: [String: Any] = [
                    "id": proposal.id.lowercasedString, "entity": catalog.text("proposal.entity_\(proposal.entity.rawValue)", language),
                    "record": proposal.recordName ?? proposal.recordID.shortID,
                    "recordHref": proposal.entity == .person ? "/contacts/\(proposal.recordID.lowercasedString)"
                        : proposal.entity == .agency ? "/agencies/\(proposal.recordID.lowercasedString)" : false,
                    "status": catalog.text("proposal.status_\(proposal.status.rawValue)", language), "statusClass": proposal.status.rawValue,
                    "byWhom": catalog.text(
                        "proposal.by", language, ["proposer": named(proposal.proposer), "steward": named(proposal.steward), "date": views.day(proposal.proposedAt, language)]),
                    "comment": WebRenderer.shown(proposal.comment), "reason": WebRenderer.shown(proposal.reason),
                    "changes": proposal.changes.map { ["field": $0.field, "current": $0.current ?? "—", "proposed": $0.proposed ?? "—"] },
                    "decidable": proposal.incoming && proposal.status == .open,
                ]
                if proposal.changes.isEmpty { row["noChange"] = catalog.text("proposal.no_change", language) }
                return row
            }
            return renderer.page(
                "proposals", title: catalog.text("proposal.title", language), view: ["proposals": rows, "none": rows.isEmpty, "formToken": context.webSession?.formToken ?? ""], request: request, context: context)
        }
        web.post("proposals/:id/accept") { request, context in
            try await decide(request, context) { found, form throws(LiaisonError) in
                let comment = form["comment"].trimmed
                try directory.write { tx in try tx.accept(found.id, comment: comment.nilIfEmpty) }
            }
        }
        web.post("proposals/:id/reject") { request, context in
            try await decide(request, context) { found, form throws(LiaisonError) in
                let reason = form["reason"].trimmed
                guard !reason.isEmpty else {
                    throw LiaisonError(.invalidValue, catalog.text("proposal.reason_required", context.language), field: "reason")
                }
                try directory.write { tx in try tx.reject(found.id, reason: reason) }
            }
        }

        /// Checks the session and the form, then writes the decision and goes back to the list.
        @Sendable func decide(
            _ request: Request, _ context: NodeRequestContext, _ write: @escaping @Sendable (ProposalSummary, WebForm) throws(LiaisonError) -> Void
        ) async throws -> Response {
            let session = try requireEditor(context)
            let form = try await WebForm(request)
            guard form.carries(session.formToken) else { throw LiaisonError(.forbidden, catalog.text("error.form_expired", context.language)) }
            let found = try directory.proposal(matching: try context.parameters.require("id"))
            try await reading { () throws(LiaisonError) in try write(found, form) }
            return WebMiddleware.redirect("/proposals")
        }
    }
}
