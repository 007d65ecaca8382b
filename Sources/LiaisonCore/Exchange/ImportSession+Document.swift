import Foundation
import GRDB

/// JSON directory documents: every record with its id, matched by id first.
extension ImportSession {
    func importDocument(_ document: DirectoryDocument, afterEach: (Int) throws -> Void) throws {
        var done = 0
        // An id names one record: a file that repeats one is ambiguous.
        var seen: [UUID: String] = [:]
        func checkUnique(_ id: UUID?, _ location: String) {
            guard let id else { return }
            if let first = seen[id] {
                errors.append(RowError(file: fileName, row: location, field: "id", reason: "\(id.lowercasedString) is also used by \(first)"))
            } else {
                seen[id] = location
            }
        }
        for (index, entry) in document.agencies.enumerated() {
            checkUnique(entry.id, "agencies[\(index)]")
            for (channelIndex, channel) in (entry.channels ?? []).enumerated() { checkUnique(channel.id, "agencies[\(index)].channels[\(channelIndex)]") }
            for (roleIndex, role) in (entry.designations ?? []).enumerated() { checkUnique(role.id, "agencies[\(index)].designations[\(roleIndex)]") }
        }
        for (index, entry) in document.contacts.enumerated() {
            checkUnique(entry.id, "contacts[\(index)]")
            for (channelIndex, channel) in (entry.channels ?? []).enumerated() { checkUnique(channel.id, "contacts[\(index)].channels[\(channelIndex)]") }
            for (roleIndex, role) in (entry.designations ?? []).enumerated() { checkUnique(role.id, "contacts[\(index)].designations[\(roleIndex)]") }
        }
        /// Agencies of the file that could not be imported, by id, with where they are in the file.
        var failedAgencies: [UUID: String] = [:]
        for (index, entry) in Self.parentsFirst(document.agencies) {
            summary.rows += 1
            let errorsBefore = errors.count
            defer { if errors.count > errorsBefore, let id = entry.id { failedAgencies[id] = "agencies[\(index)]" } }
            if let parentID = entry.parentID, let parent = failedAgencies[parentID] {
                errors.append(RowError(file: fileName, row: "agencies[\(index)]", field: "parent_id", reason: "its parent, \(parent), is invalid"))
                done += 1
                continue
            }
            record("agencies[\(index)]") {
                var agency = Agency(
                    id: entry.id ?? .timeOrdered(), name: entry.name, nativeName: entry.nativeName, acronym: entry.acronym,
                    kind: try AgencyKind.parse(entry.kind), country: entry.country, parentID: entry.parentID,
                    subdivision: entry.subdivision, address: entry.address, website: entry.website)
                if entry.id == nil, let match = agencies[(entry.parentID?.lowercasedString ?? entry.country.trimmed.uppercased()) + "|" + Self.matchKey(entry.name)] {
                    agency.id = match.id
                }
                let isNew = try tx.validator.fetch(Agency.self, agency.id) == nil
                if isNew {
                    agency = try tx.save(agency)
                    summary.agenciesCreated += 1
                    newOwners.insert(agency.id)
                } else if try saveCounting(agency) {
                    summary.agenciesUpdated += 1
                }
                agencies[agencyKey(agency)] = agency
                try importAttachments(entry.channels, entry.designations, agencyID: agency.id, personID: nil)
            }
            done += 1
            try afterEach(done)
        }
        for (index, entry) in document.contacts.enumerated() {
            summary.rows += 1
            if let agency = failedAgencies[entry.agencyID] {
                // The contact cannot be saved, but its own values can still be checked.
                let row = "contacts[\(index)]"
                errors.append(RowError(file: fileName, row: row, field: "agency_id", reason: "its agency, \(agency), is invalid"))
                errors += standaloneErrors(entry).map { RowError(file: fileName, row: row, field: $0.field ?? "record", reason: Self.reason($0)) }
                done += 1
                continue
            }
            record("contacts[\(index)]") {
                var person = Person(
                    id: entry.id ?? .timeOrdered(), agencyID: entry.agencyID, givenName: entry.givenName, familyName: entry.familyName,
                    nativeName: entry.nativeName, position: entry.position, rank: entry.rank, languages: entry.languages ?? [],
                    timeZone: entry.timeZone, verifiedAt: entry.verifiedAt, verifiedBy: entry.verifiedBy)
                if entry.id == nil, let match = try self.person(
                    holder: person.agencyID, key: Self.personMatchKey(person.givenName, person.familyName, person.nativeName)) {
                    person.id = match.id
                }
                if try tx.validator.fetch(Person.self, person.id) == nil {
                    person = try tx.save(person)
                    summary.contactsCreated += 1
                    newOwners.insert(person.id)
                } else if try saveCounting(person) {
                    summary.contactsUpdated += 1
                }
                rememberKey(person)
                try importAttachments(entry.channels, entry.designations, agencyID: nil, personID: person.id)
            }
            done += 1
            try afterEach(done)
        }
    }

