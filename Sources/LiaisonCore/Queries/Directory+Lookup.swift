import Foundation
import GRDB

extension Directory {
    /// The live agency named by a full or short id, an acronym, or a name (case-insensitive),
    /// optionally within a country. An id is matched by its start or by its end: the short form
    /// is its last 8 hex digits (``Foundation/UUID/shortID``).
    public func agency(matching reference: String, country: String? = nil) throws(LiaisonError) -> Agency {
        let key = reference.trimmed
        let matches: [Agency] = try read { db in
            var byID: [Agency] = []
            if key.count >= 4, key.allSatisfy({ $0.isHexDigit || $0 == "-" }) {
                byID = try Agency.fetchAll(db, sql: "SELECT * FROM agency WHERE deleted = 0 AND \(Self.idMatch)", arguments: [key.lowercased()])
            }
            if !byID.isEmpty { return byID }
            return try Agency.fetchAll(db, sql: """
                SELECT * FROM agency WHERE deleted = 0 AND (lower(acronym) = lower(?1) OR lower(name) = lower(?1))
                AND (?2 IS NULL OR country = ?2) AND id NOT IN (SELECT id FROM retired_record)
                """, arguments: [key, country?.uppercased()])
        }
        if matches.isEmpty, let country {
            let elsewhere = try read { db in
                try Agency.fetchAll(db, sql: "SELECT * FROM agency WHERE deleted = 0 AND (lower(acronym) = lower(?1) OR lower(name) = lower(?1))", arguments: [key])
            }
            if let other = elsewhere.first {
                throw LiaisonError(
                    .notFound, "\"\(reference)\" is \(other.name) in \(other.country), not in \(country.uppercased())",
                    hint: "a unit must be in the same country as its agency")
            }
        }
        return try single(matches, kind: "agency", reference: reference) { "\($0.name) (\($0.country), \($0.id.shortID))" }
    }

    /// The live contact named by a full or short id.
    public func person(matching reference: String) throws(LiaisonError) -> Person {
        try byID(Person.self, reference, kind: "contact") { "\($0.displayName) (\($0.id.shortID))" }
    }

    /// The live designation named by a full or short id.
    public func designation(matching reference: String) throws(LiaisonError) -> Designation {
        try byID(Designation.self, reference, kind: "designation") { "\($0.function.rawValue) (\($0.id.shortID))" }
    }

    func byID<Record: ReplicatedRecord & FetchableRecord & TableRecord>(
        _ type: Record.Type, _ reference: String, kind: String, describe: (Record) -> String
    ) throws(LiaisonError) -> Record {
        let key = reference.trimmed.lowercased()
        guard key.count >= 4, key.allSatisfy({ $0.isHexDigit || $0 == "-" }) else {
            throw LiaisonError.invalid("id", reference, "not a \(kind) id: give the id or its short form, the 8 hex digits that lists show")
        }
        let matches = try read { db in
            try Record.fetchAll(db, sql: "SELECT * FROM \(Record.databaseTableName) WHERE deleted = 0 AND \(Self.idMatch) LIMIT 10", arguments: [key])
        }
        return try single(matches, kind: kind, reference: reference, describe: describe)
    }

    /// An id that starts or ends with the reference `?1`.
    static let idMatch = "(id LIKE ?1 || '%' OR id LIKE '%' || ?1)"

    private func single<Record>(_ matches: [Record], kind: String, reference: String, describe: (Record) -> String) throws(LiaisonError) -> Record {
        let listing = switch kind {
        case "agency": "`liaison agency list` shows agencies with their ids"
        case "contact": "`liaison contact list` shows contacts with their ids"
        case "note": "`liaison note list` shows notes with their ids"
        default: "`liaison agency show` and `liaison contact show` list roles with their ids"
        }
        guard let first = matches.first else {
            throw LiaisonError(.notFound, "no \(kind) matches \"\(reference)\"", hint: listing)
        }
        guard matches.count == 1 else {
            throw LiaisonError(
                .ambiguous, "\"\(reference)\" matches \(matches.count) \(kind == "agency" ? "agencies" : "\(kind)s"): "
                    + matches.prefix(5).map(describe).joined(separator: "; "),
                hint: "give the id, or more of it; \(listing)")
        }
        return first
    }

    /// Countries by alpha-2 code.
    public func country(_ code: String) throws(LiaisonError) -> Country {
        try referenceData().country(code)
    }

    /// All 249 countries, with how many agencies and contacts each has.
    public func countries() throws(LiaisonError) -> [CountrySummary] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT c.*, (SELECT count(*) FROM agency a WHERE a.country = c.code AND a.deleted = 0 AND a.id NOT IN (SELECT id FROM retired_record)) AS agency_count,
                  (SELECT count(*) FROM person p JOIN agency a ON a.id = p.agency_id WHERE a.country = c.code AND p.deleted = 0 AND p.id NOT IN (SELECT id FROM retired_record)) AS person_count
                FROM country c ORDER BY c.name
                """).map { row in
                CountrySummary(country: Country(row: row), agencyCount: row["agency_count"], contactCount: row["person_count"])
            }
        }
    }
}

/// A country and how much of the directory is about it.
public struct CountrySummary: Sendable, Hashable, Codable {
    public var country: Country
    public var agencyCount: Int
    public var contactCount: Int
}
