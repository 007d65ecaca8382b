public import Foundation
import GRDB

/// The export formats.
public enum ExportFormat: String, Sendable, CaseIterable {
    case json, csv, vcard
}

extension Directory {
    /// Writes the directory, or one country of it, in a format.
    ///
    /// JSON carries every field and id and round-trips through ``importFile(_:dryRun:progress:)``; CSV
    /// carries the columns of ``CSVFormat`` and round-trips too; vCard 4.0 (RFC 6350) has one card per
    /// contact for phones and address books.
    public func export(_ format: ExportFormat, country: String? = nil) throws(LiaisonError) -> Data {
        let country = try country.map { code throws(LiaisonError) in try self.country(code).code }
        // Cards go to phones and address books: a duplicate retired into another is left out, and
        // its channels travel with the card of the one that stays. JSON and CSV keep every record.
        let snapshot = try read { db in try ExportSnapshot(db, country: country, leavingOutRetired: format == .vcard) }
        switch format {
        case .json: return try snapshot.json()
        case .csv: return snapshot.csv()
        case .vcard: return Data(snapshot.vCards().utf8)
        }
    }
}

extension Directory {
    /// One contact's vCard 4.0, for a phone; a retired duplicate's id gives the card of the one
    /// that stays, with the channels of both.
    public func vCard(contact id: UUID) throws(LiaisonError) -> String {
        let card = try contactCard(id)
        return try read { db in
            var snapshot = try ExportSnapshot(db, country: card.agency.country, leavingOutRetired: true)
            snapshot.persons = snapshot.persons.filter { $0.id == card.person.id }
            snapshot.channels = snapshot.channels.filter { $0.key == card.person.id }
            snapshot.designations = snapshot.designations.filter { $0.key == card.person.id }
            return snapshot.vCards()
        }
    }
}

/// The live records to export, read in one transaction.
struct ExportSnapshot {
    var agencies: [Agency]
    var persons: [Person]
    var channels: [UUID: [Channel]]
    var designations: [UUID: [Designation]]
    var countries: [String: Country]

    init(_ db: Database, country: String?, leavingOutRetired: Bool = false) throws {
        agencies = try Agency.fetchAll(db, sql: "SELECT * FROM agency WHERE deleted = 0 AND (?1 IS NULL OR country = ?1) ORDER BY country, name", arguments: [country])
        var agencyIDs = Set(agencies.map(\.id))
        persons = try Person.fetchAll(db, sql: "SELECT * FROM person WHERE deleted = 0 ORDER BY family_name, given_name, native_name, id")
            .filter { agencyIDs.contains($0.agencyID) }
        let survivors = leavingOutRetired ? try RetiredRecords.survivors(in: db) : [:]
        if !survivors.isEmpty {
            agencies.removeAll { survivors[$0.id] != nil }
            persons.removeAll { survivors[$0.id] != nil }
            agencyIDs = Set(agencies.map(\.id))
            persons = persons.map { person in
                var person = person
                person.agencyID = survivors[person.agencyID] ?? person.agencyID
                return person
            }
        }
        let owners = agencyIDs.union(persons.map(\.id))
        channels = Dictionary(grouping: try Channel.fetchAll(db, sql: "SELECT * FROM channel WHERE deleted = 0 ORDER BY kind, preference, value")
            .map { channel in
                var channel = channel
                if let owner = channel.personID, let survivor = survivors[owner] { channel.personID = survivor }
                if let owner = channel.agencyID, let survivor = survivors[owner] { channel.agencyID = survivor }
                return channel
            }
            .filter { ($0.personID ?? $0.agencyID).map(owners.contains) ?? false }) { ($0.personID ?? $0.agencyID) ?? UUID() }
        designations = Dictionary(grouping: try Designation.fetchAll(db, sql: "SELECT * FROM designation WHERE deleted = 0 ORDER BY crime_area, function")
            .filter { ($0.personID ?? $0.agencyID).map(owners.contains) ?? false }) { ($0.personID ?? $0.agencyID) ?? UUID() }
        countries = Dictionary(uniqueKeysWithValues: try Country.fetchAll(db).map { ($0.code, $0) })
    }

    var agenciesByID: [UUID: Agency] { Dictionary(uniqueKeysWithValues: agencies.map { ($0.id, $0) }) }

    // MARK: JSON

    func json() throws(LiaisonError) -> Data {
        let document = DirectoryDocument(
            agencies: agencies.map { agency in
                DirectoryDocument.AgencyEntry(
                    id: agency.id, name: agency.name, nativeName: agency.nativeName, acronym: agency.acronym, kind: agency.kind.rawValue,
                    country: agency.country, parentID: agency.parentID, subdivision: agency.subdivision, address: agency.address,
                    website: agency.website, channels: channels[agency.id]?.map(DirectoryDocument.ChannelEntry.init),
                    designations: designations[agency.id]?.map(DirectoryDocument.DesignationEntry.init))
            },
            contacts: persons.map { person in
                DirectoryDocument.ContactEntry(
                    id: person.id, agencyID: person.agencyID, givenName: person.givenName, familyName: person.familyName,
                    nativeName: person.nativeName, position: person.position, rank: person.rank, languages: person.languages,
                    timeZone: person.timeZone, verifiedAt: person.verifiedAt, verifiedBy: person.verifiedBy,
                    channels: channels[person.id]?.map(DirectoryDocument.ChannelEntry.init),
                    designations: designations[person.id]?.map(DirectoryDocument.DesignationEntry.init))
            })
        return try JSONOutput.encode(document)
    }

    // MARK: vCard

