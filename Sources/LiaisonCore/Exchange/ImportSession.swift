import Foundation
import GRDB

/// Matches imported rows to existing records and saves them, collecting every bad row.
///
/// Besides the agencies (a directory has far fewer of them than contacts) and a small hash of each
/// contact's matching key (``ContactKeys``), what it keeps in memory is bounded by the batch being
/// written, not by the file: the channels and roles of the owners created in that batch. Everything
/// else is read back from the database, which already holds what earlier batches of the same import
/// saved.
final class ImportSession {
    let tx: DirectoryTransaction
    let fileName: String
    var reference: ReferenceData { tx.validator.reference }
    var summary: ImportSummary
    var errors: [RowError] = []
    /// Live agencies by `CC|folded name` (top level) or `parent id|folded name` (units).
    var agencies: [String: Agency] = [:]
    /// The kind and `agency_` cells each agency was given by an earlier row of this file, with that
    /// row, by agency key and column.
    var agencyFieldsInFile: [String: (value: String, row: String)] = [:]
    /// Live contacts by agency and folded name, as hashes to their ids.
    var contactKeys: ContactKeys
    /// Owners created in the current batch: their channels and designations are all in memory.
    var newOwners: Set<UUID> = []
    var newOwnerChannels: [UUID: [Channel]] = [:]
    var newOwnerDesignations: [UUID: [Designation]] = [:]

    /// `contacts` is how many contacts the file may bring at most.
    init(tx: DirectoryTransaction, fileName: String, contacts: Int) throws {
        self.tx = tx
        self.fileName = fileName
        summary = ImportSummary(file: fileName)
        contactKeys = try ContactKeys(tx.db, expected: contacts)
        for agency in try Agency.fetchAll(tx.db, sql: "SELECT * FROM agency WHERE deleted = 0") {
            agencies[agencyKey(agency)] = agency
        }
    }

    /// Signs the rows saved since the last batch as one commit, and forgets what only they needed.
    func commitBatch() throws {
        try tx.commitBatch()
        newOwners.removeAll(keepingCapacity: true)
        newOwnerChannels.removeAll(keepingCapacity: true)
        newOwnerDesignations.removeAll(keepingCapacity: true)
    }

    /// Throws the collected row errors, if any, so that the transaction rolls back.
    func finish() throws {
        guard errors.isEmpty else {
            let rows = Set(errors.map(\.row)).count
            throw LiaisonError(
                .invalidRows, "\(rows == 1 ? "1 row is" : "\(rows) rows are") invalid; nothing was imported", file: fileName,
                hint: "fix the rows above and import again; --dry-run checks without writing", rowErrors: errors)
        }
    }

    // MARK: CSV rows

    /// A designation a row asks for.
    struct Role: Sendable {
        var crimeArea: CrimeArea?
        var function: FocalFunction
    }

    /// The `valid_from`, `valid_to` and `legal_basis` of a row's roles; nil where the cell is empty.
    struct RoleTerms: Sendable {
        var validFrom: String?
        var validTo: String?
        var legalBasis: String?
    }

    /// A CSV row with its cells checked and normalised: everything that needs no lookup in the
    /// store, so rows can be prepared on another thread while earlier ones are written.
    struct PreparedRow: Sendable {
        var number: Int
        var errors: [RowError] = []
        var country: Country?
        var agency = ""
        var unit = ""
        var kind: AgencyKind?
        var languages: [String] = []
        var timeZone: String?
        var channels: [Channel] = []
        var is24x7: Bool?
        /// The row's `hours` and `marking`, for its channels; nil when the cell is empty.
        var hours: String?
        var marking: Marking?
        var designations: [Role] = []
        var roleTerms = RoleTerms()
        /// The `agency_` cells, about the row's unit when it has one.
        var details = AgencyDetails()
        var rank: String?
        var verifiedAt: String?
        var verifiedBy: String?
        /// Given, family and native name and position, cleaned, and the name as matching compares
        /// it; nil when the row names no one.
        var person: (givenName: String?, familyName: String?, nativeName: String?, position: String?, matchKey: String)?
    }

