public import Foundation
package import GRDB

/// Two contacts or two agencies that look like one record, and why.
public struct DuplicatePair: Sendable, Hashable, Codable {
    public enum Reason: String, Sendable, Hashable, Codable, Comparable {
        /// The same folded name in the same agency, or an agency of the same name in one country.
        case sameName = "same name"
        /// Names that read alike once transliterated ("Popescu", "Попеску") in one agency.
        case similarName = "similar name"
        case sharedPhone = "shared phone"
        case sharedEmail = "shared e-mail"
        case sharedSecureMailbox = "shared secure mailbox"

        public static func < (lhs: Reason, rhs: Reason) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    /// One side of the pair.
    public struct Side: Sendable, Hashable, Codable {
        public var id: UUID
        public var name: String
        /// The contact's agency, or the agency's country.
        public var context: String
        /// The steward's node id in hex.
        public var steward: String
        /// The steward as the roster knows it: "this node", or its name and agency.
        public var stewardName: String
    }

    /// `.person` or `.agency`.
    public var kind: Entity
    /// The side with the smaller id first.
    public var first: Side
    public var second: Side
    public var reasons: [Reason]
    /// "Same" decisions on the pair that are waiting for the retired record's steward.
    public var proposals: [DuplicateDecision]
}

extension Directory {
    /// The likely duplicate contacts and agencies, most certain first. Pairs decided "not a
    /// duplicate" and records already retired into another are left out.
    public func likelyDuplicates() throws(LiaisonError) -> [DuplicatePair] {
        let node = node.id.hex
        return try read { db in try DuplicateFinder(db: db, node: node).pairs() }
    }
}

/// Finds likely duplicates by keys: one per name spelling, per transliterated name and per
/// contact value. Records sharing a key are pairs.
package struct DuplicateFinder {
    let db: Database
    let node: String

    package init(db: Database, node: String) {
        self.db = db
        self.node = node
    }

    /// A contact value held by more records than this is a switchboard or a shared mailbox, not a sign
    /// that they are one.
    static let sharedValueLimit = 3

    /// A name held by more records than this in one place ("Duty Officer", "Unit 1") is a
    /// placeholder or a common name, not a sign that they are one.
    static let crowdedNameLimit = 8

    /// Records created after these local row ids: the pairs that involve one are new.
    package struct NewRecords {
        package var person: Int64
        package var agency: Int64

        /// The last row ids of the tables now.
        package init(in db: Database) throws {
            person = try Int64.fetchOne(db, sql: "SELECT coalesce(max(local_id), 0) FROM person") ?? 0
            agency = try Int64.fetchOne(db, sql: "SELECT coalesce(max(local_id), 0) FROM agency") ?? 0
        }
    }

    /// Every likely pair, or with `involving` only those that involve a record created since: then
    /// only the agencies, countries and contact values of the new records are read.
    package func pairs(involving new: NewRecords? = nil) throws -> [DuplicatePair] {
        var found: [PairKey: Set<DuplicatePair.Reason>] = [:]
        // SQLite groups the records by key, in bounded memory; only groups of two or more come back.
        db.add(function: Self.nameKeyFunction)
        db.add(function: Self.soundKeyFunction)
        defer {
            db.remove(function: Self.nameKeyFunction)
            db.remove(function: Self.soundKeyFunction)
        }
        func add(_ kind: Entity, _ reason: DuplicatePair.Reason, limit: Int, _ sql: String) throws {
            let groups = try String.fetchCursor(db, sql: sql + " HAVING count(DISTINCT id) BETWEEN 2 AND \(limit)")
            while let group = try groups.next() {
                let ids = Array(Set(group.split(separator: ",").map(String.init))).sorted()
                for (index, first) in ids.enumerated() {
                    for second in ids[(index + 1)...] { found[PairKey(kind: kind, first: first, second: second), default: []].insert(reason) }
                }
            }
        }
        let personScope = new.map { " AND agency_id IN (SELECT agency_id FROM person WHERE local_id > \($0.person))" } ?? ""
        let agencyScope = new.map { " AND country IN (SELECT country FROM agency WHERE local_id > \($0.agency))" } ?? ""
        let valueScope = new.map {
            " AND lower(c.value) IN (SELECT lower(value) FROM channel WHERE person_id IN (SELECT id FROM person WHERE local_id > \($0.person)) OR agency_id IN (SELECT id FROM agency WHERE local_id > \($0.agency)))"
        } ?? ""
        let livePersons = "SELECT id, agency_id, trim(coalesce(given_name, '') || ' ' || coalesce(family_name, '')) AS latin, native_name FROM person WHERE deleted = 0 AND id NOT IN (SELECT id FROM retired_record)\(personScope)"
        let personNames = "SELECT id, agency_id, latin AS name FROM (\(livePersons)) WHERE latin <> '' UNION ALL SELECT id, agency_id, native_name FROM (\(livePersons)) WHERE native_name <> ''"
        try add(.person, .sameName, limit: Self.crowdedNameLimit, "SELECT group_concat(id) FROM (\(personNames)) GROUP BY agency_id, liaison_name_key(name)")
        try add(.person, .similarName, limit: Self.crowdedNameLimit, "SELECT group_concat(id) FROM (\(personNames)) GROUP BY agency_id, liaison_sound_key(name)")
        // Units of different agencies may share a name ("Trafficking Unit"): only those of one
        // parent, or agencies of one country, are compared.
        let agencyNames = """
            SELECT id, country, parent_id, name FROM agency WHERE deleted = 0 AND id NOT IN (SELECT id FROM retired_record)\(agencyScope)
            UNION ALL SELECT id, country, parent_id, native_name FROM agency WHERE deleted = 0 AND native_name <> '' AND id NOT IN (SELECT id FROM retired_record)\(agencyScope)
            """
        try add(.agency, .sameName, limit: Self.crowdedNameLimit, "SELECT group_concat(id) FROM (\(agencyNames)) GROUP BY country, parent_id, liaison_name_key(name)")
        for (family, kinds, reason) in [
            ("phone", "'phone', 'mobile', 'fax'", DuplicatePair.Reason.sharedPhone), ("email", "'email'", .sharedEmail),
            ("secure", "'secure-mailbox'", .sharedSecureMailbox),
        ] {
            _ = family
            for (kind, column) in [(Entity.person, "person_id"), (.agency, "agency_id")] {
                try add(kind, reason, limit: Self.sharedValueLimit, """
                    SELECT group_concat(id) FROM (
                      SELECT c.\(column) AS id, lower(c.value) AS value FROM channel c JOIN \(kind.table) r ON r.id = c.\(column)
                      WHERE c.deleted = 0 AND c.kind IN (\(kinds)) AND r.deleted = 0 AND r.id NOT IN (SELECT id FROM retired_record)\(valueScope))
                    GROUP BY value
                    """)
            }
        }

        let decisions = try DuplicateDecision.fetchAll(db, sql: """
            SELECT * FROM duplicate_decision WHERE deleted = 0 AND kind IN ('person', 'agency') AND verdict IN ('same', 'distinct')
            """)
        var settled: Set<PairKey> = []
        var proposals: [PairKey: [DuplicateDecision]] = [:]
        for decision in decisions {
            let key = PairKey(kind: decision.kind, decision.recordID.lowercasedString, decision.otherID.lowercasedString)
            if decision.verdict == .distinct { settled.insert(key) } else { proposals[key, default: []].append(decision) }
        }
        let stewards = try stewardNames()
        func side(_ id: String, kind: Entity) throws -> DuplicatePair.Side? {
            let sql = kind == .person
                ? "SELECT p.given_name, p.family_name, p.native_name, p.steward, a.name AS context FROM person p LEFT JOIN agency a ON a.id = p.agency_id WHERE p.id = ?"
                : "SELECT name, steward, country AS context FROM agency WHERE id = ?"
            guard let row = try Row.fetchOne(db.cachedStatement(sql: sql), arguments: [id]) else { return nil }
            let name: String = kind == .person
                ? [row["given_name"] as String?, row["family_name"]].compactMap { $0 }.joined(separator: " ").nonEmpty ?? row["native_name"] ?? ""
                : row["name"]
            let steward: String = row["steward"]
            return DuplicatePair.Side(
                id: UUID(uuidString: id) ?? UUID(), name: name, context: row["context"] ?? "", steward: steward,
                stewardName: stewards[steward] ?? "node \(steward.prefix(8))")
        }
        if let new {
            let created = Set(try String.fetchAll(db, sql: """
                SELECT id FROM person WHERE local_id > ? UNION ALL SELECT id FROM agency WHERE local_id > ?
                """, arguments: [new.person, new.agency]))
            found = found.filter { created.contains($0.key.first) || created.contains($0.key.second) }
        }
        var pairs: [DuplicatePair] = []
        for (key, reasons) in found where !settled.contains(key) {
            guard let first = try side(key.first, kind: key.kind), let second = try side(key.second, kind: key.kind) else { continue }
            pairs.append(DuplicatePair(kind: key.kind, first: first, second: second, reasons: reasons.sorted(), proposals: proposals[key] ?? []))
        }
        // Sure signs first, then by kind and name.
        return pairs.sorted {
            ($0.reasons.count, $1.kind.rawValue, $1.first.name, $1.first.id.lowercasedString)
                > ($1.reasons.count, $0.kind.rawValue, $0.first.name, $0.first.id.lowercasedString)
        }
    }


    /// Node ids to the names an officer knows them by.
    private func stewardNames() throws -> [String: String] {
        var names = try RosterName.all(in: db).mapValues(\.shown)
        names[node] = "this node"
        return names
    }

    private static let nameKeyFunction = DatabaseFunction("liaison_name_key", argumentCount: 1, pure: true) { values in
        String.fromDatabaseValue(values[0]).map { name -> String in nameKey(name) }
    }

    private static let soundKeyFunction = DatabaseFunction("liaison_sound_key", argumentCount: 1, pure: true) { values in
        String.fromDatabaseValue(values[0]).map { name -> String in soundKey(ofNameKey: nameKey(name)) }
    }

    /// A name's words, each folded to its first Latin spelling, in sorted order: "Popescu Ion" and
    /// "ion POPESCU" have one key.
    static func nameKey(_ name: String) -> String {
        // Most names are plain ASCII: their key is made from their bytes.
        if name.utf8.allSatisfy({ $0 < 0x80 && $0 != UInt8(ascii: "'") && $0 != UInt8(ascii: "`") }) {
            return name.utf8.split(whereSeparator: { $0 == UInt8(ascii: " ") || ($0 >= 0x09 && $0 <= 0x0D) })
                .map { word in String(decoding: word.compactMap { byte -> UInt8? in
                    guard SearchText.isASCIILetterOrDigit(byte) else { return nil }
                    return (0x41...0x5A).contains(byte) ? byte + 0x20 : byte
                }, as: UTF8.self) }
                .filter { !$0.isEmpty }.sorted().joined(separator: " ")
        }
        return name.split(whereSeparator: \.isWhitespace)
            .compactMap { word -> String? in
                // The first Latin spelling, without the apostrophes and soft signs it may keep.
                let spelling = SearchText.fold(String(word)).split(separator: " ").first?.filter { $0.isLetter || $0.isNumber }
                return spelling.flatMap { $0.isEmpty ? nil : String($0) }
            }
            .sorted().joined(separator: " ")
    }

    /// A name's words reduced to how they sound, with the letters that transliterations swap made
    /// one: every vowel is "a", "c", "k" and "q" are "k", "s" and "z" are "s", "h" is silent, and a
    /// repeated sound counts once. "Popescu", "Popesku" and "Попеску" are "papaska"; "Mohammed" and
    /// "Muhammad" are "mamad"; "Olena" and "Elena" are "alana".
    static func soundKey(_ name: String) -> String { soundKey(ofNameKey: nameKey(name)) }

    static func soundKey(ofNameKey key: String) -> String {
        key.split(separator: " ").map { word -> String in
            var key: [UInt8] = []
            for byte in word.utf8 {
                let sound: UInt8? = switch byte {
                case UInt8(ascii: "a"), UInt8(ascii: "e"), UInt8(ascii: "i"), UInt8(ascii: "o"), UInt8(ascii: "u"), UInt8(ascii: "y"), UInt8(ascii: "j"):
                    UInt8(ascii: "a")
                case UInt8(ascii: "c"), UInt8(ascii: "q"): UInt8(ascii: "k")
                case UInt8(ascii: "z"): UInt8(ascii: "s")
                case UInt8(ascii: "w"): UInt8(ascii: "v")
                case UInt8(ascii: "h"): nil
                default: byte
                }
                if let sound, key.last != sound { key.append(sound) }
            }
            return String(decoding: key, as: UTF8.self)
        }.sorted().joined(separator: " ")
    }
}

extension String {
    fileprivate var nonEmpty: String? { isEmpty ? nil : self }
}

/// A pair of record ids, the smaller first.
struct PairKey: Hashable {
    let kind: Entity
    let first: String
    let second: String

    init(kind: Entity, first: String, second: String) {
        self.kind = kind
        self.first = first
        self.second = second
    }

    init(kind: Entity, _ one: String, _ other: String) {
        self.init(kind: kind, first: min(one, other), second: max(one, other))
    }
}