    /// Errors in a contact's own values that need no database: languages, time zone, channels.
    func standaloneErrors(_ entry: DirectoryDocument.ContactEntry) -> [LiaisonError] {
        var found: [LiaisonError] = []
        func check(_ body: () throws(LiaisonError) -> Void) {
            do { try body() } catch { found.append(error) }
        }
        for tag in entry.languages ?? [] { check { () throws(LiaisonError) in _ = try reference.languageTag(tag) } }
        if let zone = entry.timeZone { check { () throws(LiaisonError) in _ = try reference.timeZone(zone) } }
        for channel in entry.channels ?? [] {
            check { () throws(LiaisonError) in
                switch try ChannelKind.parse(channel.kind) {
                case .phone, .mobile, .fax:
                    _ = try PhoneNumber(parsing: channel.value, knownCallingCodes: reference.callingCodes, field: channel.kind)
                case .email:
                    _ = try EmailAddress.normalise(channel.value)
                case .secureMailbox, .messaging, .post:
                    break
                }
            }
        }
        return found
    }

    /// Saves a record's channels and roles. An entry without an id is matched as a CSV cell is: a
    /// channel by kind and value, a role by crime area and function; what it leaves out keeps the
    /// value stored.
    func importAttachments(
        _ channels: [DirectoryDocument.ChannelEntry]?, _ designations: [DirectoryDocument.DesignationEntry]?, agencyID: UUID?, personID: UUID?
    ) throws {
        guard let ownerID = personID ?? agencyID else { return }
        let column = personID == nil ? "agency_id" : "person_id"
        for entry in channels ?? [] {
            var channel = Channel(
                id: entry.id ?? .timeOrdered(), agencyID: agencyID, personID: personID, kind: try ChannelKind.parse(entry.kind), value: entry.value,
                label: entry.label, preference: entry.preference ?? 1, is24x7: entry.is24x7 ?? false, hours: entry.hours,
                marking: try entry.marking.map { text throws(LiaisonError) in try Marking.parse(text) })
            if entry.id == nil {
                let value = try tx.validator.channel(channel).value
                if let match = try Directory.channels(owner: column, ownerID, tx.db).first(where: { $0.kind == channel.kind && $0.value == value }) {
                    channel.id = match.id
                    channel.label = entry.label ?? match.label
                    channel.preference = entry.preference ?? match.preference
                    channel.is24x7 = entry.is24x7 ?? match.is24x7
                    channel.hours = entry.hours ?? match.hours
                    if entry.marking == nil { channel.marking = match.marking }
                }
            }
            if try tx.validator.fetch(Channel.self, channel.id) == nil {
                try tx.save(channel)
                summary.channelsCreated += 1
            } else if try saveCounting(channel) {
                summary.channelsUpdated += 1
            }
        }
        for entry in designations ?? [] {
            var designation = Designation(
                id: entry.id ?? .timeOrdered(), agencyID: agencyID, personID: personID,
                crimeArea: try entry.crimeArea.map { text throws(LiaisonError) in try CrimeArea.parse(text) },
                function: try FocalFunction.parse(entry.function), validFrom: entry.validFrom, validTo: entry.validTo,
                legalBasis: entry.legalBasis)
            if entry.id == nil, let match = try Directory.designations(owner: column, ownerID, tx.db).first(where: {
                $0.crimeArea == designation.crimeArea && $0.function == designation.function
            }) {
                designation.id = match.id
                designation.validFrom = entry.validFrom ?? match.validFrom
                designation.validTo = entry.validTo ?? match.validTo
                designation.legalBasis = entry.legalBasis ?? match.legalBasis
            }
            if try tx.validator.fetch(Designation.self, designation.id) == nil {
                try tx.save(designation)
                summary.designationsCreated += 1
            } else if try saveCounting(designation) {
                summary.designationsUpdated += 1
            }
        }
    }

    func record(_ location: String, _ body: () throws -> Void) {
        do {
            try body()
        } catch let error as LiaisonError {
            errors.append(RowError(file: fileName, row: location, field: error.field ?? "record", reason: Self.reason(error)))
        } catch {
            errors.append(RowError(file: fileName, row: location, field: "record", reason: "\(error)"))
        }
    }

    /// Agencies ordered so that each parent comes before its units, with their indexes in the file.
    static func parentsFirst(_ entries: [DirectoryDocument.AgencyEntry]) -> [(Int, DirectoryDocument.AgencyEntry)] {
        var placed: Set<UUID> = []
        var remaining = Array(entries.enumerated())
        var ordered: [(Int, DirectoryDocument.AgencyEntry)] = []
        let inFile = Set(entries.compactMap(\.id))
        while !remaining.isEmpty {
            let ready = remaining.filter { _, entry in entry.parentID.map { !inFile.contains($0) || placed.contains($0) } ?? true }
            guard !ready.isEmpty else {
                ordered += remaining  // a cycle: validation reports it
                break
            }
            ordered += ready
            placed.formUnion(ready.compactMap { $0.1.id })
            let readyIndexes = Set(ready.map(\.0))
            remaining.removeAll { readyIndexes.contains($0.0) }
        }
        return ordered
    }
}
