import Foundation
import GRDB

/// Checks and normalises records before they are written: every path into the store goes through it.
///
/// It keeps the agencies of the current write transaction and the persons of its current batch in
/// memory, so that a bulk import does not read each contact's agency back from the database; the
/// transaction keeps that cache in step with what it writes. Persons are forgotten when their batch
/// is signed: an import of many contacts would otherwise keep every one, and a later batch rarely
/// needs an earlier one's.
final class Validator {
    let reference: ReferenceData
    let db: Database
    private var agencies: [UUID: Agency] = [:]
    private var persons: [UUID: Person] = [:]
    /// Per country: agency and unit names (`parent|name`, folded) and acronyms (lower case), each to
    /// the agency that has it. Loaded once per country and transaction.
    private var agencyNames: [String: [String: UUID]] = [:]
    private var agencyAcronyms: [String: [String: UUID]] = [:]

    init(reference: ReferenceData, db: Database) {
        self.reference = reference
        self.db = db
    }

    /// Records what the transaction wrote: the record with its metadata, or nil after a tombstone.
    func remember(_ agency: Agency?, id: UUID, previous: Agency?) {
        agencies[id] = agency
        if let previous {
            if agencyNames[previous.country]?[Self.nameKey(previous)] == id { agencyNames[previous.country]?[Self.nameKey(previous)] = nil }
            if let acronym = previous.acronym?.lowercased(), agencyAcronyms[previous.country]?[acronym] == id {
                agencyAcronyms[previous.country]?[acronym] = nil
            }
        }
        if let agency, agencyNames[agency.country] != nil {
            agencyNames[agency.country]?[Self.nameKey(agency)] = id
            if let acronym = agency.acronym?.lowercased() { agencyAcronyms[agency.country]?[acronym] = id }
        }
    }

    private static func nameKey(_ agency: Agency) -> String {
        (agency.parentID?.lowercasedString ?? "") + "|" + ImportSession.matchKey(agency.name)
    }

    /// Names and acronyms pick agencies on the command line and in imports, so they must be unique
    /// in a country: a name among an agency's units (or among top-level agencies), an acronym in the
    /// whole country.
    private func checkUnique(_ agency: Agency) throws(LiaisonError) {
        if agencyNames[agency.country] == nil {
            let all = try storage {
                try Agency.fetchAll(db.cachedStatement(sql: "SELECT * FROM agency WHERE country = ? AND deleted = 0"), arguments: [agency.country])
            }
            agencyNames[agency.country] = Dictionary(all.map { (Self.nameKey($0), $0.id) }, uniquingKeysWith: { first, _ in first })
            agencyAcronyms[agency.country] = Dictionary(
                all.compactMap { other in other.acronym.map { ($0.lowercased(), other.id) } }, uniquingKeysWith: { first, _ in first })
        }
        if let other = agencyNames[agency.country]?[Self.nameKey(agency)], other != agency.id {
            throw LiaisonError(
                .conflict, "\(agency.country) already has an agency named \"\(agency.name)\"\(agency.parentID == nil ? "" : " in this agency")",
                field: "name", record: other.lowercasedString, hint: "edit that one instead, or choose another name")
        }
        if let acronym = agency.acronym?.lowercased(), let other = agencyAcronyms[agency.country]?[acronym], other != agency.id {
            throw LiaisonError(
                .conflict, "\(agency.country) already has an agency with the acronym \(agency.acronym ?? "")", field: "acronym",
                record: other.lowercasedString)
        }
    }
    func remember(_ person: Person?, id: UUID) { persons[id] = person }

    /// Forgets the persons of a signed batch; the database holds them.
    func endBatch() { persons.removeAll(keepingCapacity: true) }