    /// Checks every cell of a row, so that a row reports all its errors at once; the store checks
    /// the values again when it saves them, as it does for every write.
    static func prepare(_ cells: [String: String], number: Int, fileName: String, reference: ReferenceData) -> PreparedRow {
        let row = String(number)
        var prepared = PreparedRow(number: number)
        func check<T>(_ field: String, _ body: () throws(LiaisonError) -> T) -> T? {
            do {
                return try body()
            } catch {
                prepared.errors.append(RowError(file: fileName, row: row, field: error.field ?? field, reason: Self.reason(error)))
                return nil
            }
        }
        func cell(_ name: String) -> String { cells[name]?.trimmed ?? "" }

        if let extra = cells["\u{0}extra"] {
            prepared.errors.append(RowError(file: fileName, row: row, field: "row", reason: "\(extra == "1" ? "1 more cell" : "\(extra) more cells") than the header has columns"))
        }
        let countryCode = cell("country")
        let country = check("country") { () throws(LiaisonError) in
            guard !countryCode.isEmpty else { throw LiaisonError(.invalidValue, "is required", field: "country") }
            return try reference.country(countryCode)
        }
        prepared.agency = cell("agency")
        prepared.unit = cell("unit")
        if prepared.agency.isEmpty { prepared.errors.append(RowError(file: fileName, row: row, field: "agency", reason: "is required")) }
        let kind = cell("agency_kind")
        prepared.kind = kind.isEmpty ? nil : check("agency_kind") { () throws(LiaisonError) in try AgencyKind.parse(kind) }
        prepared.languages = CSVFormat.list(cell("languages")).compactMap { tag in check("languages") { () throws(LiaisonError) in try reference.languageTag(tag) } }
        let timeZone = cell("timezone")
        prepared.timeZone = timeZone.isEmpty ? nil : check("timezone") { () throws(LiaisonError) in try reference.timeZone(timeZone) }
        var channels: [Channel] = []
        for (kind, column) in CSVFormat.channelColumns {
            for (index, item) in CSVFormat.channelItems(cell(column), kind: kind).enumerated() {
                let channel = check(column) { () throws(LiaisonError) -> Channel in
                    let labelled = try SecureMailbox(parsing: item, field: column)
                    let value: String
                    switch kind {
                    case .phone, .mobile, .fax:
                        value = try PhoneNumber(
                            parsing: labelled.address, callingCode: country?.callingCode, knownCallingCodes: reference.callingCodes, field: column
                        ).e164
                    case .email:
                        value = try EmailAddress.normalise(labelled.address)
                    case .secureMailbox, .messaging, .post:
                        value = labelled.address
                    }
                    return Channel(kind: kind, value: value, label: labelled.system, preference: index + 1)
                }
                if let channel { channels.append(channel) }
            }
        }
        // An empty cell leaves the flag of channels already held as it is; new channels are not 24/7.
        let flag = cell("is_24x7")
        prepared.is24x7 = flag.isEmpty ? nil : check("is_24x7") { () throws(LiaisonError) in
            guard let value = CSVFormat.parseBool(flag) else {
                throw LiaisonError.invalid("is_24x7", flag, "not true/false/yes/no/1/0")
            }
            return value
        }
        let marking = cell("marking")
        prepared.marking = marking.isEmpty ? nil : check("marking") { () throws(LiaisonError) in try Marking.parse(marking) }
        prepared.hours = clean(cell("hours"))
        for index in channels.indices {
            channels[index].is24x7 = prepared.is24x7 ?? false
            channels[index].hours = prepared.hours
            if let marking = prepared.marking { channels[index].marking = marking }
        }
        prepared.channels = channels
        let areas = check("crime_areas") { () throws(LiaisonError) in try CrimeArea.parseList(cell("crime_areas"), field: "crime_areas") } ?? []
        var functions = check("functions") { () throws(LiaisonError) in try FocalFunction.parseList(cell("functions"), field: "functions") } ?? []
        if functions.isEmpty, !areas.isEmpty { functions = [.operationalContact] }
        prepared.designations = areas.isEmpty
            ? functions.map { Role(crimeArea: nil, function: $0) }
            : areas.flatMap { area in functions.map { Role(crimeArea: area, function: $0) } }
        prepared.roleTerms = RoleTerms(validFrom: clean(cell("valid_from")), validTo: clean(cell("valid_to")), legalBasis: clean(cell("legal_basis")))
        prepared.details = AgencyDetails(cells: cells)
        let (given, family, native) = (cell("given_name"), cell("family_name"), cell("native_name"))
        if !(given.isEmpty && family.isEmpty && native.isEmpty) {
            let (givenName, familyName, nativeName) = (clean(given), clean(family), clean(native))
            prepared.person = (givenName, familyName, nativeName, clean(cell("position")), personMatchKey(givenName, familyName, nativeName))
            prepared.rank = clean(cell("rank"))
            prepared.verifiedAt = clean(cell("verified_at"))
            prepared.verifiedBy = clean(cell("verified_by"))
        }
        prepared.country = country
        return prepared
    }

