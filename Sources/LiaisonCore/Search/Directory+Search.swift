public import Foundation
import GRDB
import Synchronization

/// A search over persons and agencies.
public struct SearchQuery: Sendable, Hashable {
    public var text: String
    public var country: String?
    public var kind: AgencyKind?
    public var crimeArea: CrimeArea?
    public var function: FocalFunction?
    /// BCP 47 tags; matches contacts who speak any of them (by primary language subtag).
    public var languages: [String]
    public var only24x7: Bool
    public var limit: Int

    public init(
        _ text: String, country: String? = nil, kind: AgencyKind? = nil, crimeArea: CrimeArea? = nil,
        function: FocalFunction? = nil, languages: [String] = [], only24x7: Bool = false, limit: Int = 20
    ) {
        self.text = text
        self.country = country
        self.kind = kind
        self.crimeArea = crimeArea
        self.function = function
        self.languages = languages
        self.only24x7 = only24x7
        self.limit = limit
    }
}

/// One search result.
public struct SearchHit: Sendable, Hashable, Codable {
    /// How the query matched, best first.
    public enum Match: String, Sendable, Codable, Comparable {
        /// Every word of the query is a whole word of the name.
        case name
        /// Every word of the query starts a word of the name.
        case namePrefix = "name-prefix"
        /// The query matched other fields: position, agency, crime areas.
        case other

        private var rank: Int { self == .name ? 0 : self == .namePrefix ? 1 : 2 }
        public static func < (lhs: Match, rhs: Match) -> Bool { lhs.rank < rhs.rank }
    }

    public var entity: Entity
    public var id: UUID
    public var name: String
    public var nativeName: String?
    public var position: String?
    public var agency: String?
    public var country: String
    public var match: Match
    /// The number to call: a phone or mobile staffed 24/7 if there is one, else the first phone,
    /// else the first mobile.
    public var phone: String?
    public var email: String?
    /// The first secure mailbox, as "SYSTEM: address" when its system is known.
    public var secureChannel: String?
    /// Whether it is reachable around the clock: a channel staffed 24/7 (then ``phone``, if it is a
    /// phone), or a role as 24/7 point of contact, as the search's 24/7 filter counts it.
    public var is24x7: Bool = false
}

extension Directory {
    /// Finds persons and agencies whose names, positions, agencies or crime areas match every word of
    /// the query, in any script, case and accents; each word may be the start of a word.
    ///
    /// Results are ranked: whole-word name matches, then name prefixes, then other fields; within each,
    /// by BM25. A query that names a country ("mold", "Moldova", "MD") also finds that country's
    /// contacts and agencies, after those.
    public func search(_ query: SearchQuery) throws(LiaisonError) -> [SearchHit] {
        try searchNamingCountries(query).hits
    }

    /// ``search(_:)``, and the countries the query names (``countries(namedIn:)``; none when the
    /// query has a country filter), whose pages a caller may offer first.
    public func searchNamingCountries(_ query: SearchQuery) throws(LiaisonError) -> (hits: [SearchHit], countries: [Country]) {
        let named = query.country == nil ? try countries(namedIn: query.text) : []
        return (try search(query, named: named), named)
    }

