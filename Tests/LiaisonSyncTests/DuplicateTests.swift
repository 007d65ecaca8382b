import Foundation
import GRDB
@testable import LiaisonCore
@testable import LiaisonSync
import LiaisonTestSupport
import Testing

/// Two nodes that add the same person or agency: receiving keeps both, `likelyDuplicates` finds
/// them, and a decision settles the pair on every node alike.
@Suite struct DuplicateTests {
    /// Node 0 creates the police; both nodes then add Ion Popescu to it, with the same phone.
    /// Returns the nodes, the agency and each node's record of him.
    private func sameContactOnTwoNodes() throws -> (nodes: [Directory], police: Agency, first: Person, second: Person) {
        let nodes = try Federation.nodes(2)
        let police = Agency(name: "Centre for Combating Trafficking in Persons", acronym: "CCTP", kind: .police, country: "MD")
        _ = try nodes[0].write { tx in try tx.save(police) }
        try Federation.sync(nodes[0], to: nodes[1])
        let first = Person(agencyID: police.id, givenName: "Ion", familyName: "Popescu", position: "Head of unit")
        let second = Person(agencyID: police.id, givenName: "ION", familyName: "Popescu")
        _ = try nodes[0].write { tx in
            try tx.save(first)
            try tx.save(Channel(personID: first.id, kind: .phone, value: "+37322000101", is24x7: true))
        }
        _ = try nodes[1].write { tx in
            try tx.save(second)
            try tx.save(Channel(personID: second.id, kind: .phone, value: "+373 22 000 101"))
            try tx.save(Channel(personID: second.id, kind: .email, value: "ion.popescu@police.md.example"))
            try tx.save(Designation(personID: second.id, crimeArea: .traffickingInPersons, function: .operationalContact))
        }
        return (nodes, police, first, second)
    }

    @Test func aBundleImportKeepsBothAndCountsTheNewPair() throws {
        let (nodes, _, first, second) = try sameContactOnTwoNodes()
        let folder = Fixtures.temporaryFolder()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let bundle = folder.appending(path: "node0.liaison-bundle")
        _ = try nodes[0].exportBundle(to: bundle, assumes: VersionVector())

        let summary = try nodes[1].importBundle(from: bundle)
        #expect(summary.report.refusedChanges.isEmpty)
        #expect(summary.report.newLikelyDuplicates == 1)
        #expect(try nodes[1].search(SearchQuery("popescu")).count == 2)

        let pairs = try nodes[1].likelyDuplicates()
        #expect(pairs.count == 1)
        let pair = try #require(pairs.first)
        #expect(pair.kind == .person)
        #expect(Set([pair.first.id, pair.second.id]) == [first.id, second.id])
        #expect(pair.reasons == [.sameName, .sharedPhone, .similarName])
        #expect(Set([pair.first.stewardName, pair.second.stewardName]) == ["this node", "Node 0 (Agency 0)"])

        // Importing the same bundle again adds no pair.
        #expect(try nodes[1].importBundle(from: bundle).report.newLikelyDuplicates == 0)
    }

    @Test func theStewardRetiresItsRecordAndEveryNodeShowsOne() throws {
        let (nodes, police, first, second) = try sameContactOnTwoNodes()
        try Federation.syncAll(nodes)
        // Node 1 keeps `second`: its decision retires it at once and moves its channels and role.
        let outcome = try nodes[1].write { tx in
            try tx.decideDuplicate(.person, record: second.id, other: first.id, verdict: .same, note: "one officer")
        }.value
        // The phone both have moves too, with its details: pages show it once.
        #expect(outcome == .retired(moved: 3, keptByOthers: 0))
        try Federation.syncAll(nodes)
        #expect(try nodes[0].digest() == nodes[1].digest())

        for node in nodes {
            #expect(try node.search(SearchQuery("popescu")).map(\.id) == [first.id])
            #expect(try node.likelyDuplicates().isEmpty)
            #expect(try node.contacts(agency: police.id).map(\.person.id) == [first.id])
            #expect(try node.stats().contacts == 1)
            // The retired id still finds the contact, as the survivor.
            let card = try node.contactCard(second.id)
            #expect(card.person.id == first.id)
            #expect(card.sameAs == [second.id])
            #expect(Set(card.channels.map(\.value)) == ["+37322000101", "ion.popescu@police.md.example"])
            #expect(card.designations.map(\.function) == [.operationalContact])
            let page = try node.countryPage("MD")
            #expect(page.contacts24x7.count == 1)
            #expect(page.focalPoints.map(\.holder) == ["Ion Popescu"])
        }
    }

