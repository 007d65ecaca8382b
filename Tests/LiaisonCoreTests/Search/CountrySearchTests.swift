import Foundation
import LiaisonCore
import LiaisonTestSupport
import Testing

/// A query that names a country reaches its contacts, an agency comes before its people, and every
/// hit carries the number to call.
@Suite struct CountrySearchTests {
    static let directory: Result<Directory, LiaisonError> = Result { () throws(LiaisonError) in
        let directory = try Directory.inMemory()
        try directory.write { tx in
            let police = try tx.save(Agency(name: "Centre for Combating Trafficking in Persons", acronym: "CCTP", kind: .police, country: "MD"))
            let ion = try tx.save(Person(agencyID: police.id, givenName: "Ion", familyName: "Popescu", position: "Inspector"))
            try tx.save(Channel(personID: ion.id, kind: .mobile, value: "+37369000101", preference: 2))
            try tx.save(Channel(personID: ion.id, kind: .phone, value: "+37322000101", preference: 1, is24x7: true))
            try tx.save(Channel(personID: ion.id, kind: .email, value: "ion.popescu@police.md.example"))
            try tx.save(Channel(personID: ion.id, kind: .secureMailbox, value: "ipopescu@siena.example", label: "SIENA"))
            let bka = try tx.save(Agency(name: "Federal Criminal Police Office", nativeName: "Bundeskriminalamt", acronym: "BKA", kind: .police, country: "DE"))
            try tx.save(Person(agencyID: bka.id, givenName: "Anna", familyName: "Schmidt", position: "Liaison officer"))
            try tx.save(Person(agencyID: bka.id, givenName: "Jonas", familyName: "Weber", position: "Analyst"))
            let romania = try tx.save(Agency(name: "Romanian Police", kind: .police, country: "RO"))
            try tx.save(Person(agencyID: romania.id, givenName: "Maria", familyName: "Moldovan"))
            // Reachable around the clock by role only: no channel says 24/7.
            let hellenic = try tx.save(Agency(name: "Hellenic Police", kind: .police, country: "GR"))
            let pappas = try tx.save(Person(agencyID: hellenic.id, givenName: "Nikos", familyName: "Pappas"))
            try tx.save(Channel(personID: pappas.id, kind: .phone, value: "+302100000101"))
            try tx.save(Designation(personID: pappas.id, crimeArea: .traffickingInPersons, function: .contact24x7))
        }
        return directory
    }

    @Test func aCountrysNameFindsItsContactsAfterNameMatches() throws {
        let directory = try Self.directory.get()
        let hits = try directory.search(SearchQuery("mold"))
        // "Moldovan" is a name; Moldova's agency and its officer follow.
        #expect(hits.map(\.name) == ["Maria Moldovan", "Centre for Combating Trafficking in Persons", "Ion Popescu"])
        #expect(Set(try directory.search(SearchQuery("MD")).map(\.name)) == ["Centre for Combating Trafficking in Persons", "Ion Popescu"])
        #expect(try directory.search(SearchQuery("moldova inspector")).map(\.name) == ["Ion Popescu"])
        #expect(try directory.countries(namedIn: "mold").map(\.code) == ["MD"])
        #expect(try directory.countries(namedIn: "Moldova police").map(\.code) == ["MD"])
        // A name particle in lower case is not a country code, nor is a word that many names start.
        #expect(try directory.countries(namedIn: "maria de souza").isEmpty)
        #expect(try directory.countries(namedIn: "republic").isEmpty)
    }

    @Test func anAgencyComesBeforeItsPeople() throws {
        let hits = try Self.directory.get().search(SearchQuery("bundeskrim"))
        #expect(hits.map(\.name) == ["Federal Criminal Police Office", "Anna Schmidt", "Jonas Weber"])
        #expect(hits.first?.entity == .agency)
    }

    @Test func aHitCarriesTheNumberToCall() throws {
        let hit = try #require(try Self.directory.get().search(SearchQuery("popescu")).first)
        #expect(hit.phone == "+37322000101")
        #expect(hit.email == "ion.popescu@police.md.example")
        #expect(hit.secureChannel == "SIENA: ipopescu@siena.example")
        #expect(hit.is24x7)
        let schmidt = try #require(try Self.directory.get().search(SearchQuery("schmidt")).first)
        #expect(schmidt.phone == nil && !schmidt.is24x7)
    }

    @Test func aTwentyFourSevenRoleMarksAHitAsTheFilterFindsIt() throws {
        let directory = try Self.directory.get()
        let hits = try directory.search(SearchQuery("pappas", only24x7: true))
        #expect(hits.map(\.name) == ["Nikos Pappas"])
        #expect(hits.first?.is24x7 == true)
        #expect(hits.first?.phone == "+302100000101")
    }
}