    private func search(_ query: SearchQuery, named: [Country]) throws(LiaisonError) -> [SearchHit] {
        let words = Array(SearchText.queryWords(query.text).prefix(12))
        var facets: [String] = []
        func anyOf(_ tokens: [String]) -> String { "(" + tokens.map { "\"\($0)\"" }.joined(separator: " OR ") + ")" }
        if let country = query.country { facets.append(anyOf([SearchIndex.facet("cc", try self.country(country).code)])) }
        if let kind = query.kind { facets.append(anyOf([SearchIndex.facet("kind", kind.rawValue)])) }
        // A role for all crime areas answers a search for any one of them.
        switch (query.crimeArea, query.function) {
        case (let area?, let function?):
            facets.append(anyOf([SearchIndex.facet("role", area.rawValue + function.rawValue), SearchIndex.facet("role", "all" + function.rawValue)]))
        case (let area?, nil):
            facets.append(anyOf([SearchIndex.facet("area", area.rawValue), SearchIndex.facet("area", "all")]))
        case (nil, let function?):
            facets.append(anyOf([SearchIndex.facet("fn", function.rawValue)]))
        case (nil, nil):
            break
        }
        if !query.languages.isEmpty {
            let reference = try referenceData()
            var primaries: [String] = []
            for language in query.languages {
                let tag = try reference.languageTag(language, field: "language")
                primaries.append(SearchIndex.facet("lang", String(tag.split(separator: "-").first ?? "")))
            }
            facets.append(anyOf(primaries))
        }
        if query.only24x7 { facets.append(anyOf(["x24x7"])) }
        guard !words.isEmpty || !facets.isEmpty else { return [] }

        let facetFilter = facets.isEmpty ? "" : "facets : (\(facets.joined(separator: " AND ")))"
        let limit = max(1, min(query.limit, 1000))
        // Tiers, best first. Each runs only while results are missing, so a query with enough whole-name
        // matches never pays for the broader scans. Whole-name matches are few and ranked by BM25; the
        // broad tiers stop at the limit in index order.
        let tiers: [(match: SearchHit.Match, expression: String, ranked: Bool)]
        if words.isEmpty {
            tiers = [(.other, facetFilter, false)]
        } else {
            // Each word in any of its spellings; every word.
            let exact = words.map { "(" + $0.map { "\"\($0)\"" }.joined(separator: " OR ") + ")" }.joined(separator: " AND ")
            let prefix = words.map { "(" + $0.map { "\"\($0)\"*" }.joined(separator: " OR ") + ")" }.joined(separator: " AND ")
            let filter = facetFilter.isEmpty ? "" : " AND " + facetFilter
            // With filters, other fields are tried with whole words first: the filters' long lists make
            // a prefix scan, which expands to every word the prefix starts, ten times as costly.
            let otherExact: [(match: SearchHit.Match, expression: String, ranked: Bool)] =
                filter.isEmpty ? [] : [(.other, "{name other} : (\(exact))\(filter)", false)]
            tiers = [
                (.name, "name : (\(exact))\(filter)", true),
                (.namePrefix, "name : (\(prefix))\(filter)", false),
            ] + otherExact + [(.other, "{name other} : (\(prefix))\(filter)", false)]
                + (countryTier(named, words: words, filter: filter).map { [(match: SearchHit.Match.other, expression: $0, ranked: false)] } ?? [])
        }
        // A query of several words is most often a full name, which few rows match: the broadest
        // tier alone then finds them all, and they are ranked here in one query.
        let broad = words.count > 1 && facetFilter.isEmpty && named.isEmpty ? tiers.last?.expression : nil
        return try read { db in
            if let broad, let nameTier = tiers.first?.expression,
                let found = try Self.fewMatches(broad: broad, names: nameTier, words: words, limit: limit, in: db) {
                return try Self.hits(found, in: db)
            }
            // Retired duplicates are in the index and left out of the hits: each tier reads that many
            // more rows, so that a full page of results still comes back.
            let retired = try Int.fetchOne(db.cachedStatement(sql: "SELECT count(*) FROM retired_record")) ?? 0
            var found: [(rowID: Int64, match: SearchHit.Match)] = []
            var seen = Set<Int64>()
            for tier in tiers where found.count < limit + retired {
                let sql = "SELECT rowid FROM search_index WHERE search_index MATCH ?\(tier.ranked ? " ORDER BY rank" : "") LIMIT ?"
                let rowIDs = try Int64.fetchAll(db.cachedStatement(sql: sql), arguments: [tier.expression, limit + retired + seen.count])
                for rowID in rowIDs where found.count < limit + retired && seen.insert(rowID).inserted {
                    found.append((rowID, tier.match))
                }
            }
            return Array(try Self.hits(found, in: db).prefix(limit))
        }
    }

