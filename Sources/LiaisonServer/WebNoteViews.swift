import Foundation
import LiaisonCore

/// What the note templates show: gradings as badges, markings as FIRST's TLP colour bar, bodies
/// as Markdown, in the officer's language.
struct WebNoteViews: Sendable {
    let renderer: WebRenderer
    var catalog: WebCatalog { renderer.catalog }
    var views: WebViews { WebViews(renderer: renderer) }

    func list(_ notes: [NoteSummary], _ filters: WebNoteFilters, _ context: NodeRequestContext) -> [String: Any] {
        let language = context.language
        return [
            "query": filters.text, "country": filters.country, "filtersOpen": !filters.isEmpty,
            "crimes": CrimeArea.allCases.map { ["value": $0.rawValue, "label": renderer.term("crime", $0.rawValue, language), "selected": $0 == filters.crimeArea] },
            "reliabilities": SourceReliability.allCases.map { ["value": $0.rawValue, "label": $0.rawValue, "selected": $0 == filters.reliability] },
            "credibilities": InformationCredibility.allCases.map { ["value": $0.rawValue, "label": $0.rawValue, "selected": $0 == filters.credibility] },
            "markings": Marking.allCases.map { ["value": $0.rawValue, "label": $0.rawValue, "selected": $0 == filters.marking] },
            "notes": notes.map { summary(language, $0) }, "nothing": notes.isEmpty,
            "mayWrite": context.webSession?.role.mayEdit == true,
        ]
    }

    func page(_ page: NotePage, _ context: NodeRequestContext) -> [String: Any] {
        let language = context.language, note = page.note
        var view: [String: Any] = [
            "id": note.id.lowercasedString, "title": note.title, "author": page.author, "body": WebMarkdown.html(note.body),
            "bodyLanguage": note.language, "draft": note.status == .draft,
            "status": catalog.text("notes.status.\(note.status.rawValue)", language),
            "countries": WebRenderer.nonEmpty(note.countries.joined(separator: ", ")),
            "crimes": WebRenderer.nonEmpty(note.crimeAreas.map { renderer.term("crime", $0.rawValue, language) }.joined(separator: ", ")),
            "formToken": context.webSession?.formToken ?? "",
            "mayEvaluate": context.webSession?.role.mayEdit == true && note.status == .published,
            "mayLink": context.webSession?.role.mayEdit == true,
            "reliabilities": SourceReliability.allCases.map { ["value": $0.rawValue, "label": $0.rawValue] },
            "credibilities": InformationCredibility.allCases.map { ["value": $0.rawValue, "label": $0.rawValue] },
            "relations": NoteRelation.allCases.map { ["value": $0.rawValue, "label": catalog.text("notes.relation.\($0.rawValue)", language)] },
        ]
        view["grading"] = note.grading
        if let marking = note.marking { view["marking"] = ["text": marking.rawValue, "class": Self.markingClass(marking)] }
        if let combined = page.combined {
            view["combined"] = catalog.text(
                combined.nodes == 1 ? "notes.combined_one" : "notes.combined", language,
                ["grading": "\(combined.reliability.rawValue)\(combined.credibility.rawValue)", "nodes": views.number(combined.nodes, language)])
        }
        view["hasEvaluations"] = !page.evaluations.isEmpty
        view["evaluations"] = page.evaluations.map { entry -> [String: Any] in
            [
                "grading": entry.evaluation.reliability.rawValue + entry.evaluation.credibility.rawValue, "evaluator": entry.evaluator,
                "comment": WebRenderer.nonEmpty(entry.evaluation.comment ?? ""), "when": views.day(entry.evaluation.metadata?.modifiedAt ?? "", language),
            ]
        }
        view["hasLinks"] = !page.links.isEmpty
        view["links"] = page.links.map { link -> [String: Any] in
            let relation = catalog.text("notes.relation.\(link.link.relation.rawValue)", language)
            var row: [String: Any] = ["relation": link.isOutgoing ? relation : catalog.text("notes.linked_by", language, ["relation": relation]), "author": link.author]
            if let other = link.other {
                row["href"] = "/notes/\(other.id.lowercasedString)"
                row["title"] = other.title
            } else {
                row["title"] = catalog.text("notes.not_held", language)
            }
            return row
        }
        return view
    }

    func form(_ fields: WebNoteForm, problems: [String: String], _ context: NodeRequestContext) -> [String: Any] {
        let language = context.language
        var view: [String: Any] = [
            "formToken": context.webSession?.formToken ?? "", "title": fields.title, "body": fields.body, "language": fields.language,
            "countries": fields.countries, "publish": fields.publish, "federation": fields.sharing == "federation", "thisNode": fields.sharing == "this-node",
            "crimes": CrimeArea.allCases.map { ["value": $0.rawValue, "label": renderer.term("crime", $0.rawValue, language), "selected": $0.rawValue == fields.crimeArea] },
            "reliabilities": SourceReliability.allCases.map { ["value": $0.rawValue, "label": $0.rawValue, "selected": $0.rawValue == fields.reliability] },
            "credibilities": InformationCredibility.allCases.map { ["value": $0.rawValue, "label": $0.rawValue, "selected": $0.rawValue == fields.credibility] },
            "markings": Marking.allCases.map { ["value": $0.rawValue, "label": $0.rawValue, "selected": $0.rawValue == fields.marking] },
        ]
        // A problem is shown next to its field; one of no field above the form.
        let known = ["title", "body", "language", "countries", "crime_areas", "reliability", "credibility", "marking", "distribution"]
        for (field, message) in problems {
            if known.contains(field) { view["problem_\(field)"] = message } else { view["problem"] = message }
        }
        return view
    }

    private func summary(_ language: String, _ note: NoteSummary) -> [String: Any] {
        var row: [String: Any] = [
            "href": "/notes/\(note.id.lowercasedString)", "title": note.title, "draft": note.status == .draft,
            "status": catalog.text("notes.status.\(note.status.rawValue)", language), "when": views.day(note.modifiedAt, language),
        ]
        row["grading"] = note.grading
        if let marking = note.marking { row["marking"] = ["text": marking.rawValue, "class": Self.markingClass(marking)] }
        return row
    }

    /// `TLP:AMBER+STRICT` is `tlp-amber-strict`.
    static func markingClass(_ marking: Marking) -> String {
        marking.rawValue.lowercased().replacingOccurrences(of: ":", with: "-").replacingOccurrences(of: "+", with: "-")
    }
}
