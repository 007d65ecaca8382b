package import Foundation
package import GRDB

/// Keeps the full-text index of persons and agencies in step with their tables.
///
/// Each indexed row holds folded names (`name`), other searchable text (`other`), and filter tokens
/// (`facets`) such as `xccmd` (country MD), `xkindpolice`, `xareatraffickinginpersons`,
/// `xfn24x7contact`, `xlangro` and `x24x7`.
package enum SearchIndex {
    static func rowID(person localID: Int64) -> Int64 { localID * 2 }
    static func rowID(agency localID: Int64) -> Int64 { localID * 2 + 1 }

    static func facet(_ prefix: String, _ value: String) -> String {
        if value.utf8.allSatisfy({ $0 < 0x80 }) {
            return "x" + prefix + String(decoding: value.lowercased().utf8.filter(SearchText.isASCIILetterOrDigit), as: UTF8.self)
        }
        return "x" + prefix + value.lowercased().filter { $0.isLetter || $0.isNumber }
    }

    /// Re-indexes the given records, and, for agencies whose names or placement changed, their units
    /// and the contacts of both, whose index text names them.
    /// `unindexed` are records known not to be in the index yet (created in this batch).
    ///
    /// `created` are contacts created in this transaction whose values the caller holds: their
    /// entries are made from those values and their agencies' rows, without reading them back.
    package static func reindex(
        persons: Set<UUID>, agencies: Set<UUID>, agenciesWithMembers: Set<UUID>, unindexed: Set<UUID> = [], in db: Database
    ) throws {
        try reindex(persons: persons, agencies: agencies, agenciesWithMembers: agenciesWithMembers, unindexed: unindexed, created: [:], in: db)
    }

    ///
    /// `agencyRows` may be kept across a transaction's batches; the agencies given here are read
    /// again.
    package static func reindex(
        persons: Set<UUID>, agencies: Set<UUID>, agenciesWithMembers: Set<UUID>, unindexed: Set<UUID>,
        created: [UUID: CreatedPerson], agencyRows: AgencyRowCache = AgencyRowCache(), in db: Database
    ) throws {
        agencyRows.forget(agencies.union(agenciesWithMembers))
        var persons = persons
        var agencies = agencies
        for agencyID in agenciesWithMembers {
            let units = try String.fetchAll(db.cachedStatement(sql: "SELECT id FROM agency WHERE parent_id = ?"), arguments: [agencyID.lowercasedString])
            agencies.formUnion(units.compactMap(UUID.init(uuidString:)))
            for holder in [agencyID.lowercasedString] + units {
                let ids = try String.fetchAll(db.cachedStatement(sql: "SELECT id FROM person WHERE agency_id = ?"), arguments: [holder])
                persons.formUnion(ids.compactMap(UUID.init(uuidString:)))
            }
        }
        var entries: [Entry] = []
        var stale: [Int64] = []
        try readAgencies(Array(agencies), unindexed: unindexed, entries: &entries, stale: &stale, in: db)
        var toRead: [UUID] = []
        for id in persons {
            if let person = created[id], let agency = try agencyRows.row(person.agencyID.lowercasedString, in: db) {
                entries.append(Entry(PersonSource(person, agency: agency, parent: try agency.parentID.flatMap { try agencyRows.row($0, in: db) })))
            } else {
                toRead.append(id)
            }
        }
        try readPersons(toRead, unindexed: unindexed, entries: &entries, stale: &stale, in: db)
        // FTS5 writes its pending rows out whenever a row id is not above the last one written, so
        // rows go in ascending order: in a random order the index is flushed at almost every row.
        let delete = try db.cachedStatement(sql: "DELETE FROM search_index WHERE rowid = ?")
        for rowID in stale.sorted() { try delete.run([rowID.databaseValue]) }
        let insert = try db.cachedStatement(sql: "INSERT INTO search_index (rowid, name, other, facets) VALUES (?, ?, ?, ?)")
        for entry in entries.sorted(by: { $0.rowID < $1.rowID }) {
            try insert.run([entry.rowID.databaseValue, entry.name.databaseValue, entry.other.databaseValue, entry.facets.databaseValue])
        }
    }

    /// One row of the index.
    private struct Entry {
        var rowID: Int64
        var name: String
        var other: String
        var facets: String

        init(rowID: Int64, name: String, other: [String], facets: [String]) {
            self.init(rowID: rowID, name: name, foldedOther: other.map(SearchText.fold), facets: facets)
        }

        init(rowID: Int64, name: String, foldedOther: [String], facets: [String]) {
            self.rowID = rowID
            self.name = name
            other = foldedOther.joined(separator: " ")
            // Sorted, each once.
            var unique: [String] = []
            for facet in facets.sorted() where facet != unique.last { unique.append(facet) }
            self.facets = unique.joined(separator: " ")
        }

        /// A contact's entry: its names; its position, rank and agency's names as other text; its
        /// agency's country and kind, its languages, roles and 24/7 reach as facets.
        init(_ person: PersonSource) {
            let own = person.text
            var other = own.other + person.agency.foldedNames + (person.parent?.foldedParentNames ?? [])
            var facets = person.agency.facets + own.languageFacets
            addRoles(person.roles, other: &other, facets: &facets)
            if person.has24x7Channel || person.roles.contains(where: { $0.function == .contact24x7 }) { facets.append("x24x7") }
            self.init(rowID: SearchIndex.rowID(person: person.localID), name: own.names, foldedOther: other, facets: facets)
        }
    }

    /// A contact's own values that its entry indexes, folded for search: the costly part of an
    /// entry, which a receive makes before the write lock is taken.
    package struct PersonText: Sendable {
        /// Given, family and native names, folded and joined.
        var names: String
        /// Position and rank, folded.
        var other: [String]
        /// A facet for each language's primary subtag.
        var languageFacets: [String]

        init(givenName: String?, familyName: String?, nativeName: String?, position: String?, rank: String?, languages: [String]) {
            names = [givenName, familyName, nativeName].compactMap { $0 }.map(SearchText.fold).joined(separator: " ")
            other = [position, rank].compactMap { $0 }.map(SearchText.fold)
            languageFacets = languages.compactMap { $0.split(separator: "-").first.map { facet("lang", String($0)) } }
        }
    }

    /// What a contact's entry is made of.
    fileprivate struct PersonSource {
        var localID: Int64
        var text: PersonText
        var agency: AgencyRow
        var parent: AgencyRow?
        var has24x7Channel: Bool
        var roles: [Role]
    }

    /// The columns of an agency that its contacts' entries name, as stored, and folded.
    fileprivate struct AgencyRow {
        /// As stored: the tables' joins compare the text.
        var parentID: String?
        /// Name, acronym and native name, folded: a contact's entry names its agency.
        var foldedNames: [String]
        /// Name and acronym, folded: a contact's entry names its agency's parent by these.
        var foldedParentNames: [String]
        /// The country and kind facets of the agency's contacts.
        var facets: [String]

        init(name: String?, acronym: String?, nativeName: String?, kind: String, country: String, parentID: String? = nil) {
            self.parentID = parentID
            let name = name.map(SearchText.fold), acronym = acronym.map(SearchText.fold)
            foldedParentNames = [name, acronym].compactMap { $0 }
            foldedNames = [name, acronym, nativeName.map(SearchText.fold)].compactMap { $0 }
            facets = [facet("cc", country), facet("kind", kind)]
        }
    }

    /// The agency rows that contacts' entries name, read once: a batch's contacts share a few
    /// agencies, and the batches of an import or a receive share most of them. Whoever keeps one
    /// across batches lets ``reindex`` forget the agencies each batch changed.
    package final class AgencyRowCache {
        private var rows: [String: AgencyRow?] = [:]

        package init() {}

        func forget(_ ids: Set<UUID>) {
            for id in ids { rows[id.lowercasedString] = nil }
        }

        fileprivate func row(_ id: String, in db: Database) throws -> AgencyRow? {
            if let known = rows[id] { return known }
            let row = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT name, acronym, native_name, kind, country, parent_id FROM agency WHERE id = ?"),
                arguments: [id]
            ).map { row in
                AgencyRow(name: row[0], acronym: row[1], nativeName: row[2], kind: row[3], country: row[4], parentID: row[5])
            }
            rows[id] = row
            return row
        }
    }

    /// A contact created in the current transaction, with what its entry needs: its values as
    /// saved, its row's local id, and what its channels and roles created with it add. The caller
    /// makes one only while no other change touched the contact, its channels or its roles.
    package struct CreatedPerson: Sendable {
        package var localID: Int64
        var agencyID: UUID
        var text: PersonText
        package var has24x7Channel = false
        package var roles: [Role] = []

        init(person: Person, localID: Int64) {
            self.localID = localID
            agencyID = person.agencyID
            text = PersonText(
                givenName: person.givenName, familyName: person.familyName, nativeName: person.nativeName, position: person.position,
                rank: person.rank, languages: person.languages)
        }

        /// A contact as a received creation carries it, its local id still to be set; nil if its
        /// agency is not named in canonical text, which only the tables' joins can follow.
        package init?(creation groups: FieldGroups) {
            func field(_ name: String) -> FieldValue? {
                for group in groups.groups { if let value = group[name] { return value } }
                return nil
            }
            func text(_ name: String) -> String? {
                if case .text(let value) = field(name) { value } else { nil }
            }
            guard let agencyID = text("agency_id").flatMap(UUID.init(canonicalText:)) else { return nil }
            localID = 0
            self.agencyID = agencyID
            let languages: [String] = if case .list(let items) = field("languages") { items } else { [] }
            self.text = PersonText(
                givenName: text("given_name"), familyName: text("family_name"), nativeName: text("native_name"),
                position: text("position"), rank: text("rank"), languages: languages)
        }
    }

    package typealias Role = (area: CrimeArea?, function: FocalFunction)

    /// Records read per reindex query.
    private static let chunkSize = 500

    /// The ids as a JSON array, for `IN (SELECT value FROM json_each(?))`.
    private static func jsonArray(_ ids: ArraySlice<UUID>) -> String {
        "[" + ids.map { "\"" + $0.lowercasedString + "\"" }.joined(separator: ",") + "]"
    }

    /// The rows `select` reads for `ids` (its first three columns: id, local id, deleted), a chunk
    /// at a time, with their index row ids; deleted ones are not returned. Every stored record of
    /// `ids` that may be indexed is added to `stale`, also one that `select` no longer finds (a
    /// contact whose agency this node does not hold), so no old entry outlives it.
    private static func liveRows(
        _ select: Statement, table: String, ids: [UUID], unindexed: Set<UUID>, stale: inout [Int64], rowID: (Int64) -> Int64, in db: Database
    ) throws -> [(Int64, Row)] {
        var live: [(Int64, Row)] = []
        let localIDs = try db.cachedStatement(sql: "SELECT id, local_id FROM \(table) WHERE id IN (SELECT value FROM json_each(?))")
        for start in stride(from: 0, to: ids.count, by: chunkSize) {
            let slice = ids[start..<min(start + chunkSize, ids.count)]
            let chunk = jsonArray(slice)
            // Records created in this batch have no entry yet: imports need not look.
            if !slice.allSatisfy(unindexed.contains) {
                for row in try Row.fetchAll(localIDs, arguments: [chunk]) where !(UUID(uuidString: row[0]).map(unindexed.contains) ?? false) {
                    stale.append(rowID(row[1]))
                }
            }
            for row in try Row.fetchAll(select, arguments: [chunk]) where row[2] == false {
                live.append((rowID(row[1]), row))
            }
        }
        return live
    }

    private static func readPersons(_ ids: [UUID], unindexed: Set<UUID>, entries: inout [Entry], stale: inout [Int64], in db: Database) throws {
        // Columns are read by position: this runs for every contact of an import.
        let select = try db.cachedStatement(sql: """
            SELECT p.id, p.local_id, p.deleted, p.given_name, p.family_name, p.native_name, p.position, p.rank, p.languages,
              a.name, a.acronym, a.native_name, a.kind, a.country, parent.name, parent.acronym,
              EXISTS (SELECT 1 FROM channel c WHERE c.person_id = p.id AND c.deleted = 0 AND c.is_24x7 = 1),
              (SELECT group_concat(coalesce(d.crime_area, '') || ' ' || d.function, ',') FROM designation d
                WHERE d.person_id = p.id AND d.deleted = 0)
            FROM person p JOIN agency a ON a.id = p.agency_id LEFT JOIN agency parent ON parent.id = a.parent_id
            WHERE p.id IN (SELECT value FROM json_each(?))
            """)
        for (rowID, row) in try liveRows(select, table: "person", ids: ids, unindexed: unindexed, stale: &stale, rowID: rowID(person:), in: db) {
            let agency = AgencyRow(name: row[9], acronym: row[10], nativeName: row[11], kind: row[12], country: row[13])
            // Only the parent's names are indexed.
            let parent = AgencyRow(name: row[14], acronym: row[15], nativeName: nil, kind: "", country: "")
            let text = PersonText(
                givenName: row[3], familyName: row[4], nativeName: row[5], position: row[6], rank: row[7],
                languages: JSONStringArray.decode(row[8] ?? "[]"))
            entries.append(Entry(PersonSource(
                localID: rowID / 2, text: text, agency: agency, parent: parent, has24x7Channel: row[16], roles: Self.roles(row[17]))))
        }
    }

    private static func readAgencies(_ ids: [UUID], unindexed: Set<UUID>, entries: inout [Entry], stale: inout [Int64], in db: Database) throws {
        let select = try db.cachedStatement(sql: """
            SELECT a.id, a.local_id, a.deleted, a.name, a.native_name, a.acronym, a.kind, a.country,
              c.name, parent.name, parent.acronym,
              EXISTS (SELECT 1 FROM channel ch WHERE ch.agency_id = a.id AND ch.deleted = 0 AND ch.is_24x7 = 1),
              (SELECT group_concat(coalesce(d.crime_area, '') || ' ' || d.function, ',') FROM designation d
                WHERE d.agency_id = a.id AND d.deleted = 0)
            FROM agency a JOIN country c ON c.code = a.country LEFT JOIN agency parent ON parent.id = a.parent_id
            WHERE a.id IN (SELECT value FROM json_each(?))
            """)
        for (rowID, row) in try liveRows(select, table: "agency", ids: ids, unindexed: unindexed, stale: &stale, rowID: rowID(agency:), in: db) {
                let names: [String?] = [row[3], row[4], row[5]]
                let name = names.compactMap { $0 }.map(SearchText.fold).joined(separator: " ")
                // The country's name lets type-ahead such as "mold" find Moldova's agencies.
                let parentText: [String?] = [row[8], row[9], row[10]]
                var other = parentText.compactMap { $0 }
                let kind: String = row[6]
                var facets = [facet("cc", row[7]), facet("kind", kind), "xagency"]
                let roles = Self.roles(row[12])
                addRoles(roles, other: &other, facets: &facets)
                if row[11] || roles.contains(where: { $0.function == .contact24x7 }) { facets.append("x24x7") }
                entries.append(Entry(rowID: rowID, name: name, other: other, facets: facets))
        }
    }

    /// Roles as the reindex queries list them: `crime-area function` pairs separated by commas, an
    /// empty crime area for a role across all crime areas.
    private static func roles(_ text: String?) -> [Role] {
        (text ?? "").split(separator: ",").compactMap { pair in
            let parts = pair.split(separator: " ", omittingEmptySubsequences: false)
            guard parts.count == 2, let function = FocalFunction(rawValue: String(parts[1])) else { return nil }
            return (CrimeArea(rawValue: String(parts[0])), function)
        }
    }

    /// A designation's facets: its crime area (`all` for a role across crime areas), its function,
    /// and the pair, so that a search for a function in a crime area needs both in the same role.
    private static func addRoles(_ roles: [Role], other: inout [String], facets: inout [String]) {
        for role in roles {
            guard let terms = roleTerms[role.area]?[role.function] else { continue }
            if let area = terms.area { other.append(area) }
            facets += terms.facets
        }
    }

    /// What each pair of crime area (nil: all) and function adds: the area as words, folded, and
    /// facets.
    private static let roleTerms: [CrimeArea?: [FocalFunction: (area: String?, facets: [String])]] = {
        var terms: [CrimeArea?: [FocalFunction: (area: String?, facets: [String])]] = [:]
        for crimeArea in [nil] + CrimeArea.allCases.map(Optional.some) {
            let area = crimeArea?.rawValue ?? "all"
            for function in FocalFunction.allCases {
                terms[crimeArea, default: [:]][function] = (
                    crimeArea.map { SearchText.fold(String($0.rawValue.map { $0 == "-" ? " " : $0 })) },
                    [facet("area", area), facet("fn", function.rawValue), facet("role", area + function.rawValue)])
            }
        }
        return terms
    }()
}

// Outside the struct, so that its memberwise initialiser stays.
extension SearchIndex.PersonSource {
    init(_ created: SearchIndex.CreatedPerson, agency: SearchIndex.AgencyRow, parent: SearchIndex.AgencyRow?) {
        self.init(
            localID: created.localID, text: created.text, agency: agency, parent: parent, has24x7Channel: created.has24x7Channel,
            roles: created.roles)
    }
}