    @Test func anotherNodesDecisionIsAProposalUntilTheStewardAgrees() throws {
        let (nodes, _, first, second) = try sameContactOnTwoNodes()
        try Federation.syncAll(nodes)
        // Node 0 does not keep `second`: its decision waits for node 1.
        let outcome = try nodes[0].write { tx in
            try tx.decideDuplicate(.person, record: second.id, other: first.id, verdict: .same)
        }.value
        #expect(outcome == .proposed(steward: nodes[1].node.id.hex, stewardName: "Node 1 (Agency 1)"))
        try Federation.syncAll(nodes)
        for node in nodes {
            #expect(try node.search(SearchQuery("popescu")).count == 2)
            let pair = try #require(try node.likelyDuplicates().first)
            #expect(pair.proposals.map(\.recordID) == [second.id])
        }
        // Nor can it retire its own record into itself, or decide on a record that is not there.
        #expect(throws: LiaisonError.self) { try nodes[0].write { tx in try tx.decideDuplicate(.person, record: first.id, other: first.id, verdict: .same) } }
        #expect(throws: LiaisonError.self) { try nodes[0].write { tx in try tx.decideDuplicate(.person, record: first.id, other: UUID(), verdict: .same) } }

        _ = try nodes[1].write { tx in try tx.decideDuplicate(.person, record: second.id, other: first.id, verdict: .same) }
        try Federation.syncAll(nodes)
        for node in nodes { #expect(try node.search(SearchQuery("popescu")).map(\.id) == [first.id]) }
    }

    @Test func notADuplicateIsNeverListedAgain() throws {
        let (nodes, _, first, second) = try sameContactOnTwoNodes()
        try Federation.syncAll(nodes)
        #expect(try nodes[0].write { tx in try tx.decideDuplicate(.person, record: first.id, other: second.id, verdict: .distinct) }.value == .distinct)
        try Federation.syncAll(nodes)
        for node in nodes {
            #expect(try node.likelyDuplicates().isEmpty)
            #expect(try node.search(SearchQuery("popescu")).count == 2)
        }
        #expect(try nodes[0].digest() == nodes[1].digest())
    }

    @Test func twoStewardsRetiringEachIntoTheOtherKeepTheSmallerID() throws {
        let (nodes, _, first, second) = try sameContactOnTwoNodes()
        try Federation.syncAll(nodes)
        _ = try nodes[0].write { tx in try tx.decideDuplicate(.person, record: first.id, other: second.id, verdict: .same) }
        _ = try nodes[1].write { tx in try tx.decideDuplicate(.person, record: second.id, other: first.id, verdict: .same) }
        try Federation.syncAll(nodes)
        let survivor = min(first.id.lowercasedString, second.id.lowercasedString)
        #expect(try nodes[0].digest() == nodes[1].digest())
        for node in nodes {
            #expect(try node.search(SearchQuery("popescu")).map(\.id.lowercasedString) == [survivor])
            // Neither steward's move lost a channel: the survivor's card shows both nodes' channels.
            let card = try node.contactCard(first.id)
            #expect(card.person.id.lowercasedString == survivor)
            #expect(Set(card.channels.map(\.value)) == ["+37322000101", "ion.popescu@police.md.example"])
            #expect(card.channels.contains { $0.value == "+37322000101" && $0.is24x7 })
        }
    }

    @Test func theStewardUndoesASameWithALaterDistinct() throws {
        let (nodes, _, first, second) = try sameContactOnTwoNodes()
        try Federation.syncAll(nodes)
        _ = try nodes[1].write { tx in try tx.decideDuplicate(.person, record: second.id, other: first.id, verdict: .same) }
        try Federation.syncAll(nodes)
        #expect(try nodes[0].search(SearchQuery("popescu")).count == 1)
        _ = try nodes[1].write { tx in try tx.decideDuplicate(.person, record: second.id, other: first.id, verdict: .distinct) }
        try Federation.syncAll(nodes)
        for node in nodes {
            #expect(try node.search(SearchQuery("popescu")).count == 2)
            #expect(try node.likelyDuplicates().isEmpty)
        }
    }

    @Test func aChainOfRetirementsEndsAtOneSurvivor() throws {
        let directory = try Fixtures.emptyNode()
        let police = try Fixtures.moldovaPolice(directory)
        let people = (0..<3).map { _ in Person(agencyID: police.id, givenName: "Ion", familyName: "Popescu") }
        _ = try directory.write { tx in for person in people { try tx.save(person) } }
        _ = try directory.write { tx in try tx.decideDuplicate(.person, record: people[0].id, other: people[1].id, verdict: .same) }
        _ = try directory.write { tx in try tx.decideDuplicate(.person, record: people[1].id, other: people[2].id, verdict: .same) }
        #expect(try directory.search(SearchQuery("popescu")).map(\.id) == [people[2].id])
        #expect(try directory.contactCard(people[0].id).person.id == people[2].id)
        #expect(Set(try directory.contactCard(people[2].id).sameAs) == [people[0].id, people[1].id])
        // Retiring the survivor into a record retired into it would retire them all.
        #expect(throws: LiaisonError.self) {
            try directory.write { tx in try tx.decideDuplicate(.person, record: people[2].id, other: people[0].id, verdict: .same) }
        }
    }

