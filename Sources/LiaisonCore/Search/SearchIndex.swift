import Foundation
import GRDB

/// Keeps the full-text index of persons and agencies in step with their tables.
///
/// Each indexed row holds folded names (`name`), other searchable text (`other`), and filter tokens
/// (`facets`) such as `xccmd` (country MD), `xkindpolice`, `xareatraffickinginpersons`,
/// `xfn24x7contact`, `xlangro` and `x24x7`.
enum SearchIndex {
    static func rowID(person localID: Int64) -> Int64 { localID * 2 }
    static func rowID(agency localID: Int64) -> Int64 { localID * 2 + 1 }

    static func facet(_ prefix: String, _ value: String) -> String {
        "x" + prefix + value.lowercased().filter { $0.isLetter || $0.isNumber }
    }

    /// Re-indexes the given records, and, for agencies whose names or placement changed, their units
    /// and the contacts of both, whose index text names them.
    /// `unindexed` are records known not to be in the index yet (created in this batch).
    static func reindex(persons: Set<UUID>, agencies: Set<UUID>, agenciesWithMembers: Set<UUID>, unindexed: Set<UUID> = [], in db: Database) throws {
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
        for id in agencies { try reindexAgency(id, isIndexed: !unindexed.contains(id), in: db) }
        for id in persons { try reindexPerson(id, isIndexed: !unindexed.contains(id), in: db) }
    }

    private static func reindexPerson(_ id: UUID, isIndexed: Bool, in db: Database) throws {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: """
            SELECT p.local_id, p.*, a.name AS a_name, a.acronym AS a_acronym, a.native_name AS a_native_name,
              a.kind AS a_kind, a.country AS a_country, parent.name AS parent_name, parent.acronym AS parent_acronym,
              EXISTS (SELECT 1 FROM channel c WHERE c.person_id = p.id AND c.deleted = 0 AND c.is_24x7 = 1) AS has_24x7,
              (SELECT group_concat(coalesce(d.crime_area, '') || ' ' || d.function, ',') FROM designation d
                WHERE d.person_id = p.id AND d.deleted = 0) AS roles
            FROM person p JOIN agency a ON a.id = p.agency_id LEFT JOIN agency parent ON parent.id = a.parent_id
            WHERE p.id = ?
            """), arguments: [id.lowercasedString]) else { return }
        let rowID = rowID(person: row["local_id"])
        if isIndexed { try db.cachedStatement(sql: "DELETE FROM search_index WHERE rowid = ?").execute(arguments: [rowID]) }
        let person = Person(row: row)
        guard person.isLive else { return }
        let name = [person.givenName, person.familyName, person.nativeName].compactMap { $0 }.map(SearchText.fold).joined(separator: " ")
        let agencyText: [String?] = ["a_name", "a_acronym", "a_native_name", "parent_name", "parent_acronym"].map { row[$0] }
        var other = ([person.position, person.rank] + agencyText).compactMap { $0 }
        var facets = [facet("cc", row["a_country"]), facet("kind", row["a_kind"])]
        facets += person.languages.compactMap { $0.split(separator: "-").first.map { facet("lang", String($0)) } }
        let roles = Self.roles(row["roles"])
        addRoles(roles, other: &other, facets: &facets)
        if row["has_24x7"] || roles.contains(where: { $0.function == .contact24x7 }) { facets.append("x24x7") }
        try insert(rowID: rowID, name: name, other: other, facets: facets, in: db)
    }

    private static func reindexAgency(_ id: UUID, isIndexed: Bool, in db: Database) throws {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: """
            SELECT a.local_id, a.*, c.name AS country_name, parent.name AS parent_name, parent.acronym AS parent_acronym,
              EXISTS (SELECT 1 FROM channel ch WHERE ch.agency_id = a.id AND ch.deleted = 0 AND ch.is_24x7 = 1) AS has_24x7,
              (SELECT group_concat(coalesce(d.crime_area, '') || ' ' || d.function, ',') FROM designation d
                WHERE d.agency_id = a.id AND d.deleted = 0) AS roles
            FROM agency a JOIN country c ON c.code = a.country LEFT JOIN agency parent ON parent.id = a.parent_id
            WHERE a.id = ?
            """), arguments: [id.lowercasedString]) else { return }
        let rowID = rowID(agency: row["local_id"])
        if isIndexed { try db.cachedStatement(sql: "DELETE FROM search_index WHERE rowid = ?").execute(arguments: [rowID]) }
        let agency = Agency(row: row)
        guard agency.isLive else { return }
        let name = [agency.name, agency.nativeName, agency.acronym].compactMap { $0 }.map(SearchText.fold).joined(separator: " ")
        // The country's name lets type-ahead such as "mold" find Moldova's agencies.
        let parentText: [String?] = ["country_name", "parent_name", "parent_acronym"].map { row[$0] }
        var other = parentText.compactMap { $0 }
        var facets = [facet("cc", agency.country), facet("kind", agency.kind.rawValue), "xagency"]
        let roles = Self.roles(row["roles"])
        addRoles(roles, other: &other, facets: &facets)
        if row["has_24x7"] || roles.contains(where: { $0.function == .contact24x7 }) { facets.append("x24x7") }
        try insert(rowID: rowID, name: name, other: other, facets: facets, in: db)
    }

    /// Roles as the reindex queries list them: `crime-area function` pairs separated by commas, an
    /// empty crime area for a role across all crime areas.
    private static func roles(_ text: String?) -> [(area: CrimeArea?, function: FocalFunction)] {
        (text ?? "").split(separator: ",").compactMap { pair in
            let parts = pair.split(separator: " ", omittingEmptySubsequences: false)
            guard parts.count == 2, let function = FocalFunction(rawValue: String(parts[1])) else { return nil }
            return (CrimeArea(rawValue: String(parts[0])), function)
        }
    }

    /// A designation's facets: its crime area (`all` for a role across crime areas), its function,
    /// and the pair, so that a search for a function in a crime area needs both in the same role.
    private static func addRoles(_ roles: [(area: CrimeArea?, function: FocalFunction)], other: inout [String], facets: inout [String]) {
        for role in roles {
            let area = role.area?.rawValue ?? "all"
            if let crimeArea = role.area { other.append(crimeArea.rawValue.replacingOccurrences(of: "-", with: " ")) }
            facets.append(facet("area", area))
            facets.append(facet("fn", role.function.rawValue))
            facets.append(facet("role", area + role.function.rawValue))
        }
    }

    private static func insert(rowID: Int64, name: String, other: [String], facets: [String], in db: Database) throws {
        try db.cachedStatement(sql: "INSERT INTO search_index (rowid, name, other, facets) VALUES (?, ?, ?, ?)")
            .execute(arguments: [rowID, name, other.map(SearchText.fold).joined(separator: " "), Array(Set(facets)).sorted().joined(separator: " ")])
    }
}