    /// vCard 4.0 (RFC 6350), CRLF line endings, lines folded at 75 octets: one card per contact, and
    /// one `KIND:org` card per agency or unit that has channels of its own (24/7 desks, hotlines).
    func vCards() -> String {
        let byID = agenciesByID
        var text = ""
        for person in persons {
            guard let agency = byID[person.agencyID] else { continue }
            let top = agency.parentID.flatMap { byID[$0] }
            var lines = ["BEGIN:VCARD", "VERSION:4.0", "KIND:individual"]
            if let native = person.nativeName, native != person.displayName {
                lines.append("FN;ALTID=1;PREF=1:" + VCard.escape(person.displayName))
                lines.append("FN;ALTID=1:" + VCard.escape(native))
            } else {
                lines.append("FN:" + VCard.escape(person.displayName))
            }
            lines.append("N:" + [person.familyName, person.givenName, nil, nil, nil].map { VCard.escape($0 ?? "") }.joined(separator: ";"))
            lines.append("ORG:" + [top?.name, agency.name].compactMap { $0 }.map(VCard.escape).joined(separator: ";"))
            if let position = person.position { lines.append("TITLE:" + VCard.escape(position)) }
            if let rank = person.rank { lines.append("ROLE:" + VCard.escape(rank)) }
            lines += VCard.channelLines(channels[person.id] ?? [])
            for (index, language) in person.languages.enumerated() { lines.append("LANG;PREF=\(index + 1):\(language)") }
            if let timeZone = person.timeZone { lines.append("TZ;VALUE=text:" + VCard.escape(timeZone)) }
            if let address = agency.address ?? top?.address { lines.append(VCard.address(address, country: countries[agency.country]?.name ?? agency.country)) }
            lines += VCard.designationLines(designations[person.id] ?? [])
            lines.append("UID:urn:uuid:\(person.id.lowercasedString)")
            if let modified = person.metadata?.modifiedAt { lines.append("REV:" + VCard.timestamp(modified)) }
            lines.append("END:VCARD")
            text += lines.map(VCard.fold).joined()
        }
        for agency in agencies {
            guard let own = channels[agency.id], !own.isEmpty else { continue }
            let top = agency.parentID.flatMap { byID[$0] }
            var lines = ["BEGIN:VCARD", "VERSION:4.0", "KIND:org"]
            lines.append("FN:" + VCard.escape([top?.name, agency.name].compactMap { $0 }.joined(separator: " — ")))
            lines.append("ORG:" + [top?.name, agency.name].compactMap { $0 }.map(VCard.escape).joined(separator: ";"))
            lines += VCard.channelLines(own)
            if let address = agency.address ?? top?.address { lines.append(VCard.address(address, country: countries[agency.country]?.name ?? agency.country)) }
            if let website = agency.website { lines.append("URL:" + website) }
            lines += VCard.designationLines(designations[agency.id] ?? [])
            lines.append("UID:urn:uuid:\(agency.id.lowercasedString)")
            if let modified = agency.metadata?.modifiedAt { lines.append("REV:" + VCard.timestamp(modified)) }
            lines.append("END:VCARD")
            text += lines.map(VCard.fold).joined()
        }
        return text
    }
}

/// vCard text rules (RFC 6350 §3.2, §3.4).
enum VCard {
    static func channelLines(_ channels: [Channel]) -> [String] {
        channels.sorted { $0.preference < $1.preference }.map { channel in
            let pref = min(channel.preference, 100)
            let note = channel.is24x7 ? ";X-LIAISON-24X7=true" : ""
            switch channel.kind {
            case .phone, .mobile, .fax:
                let type = channel.kind == .phone ? "work,voice" : channel.kind == .mobile ? "cell,voice" : "fax"
                return "TEL;VALUE=uri;TYPE=\"\(type)\";PREF=\(pref)\(note):tel:\(channel.value)"
            case .email:
                return "EMAIL;TYPE=work;PREF=\(pref)\(note):" + escape(channel.value)
            case .secureMailbox, .messaging, .post:
                return "X-LIAISON-CHANNEL;TYPE=\(channel.kind.rawValue)\(note):" + escape((channel.label.map { "\($0): " } ?? "") + channel.value)
            }
        }
    }

    static func designationLines(_ designations: [Designation]) -> [String] {
        let roles = designations.map { designation in
            [designation.crimeArea?.rawValue ?? "all crime areas", designation.function.rawValue].joined(separator: " / ")
        }
        guard !roles.isEmpty else { return [] }
        return ["NOTE:" + escape("Focal point: " + roles.joined(separator: "; "))] + roles.map { "X-LIAISON-DESIGNATION:" + escape($0) }
    }

    static func address(_ address: String, country: String) -> String {
        "ADR;TYPE=work:;;" + escape(address) + ";;;;" + escape(country)
    }

    static func escape(_ text: String) -> String {
        var result = ""
        for character in text {
            switch character {
            case "\\": result += "\\\\"
            case ",": result += "\\,"
            case ";": result += "\\;"
            case "\n", "\r\n", "\r": result += "\\n"
            default: result.append(character)
            }
        }
        return result
    }

    /// Folds a line into CRLF-terminated pieces of at most 75 octets, never splitting a character.
    static func fold(_ line: String) -> String {
        var result = ""
        var length = 0
        for character in line {
            let size = character.utf8.count
            if length + size > 75 {
                result += "\r\n "
                length = 1
            }
            result.append(character)
            length += size
        }
        return result + "\r\n"
    }

    /// `2026-11-29 10:00:00.123` (UTC) as `20261129T100000Z`.
    static func timestamp(_ databaseTime: String) -> String {
        let digits = databaseTime.prefix(19).filter(\.isNumber)
        guard digits.count == 14 else { return "" }
        return digits.prefix(8) + "T" + digits.suffix(6) + "Z"
    }
}
