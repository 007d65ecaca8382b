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

    package func pairs() throws -> [DuplicatePair] {
        var found: [PairKey: Set<DuplicatePair.Reason>] = [:]
        var sides: [String: DuplicatePair.Side] = [:]
        let stewards = try stewardNames()
        func side(_ row: Row, name: String, context: String) -> DuplicatePair.Side {
            let steward: String = row["steward"]
            return DuplicatePair.Side(
                id: row.uuid("id") ?? UUID(), name: name, context: context, steward: steward,
                stewardName: stewards[steward] ?? "node \(steward.prefix(8))")
        }
        func add(_ groups: [String: [String]], kind: Entity, reason: DuplicatePair.Reason, limit: Int = .max) {
            for ids in groups.values where ids.count > 1 && ids.count <= limit {
                let unique = Array(Set(ids)).sorted()
                for (index, first) in unique.enumerated() {
                    for second in unique[(index + 1)...] { found[PairKey(kind: kind, first: first, second: second), default: []].insert(reason) }
                }
            }
        }

        var sameName: [String: [String]] = [:]
        var similarName: [String: [String]] = [:]
        let persons = try Row.fetchCursor(db, sql: """
            SELECT p.id, p.steward, p.agency_id, p.given_name, p.family_name, p.native_name, a.name AS agency_name
            FROM person p LEFT JOIN agency a ON a.id = p.agency_id
            WHERE p.deleted = 0 AND p.id NOT IN (SELECT id FROM retired_record)
            """)
        while let row = try persons.next() {
            let id: String = row["id"]
            let agency: String = row["agency_id"]
            let latin = [row["given_name"] as String?, row["family_name"]].compactMap { $0 }.joined(separator: " ")
            let names = [latin, row["native_name"] as String? ?? ""].filter { !$0.isEmpty }
            for name in names {
                sameName[agency + "|" + Self.nameKey(name), default: []].append(id)
                similarName[agency + "|" + Self.soundKey(name), default: []].append(id)
            }
            sides[id] = side(row, name: names.first ?? "", context: row["agency_name"] ?? "")
        }
        add(sameName, kind: .person, reason: .sameName)
        add(similarName, kind: .person, reason: .similarName)

        var agencyNames: [String: [String]] = [:]
        let agencies = try Row.fetchCursor(db, sql: """
            SELECT id, steward, name, native_name, country FROM agency
            WHERE deleted = 0 AND id NOT IN (SELECT id FROM retired_record)
            """)
        while let row = try agencies.next() {
            let id: String = row["id"]
            let country: String = row["country"]
            for name in [row["name"] as String?, row["native_name"]].compactMap({ $0 }) where !name.isEmpty {
                agencyNames[country + "|" + Self.nameKey(name), default: []].append(id)
            }
            sides[id] = side(row, name: row["name"], context: country)
        }
        add(agencyNames, kind: .agency, reason: .sameName)

        var values: [String: [String]] = [:]
        let channels = try Row.fetchCursor(db, sql: """
            SELECT kind, value, agency_id, person_id FROM channel
            WHERE deleted = 0 AND kind IN ('phone', 'mobile', 'fax', 'email', 'secure-mailbox')
            """)
        while let row = try channels.next() {
            let kind: String = row["kind"]
            let value: String = row["value"]
            let owner: String? = row["person_id"] ?? row["agency_id"]
            guard let owner, sides[owner] != nil else { continue }
            let ownerKind = (row["person_id"] as String?) == nil ? "agency" : "person"
            let family = kind == "email" ? "email" : kind == "secure-mailbox" ? "secure" : "phone"
            values[ownerKind + "|" + family + "|" + value.lowercased(), default: []].append(owner)
        }
        for family in ["phone", "email", "secure"] {
            let reason: DuplicatePair.Reason = family == "phone" ? .sharedPhone : family == "email" ? .sharedEmail : .sharedSecureMailbox
            for kind in [Entity.person, .agency] {
                let prefix = kind.rawValue + "|" + family + "|"
                add(values.filter { $0.key.hasPrefix(prefix) }, kind: kind, reason: reason, limit: Self.sharedValueLimit)
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
        var pairs: [DuplicatePair] = []
        for (key, reasons) in found where !settled.contains(key) {
            guard let first = sides[key.first], let second = sides[key.second] else { continue }
            pairs.append(DuplicatePair(kind: key.kind, first: first, second: second, reasons: reasons.sorted(), proposals: proposals[key] ?? []))
        }
        // Sure signs first, then by kind and name.
        return pairs.sorted {
            ($0.reasons.count, $1.kind.rawValue, $1.first.name, $1.first.id.lowercasedString)
                > ($1.reasons.count, $0.kind.rawValue, $0.first.name, $0.first.id.lowercasedString)
        }
    }

    /// The pairs as keys, to count those an import added.
    package func pairKeys() throws -> Set<String> {
        Set(try pairs().map { "\($0.first.id.lowercasedString) \($0.second.id.lowercasedString)" })
    }

    /// Node ids to the names an officer knows them by.
    private func stewardNames() throws -> [String: String] {
        var names = [node: "this node"]
        for row in try Row.fetchAll(db, sql: "SELECT node_id, name, agency FROM peer") {
            names[row["node_id"]] = "\(row["name"] as String) (\(row["agency"] as String))"
        }
        return names
    }

    /// A name's words, each folded to its first Latin spelling, in sorted order: "Popescu Ion" and
    /// "ion POPESCU" have one key.
    static func nameKey(_ name: String) -> String {
        name.split(whereSeparator: \.isWhitespace)
            .compactMap { word -> String? in
                // The first Latin spelling, without the apostrophes and soft signs it may keep.
                let spelling = SearchText.fold(String(word)).split(separator: " ").first?.filter { $0.isLetter || $0.isNumber }
                return spelling.flatMap { $0.isEmpty ? nil : String($0) }
            }
            .sorted().joined(separator: " ")
    }

    /// A name's words reduced to how they sound: the first letter and the consonants after it, with
    /// letters that transliterations swap made one. "Popescu", "Popesku" and "Попеску" are "psk";
    /// "Mohammed" and "Muhammad" are "md".
    static func soundKey(_ name: String) -> String {
        nameKey(name).split(separator: " ").map { word -> String in
            var key = ""
            for (index, letter) in word.enumerated() {
                let sound: Character = switch letter {
                case "c", "q": "k"
                case "w": "v"
                case "z": "s"
                case "j", "y": "i"
                default: letter
                }
                if index > 0, "aeiouh".contains(sound) { continue }
                if key.last != sound { key.append(sound) }
            }
            return key
        }.sorted().joined(separator: " ")
    }
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
