import Foundation
import LiaisonCore
import LiaisonTestSupport
import Testing

/// Import rules that keep a node's data intact when files are imported again or repeat themselves.
@Suite struct ImportMatchingTests {
    static let header = "country,agency,agency_kind,unit,given_name,family_name,native_name,position,languages,timezone,phone,mobile,email,secure_channel,is_24x7,crime_areas,functions\n"

    @Test func anEmpty24x7CellKeepsTheFlagOfChannelsAlreadyHeld() throws {
        let directory = try Fixtures.emptyNode()
        _ = try directory.importCSV(Self.header + "MD,Police,police,,,,,,,,+373 22 000 101,,,,yes,,\n", fileName: "a.csv")
        _ = try directory.importCSV("country,agency,phone\nMD,Police,+373 22 000 101\n", fileName: "b.csv")
        let police = try directory.agency(matching: "Police")
        #expect(try directory.agencyCard(police.id).channels.map(\.is24x7) == [true])
        _ = try directory.importCSV(Self.header + "MD,Police,police,,,,,,,,+373 22 000 101,,,,no,,\n", fileName: "c.csv")
        #expect(try directory.agencyCard(police.id).channels.map(\.is24x7) == [false], "an explicit no still clears it")
    }

    @Test func repeatedRowsInOneFileAddNothingTwice() throws {
        let directory = try Fixtures.emptyNode()
        let row = "MD,Border Police,border,,,,,,,,+37322000200,,,,,,24x7-contact\n"
        let summary = try directory.importCSV(Self.header + row + row, fileName: "twice.csv")
        #expect(summary.channelsCreated == 1 && summary.designationsCreated == 1)
        let stats = try directory.stats()
        #expect(stats.channels == 1 && stats.designations == 1)
    }

    @Test func aRowInALaterBatchMatchesWhatAnEarlierBatchSaved() throws {
        let directory = try Fixtures.emptyNode()
        let batch = Directory.importBatchSize
        var rows = (0..<batch + 10).map { "MD,National Police,police,,Ion,Popescu \($0),,,,,+373 22 \(100_000 + $0),,,,,," }
        rows.insert("MD,National Police,police,,,,,,,,+373 22 999 999,,,,yes,,24x7-contact", at: 1)
        // In the second batch: the first contact again, written otherwise, with a new address and
        // role; and the agency's own row again.
        rows.append("md,national police,,,ION,popescu 0,,Inspector,,,+37322100000,,ion@police.md.example,,,trafficking-in-persons,")
        rows.append("MD,National Police,police,,,,,,,,+373 22 999 999,,,,,,24x7-contact")
        let csv = Self.header + rows.joined(separator: "\n") + "\n"
        let summary = try directory.importCSV(csv, fileName: "batches.csv")
        #expect(summary.commits == 2)
        #expect(summary.agenciesCreated == 1 && summary.contactsCreated == batch + 10 && summary.contactsUpdated == 1)
        #expect(summary.channelsCreated == batch + 12 && summary.channelsUpdated == 0 && summary.designationsCreated == 2)
        let stats = try directory.stats()
        #expect(stats.contacts == batch + 10 && stats.channels == batch + 12 && stats.designations == 2)
        let ion = try #require(try directory.search(SearchQuery("popescu 0")).first { $0.name == "Ion Popescu 0" })
        let card = try directory.contactCard(ion.id)
        #expect(card.person.position == "Inspector")
        #expect(Set(card.channels.map(\.value)) == ["+37322100000", "ion@police.md.example"])

        let again = try directory.importCSV(csv, fileName: "batches.csv")
        #expect(again.commits == 0 && again.contactsCreated == 0 && again.contactsUpdated == 0)
        #expect(again.channelsCreated == 0 && again.designationsCreated == 0)
    }