    /// Every row matching the broadest tier, ranked as the tiers rank them, when there are no more
    /// than `limit`; nil when there are more, for the tiers to find the best of them.
    ///
    /// Whole-name matches are ordered by the name tier's own ranked query when there is more than
    /// one; name-prefix and other matches come in index order, as the unranked tiers return them.
    private static func fewMatches(
        broad: String, names nameTier: String, words: [[String]], limit: Int, in db: Database
    ) throws -> [(rowID: Int64, match: SearchHit.Match)]? {
        let rows = try Row.fetchAll(
            db.cachedStatement(sql: "SELECT rowid, name FROM search_index WHERE search_index MATCH ? LIMIT ?"), arguments: [broad, limit + 1])
        guard rows.count <= limit else { return nil }
        var byMatch: [SearchHit.Match: [Int64]] = [:]
        for row in rows { byMatch[match(words, name: row[1] ?? ""), default: []].append(row[0]) }
        var names = byMatch[.name] ?? []
        if names.count > 1 {
            let ranked = try Int64.fetchAll(
                db.cachedStatement(sql: "SELECT rowid FROM search_index WHERE search_index MATCH ? ORDER BY rank LIMIT ?"), arguments: [nameTier, limit])
            names = ranked + names.filter { !ranked.contains($0) }
        }
        let named = Set(names)
        return names.map { ($0, .name) }
            + (byMatch[.namePrefix] ?? []).filter { !named.contains($0) }.sorted().map { ($0, .namePrefix) }
            + (byMatch[.other] ?? []).filter { !named.contains($0) }.sorted().map { ($0, .other) }
    }

    /// How a row's indexed name answers the query words, as the tiers' expressions would find it:
    /// every word, in one of its spellings, as whole tokens of the name, or as their starts.
    static func match(_ words: [[String]], name: String) -> SearchHit.Match {
        // The name column holds folded text already: it is split as FTS5 splits it.
        let tokens = SearchText.words(ofFolded: name)
        func contains(_ spelling: String, prefix: Bool) -> Bool {
            let phrase = spelling.split(separator: " ")
            guard !phrase.isEmpty, phrase.count <= tokens.count else { return false }
            return (0...(tokens.count - phrase.count)).contains { start in
                phrase.indices.allSatisfy { index in
                    let token = tokens[start + index]
                    // A prefix phrase's last token is a prefix; the others are whole, as in FTS5.
                    return prefix && index == phrase.count - 1 ? token.hasPrefix(phrase[index]) : token == phrase[index]
                }
            }
        }
        if words.allSatisfy({ $0.contains { contains($0, prefix: false) } }) { return .name }
        if words.allSatisfy({ $0.contains { contains($0, prefix: true) } }) { return .namePrefix }
        return .other
    }

    /// The countries a query names: a word that is a country's alpha-2 or alpha-3 code in capitals
    /// ("MD", "MDA"), a word of its name ("Moldova"), or the start of one, of at least four letters,
    /// that is not also a whole word of a contact's or agency's name ("mold"; not "maria", which
    /// starts "Mariana"). Words that many countries' names share ("republic", "islands") name none.
    public func countries(namedIn text: String) throws(LiaisonError) -> [Country] {
        let words = text.split(whereSeparator: \.isWhitespace).prefix(12).map(String.init)
        guard !words.isEmpty else { return [] }
        let table = try countryTable()
        var found: Set<Int> = []
        for word in words {
            var matches: Set<Int> = []
            if word.count <= 3, word == word.uppercased(), let coded = table.byCode[word] { matches.insert(coded) }
            let folded = SearchText.tokens(word)
            if folded.count == 1, folded[0].count >= 4, folded[0].allSatisfy(\.isLetter), !Self.genericCountryWords.contains(folded[0]) {
                if let named = table.byWord[folded[0]] {
                    matches.formUnion(named)
                } else {
                    let started = Set(table.byWord.filter { $0.key.hasPrefix(folded[0]) }.values.joined())
                    if !started.isEmpty, try !isWholeNameWord(folded[0]) { matches.formUnion(started) }
                }
            }
            if matches.count <= 3 { found.formUnion(matches) }
        }
        return found.map { table.countries[$0] }.sorted { $0.name < $1.name }
    }

