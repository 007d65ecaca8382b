package import Foundation
package import GRDB

/// The search index over notes (`note_search`) and what each note concerns (`note_subject`), made
/// anew from the note table for each note written or received.
package enum NoteIndex {
    /// Indexes these notes from their rows; a deleted or missing note leaves the index.
    package static func reindex(_ ids: Set<UUID>, in db: Database) throws {
        guard !ids.isEmpty else { return }
        let reference = try FieldTable.reference(in: db)
        for id in ids.sorted(by: { $0.lowercasedString < $1.lowercasedString }) {
            let key = id.lowercasedString
            try db.execute(sql: "DELETE FROM note_subject WHERE note_id = ?", arguments: [key])
            guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM note WHERE id = ?"), arguments: [key]) else { continue }
            let localID: Int64 = row["local_id"]
            try db.execute(sql: "DELETE FROM note_search WHERE rowid = ?", arguments: [localID])
            guard row["deleted"] == false else { continue }
            let note = Note(row: row)
            var links = note.countries.compactMap { reference.countries[$0]?.name }
            for agency in note.agencyIDs {
                if let names = try Row.fetchOne(db, sql: "SELECT name, acronym, native_name FROM agency WHERE id = ?", arguments: [agency.lowercasedString]) {
                    links += [names["name"], names["acronym"], names["native_name"]].compactMap { $0 }
                }
            }
            for person in note.personIDs {
                if let names = try Row.fetchOne(db, sql: "SELECT given_name, family_name, native_name FROM person WHERE id = ?", arguments: [person.lowercasedString]) {
                    links += [names["given_name"], names["family_name"], names["native_name"]].compactMap { $0 }
                }
            }
            links += note.crimeAreas.map { $0.rawValue.replacingOccurrences(of: "-", with: " ") }
            try db.execute(
                sql: "INSERT INTO note_search (rowid, title, body, links, facets) VALUES (?, ?, ?, ?, ?)",
                arguments: [localID, SearchText.fold(note.title), SearchText.fold(note.body), SearchText.fold(links.joined(separator: " ")), facets(of: note).joined(separator: " ")])
            let subjects = note.countries.map { "country:\($0)" } + note.agencyIDs.map { "agency:\($0.lowercasedString)" }
                + note.personIDs.map { "person:\($0.lowercasedString)" }
            for subject in Set(subjects) {
                try db.execute(sql: "INSERT INTO note_subject (subject, note_id) VALUES (?, ?)", arguments: [subject, key])
            }
        }
    }

    /// Filter tokens: countries, crime areas, marking, status, and a grading as each grade it meets
    /// or beats ("B" is also "C or better", so a filter for C or better matches it).
    static func facets(of note: Note) -> [String] {
        var facets = note.countries.map { SearchIndex.facet("cc", $0) } + note.crimeAreas.map { SearchIndex.facet("area", $0.rawValue) }
        facets.append(SearchIndex.facet("status", note.status.rawValue))
        if let marking = note.marking { facets.append(SearchIndex.facet("mark", marking.rawValue)) }
        if let reliability = note.reliability {
            facets += SourceReliability.allCases.filter { $0 >= reliability }.map { SearchIndex.facet("rel", $0.rawValue) }
        }
        if let credibility = note.credibility {
            facets += InformationCredibility.allCases.filter { $0 >= credibility }.map { SearchIndex.facet("cred", $0.rawValue) }
        }
        return facets
    }
}
