public import Foundation
import GRDB

/// Everything about one contact: the person, where they work, how to reach them, their roles.
public struct ContactCard: Sendable, Hashable, Codable {
    public var person: Person
    public var agency: Agency
    /// The agency the person's unit belongs to, when the person is in a unit.
    public var parentAgency: Agency?
    public var channels: [Channel]
    public var designations: [Designation]
    /// Records decided to be this same person, whose channels and roles are shown here.
    public var sameAs: [UUID] = []
    /// Notes held here that concern the contact.
    public var notes: [NoteSummary] = []
}

/// Everything about one agency or unit.
public struct AgencyCard: Sendable, Hashable, Codable {
    public var agency: Agency
    public var parent: Agency?
    public var units: [Agency]
    public var channels: [Channel]
    public var designations: [Designation]
    public var contacts: [Person]
    /// Records decided to be this same agency, whose units, channels, roles and contacts are shown here.
    public var sameAs: [UUID] = []
    /// Notes held here that concern the agency.
    public var notes: [NoteSummary] = []
}

/// The country page: who to call in a country, and for what.
public struct CountryPage: Sendable, Hashable, Codable {
    public struct AgencyEntry: Sendable, Hashable, Codable {
        public var agency: Agency
        public var units: [Agency]
        /// Contacts in the agency and its units.
        public var contactCount: Int
        /// The opening hours of the agency's own channels, as written.
        public var hours: [String] = []
    }

    /// A 24/7 channel with whom it reaches: a channel marked 24/7, or the first channel of one who
    /// holds the role of 24/7 point of contact.
    public struct Contact24x7: Sendable, Hashable, Codable {
        public var holder: String
        public var agency: String
        public var channel: Channel
    }

    /// A focal point: who holds a function in a crime area, and their first channel.
    public struct FocalPoint: Sendable, Hashable, Codable {
        public var crimeArea: CrimeArea?
        public var function: FocalFunction
        public var holder: String
        public var agency: String
        public var channel: Channel?
        public var designationID: UUID
    }

    public var country: Country
    public var agencies: [AgencyEntry]
    public var contacts24x7: [Contact24x7]
    /// Roles that hold today; ended and future ones are left out.
    public var focalPoints: [FocalPoint]
    /// Notes held here that concern the country.
    public var notes: [NoteSummary] = []
    /// The country's time zones as its records name them, the most used first.
    public var timeZones: [String] = []
}

/// Counts of what the node holds.
public struct DirectoryStats: Sendable, Hashable, Codable {
    public var countries: Int
    public var agencies: Int
    public var units: Int
    public var contacts: Int
    public var channels: Int
    public var designations: Int
    public var commits: Int
    public var changes: Int
    public var databaseBytes: Int
}

extension Directory {
    /// The contact's card; for a contact retired as a duplicate, the card of the one it is the same as.
    public func contactCard(_ id: UUID) throws(LiaisonError) -> ContactCard {
        try read { db in
            let shown = try RetiredRecords.survivor(of: id.lowercasedString, in: db)
            let person = try Person.fetchOne(db.cachedStatement(sql: "SELECT * FROM person WHERE id = ?"), arguments: [shown])
            guard let person, let agency = try Self.agency(person.agencyID, db) else {
                throw LiaisonError(.notFound, "no contact with this id", record: id.lowercasedString)
            }
            let aliases = try RetiredRecords.aliases(of: shown, in: db)
            return ContactCard(
                person: person, agency: agency, parentAgency: try agency.parentID.flatMap { try Self.agency($0, db) },
                channels: try Self.channels(owner: "person_id", aliases, db), designations: try Self.designations(owner: "person_id", aliases, db),
                sameAs: aliases.dropFirst().compactMap(UUID.init(uuidString:)),
                notes: try aliases.flatMap { try notes(concerning: "person:\($0)", in: db) })
        }
    }