    @Test func unitsWithAnotherKindThanTheirAgencyRoundTrip() throws {
        let directory = try Fixtures.emptyNode()
        try directory.write { tx in
            let ministry = try tx.save(Agency(name: "Ministry of Interior", kind: .ministry, country: "MD"))
            let unit = try tx.save(Agency(name: "Police Directorate", kind: .police, country: "MD", parentID: ministry.id))
            try tx.save(Channel(agencyID: ministry.id, kind: .phone, value: "+37322000300"))
            try tx.save(Person(agencyID: unit.id, givenName: "Ana", familyName: "Pop"))
        }
        let exported = try directory.export(.csv)
        let copy = try Fixtures.emptyNode()
        _ = try copy.importCSV(String(decoding: exported, as: UTF8.self), fileName: "export.csv")
        #expect(try copy.export(.csv) == exported)
        let kinds = try copy.agencies().map { "\($0.name): \($0.kind.rawValue)" }.sorted()
        #expect(kinds == ["Ministry of Interior: ministry", "Police Directorate: police"])
        let again = try directory.importCSV(String(decoding: exported, as: UTF8.self), fileName: "export.csv")
        #expect(again.agenciesCreated == 0 && again.agenciesUpdated == 0 && again.commits == 0)
    }

    @Test func secureChannelNeedsAnAddressAndColonsInAddressesStay() throws {
        let directory = try Fixtures.emptyNode()
        let error = #expect(throws: LiaisonError.self) {
            try directory.importCSV(Self.header + "MD,Police,police,,,,,,,,,,,SIENA:,,,\n", fileName: "s.csv")
        }
        #expect(error?.rowErrors.first?.description == "s.csv:2: secure_channel: no address after \"SIENA:\"")
        _ = try directory.importCSV(Self.header + "MD,Police,police,,,,,,,,,,,xmpp:desk@chat.example;SIENA: md@siena.example,,,\n", fileName: "s.csv")
        let channels = try directory.agencyCard(try directory.agency(matching: "Police").id).channels
        #expect(Set(channels.map { "\($0.label ?? "-")|\($0.value)" }) == ["-|xmpp:desk@chat.example", "SIENA|md@siena.example"])
    }
}

extension ImportMatchingTests {
    @Test func aUnitRowWithoutAKindLeavesTheUnitsKind() throws {
        let directory = try Fixtures.emptyNode()
        try directory.write { tx in
            let ministry = try tx.save(Agency(name: "Ministry of Interior", kind: .ministry, country: "MD"))
            try tx.save(Agency(name: "Border Unit", kind: .border, country: "MD", parentID: ministry.id))
        }
        _ = try directory.importCSV("country,agency,unit,given_name,family_name\nMD,Ministry of Interior,Border Unit,New,Person\n", fileName: "u.csv")
        #expect(try directory.agency(matching: "Border Unit").kind == .border)
    }

    @Test func jsonFilesMayNotRepeatAnID() throws {
        let directory = try Fixtures.emptyNode()
        let id = UUID().uuidString
        let json = #"{"format":"liaison-directory","version":1,"agencies":[{"id":"\#(id)","name":"A","kind":"police","country":"MD"},{"id":"\#(id)","name":"B","kind":"police","country":"MD"}],"contacts":[]}"#
        let error = #expect(throws: LiaisonError.self) { try directory.importJSON(Data(json.utf8), fileName: "dup.json") }
        #expect(error?.rowErrors.first?.description == "dup.json:agencies[1]: id: \(id.lowercased()) is also used by agencies[0]")
    }