    /// Refuses a second contact of the same name in an agency (case, accents and script folded, as
    /// import matches names), for writers that ask: two entries for one officer drift apart.
    func checkNoNamesake(_ person: Person) throws(LiaisonError) {
        let wanted = ImportSession.personMatchKey(person.givenName, person.familyName, person.nativeName)
        let others = try storage {
            try Person.fetchAll(
                db.cachedStatement(sql: "SELECT * FROM person WHERE agency_id = ? AND deleted = 0 AND id <> ?"),
                arguments: [person.agencyID.lowercasedString, person.id.lowercasedString])
        }
        if let namesake = others.first(where: { ImportSession.personMatchKey($0.givenName, $0.familyName, $0.nativeName) == wanted }) {
            throw LiaisonError(
                .conflict, "\(namesake.displayName) is already a contact of this agency", record: namesake.id.lowercasedString,
                hint: "change it with `liaison contact edit \(namesake.id.shortID)`, or add another person of the same name with --allow-same-name")
        }
    }

    /// Refuses a role its holder already has: the same crime area (or all crime areas) and function.
    func checkRoleNotHeld(_ designation: Designation) throws(LiaisonError) {
        let held = try storage {
            if let personID = designation.personID { return try Directory.designations(owner: "person_id", personID, db) }
            if let agencyID = designation.agencyID { return try Directory.designations(owner: "agency_id", agencyID, db) }
            return []
        }
        if let same = held.first(where: { $0.id != designation.id && $0.crimeArea == designation.crimeArea && $0.function == designation.function }) {
            throw LiaisonError(.conflict, "this role is already held", record: same.id.lowercasedString)
        }
    }

    func agency(_ agency: Agency) throws(LiaisonError) -> Agency {
        var agency = agency
        agency.name = try required(agency.name, field: "name")
        agency.nativeName = try text(agency.nativeName, field: "native_name")
        agency.acronym = try text(agency.acronym, field: "acronym")
        agency.country = try reference.country(agency.country).code
        agency.subdivision = try clean(agency.subdivision).map { code throws(LiaisonError) in
            try reference.subdivision(code, country: agency.country)
        }
        agency.address = try text(agency.address, field: "address", lineBreaks: true)
        agency.website = try clean(agency.website).map { text throws(LiaisonError) in try website(text) }
        if let previous = try fetch(Agency.self, agency.id), previous.country != agency.country {
            let hasUnits = try storage {
                try Bool.fetchOne(db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM agency WHERE parent_id = ? AND deleted = 0)"), arguments: [agency.id.lowercasedString]) ?? false
            }
            guard !hasUnits else {
                throw LiaisonError.invalid("country", agency.country, "\(agency.name) has units in \(previous.country); move or remove them first")
            }
        }
        try checkUnique(agency)
        if let parentID = agency.parentID {
            guard parentID != agency.id else {
                throw LiaisonError.invalid("parent", parentID.lowercasedString, "an agency cannot be its own parent")
            }
            let parent = try live(Agency.self, parentID, field: "parent")
            guard parent.country == agency.country else {
                throw LiaisonError.invalid("parent", parent.name, "the parent agency is in \(parent.country), not in \(agency.country)")
            }
            // One level: the directory, its CSV and its country pages show agencies and their units.
            guard parent.parentID == nil else {
                throw LiaisonError.invalid("parent", parent.name, "\(parent.name) is itself a unit; a unit cannot have units")
            }
            let hasUnits = try storage {
                try Bool.fetchOne(db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM agency WHERE parent_id = ? AND deleted = 0)"), arguments: [agency.id.lowercasedString]) ?? false
            }
            guard !hasUnits else {
                throw LiaisonError.invalid("parent", parent.name, "\(agency.name) has units of its own, so it cannot become a unit")
            }
        }
        return agency
    }