    /// The agency's card; for an agency retired as a duplicate, the card of the one it is the same as.
    public func agencyCard(_ id: UUID) throws(LiaisonError) -> AgencyCard {
        try read { db in
            let shown = try RetiredRecords.survivor(of: id.lowercasedString, in: db)
            guard let agency = try Self.agency(shown, db) else {
                throw LiaisonError(.notFound, "no agency with this id", record: id.lowercasedString)
            }
            let aliases = try RetiredRecords.aliases(of: shown, in: db)
            let owners = "[" + aliases.map { "\"\($0)\"" }.joined(separator: ",") + "]"
            return AgencyCard(
                agency: agency, parent: try agency.parentID.flatMap { try Self.agency($0, db) },
                units: try Agency.fetchAll(db.cachedStatement(sql: """
                    SELECT * FROM agency WHERE parent_id IN (SELECT value FROM json_each(?)) AND deleted = 0 AND id \(Self.notRetired) ORDER BY name
                    """), arguments: [owners]),
                channels: try Self.channels(owner: "agency_id", aliases, db),
                designations: try Self.designations(owner: "agency_id", aliases, db),
                contacts: try Person.fetchAll(db.cachedStatement(sql: """
                    SELECT * FROM person WHERE agency_id IN (SELECT value FROM json_each(?)) AND deleted = 0 AND id \(Self.notRetired)
                    ORDER BY family_name, given_name
                    """), arguments: [owners]),
                sameAs: aliases.dropFirst().compactMap(UUID.init(uuidString:)),
                notes: try aliases.flatMap { try notes(concerning: "agency:\($0)", in: db) })
        }
    }

    /// Live agencies, optionally of one country, top-level agencies before their units.
    public func agencies(country: String? = nil) throws(LiaisonError) -> [Agency] {
        try read { db in
            try Agency.fetchAll(db, sql: """
                SELECT * FROM agency WHERE deleted = 0 AND (?1 IS NULL OR country = ?1) AND id \(Self.notRetired)
                ORDER BY country, parent_id IS NOT NULL, name
                """, arguments: [country?.uppercased()])
        }
    }