    /// The countries, by their alpha-2 and alpha-3 codes, and by the folded words of their names that
    /// can name them, as positions in `countries`: read once per process, without the rest of the
    /// reference data, so that a search stays quick to start.
    private func countryTable() throws(LiaisonError) -> CountryTable {
        if let table = Self.countryTableCache.withLock({ $0 }) { return table }
        let countries = try read { db in try Country.fetchAll(db, sql: "SELECT * FROM country ORDER BY code") }
        var table = CountryTable(countries: countries)
        for (index, country) in countries.enumerated() {
            table.byCode[country.code] = index
            table.byCode[country.alpha3] = index
            for word in Set(SearchText.tokens(country.name)) where word.count >= 4 && !Self.genericCountryWords.contains(word) {
                table.byWord[word, default: []].append(index)
            }
        }
        Self.countryTableCache.withLock { $0 = table }
        return table
    }

    private struct CountryTable {
        var countries: [Country]
        var byCode: [String: Int] = [:]
        var byWord: [String: [Int]] = [:]
    }

    private static let countryTableCache = Mutex<CountryTable?>(nil)

    private static let genericCountryWords: Set<String> = [
        "republic", "islands", "island", "united", "states", "state", "federation", "democratic", "peoples", "kingdom",
        "saint", "sint", "north", "south", "northern", "southern", "east", "west", "central", "plurinational", "bolivarian",
        "islamic", "federated", "territory", "territories", "outlying", "minor", "province", "arab", "holy", "french", "british",
    ]