    func person(_ person: Person) throws(LiaisonError) -> Person {
        var person = person
        person.givenName = try text(person.givenName, field: "given_name")
        person.familyName = try text(person.familyName, field: "family_name")
        person.nativeName = try text(person.nativeName, field: "native_name")
        guard person.givenName != nil || person.familyName != nil || person.nativeName != nil else {
            throw LiaisonError(.invalidValue, "a contact needs a given name, a family name or a native-script name", field: "given_name")
        }
        _ = try live(Agency.self, person.agencyID, field: "agency")
        person.position = try text(person.position, field: "position", lineBreaks: true)
        person.rank = try text(person.rank, field: "rank")
        var languages: [String] = []
        for tag in person.languages {
            let normalised = try reference.languageTag(tag)
            if !languages.contains(normalised) { languages.append(normalised) }
        }
        person.languages = languages
        person.timeZone = try clean(person.timeZone).map { text throws(LiaisonError) in try reference.timeZone(text) }
        person.verifiedAt = try clean(person.verifiedAt).map { text throws(LiaisonError) in try date(text, field: "verified_at") }
        person.verifiedBy = try text(person.verifiedBy, field: "verified_by")
        return person
    }

    func channel(_ channel: Channel) throws(LiaisonError) -> Channel {
        var channel = channel
        let country: String
        switch (channel.agencyID, channel.personID) {
        case (let agencyID?, nil):
            country = try live(Agency.self, agencyID, field: "agency").country
        case (nil, let personID?):
            let person = try live(Person.self, personID, field: "contact")
            country = try live(Agency.self, person.agencyID, field: "agency").country
        default:
            throw LiaisonError(.invalidValue, "a channel belongs to exactly one agency or one contact", field: "owner")
        }
        let value = try required(channel.value, field: channel.kind.rawValue)
        switch channel.kind {
        case .phone, .mobile, .fax:
            channel.value = try PhoneNumber(
                parsing: value, callingCode: reference.countries[country]?.callingCode, knownCallingCodes: reference.callingCodes,
                field: channel.kind.rawValue
            ).e164
        case .email:
            channel.value = try EmailAddress.normalise(value)
        case .secureMailbox, .messaging, .post:
            channel.value = try text(value, field: channel.kind.rawValue, lineBreaks: channel.kind == .post) ?? value
        }
        channel.label = try text(channel.label, field: "label")
        channel.hours = try text(channel.hours, field: "hours", lineBreaks: true)
        guard channel.preference >= 1 else {
            throw LiaisonError.invalid("preference", String(channel.preference), "preference starts at 1 (first choice)")
        }
        return channel
    }

    func designation(_ designation: Designation) throws(LiaisonError) -> Designation {
        var designation = designation
        switch (designation.agencyID, designation.personID) {
        case (let agencyID?, nil): _ = try live(Agency.self, agencyID, field: "agency")
        case (nil, let personID?): _ = try live(Person.self, personID, field: "contact")
        default:
            throw LiaisonError(.invalidValue, "a designation belongs to exactly one agency or one contact", field: "holder")
        }
        designation.validFrom = try clean(designation.validFrom).map { text throws(LiaisonError) in try date(text, field: "valid_from") }
        designation.validTo = try clean(designation.validTo).map { text throws(LiaisonError) in try date(text, field: "valid_to") }
        if let from = designation.validFrom, let to = designation.validTo, to < from {
            throw LiaisonError.invalid("valid_to", to, "ends before it starts (\(from))")
        }
        designation.legalBasis = try text(designation.legalBasis, field: "legal_basis", lineBreaks: true)
        return designation
    }

    // MARK: Helpers

    func live<Record: ReplicatedRecord & FetchableRecord & TableRecord>(
        _ type: Record.Type, _ id: UUID, field: String
    ) throws(LiaisonError) -> Record {
        guard let record = try fetch(type, id), record.isLive else {
            throw LiaisonError.invalid(field, id.lowercasedString, "no \(Record.entity.rawValue) with id \(id.lowercasedString)")
        }
        return record
    }

    func fetch<Record: FetchableRecord & TableRecord>(_ type: Record.Type, _ id: UUID) throws(LiaisonError) -> Record? {
        if type == Agency.self, let agency = agencies[id] { return agency as? Record }
        if type == Person.self, let person = persons[id] { return person as? Record }
        do {
            return try Record.fetchOne(db.cachedStatement(sql: "SELECT * FROM \(Record.databaseTableName) WHERE id = ?"), arguments: [id.lowercasedString])
        } catch {
            throw LiaisonError(.storage, "\(error)")
        }
    }

