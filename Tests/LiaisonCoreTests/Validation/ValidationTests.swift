import Foundation
import GRDB
import LiaisonCore
import LiaisonTestSupport
import Testing

@Suite struct ValidationTests {
    @Test(arguments: [
        ("+373 22 123 456", "+37322123456"),
        ("+373 (22) 12-34-56", "+37322123456"),
        ("00373 22 123 456", "+37322123456"),
        ("+1 212 555 0100", "+12125550100"),
    ])
    func phonesAreNormalisedToE164(input: String, expected: String) throws {
        #expect(try PhoneNumber(parsing: input).e164 == expected)
    }

    @Test func bracketedTrunkZeroIsDropped() throws {
        #expect(try PhoneNumber(parsing: "+44 (0)20 7946 0000").e164 == "+442079460000")
    }

    @Test func unknownCountryCallingCodesAreRefused() throws {
        let directory = try Fixtures.emptyNode()
        let police = try Fixtures.moldovaPolice(directory)
        let error = #expect(throws: LiaisonError.self) {
            try directory.write { tx in try tx.save(Channel(agencyID: police.id, kind: .phone, value: "+999 123 4567")) }
        }
        #expect(error?.field == "phone")
        #expect(error?.message.contains("calling code") == true)
    }

    @Test func controlCharactersAreRefused() throws {
        let directory = try Fixtures.emptyNode()
        let police = try Fixtures.moldovaPolice(directory)
        let error = #expect(throws: LiaisonError.self) {
            try directory.write { tx in try tx.save(Person(agencyID: police.id, givenName: "Evil\u{1B}]0;pwned\u{07}")) }
        }
        #expect(error?.field == "given_name")
        #expect(error?.value?.unicodeScalars.contains { $0.value < 0x20 } == false, "the error does not echo the control characters")
        try directory.write { tx in try tx.save(Agency(name: "Post Office", kind: .other, country: "MD", address: "Str. 1\nChisinau")) }
    }

    @Test func nationalNumbersUseTheCountryCallingCode() throws {
        #expect(try PhoneNumber(parsing: "022 123 456", callingCode: "373").e164 == "+37322123456")
        #expect(try PhoneNumber(parsing: "06 1234 5678", callingCode: "39").e164 == "+390612345678")
    }

    @Test(arguments: ["call me", "+373 22 ABC", "+12", "+0 22 123 456", "123456789", "+1234567890123456"])
    func nonPhonesAreRefused(input: String) {
        let error = #expect(throws: LiaisonError.self) { try PhoneNumber(parsing: input) }
        #expect(error?.field == "phone")
        #expect(error?.value == input)
    }

    @Test func invalidValuesNameFieldAndValueAndWriteNothing() throws {
        let directory = try Fixtures.emptyNode()
        let police = try Fixtures.moldovaPolice(directory)
        let commitsBefore = try directory.stats().commits
        let cases: [(String, @Sendable (DirectoryTransaction) throws -> Void)] = [
            ("country", { tx in try tx.save(Agency(name: "X", kind: .police, country: "QQ")) }),
            ("subdivision", { tx in try tx.save(Agency(name: "X", kind: .police, country: "MD", subdivision: "GR-A")) }),
            ("website", { tx in try tx.save(Agency(name: "X", kind: .police, country: "MD", website: "not a url")) }),
            ("name", { tx in try tx.save(Agency(name: "  ", kind: .police, country: "MD")) }),
            ("languages", { tx in try tx.save(Person(agencyID: police.id, givenName: "Ana", languages: ["xx-!!"])) }),
            ("languages", { tx in try tx.save(Person(agencyID: police.id, givenName: "Ana", languages: ["qq"])) }),
            ("timezone", { tx in try tx.save(Person(agencyID: police.id, givenName: "Ana", timeZone: "Mars/Olympus")) }),
            ("given_name", { tx in try tx.save(Person(agencyID: police.id)) }),
            ("agency", { tx in try tx.save(Person(agencyID: UUID(), givenName: "Ana")) }),
            ("email", { tx in try tx.save(Channel(agencyID: police.id, kind: .email, value: "ana@@example")) }),
            ("phone", { tx in try tx.save(Channel(agencyID: police.id, kind: .phone, value: "twelve")) }),
            ("valid_to", { tx in try tx.save(Designation(agencyID: police.id, crimeArea: nil, function: .policy, validFrom: "2026-02-01", validTo: "2026-01-01")) }),
        ]
        for (field, write) in cases {
            let error = #expect(throws: LiaisonError.self, "\(field)") {
                try directory.write { tx in
                    try tx.save(Agency(name: "Written before the bad value", kind: .other, country: "MD"))
                    try write(tx)
                }
            }
            #expect(error?.code == .invalidValue)
            #expect(error?.field == field, "expected field \(field), got \(String(describing: error))")
        }
        #expect(try directory.stats().commits == commitsBefore)
        #expect(try directory.agencies().count == 1)
    }

    @Test func valuesAreNormalised() throws {
        let directory = try Fixtures.emptyNode()
        let police = try Fixtures.moldovaPolice(directory)
        #expect(police.country == "MD")
        let (person, _) = try directory.write { tx in
            let person = try tx.save(Person(agencyID: police.id, givenName: " Ana ", languages: ["RO", "en-gb", "zh-hans-cn"], timeZone: "europe/chisinau"))
            try tx.save(Channel(personID: person.id, kind: .phone, value: "+373 22 123 456"))
            try tx.save(Channel(personID: person.id, kind: .email, value: "Ana.Pop@Police.MD.example"))
            return person
        }
        #expect(person.givenName == "Ana")
        #expect(person.languages == ["ro", "en-GB", "zh-Hans-CN"])
        #expect(person.timeZone == "Europe/Chisinau")
        let channels = try directory.contactCard(person.id).channels.map(\.value).sorted()
        #expect(channels == ["+37322123456", "Ana.Pop@police.md.example"])
    }

    @Test func vocabularyIsCaseInsensitiveAndListsAllowedValues() throws {
        #expect(try AgencyKind.parse("Labour-Inspectorate") == .labourInspectorate)
        #expect(try Marking.parse("tlp:amber+strict") == .amberStrict)
        let error = #expect(throws: LiaisonError.self) { try CrimeArea.parse("piracy") }
        #expect(error?.message.contains("trafficking-in-persons") == true)
    }

    @Test func onlyTheStewardEditsARecord() throws {
        let directory = try Fixtures.emptyNode()
        let police = try Fixtures.moldovaPolice(directory)
        try directory.database.write { db in try db.execute(sql: "UPDATE agency SET steward = ?", arguments: [String(repeating: "ab", count: 16)]) }
        var renamed = police
        renamed.name = "Renamed"
        let error = #expect(throws: LiaisonError.self) { try directory.write { [renamed] tx in try tx.save(renamed) } }
        #expect(error?.code == .conflict)
    }

    @Test func removingAnAgencyWithContactsNeedsCascade() throws {
        let directory = try Fixtures.emptyNode()
        let police = try Fixtures.moldovaPolice(directory)
        try directory.write { tx in
            let person = try tx.save(Person(agencyID: police.id, givenName: "Ana"))
            try tx.save(Channel(personID: person.id, kind: .phone, value: "+37322123456"))
        }
        let error = #expect(throws: LiaisonError.self) { try directory.write { tx in try tx.removeAgency(police.id) } }
        #expect(error?.code == .conflict)
        try directory.write { tx in try tx.removeAgency(police.id, cascade: true) }
        let stats = try directory.stats()
        #expect(stats.agencies == 0 && stats.contacts == 0 && stats.channels == 0)
        #expect(try directory.search(SearchQuery("ana")).isEmpty)
    }
}

@Suite struct ListColumnTests {
    @Test func languagesWithUnusualCharactersSurviveTheListColumn() throws {
        let directory = try Fixtures.emptyNode()
        let police = try Fixtures.moldovaPolice(directory)
        let (person, _) = try directory.write { tx in
            try tx.save(Person(agencyID: police.id, givenName: "Ana", languages: ["ro", "en-GB", "sr-Latn"]))
        }
        #expect(try directory.contactCard(person.id).person.languages == ["ro", "en-GB", "sr-Latn"])
        let raw = try directory.read { db in try String.fetchOne(db, sql: "SELECT languages FROM person") }
        let decoded = try JSONDecoder().decode([String].self, from: Data((raw ?? "").utf8))
        #expect(decoded == ["ro", "en-GB", "sr-Latn"], "the column is plain JSON for the sqlite3 shell")
    }
}