    /// Whether a word is a whole word of some contact's or agency's name.
    private func isWholeNameWord(_ word: String) throws(LiaisonError) -> Bool {
        try read { db in
            try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM search_index WHERE search_index MATCH ?)", arguments: ["name : \"\(word)\""]) ?? false
        }
    }

    /// The tier that finds the named countries' contacts and agencies: the query's other words, as
    /// starts of words, in their country.
    private func countryTier(_ countries: [Country], words: [[String]], filter: String) -> String? {
        guard !countries.isEmpty else { return nil }
        let countryWords = Set(countries.flatMap { SearchText.tokens($0.name) + [$0.code.lowercased(), $0.alpha3.lowercased()] })
        let rest = words.filter { spellings in !spellings.contains { spelling in countryWords.contains { $0.hasPrefix(spelling) } } }
        let inCountry = "facets : (" + countries.map { "\"\(SearchIndex.facet("cc", $0.code))\"" }.joined(separator: " OR ") + ")"
        guard !rest.isEmpty else { return inCountry + filter }
        let prefix = rest.map { "(" + $0.map { "\"\($0)\"*" }.joined(separator: " OR ") + ")" }.joined(separator: " AND ")
        return "{name other} : (\(prefix)) AND \(inCountry)\(filter)"
    }

    /// The hits for index rows, in their order: one query for the persons, one for the agencies.
    private static func hits(_ found: [(rowID: Int64, match: SearchHit.Match)], in db: Database) throws -> [SearchHit] {
        let personIDs = found.filter { $0.rowID % 2 == 0 }.map { $0.rowID / 2 }
        let agencyIDs = found.filter { $0.rowID % 2 == 1 }.map { $0.rowID / 2 }
        var byRowID: [Int64: (Row, Entity)] = [:]
        if !personIDs.isEmpty {
            // One prepared statement for any number of hits: a statement made for each search's ids
            // costs as much as the search.
            for row in try Row.fetchAll(db.cachedStatement(sql: """
                SELECT p.local_id, p.id, p.given_name, p.family_name, p.native_name, p.position, a.name AS agency_name, a.country
                FROM person p JOIN agency a ON a.id = p.agency_id WHERE p.local_id IN (SELECT value FROM json_each(?)) AND p.id NOT IN (SELECT id FROM retired_record)
                """), arguments: ["[" + personIDs.map(String.init).joined(separator: ",") + "]"]) {
                byRowID[SearchIndex.rowID(person: row["local_id"])] = (row, .person)
            }
        }
        if !agencyIDs.isEmpty {
            for row in try Row.fetchAll(db.cachedStatement(sql: """
                SELECT a.local_id, a.id, a.name, a.native_name, a.country, parent.name AS agency_name
                FROM agency a LEFT JOIN agency parent ON parent.id = a.parent_id WHERE a.local_id IN (SELECT value FROM json_each(?)) AND a.id NOT IN (SELECT id FROM retired_record)
                """), arguments: ["[" + agencyIDs.map(String.init).joined(separator: ",") + "]"]) {
                byRowID[SearchIndex.rowID(agency: row["local_id"])] = (row, .agency)
            }
        }
        let owners = byRowID.values.map { $0.0["id"] as String }
        let reach = try Self.reach(of: owners, in: db)
        let roundTheClockByRole = try Self.roundTheClockByRole(owners, in: db)
        return found.compactMap { rowID, match in
            guard let (row, entity) = byRowID[rowID], let id = row.uuid("id") else { return nil }
            let name: String
            if entity == .person {
                let latin = [row["given_name"], row["family_name"]].compactMap { $0 as String? }.joined(separator: " ")
                name = latin.isEmpty ? row["native_name"] ?? "" : latin
            } else {
                name = row["name"]
            }
            let channels = reach[row["id"] as String] ?? []
            let secure = channels.first { $0.kind == .secureMailbox }
            return SearchHit(
                entity: entity, id: id, name: name, nativeName: row["native_name"], position: entity == .person ? row["position"] : nil,
                agency: row["agency_name"], country: row["country"], match: match,
                phone: (channels.first { ($0.kind == .phone || $0.kind == .mobile) && $0.is24x7 } ?? channels.first { $0.kind == .phone }
                    ?? channels.first { $0.kind == .mobile })?.value,
                email: channels.first { $0.kind == .email }?.value,
                secureChannel: secure.map { channel in channel.label.map { "\($0): \(channel.value)" } ?? channel.value },
                is24x7: channels.contains(where: \.is24x7) || roundTheClockByRole.contains(row["id"] as String))
        }
    }

    /// A channel as a hit shows it.
    struct Reach {
        var kind: ChannelKind?
        var value: String
        var label: String?
        var is24x7: Bool
    }

    /// The live channels of these contacts and agencies, each owner's in order of preference: one
    /// query, of the columns a hit shows.
    private static func reach(of owners: [String], in db: Database) throws -> [String: [Reach]] {
        guard !owners.isEmpty else { return [:] }
        let list = "[" + owners.map { "\"\($0)\"" }.joined(separator: ",") + "]"
        var reach: [String: [Reach]] = [:]
        let rows = try Row.fetchCursor(db.cachedStatement(sql: """
            SELECT coalesce(person_id, agency_id) AS owner, kind, value, label, is_24x7 FROM (
              SELECT * FROM channel WHERE deleted = 0 AND person_id IN (SELECT value FROM json_each(?1))
              UNION ALL SELECT * FROM channel WHERE deleted = 0 AND agency_id IN (SELECT value FROM json_each(?1)))
            ORDER BY preference, local_id
            """), arguments: [list])
        while let row = try rows.next() {
            reach[row["owner"], default: []].append(Reach(
                kind: (row["kind"] as String?).flatMap(ChannelKind.init(rawValue:)), value: row["value"], label: row["label"], is24x7: row["is_24x7"]))
        }
        return reach
    }

    /// Those of these contacts and agencies that hold a live role as 24/7 point of contact.
    private static func roundTheClockByRole(_ owners: [String], in db: Database) throws -> Set<String> {
        guard !owners.isEmpty else { return [] }
        let list = "[" + owners.map { "\"\($0)\"" }.joined(separator: ",") + "]"
        return Set(try String.fetchAll(db.cachedStatement(sql: """
            SELECT person_id FROM designation WHERE deleted = 0 AND function = ?2 AND person_id IN (SELECT value FROM json_each(?1))
            UNION SELECT agency_id FROM designation WHERE deleted = 0 AND function = ?2 AND agency_id IN (SELECT value FROM json_each(?1))
            """), arguments: [list, FocalFunction.contact24x7.rawValue]))
    }
}