    /// Writes a prepared row: its agency and unit, its contact, their channels and roles, each
    /// matched to what the store or earlier rows already hold.
    func importRow(_ prepared: PreparedRow) throws {
        summary.rows += 1
        guard prepared.errors.isEmpty, let country = prepared.country else {
            errors += prepared.errors
            return
        }
        let row = String(prepared.number)
        do {
            // On a unit's row the kind is the unit's; the agency takes it only if the row creates it.
            let hasUnit = !prepared.unit.isEmpty
            let agency = try resolveAgency(
                country: country.code, parent: nil, name: prepared.agency, kind: prepared.kind, details: prepared.details, isHolder: !hasUnit,
                row: row, field: "agency")
            var holder = agency
            if hasUnit {
                holder = try resolveAgency(
                    country: country.code, parent: agency, name: prepared.unit, kind: prepared.kind, details: prepared.details, isHolder: true,
                    row: row, field: "unit")
            }
            var person: Person?
            if let names = prepared.person {
                var draft = Person(
                    agencyID: holder.id, givenName: names.givenName, familyName: names.familyName, nativeName: names.nativeName,
                    position: names.position, rank: prepared.rank, languages: prepared.languages, timeZone: prepared.timeZone,
                    verifiedAt: prepared.verifiedAt, verifiedBy: prepared.verifiedBy)
                if let existing = try self.person(holder: holder.id, key: names.matchKey) {
                    var updated = existing
                    updated.nativeName = draft.nativeName ?? existing.nativeName
                    updated.position = draft.position ?? existing.position
                    updated.rank = draft.rank ?? existing.rank
                    if !prepared.languages.isEmpty { updated.languages = prepared.languages }
                    updated.timeZone = prepared.timeZone ?? existing.timeZone
                    updated.verifiedAt = draft.verifiedAt ?? existing.verifiedAt
                    updated.verifiedBy = draft.verifiedBy ?? existing.verifiedBy
                    draft = updated
                    if try saveCounting(draft) { summary.contactsUpdated += 1 }
                    rememberKey(draft)
                } else {
                    draft = try tx.create(draft)
                    summary.contactsCreated += 1
                    newOwners.insert(draft.id)
                    contactKeys.insert(holder: holder.id, key: names.matchKey, id: draft.id)
                }
                person = draft
            }
            try attach(prepared, agencyID: person == nil ? holder.id : nil, personID: person?.id)
        } catch let error as LiaisonError {
            errors.append(RowError(file: fileName, row: row, field: error.field ?? "row", reason: Self.reason(error)))
        }
    }

    /// The agency or unit of a row, created if new. `isHolder` says the row's kind and `agency_`
    /// cells describe this agency (not a unit of it), so they may update it.
    func resolveAgency(
        country: String, parent: Agency?, name: String, kind: AgencyKind?, details: AgencyDetails, isHolder: Bool, row: String, field: String
    ) throws -> Agency {
        let key = (parent?.id.lowercasedString ?? country) + "|" + cachedMatchKey(name)
        if isHolder { try checkSameAsEarlierRows(key: key, name: name, kind: kind, details: details, row: row) }
        if let existing = agencies[key] {
            guard isHolder else { return existing }
            var updated = existing
            updated.kind = kind ?? existing.kind
            details.apply(to: &updated)
            if updated != existing {
                if try saveCounting(updated) { summary.agenciesUpdated += 1 }
                agencies[key] = updated
            }
            return updated
        }
        // A new unit without a kind of its own takes its agency's.
        guard let kind = kind ?? parent?.kind else {
            throw LiaisonError(.invalidValue, "is required for a new agency (\(name))", field: "agency_kind")
        }
        do {
            var draft = Agency(name: name, kind: kind, country: country, parentID: parent?.id)
            if isHolder { details.apply(to: &draft) }
            let agency = try tx.create(draft)
            agencies[key] = agency
            newOwners.insert(agency.id)
            summary.agenciesCreated += 1
            return agency
        } catch var error as LiaisonError {
            if error.field == "name" { error.field = field }
            throw error
        }
    }

