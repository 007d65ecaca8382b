import Foundation
import LiaisonCore

/// The text `note show` prints.
struct NotePageText {
    var page: NotePage
    var directory: Directory

    var text: String {
        get throws {
            let note = page.note
            var lines = ["\(note.title)  (\(note.id.lowercasedString))"]
            var status = [note.status.rawValue]
            if let reliability = note.reliability, let credibility = note.credibility {
                status.append("\(reliability.rawValue)\(credibility.rawValue): source \(reliability.meaning), information \(credibility.meaning)")
            }
            if let marking = note.marking { status.append(marking.rawValue) }
            status.append("shared with \(try describe(note.distribution, in: directory))")
            lines.append(status.joined(separator: " · "))
            lines.append("Written by \(page.author) on \(day(note.metadata?.createdAt)), last changed \(day(note.metadata?.modifiedAt))")
            var about = ["language \(note.language)", note.nature.rawValue]
            if let refersTo = note.refersTo { about.append("refers to \(refersTo)") }
            if !note.subjects.isEmpty { about.append("subjects: " + note.subjects.map(\.rawValue).joined(separator: ", ")) }
            lines.append(about.joined(separator: " · "))
            if !note.countries.isEmpty { lines.append("Countries: " + note.countries.joined(separator: ", ")) }
            if !note.crimeAreas.isEmpty { lines.append("Crime areas: " + note.crimeAreas.map(\.rawValue).joined(separator: ", ")) }
            if !note.agencyIDs.isEmpty {
                lines.append("Agencies: " + note.agencyIDs.map { id in (try? directory.agency(matching: id.lowercasedString)).map { "\($0.name) (\($0.country))" } ?? short(id) }.joined(separator: "; "))
            }
            if !note.personIDs.isEmpty {
                lines.append("Contacts: " + note.personIDs.map { id in (try? directory.person(matching: id.lowercasedString)).map(\.displayName) ?? short(id) }.joined(separator: "; "))
            }
            var dates: [String] = []
            if let reviewOn = note.reviewOn { dates.append("review on \(reviewOn)") }
            if let retainUntil = note.retainUntil { dates.append("retain until \(retainUntil)") }
            if !dates.isEmpty { lines.append(dates.joined(separator: " · ").capitalizedFirst) }
            if let source = note.derivedFrom {
                lines.append("Derived from \((try? directory.note(matching: source.lowercasedString)).map { "\($0.title) (\(short(source)))" } ?? "\(short(source)), not held here")")
            }
            if !note.body.isEmpty { lines += ["", note.body] }
            if let combined = page.combined {
                lines += ["", "Combined grading: \(combined.grading) from \(counted(combined.nodes, "node"))"
                    + "; corroborated by \(counted(combined.corroborations, "note")), contradicted by \(counted(combined.contradictions, "note"))"]
            }
            if !page.evaluations.isEmpty {
                lines += ["", "Evaluations:"]
                for entry in page.evaluations {
                    let evaluation = entry.evaluation
                    lines.append("  \(day(evaluation.metadata?.createdAt))  \(evaluation.reliability.rawValue)\(evaluation.credibility.rawValue)  \(entry.evaluator)"
                        + (evaluation.comment.map { ": \($0)" } ?? ""))
                }
            }
            if !page.links.isEmpty {
                lines += ["", "Links:"]
                for entry in page.links {
                    let other = entry.other.map { "\($0.title) (\(short($0.id)))" } ?? "\(short(entry.isOutgoing ? entry.link.otherID : entry.link.noteID)), not held here"
                    let relation = entry.isOutgoing ? "this \(entry.link.relation.rawValue)" : "\(entry.link.relation.rawValue) this:"
                    lines.append("  \(relation) \(other), by \(entry.author)" + (entry.link.comment.map { ": \($0)" } ?? ""))
                }
            }
            if !page.derived.isEmpty {
                lines += ["", "Derived notes:"] + page.derived.map { "  \($0.title) (\(short($0.id)))" }
            }
            return lines.joined(separator: "\n")
        }
    }

    private func day(_ iso: String?) -> String { iso.map { String($0.prefix(10)) } ?? "?" }
}

extension String {
    var capitalizedFirst: String { prefix(1).uppercased() + dropFirst() }
}