    /// Live contacts with their agencies, optionally of one country or agency.
    public func contacts(country: String? = nil, agency: UUID? = nil, limit: Int = .max) throws(LiaisonError) -> [(person: Person, agency: Agency)] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT p.*, a.id AS a_id, a.name AS a_name, a.native_name AS a_native_name, a.acronym AS a_acronym, a.kind AS a_kind,
                  a.country AS a_country, a.parent_id AS a_parent_id, a.subdivision AS a_subdivision, a.address AS a_address,
                  a.website AS a_website
                FROM person p JOIN agency a ON a.id = coalesce((SELECT survivor FROM retired_record WHERE id = p.agency_id), p.agency_id)
                WHERE p.deleted = 0 AND p.id \(Self.notRetired) AND (?1 IS NULL OR a.country = ?1) AND (?2 IS NULL OR a.id = ?2)
                ORDER BY a.country, a.name, p.family_name, p.given_name LIMIT ?3
                """, arguments: [country?.uppercased(), agency?.lowercasedString, Int64(clamping: limit)]).map { row in
                let agency = Agency(
                    id: row.uuid("a_id") ?? UUID(), name: row["a_name"], nativeName: row["a_native_name"], acronym: row["a_acronym"],
                    kind: row.term("a_kind", default: .other), country: row["a_country"], parentID: row.uuid("a_parent_id"),
                    subdivision: row["a_subdivision"], address: row["a_address"], website: row["a_website"])
                return (Person(row: row), agency)
            }
        }
    }

    public func countryPage(_ code: String) throws(LiaisonError) -> CountryPage {
        let country = try self.country(code)
        return try read { db in
            // A unit of a retired duplicate is shown under the agency that stays.
            let survivors = try RetiredRecords.survivors(in: db)
            let agencies = try Agency.fetchAll(db.cachedStatement(sql: """
                SELECT * FROM agency WHERE country = ? AND deleted = 0 AND id \(Self.notRetired) ORDER BY name
                """), arguments: [country.code]).map { agency in
                var agency = agency
                agency.parentID = agency.parentID.map { survivors[$0] ?? $0 }
                return agency
            }
            let counts = Dictionary(uniqueKeysWithValues: try Row.fetchAll(db, sql: """
                SELECT a.id AS agency_id, count(*) AS n FROM person p
                JOIN agency a ON a.id = coalesce((SELECT survivor FROM retired_record WHERE id = p.agency_id), p.agency_id)
                WHERE a.country = ? AND p.deleted = 0 AND p.id \(Self.notRetired) GROUP BY a.id
                """, arguments: [country.code]).map { ($0["agency_id"] as String, $0["n"] as Int) })
            let byID = Dictionary(uniqueKeysWithValues: agencies.map { ($0.id, $0) })
            var entries = agencies.filter { $0.parentID.flatMap { byID[$0] } == nil }.map { agency in
                let units = agencies.filter { $0.parentID == agency.id }
                return CountryPage.AgencyEntry(
                    agency: agency, units: units,
                    contactCount: ([agency] + units).reduce(0) { $0 + (counts[$1.id.lowercasedString] ?? 0) })
            }
            let holders = try Self.holderNames(country: country.code, survivors: survivors, db)
            let channels = try Channel.fetchAll(db, sql: """
                SELECT c.* FROM channel c LEFT JOIN person p ON p.id = c.person_id
                JOIN agency a ON a.id = coalesce(c.agency_id, p.agency_id)
                WHERE c.deleted = 0 AND a.country = ? ORDER BY c.person_id IS NOT NULL, c.preference
                """, arguments: [country.code])
            var hours: [UUID: [String]] = [:]
            for channel in channels {
                if let agency = channel.agencyID, let text = channel.hours { hours[agency, default: []].append(text) }
            }
            for index in entries.indices { entries[index].hours = hours[entries[index].agency.id] ?? [] }
            var timeZones = try String.fetchAll(db, sql: """
                SELECT p.time_zone FROM person p JOIN agency a ON a.id = p.agency_id
                WHERE a.country = ? AND p.deleted = 0 AND p.time_zone IS NOT NULL
                GROUP BY p.time_zone ORDER BY count(*) DESC, p.time_zone
                """, arguments: [country.code])
            for zone in channels.compactMap({ $0.hours.flatMap(OpeningHours.init)?.timeZone?.identifier }) where !timeZones.contains(zone) {
                timeZones.append(zone)
            }
            // A duplicate's channels and roles are shown as its survivor's, once.
            var shown24x7: Set<String> = [], reachedAllDay: Set<String> = []
            let contacts24x7 = channels.filter(\.is24x7).compactMap { channel -> CountryPage.Contact24x7? in
                guard let holder = holders[(channel.personID ?? channel.agencyID)?.lowercasedString ?? ""],
                    shown24x7.insert("\(holder.id) \(channel.kind.rawValue) \(channel.value)").inserted
                else { return nil }
                reachedAllDay.insert(holder.id)
                return CountryPage.Contact24x7(holder: holder.name, agency: holder.agency, channel: channel)
            }
            let designations = try Designation.fetchAll(db, sql: """
                SELECT d.* FROM designation d LEFT JOIN person p ON p.id = d.person_id
                JOIN agency a ON a.id = coalesce(d.agency_id, p.agency_id)
                WHERE d.deleted = 0 AND a.country = ?
                """, arguments: [country.code])
            // The channel to show for a focal point: the first choice, a phone before other kinds.
            let kindOrder: [ChannelKind] = [.phone, .mobile, .secureMailbox, .email, .messaging, .fax, .post]
            let firstChannels = Dictionary(grouping: channels) { ($0.personID ?? $0.agencyID)?.lowercasedString ?? "" }
                .compactMapValues { channels in
                    channels.min { ($0.preference, kindOrder.firstIndex(of: $0.kind) ?? 9) < ($1.preference, kindOrder.firstIndex(of: $1.kind) ?? 9) }
                }
            let today = String(Timestamp.iso8601(Date()).prefix(10))
            let current = designations.filter { $0.isCurrent(on: today) }
            func holderID(_ designation: Designation) -> String { (designation.personID ?? designation.agencyID)?.lowercasedString ?? "" }
            // Who holds the role of 24/7 point of contact is a 24/7 contact too, reached by their
            // first channel, when none of their channels is marked 24/7 already.
            let roleHolders24x7 = current.filter { $0.function == .contact24x7 }.compactMap { designation -> CountryPage.Contact24x7? in
                guard let holder = holders[holderID(designation)], reachedAllDay.insert(holder.id).inserted,
                    let channel = firstChannels[holderID(designation)] ?? firstChannels[holder.id]
                else { return nil }
                return CountryPage.Contact24x7(holder: holder.name, agency: holder.agency, channel: channel)
            }
            var shownRoles: Set<String> = []
            let focalPoints = current.compactMap { designation -> CountryPage.FocalPoint? in
                let key = holderID(designation)
                guard let holder = holders[key],
                    shownRoles.insert("\(holder.id) \(designation.crimeArea?.rawValue ?? "") \(designation.function.rawValue)").inserted
                else { return nil }
                return CountryPage.FocalPoint(
                    crimeArea: designation.crimeArea, function: designation.function, holder: holder.name, agency: holder.agency,
                    channel: firstChannels[key] ?? firstChannels[holder.id], designationID: designation.id)
            }.sorted {
                ($0.crimeArea.map { CrimeArea.allCases.firstIndex(of: $0) ?? 0 } ?? 99, FocalFunction.allCases.firstIndex(of: $0.function) ?? 0, $0.holder)
                    < ($1.crimeArea.map { CrimeArea.allCases.firstIndex(of: $0) ?? 0 } ?? 99, FocalFunction.allCases.firstIndex(of: $1.function) ?? 0, $1.holder)
            }
            return CountryPage(
                country: country, agencies: entries, contacts24x7: contacts24x7 + roleHolders24x7, focalPoints: focalPoints,
                notes: try notes(concerning: "country:\(country.code)", in: db), timeZones: timeZones)
        }
    }

    public func stats() throws(LiaisonError) -> DirectoryStats {
        try read { db in
            func count(_ sql: String) throws -> Int { try Int.fetchOne(db, sql: sql) ?? 0 }
            return DirectoryStats(
                countries: try count("SELECT count(DISTINCT country) FROM agency WHERE deleted = 0"),
                agencies: try count("SELECT count(*) FROM agency WHERE deleted = 0 AND parent_id IS NULL AND id \(Self.notRetired)"),
                units: try count("SELECT count(*) FROM agency WHERE deleted = 0 AND parent_id IS NOT NULL AND id \(Self.notRetired)"),
                contacts: try count("SELECT count(*) FROM person WHERE deleted = 0 AND id \(Self.notRetired)"),
                channels: try count("SELECT count(*) FROM channel WHERE deleted = 0"),
                designations: try count("SELECT count(*) FROM designation WHERE deleted = 0"),
                commits: try count("SELECT count(*) FROM commit_log"),
                changes: try count("SELECT coalesce(sum(change_count), 0) FROM commit_log"),
                databaseBytes: try count("SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()"))
        }
    }

    // MARK: Helpers

    /// Leaves out contacts and agencies retired as duplicates of another.
    static let notRetired = "NOT IN (SELECT id FROM retired_record)"

    static func agency(_ id: UUID, _ db: Database) throws -> Agency? {
        try agency(id.lowercasedString, db)
    }

    static func agency(_ id: String, _ db: Database) throws -> Agency? {
        try Agency.fetchOne(db.cachedStatement(sql: "SELECT * FROM agency WHERE id = ?"), arguments: [id])
    }

    static func channels(owner column: String, _ id: UUID, _ db: Database) throws -> [Channel] {
        try Channel.fetchAll(db.cachedStatement(sql: "SELECT * FROM channel WHERE \(column) = ? AND deleted = 0 ORDER BY preference, kind"), arguments: [id.lowercasedString])
    }

    static func designations(owner column: String, _ id: UUID, _ db: Database) throws -> [Designation] {
        try Designation.fetchAll(db.cachedStatement(sql: "SELECT * FROM designation WHERE \(column) = ? AND deleted = 0 ORDER BY crime_area, function"), arguments: [id.lowercasedString])
    }

    /// The channels of any of these owners, the same kind and value once: the copy staffed 24/7 if
    /// one is.
    static func channels(owner column: String, _ ids: [String], _ db: Database) throws -> [Channel] {
        var shown: [Channel] = []
        var index: [String: Int] = [:]
        for channel in try Channel.fetchAll(db.cachedStatement(sql: """
            SELECT * FROM channel WHERE \(column) IN (SELECT value FROM json_each(?)) AND deleted = 0 ORDER BY preference, kind, local_id
            """), arguments: [jsonList(ids)]) {
            let key = "\(channel.kind.rawValue) \(channel.value)"
            if let at = index[key] {
                if channel.is24x7, !shown[at].is24x7 { shown[at] = channel }
            } else {
                index[key] = shown.count
                shown.append(channel)
            }
        }
        return shown
    }

    /// The roles of any of these owners, the same role once.
    static func designations(owner column: String, _ ids: [String], _ db: Database) throws -> [Designation] {
        var seen: Set<String> = []
        return try Designation.fetchAll(db.cachedStatement(sql: """
            SELECT * FROM designation WHERE \(column) IN (SELECT value FROM json_each(?)) AND deleted = 0 ORDER BY crime_area, function, local_id
            """), arguments: [jsonList(ids)]).filter { seen.insert("\($0.crimeArea?.rawValue ?? "") \($0.function.rawValue)").inserted }
    }

    private static func jsonList(_ ids: [String]) -> String {
        "[" + ids.map { "\"\($0)\"" }.joined(separator: ",") + "]"
    }

    /// Display names of the agencies and persons of a country, by id: the name, and the agency it
    /// belongs to (a person's agency, a unit's parent, empty for an agency).
    ///
    /// A record retired as a duplicate has its survivor's name, and `id` is the survivor's.
    private static func holderNames(
        country: String, survivors: [UUID: UUID], _ db: Database
    ) throws -> [String: (id: String, name: String, agency: String)] {
        var names: [String: (String, String, String)] = [:]
        for row in try Row.fetchAll(db.cachedStatement(sql: """
            SELECT a.id, a.name, coalesce(p.acronym, p.name, '') AS parent FROM agency a LEFT JOIN agency p ON p.id = a.parent_id
            WHERE a.country = ? AND a.deleted = 0
            """), arguments: [country]) {
            names[row["id"]] = (row["id"], row["name"], row["parent"])
        }
        for row in try Row.fetchAll(db, sql: """
            SELECT p.*, a.name AS agency_name, a.acronym AS agency_acronym FROM person p JOIN agency a ON a.id = p.agency_id
            WHERE a.country = ? AND p.deleted = 0
            """, arguments: [country]) {
            let person = Person(row: row)
            names[person.id.lowercasedString] = (person.id.lowercasedString, person.displayName, (row["agency_acronym"] as String?) ?? row["agency_name"])
        }
        for (retired, survivor) in survivors where names[retired.lowercasedString] != nil {
            names[retired.lowercasedString] = names[survivor.lowercasedString]
        }
        return names
    }
}