    /// Adds the row's channels and roles to their owner, matching those it already has. Owners made
    /// in this batch keep theirs in memory, so repeated rows in one file add nothing twice without
    /// a query per row; other owners' are read from the database, which holds what earlier batches
    /// of this import saved.
    ///
    /// A new channel comes after those its owner already has of its kind, so that rows read in
    /// order keep the order of preference that export wrote them in.
    func attach(_ row: PreparedRow, agencyID: UUID?, personID: UUID?) throws {
        guard let ownerID = personID ?? agencyID else { return }
        let column = personID == nil ? "agency_id" : "person_id"
        let isNew = newOwners.contains(ownerID)
        var ownerChannels = isNew ? newOwnerChannels[ownerID, default: []] : try Directory.channels(owner: column, ownerID, tx.db)
        for var channel in row.channels {
            channel.agencyID = agencyID
            channel.personID = personID
            if let index = ownerChannels.firstIndex(where: { $0.kind == channel.kind && $0.value == channel.value }) {
                var existing = ownerChannels[index]
                existing.is24x7 = row.is24x7 ?? existing.is24x7
                existing.label = channel.label ?? existing.label
                existing.hours = row.hours ?? existing.hours
                existing.marking = row.marking ?? existing.marking
                if try saveCounting(existing) { summary.channelsUpdated += 1 }
                ownerChannels[index] = existing
            } else {
                channel.preference = (ownerChannels.filter { $0.kind == channel.kind }.map(\.preference).max() ?? 0) + 1
                ownerChannels.append(try tx.create(channel))
                summary.channelsCreated += 1
            }
        }
        var ownerDesignations = isNew ? newOwnerDesignations[ownerID, default: []] : try Directory.designations(owner: column, ownerID, tx.db)
        let terms = row.roleTerms
        for role in row.designations {
            if let index = ownerDesignations.firstIndex(where: { $0.crimeArea == role.crimeArea && $0.function == role.function }) {
                var existing = ownerDesignations[index]
                existing.validFrom = terms.validFrom ?? existing.validFrom
                existing.validTo = terms.validTo ?? existing.validTo
                existing.legalBasis = terms.legalBasis ?? existing.legalBasis
                guard existing != ownerDesignations[index] else { continue }
                if try saveCounting(existing) { summary.designationsUpdated += 1 }
                ownerDesignations[index] = existing
            } else {
                ownerDesignations.append(try tx.create(Designation(
                    agencyID: agencyID, personID: personID, crimeArea: role.crimeArea, function: role.function,
                    validFrom: terms.validFrom, validTo: terms.validTo, legalBasis: terms.legalBasis)))
                summary.designationsCreated += 1
            }
        }
        if isNew {
            newOwnerChannels[ownerID] = ownerChannels
            newOwnerDesignations[ownerID] = ownerDesignations
        }
    }

    // MARK: Helpers

    /// Saves a record that exists; returns whether anything changed.
    func saveCounting(_ agency: Agency) throws -> Bool { try counting { try tx.save(agency) } }
    func saveCounting(_ person: Person) throws -> Bool { try counting { try tx.save(person) } }
    func saveCounting(_ channel: Channel) throws -> Bool { try counting { try tx.save(channel) } }
    func saveCounting(_ designation: Designation) throws -> Bool { try counting { try tx.save(designation) } }

    func counting(_ save: () throws -> Void) throws -> Bool {
        let before = tx.pendingChangeCount
        try save()
        return tx.pendingChangeCount > before
    }

    /// Names as import compares them: folded words, so case, accents, script and spacing do not count.
    static func matchKey(_ name: String) -> String { SearchText.tokens(name).joined(separator: " ") }

    /// ``matchKey(_:)`` of names that repeat down a file, such as agency and unit names.
    var matchKeys: [String: String] = [:]

    func cachedMatchKey(_ name: String) -> String {
        if let key = matchKeys[name] { return key }
        let key = Self.matchKey(name)
        if matchKeys.count < 100_000 { matchKeys[name] = key }
        return key
    }

    func agencyKey(_ agency: Agency) -> String {
        (agency.parentID?.lowercasedString ?? agency.country) + "|" + Self.matchKey(agency.name)
    }

    /// The live contact of this agency or unit that a row with this name key matches: the latest
    /// one saved, if several have the name.
    func person(holder: UUID, key: String) throws -> Person? {
        guard let id = contactKeys.candidate(holder: holder, key: key) else { return nil }
        func matches(_ person: Person) -> Bool {
            person.isLive && person.agencyID == holder && Self.personMatchKey(person.givenName, person.familyName, person.nativeName) == key
        }
        if let person = try tx.validator.fetch(Person.self, id), matches(person) { return person }
        // Another key with the same hash, or a contact whose name an earlier row changed: look
        // among the holder's contacts.
        let persons = try Person.fetchAll(
            tx.db.cachedStatement(sql: "SELECT * FROM person WHERE agency_id = ? AND deleted = 0 ORDER BY local_id"),
            arguments: [holder.lowercasedString])
        return persons.last(where: matches)
    }

    /// Makes a saved contact the one its agency and name match from now on.
    func rememberKey(_ person: Person) {
        contactKeys.insert(holder: person.agencyID, key: Self.personMatchKey(person.givenName, person.familyName, person.nativeName), id: person.id)
    }

    /// A contact's name as matching compares it: given and family name, else the native name.
    static func personMatchKey(_ givenName: String?, _ familyName: String?, _ nativeName: String?) -> String {
        let latin = [givenName, familyName].compactMap { $0 }.joined(separator: " ")
        return matchKey(latin.trimmed.isEmpty ? nativeName ?? "" : latin)
    }

    static func reason(_ error: LiaisonError) -> String {
        var text = error.message
        if let value = error.value, !text.contains(value) { text += " (got \"\(value)\")" }
        return text
    }
}