    @Test func aHandWrittenJSONFileWithoutIDsImportsAgainWithoutAddingAnything() throws {
        let directory = try Fixtures.emptyNode()
        let json = Data("""
            {"format": "liaison-directory", "version": 1,
             "agencies": [{"id": "11111111-2222-4333-8444-555555555555", "name": "Police", "kind": "police", "country": "MD",
               "channels": [{"kind": "phone", "value": "+373 22 000 100", "is_24x7": true}],
               "designations": [{"function": "24x7-contact", "crime_area": "trafficking-in-persons", "legal_basis": "Law 241"}]}],
             "contacts": [{"agency_id": "11111111-2222-4333-8444-555555555555", "given_name": "Ana", "family_name": "Rusu",
               "channels": [{"kind": "secure-mailbox", "value": "ana@siena.example", "label": "SIENA"}],
               "designations": [{"function": "operational-contact"}]}]}
            """.utf8)
        _ = try directory.importJSON(json, fileName: "hand.json")
        let again = try directory.importJSON(
            Data(String(decoding: json, as: UTF8.self).replacingOccurrences(of: #", "is_24x7": true"#, with: "")
                .replacingOccurrences(of: #", "legal_basis": "Law 241""#, with: "").utf8),
            fileName: "hand.json")
        #expect(again.channelsCreated == 0 && again.designationsCreated == 0)
        #expect(again.commits == 0, "what the second file leaves out keeps its stored value")
        let stats = try directory.stats()
        #expect(stats.channels == 2 && stats.designations == 2)
    }
}

@Suite struct DirectoryRulesTests {
    @Test func agencyNamesAndAcronymsAreUniqueInACountryWhateverThePath() throws {
        let directory = try Fixtures.emptyNode()
        let (second, _) = try directory.write { tx in
            try tx.save(Agency(name: "National Police", acronym: "NP", kind: .police, country: "MD"))
            return try tx.save(Agency(name: "Border Police", kind: .border, country: "MD"))
        }
        var renamed = second
        renamed.name = "national  POLICE"
        let byName = #expect(throws: LiaisonError.self) { try directory.write { [renamed] tx in try tx.save(renamed) } }
        #expect(byName?.field == "name")
        var acronym = second
        acronym.acronym = "np"
        let byAcronym = #expect(throws: LiaisonError.self) { try directory.write { [acronym] tx in try tx.save(acronym) } }
        #expect(byAcronym?.field == "acronym")
        try directory.write { tx in try tx.save(Agency(name: "National Police", kind: .police, country: "RO")) }
    }

    @Test func anAgencyWithUnitsCannotMoveCountry() throws {
        let directory = try Fixtures.emptyNode()
        let (ministry, _) = try directory.write { tx in
            let ministry = try tx.save(Agency(name: "Ministry", kind: .ministry, country: "MD"))
            try tx.save(Agency(name: "Unit", kind: .police, country: "MD", parentID: ministry.id))
            return ministry
        }
        var moved = ministry
        moved.country = "RO"
        let error = #expect(throws: LiaisonError.self) { try directory.write { [moved] tx in try tx.save(moved) } }
        #expect(error?.field == "country")
    }

    @Test func replacingChannelsWithoutA24x7ChoiceKeepsTheFlag() throws {
        let directory = try Fixtures.emptyNode()
        let police = try Fixtures.moldovaPolice(directory)
        try directory.write { tx in try tx.save(Channel(agencyID: police.id, kind: .phone, value: "+37322000101", is24x7: true)) }
        let (_, commits) = try directory.write { tx in
            try tx.replaceChannels(
                [Channel(kind: .phone, value: "+373 22 00 01 01"), Channel(kind: .phone, value: "+373 22 000 101")], kind: .phone, is24x7: nil,
                agencyID: police.id, personID: nil)
        }
        #expect(commits.isEmpty)
        #expect(try directory.agencyCard(police.id).channels.map(\.is24x7) == [true])
        try directory.write { tx in try tx.replaceChannels([], kind: .phone, is24x7: nil, agencyID: police.id, personID: nil) }
        #expect(try directory.agencyCard(police.id).channels.isEmpty)
    }

    @Test(arguments: ["Pope\u{200B}scu", "\u{202E}ucsepoP", "Pop\u{2066}escu"])
    func invisibleCharactersInNamesAreRefused(name: String) throws {
        let directory = try Fixtures.emptyNode()
        let police = try Fixtures.moldovaPolice(directory)
        let error = #expect(throws: LiaisonError.self) {
            try directory.write { tx in try tx.save(Person(agencyID: police.id, givenName: "Ion", familyName: name)) }
        }
        #expect(error?.field == "family_name")
    }

    @Test func overlongValuesAreRefusedAndPositionsMayHaveLineBreaks() throws {
        let directory = try Fixtures.emptyNode()
        let police = try Fixtures.moldovaPolice(directory)
        let error = #expect(throws: LiaisonError.self) {
            try directory.write { tx in try tx.save(Person(agencyID: police.id, givenName: String(repeating: "a", count: 5000))) }
        }
        #expect(error?.field == "given_name")
        let (person, _) = try directory.write { tx in try tx.save(Person(agencyID: police.id, givenName: "Ana", position: "Head of Unit\r\nDeputy Director")) }
        #expect(person.position == "Head of Unit\nDeputy Director")
    }

    @Test func unitsCannotHaveUnits() throws {
        let directory = try Fixtures.emptyNode()
        let error = #expect(throws: LiaisonError.self) {
            try directory.write { tx in
                let agency = try tx.save(Agency(name: "Police", kind: .police, country: "MD"))
                let unit = try tx.save(Agency(name: "Unit", kind: .police, country: "MD", parentID: agency.id))
                try tx.save(Agency(name: "Sub-unit", kind: .police, country: "MD", parentID: unit.id))
            }
        }
        #expect(error?.field == "parent")
    }

