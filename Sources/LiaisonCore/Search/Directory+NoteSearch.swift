import Foundation
import GRDB

/// A search over the notes this node holds: words folded as the directory's search folds them,
/// matched in the title, the body and the names of what the note concerns, and filters.
public struct NoteQuery: Sendable, Hashable {
    public var text: String
    public var country: String?
    public var crimeArea: CrimeArea?
    /// This reliability or better.
    public var reliability: SourceReliability?
    /// This credibility or better.
    public var credibility: InformationCredibility?
    public var marking: Marking?
    /// The day the information refers to, from and to (`YYYY-MM-DD`, inclusive).
    public var from: String?
    public var to: String?
    public var includeDrafts: Bool
    public var limit: Int

    public init(
        _ text: String, country: String? = nil, crimeArea: CrimeArea? = nil, reliability: SourceReliability? = nil,
        credibility: InformationCredibility? = nil, marking: Marking? = nil, from: String? = nil, to: String? = nil,
        includeDrafts: Bool = true, limit: Int = 20
    ) {
        self.text = text
        self.country = country
        self.crimeArea = crimeArea
        self.reliability = reliability
        self.credibility = credibility
        self.marking = marking
        self.from = from
        self.to = to
        self.includeDrafts = includeDrafts
        self.limit = limit
    }
}

extension Directory {
    /// Notes with every word (or a word's start) in the title, the body or the names of what they
    /// concern, newest first. The index is read newest first and stops at the limit, so a common
    /// word costs no more than a rare one. A word of 3 to 6 letters is read as a word's start
    /// from the prefix indexes; a longer one, which they do not hold, is first matched whole, and
    /// as a word's start only if whole matches do not fill the page.
    public func searchNotes(_ query: NoteQuery) throws(LiaisonError) -> [NoteSummary] {
        let words = Array(SearchText.queryWords(query.text).prefix(12))
        var facets: [String] = []
        if let country = query.country { facets.append("\"\(SearchIndex.facet("cc", try self.country(country).code))\"") }
        if let area = query.crimeArea { facets.append("\"\(SearchIndex.facet("area", area.rawValue))\"") }
        if let marking = query.marking { facets.append("\"\(SearchIndex.facet("mark", marking.rawValue))\"") }
        if let reliability = query.reliability { facets.append("\"\(SearchIndex.facet("rel", reliability.rawValue))\"") }
        if let credibility = query.credibility { facets.append("\"\(SearchIndex.facet("cred", credibility.rawValue))\"") }
        if !query.includeDrafts { facets.append("\"\(SearchIndex.facet("status", NoteStatus.published.rawValue))\"") }
        let checkDay = { (text: String?, field: String) throws(LiaisonError) -> String? in
            guard let text = text?.trimmed, !text.isEmpty else { return nil }
            guard IntelligenceRules.isDay(text) else { throw LiaisonError.invalid(field, text, "not a date: use YYYY-MM-DD") }
            return text
        }
        let (from, to) = (try checkDay(query.from, "from"), try checkDay(query.to, "to"))
        let limit = max(1, min(query.limit, 1000))
        let facetFilter = facets.isEmpty ? nil : "facets : (\(facets.joined(separator: " AND ")))"
        var tiers: [String] = []
        if words.isEmpty {
            if let facetFilter { tiers = [facetFilter] }
        } else {
            let exact = words.map { "(" + $0.map { "\"\($0)\"" }.joined(separator: " OR ") + ")" }.joined(separator: " AND ")
            let prefix = words.map { "(" + $0.map { "\"\($0)\"*" }.joined(separator: " OR ") + ")" }.joined(separator: " AND ")
            let filter = facetFilter.map { " AND " + $0 } ?? ""
            let beyondPrefixIndexes = words.contains { $0.contains { $0.count > 6 } }
            tiers = (beyondPrefixIndexes ? ["{title body links} : (\(exact))\(filter)"] : []) + ["{title body links} : (\(prefix))\(filter)"]
        }
        let dayArguments = [from, to].compactMap { $0 }
        let dayFilter = (from == nil ? "" : " AND n.refers_to >= ?") + (to == nil ? "" : " AND n.refers_to <= ?")
        let chosenTiers = tiers
        return try read { db in
            let tiers = chosenTiers
            var found: [NoteSummary] = []
            var seen: Set<UUID> = []
            if tiers.isEmpty {
                guard words.isEmpty, !dayArguments.isEmpty || query.text.trimmed.isEmpty else { return [] }
                return try Row.fetchAll(
                    db, sql: """
                        SELECT \(NoteSummary.columns) FROM note n WHERE n.deleted = 0\(query.includeDrafts ? "" : " AND n.status = 'published'")\(dayFilter)
                        ORDER BY n.local_id DESC LIMIT ?
                        """,
                    arguments: StatementArguments(dayArguments) + [limit]
                ).map(NoteSummary.init(row:))
            }
            for tier in tiers where found.count < limit {
                let sql = """
                    SELECT \(NoteSummary.columns) FROM note_search s JOIN note n ON n.local_id = s.rowid
                    WHERE note_search MATCH ? AND n.deleted = 0\(dayFilter) ORDER BY s.rowid DESC LIMIT ?
                    """
                // A cursor: each row is read in place, not copied first.
                let rows = try Row.fetchCursor(db.cachedStatement(sql: sql), arguments: [tier] + StatementArguments(dayArguments) + [limit])
                while let row = try rows.next() {
                    let summary = NoteSummary(row: row)
                    if found.count < limit, seen.insert(summary.id).inserted { found.append(summary) }
                }
            }
            return found
        }
    }

    /// The live notes that concern a country (`country:MD`), an agency (`agency:<id>`) or a contact
    /// (`person:<id>`), latest first.
    func notes(concerning subject: String, in db: Database) throws -> [NoteSummary] {
        try Row.fetchAll(
            db, sql: """
                SELECT \(NoteSummary.columns) FROM note_subject s JOIN note n ON n.id = s.note_id
                WHERE s.subject = ? AND n.deleted = 0 ORDER BY n.local_id DESC LIMIT 100
                """, arguments: [subject]
        ).map(NoteSummary.init(row:))
    }
}
