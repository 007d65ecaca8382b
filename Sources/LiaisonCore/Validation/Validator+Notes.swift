import Foundation

extension Validator {
    /// The longest note body, in characters: a change carries at most 1 MiB.
    static let noteBodyLimit = 200_000

    /// Checks and normalises a note's own fields; its distribution and derivation are the
    /// transaction's to check, since they depend on other records.
    func note(_ note: Note) throws(LiaisonError) -> Note {
        var note = note
        note.title = try required(note.title, field: "title")
        note.language = try reference.languageTag(note.language, field: "language")
        note.body = try text(note.body, field: "body", lineBreaks: true, limit: Self.noteBodyLimit) ?? ""
        var countries: [String] = []
        for code in note.countries {
            let country = try reference.country(code).code
            if !countries.contains(country) { countries.append(country) }
        }
        note.countries = countries
        for id in note.agencyIDs { _ = try live(Agency.self, id, field: "agency") }
        for id in note.personIDs { _ = try live(Person.self, id, field: "contact") }
        note.agencyIDs = unique(note.agencyIDs)
        note.personIDs = unique(note.personIDs)
        note.crimeAreas = unique(note.crimeAreas)
        note.subjects = unique(note.subjects)
        note.refersTo = try clean(note.refersTo).map { text throws(LiaisonError) in try date(text, field: "refers_to") }
        note.reviewOn = try clean(note.reviewOn).map { text throws(LiaisonError) in try date(text, field: "review_on") }
        note.retainUntil = try clean(note.retainUntil).map { text throws(LiaisonError) in try date(text, field: "retain_until") }
        if let refersTo = note.refersTo, let retainUntil = note.retainUntil, retainUntil < refersTo {
            throw LiaisonError.invalid("retain_until", retainUntil, "is before the day the information refers to (\(refersTo))")
        }
        return note
    }

    private func unique<T: Hashable>(_ items: [T]) -> [T] {
        var seen: Set<T> = []
        return items.filter { seen.insert($0).inserted }
    }
}