    @Test(arguments: ["2024-1-015", "+024-01-15", "2024-02-30", "24-01-2024"])
    func malformedDatesAreRefused(date: String) throws {
        let directory = try Fixtures.emptyNode()
        let police = try Fixtures.moldovaPolice(directory)
        let error = #expect(throws: LiaisonError.self) {
            try directory.write { tx in try tx.save(Designation(agencyID: police.id, crimeArea: nil, function: .policy, validFrom: date)) }
        }
        #expect(error?.field == "valid_from")
    }

    @Test func replacingChannelsKeepsThoseThatDidNotChange() throws {
        let directory = try Fixtures.emptyNode()
        let police = try Fixtures.moldovaPolice(directory)
        try directory.write { tx in try tx.save(Channel(agencyID: police.id, kind: .phone, value: "+373 22 000 101")) }
        let before = try directory.agencyCard(police.id).channels
        let (_, commits) = try directory.write { tx in
            try tx.replaceChannels([Channel(kind: .phone, value: "+373 (22) 000-101")], kind: .phone, is24x7: nil, agencyID: police.id, personID: nil)
        }
        #expect(commits.isEmpty, "the same number written differently is no change")
        try directory.write { tx in
            try tx.replaceChannels([Channel(kind: .phone, value: "+373 22 000 101"), Channel(kind: .phone, value: "+373 22 000 102")], kind: .phone, is24x7: nil, agencyID: police.id, personID: nil)
        }
        let after = try directory.agencyCard(police.id).channels
        #expect(after.count == 2 && after.contains { $0.id == before[0].id })
    }

    @Test func renamingAnAgencyReindexesItsUnitsAndTheirContacts() throws {
        let directory = try Fixtures.emptyNode()
        let (agency, _) = try directory.write { tx in
            let agency = try tx.save(Agency(name: "Ministry of Internal Affairs", acronym: "MAI", kind: .ministry, country: "MD"))
            let unit = try tx.save(Agency(name: "Border Unit", kind: .border, country: "MD", parentID: agency.id))
            try tx.save(Person(agencyID: unit.id, givenName: "Ana", familyName: "Pop"))
            return agency
        }
        #expect(Set(try directory.search(SearchQuery("mai")).map(\.name)) == ["Ministry of Internal Affairs", "Border Unit", "Ana Pop"])
        var renamed = agency
        renamed.acronym = "MIA"
        try directory.write { [renamed] tx in try tx.save(renamed) }
        #expect(Set(try directory.search(SearchQuery("mia")).map(\.name)) == ["Ministry of Internal Affairs", "Border Unit", "Ana Pop"])
        #expect(try directory.search(SearchQuery("mai")).isEmpty)
    }

    @Test func anyLatinSpellingOfAQueryWordMatches() throws {
        let directory = try Fixtures.emptyNode()
        let police = try Fixtures.moldovaPolice(directory)
        try directory.write { tx in try tx.save(Person(agencyID: police.id, givenName: "Andrei", familyName: "Zhukov")) }
        #expect(try directory.search(SearchQuery("Жуков")).map(\.name) == ["Andrei Zhukov"])
    }
}

@Suite struct CountryPageTests {
    @Test func endedAndFutureRolesAreLeftOffTheCountryPage() throws {
        let directory = try Fixtures.emptyNode()
        let police = try Fixtures.moldovaPolice(directory)
        try directory.write { tx in
            try tx.save(Designation(agencyID: police.id, crimeArea: .extradition, function: .contact24x7, validTo: "2020-01-01"))
            try tx.save(Designation(agencyID: police.id, crimeArea: .cybercrime, function: .contact24x7, validFrom: "2099-01-01"))
            try tx.save(Designation(agencyID: police.id, crimeArea: .traffickingInPersons, function: .contact24x7, validFrom: "2020-01-01"))
        }
        let page = try directory.countryPage("MD")
        #expect(page.focalPoints.map(\.crimeArea) == [.traffickingInPersons])
    }
}