    @Test func anAgencyRetiresWithItsContactsAndKeepsItsUnitsShown() throws {
        let directory = try Fixtures.emptyNode()
        let (kept, twin, unit, ion) = try directory.write { tx in
            let kept = try tx.save(Agency(name: "Border Police", kind: .border, country: "MD"))
            let twin = try tx.save(Agency(name: "Border Police of Moldova", kind: .border, country: "MD"))
            let unit = try tx.save(Agency(name: "Joint Operations Centre", kind: .border, country: "MD", parentID: twin.id))
            let ion = try tx.save(Person(agencyID: twin.id, givenName: "Ion", familyName: "Ceban"))
            return (kept, twin, unit, ion)
        }.value
        // Not into one of its own units, nor across countries.
        #expect(throws: LiaisonError.self) { try directory.write { tx in try tx.decideDuplicate(.agency, record: twin.id, other: unit.id, verdict: .same) } }
        let outcome = try directory.write { tx in try tx.decideDuplicate(.agency, record: twin.id, other: kept.id, verdict: .same) }.value
        #expect(outcome == .retired(moved: 1, keptByOthers: 0))
        let card = try directory.agencyCard(twin.id)
        #expect(card.agency.id == kept.id)
        #expect(card.contacts.map(\.id) == [ion.id])
        #expect(card.units.map(\.id) == [unit.id])
        #expect(try directory.agencies(country: "MD").map(\.id).contains(twin.id) == false)
        let page = try directory.countryPage("MD")
        #expect(page.agencies.map(\.agency.id) == [kept.id])
    }

    @Test func agenciesOfOneNameInOneCountryArePaired() throws {
        let nodes = try Federation.nodes(2)
        let first = Agency(name: "Border Police", kind: .border, country: "MD")
        let second = Agency(name: "border police", kind: .border, country: "MD")
        let elsewhere = Agency(name: "Border Police", kind: .border, country: "RO")
        // Units of two agencies may share a name.
        let unitOfFirst = Agency(name: "Trafficking Unit", kind: .border, country: "MD", parentID: first.id)
        let police = Agency(name: "General Police Inspectorate", kind: .police, country: "MD")
        let unitOfOther = Agency(name: "Trafficking Unit", kind: .police, country: "MD", parentID: police.id)
        _ = try nodes[0].write { tx in
            for agency in [first, elsewhere, police, unitOfFirst, unitOfOther] { try tx.save(agency) }
        }
        _ = try nodes[1].write { tx in try tx.save(second) }
        try Federation.syncAll(nodes)
        let pairs = try nodes[0].likelyDuplicates()
        #expect(pairs.map { Set([$0.first.id, $0.second.id]) } == [[first.id, second.id]])
        #expect(pairs.first?.reasons == [.sameName])
    }

    @Test func namesThatReadAlikeInOneAgencyArePaired() throws {
        let directory = try Fixtures.emptyNode()
        let police = try Fixtures.moldovaPolice(directory)
        let latin = Person(agencyID: police.id, givenName: "Olga", familyName: "Popesku")
        let cyrillic = Person(agencyID: police.id, nativeName: "Ольга Попеску")
        let other = Person(agencyID: police.id, givenName: "Ana", familyName: "Rusu")
        _ = try directory.write { tx in
            for person in [latin, cyrillic, other] { try tx.save(person) }
        }
        let pairs = try directory.likelyDuplicates()
        #expect(pairs.map { Set([$0.first.id, $0.second.id]) } == [[latin.id, cyrillic.id]])
        #expect(DuplicateFinder.soundKey("Mohammed Ali") == DuplicateFinder.soundKey("Muhammad Ali"))
        #expect(DuplicateFinder.soundKey("Popescu") == DuplicateFinder.soundKey("Попеску"))
        #expect(DuplicateFinder.soundKey("Popescu") != DuplicateFinder.soundKey("Rusu"))
        #expect(DuplicateFinder.soundKey("Ana Ivana") != DuplicateFinder.soundKey("Ana Ivanian"))
        #expect(DuplicateFinder.soundKey("Zhanen") != DuplicateFinder.soundKey("Sahen"))
    }

    @Test func aSwitchboardNumberIsNotASignOfOnePerson() throws {
        let directory = try Fixtures.emptyNode()
        let police = try Fixtures.moldovaPolice(directory)
        _ = try directory.write { tx in
            for name in ["Ana Rusu", "Ion Ceban", "Vasile Lupu", "Maria Botnari"] {
                let parts = name.split(separator: " ").map(String.init)
                let person = try tx.save(Person(agencyID: police.id, givenName: parts[0], familyName: parts[1]))
                try tx.save(Channel(personID: person.id, kind: .phone, value: "+37322000100"))
            }
        }
        #expect(try directory.likelyDuplicates().isEmpty)
    }
}