    private func storage<T>(_ body: () throws -> T) throws(LiaisonError) -> T {
        try Directory.storage(body)
    }

    func required(_ value: String, field: String) throws(LiaisonError) -> String {
        guard let value = try text(value, field: field) else { throw LiaisonError(.invalidValue, "is required", field: field) }
        return value
    }

    /// Cleans a text field and refuses what an officer could not see or a terminal would obey: control
    /// characters (line breaks only where allowed), invisible spaces and direction overrides that can
    /// make two different names look the same. Also bounds the length.
    func text(_ value: String?, field: String, lineBreaks: Bool = false, limit: Int? = nil) throws(LiaisonError) -> String? {
        guard var value = clean(value) else { return nil }
        if lineBreaks, value.contains("\r\n") { value = value.replacingOccurrences(of: "\r\n", with: "\n") }
        func shown() -> String { value.unicodeScalars.map { Self.isRefused($0, lineBreaks: lineBreaks) ? "?" : String($0) }.joined() }
        let isPrintableASCII = value.utf8.allSatisfy { (0x20..<0x7F).contains($0) }
        if !isPrintableASCII, let bad = value.unicodeScalars.first(where: { Self.isRefused($0, lineBreaks: lineBreaks) }) {
            let what = bad.properties.generalCategory == .control ? "a control character" : "an invisible formatting character"
            throw LiaisonError(
                .invalidValue, "contains \(what) (U+\(String(bad.value, radix: 16, uppercase: true)))", field: field, value: shown(),
                hint: "retype the value, or remove the hidden character")
        }
        let limit = limit ?? (lineBreaks ? 2000 : 300)
        guard value.utf8.count <= limit || value.count <= limit else {
            throw LiaisonError(.invalidValue, "is \(value.count) characters long; at most \(limit)", field: field, value: String(value.prefix(40)) + "…")
        }
        return value
    }

    private static func isRefused(_ scalar: Unicode.Scalar, lineBreaks: Bool) -> Bool {
        if scalar.properties.generalCategory == .control { return !(lineBreaks && (scalar == "\n" || scalar == "\t")) }
        switch scalar.value {
        case 0x200B, 0x200E, 0x200F, 0x2060, 0xFEFF, 0x202A...0x202E, 0x2066...0x2069: return true
        default: return false
        }
    }

    private func website(_ text: String) throws(LiaisonError) -> String {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme),
            url.host?.contains(".") == true
        else {
            throw LiaisonError.invalid("website", text, "not a web address", hint: "e.g. https://police.example")
        }
        return text
    }

    func date(_ text: String, field: String) throws(LiaisonError) -> String {
        guard text.utf8.count == 10, text.enumerated().allSatisfy({ index, character in
            index == 4 || index == 7 ? character == "-" : character.isASCII && character.isNumber
        }) else {
            throw LiaisonError.invalid(field, text, "not a date: use YYYY-MM-DD")
        }
        let parts = text.split(separator: "-")
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = .gmt
        guard text.count == 10, parts.count == 3, let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
            let date = calendar.date(from: DateComponents(year: year, month: month, day: day)),
            calendar.component(.day, from: date) == day, calendar.component(.month, from: date) == month
        else {
            throw LiaisonError.invalid(field, text, "not a date: use YYYY-MM-DD")
        }
        return text
    }
}

/// Trims white space and normalises to NFC; empty becomes nil.
func clean(_ text: String?) -> String? {
    guard let trimmed = text?.trimmed, !trimmed.isEmpty else { return nil }
    // ASCII is already NFC, and Foundation's normalisation costs microseconds a field on imports.
    if trimmed.utf8.allSatisfy({ $0 < 0x80 }) { return trimmed }
    return trimmed.precomposedStringWithCanonicalMapping
}

extension ReplicatedRecord {
    var isLive: Bool { metadata?.deleted != true }
}
