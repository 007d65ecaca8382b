import Foundation
import GRDB
@testable import LiaisonCore
@testable import LiaisonSync
import LiaisonTestSupport
import Testing

/// A received contact's search entry is made from its changes when nothing else names it. Whatever
/// the order in which a contact, its channels and its roles arrive, the entry is the one that
/// reading the tables back gives.
@Suite struct ReceiveIndexTests {
    /// Node 0 creates a contact; node 1, which received it, adds a 24/7 phone and a role to it.
    /// Returns the three nodes and the contact.
    private func contactWithAttachmentsFromAnotherNode() throws -> (nodes: [Directory], person: Person) {
        let nodes = try Federation.nodes(3)
        let police = Agency(name: "Centre for Combating Trafficking in Persons", acronym: "CCTP", kind: .police, country: "MD")
        let person = Person(agencyID: police.id, givenName: "Ion", familyName: "Popescu", languages: ["ro"])
        _ = try nodes[0].write { tx in
            try tx.save(police)
            try tx.save(person)
            try tx.save(Channel(personID: person.id, kind: .email, value: "ion@police.md.example"))
        }
        try Federation.sync(nodes[0], to: nodes[1])
        _ = try nodes[1].write { tx in
            try tx.save(Channel(personID: person.id, kind: .phone, value: "+37322000101", is24x7: true))
            try tx.save(Designation(personID: person.id, crimeArea: .traffickingInPersons, function: .contact24x7))
        }
        return (nodes, person)
    }

    /// The index as stored, and as a reindex that reads every record back from the tables makes it.
    private func indexAndRebuilt(_ node: Directory) throws -> (stored: [[DatabaseValue]], rebuilt: [[DatabaseValue]]) {
        let select = "SELECT rowid, name, other, facets FROM search_index ORDER BY rowid"
        let stored = try node.read { db in try Row.fetchAll(db, sql: select).map { Array($0.databaseValues) } }
        let rebuilt = try node.database.write { db in
            let persons = try String.fetchAll(db, sql: "SELECT id FROM person").compactMap(UUID.init(uuidString:))
            let agencies = try String.fetchAll(db, sql: "SELECT id FROM agency").compactMap(UUID.init(uuidString:))
            try SearchIndex.reindex(persons: Set(persons), agencies: Set(agencies), agenciesWithMembers: [], in: db)
            return try Row.fetchAll(db, sql: select).map { Array($0.databaseValues) }
        }
        return (stored, rebuilt)
    }

    @Test(arguments: ["contact first", "attachments first, apart", "attachments first, together"])
    func aReceivedContactsEntryIsTheOneTheTablesGive(order: String) throws {
        let (nodes, person) = try contactWithAttachmentsFromAnotherNode()
        let receiver = nodes[2]
        let fromCreator = try nodes[0].commits(beyond: try receiver.vector(), for: receiver.node.id)
        let fromOther = try nodes[1].commits(beyond: try receiver.vector(), for: receiver.node.id).filter { $0.header.origin == nodes[1].node.id }
        switch order {
        case "contact first":
            _ = try receiver.receive(fromCreator)
            _ = try receiver.receive(fromOther)
        case "attachments first, apart":
            _ = try receiver.receive(fromOther)
            _ = try receiver.receive(fromCreator)
        default:
            _ = try receiver.receive(fromOther + fromCreator)
        }
        #expect(try receiver.digest() == nodes[1].digest())
        let index = try indexAndRebuilt(receiver)
        #expect(index.stored == index.rebuilt)
        let found = try receiver.search(SearchQuery("popescu", crimeArea: .traffickingInPersons, function: .contact24x7, only24x7: true))
        #expect(found.map(\.id) == [person.id])
    }

    @Test func aChannelMovedToAContactBeforeItsCreationArrivedCountsInItsEntry() throws {
        let nodes = try Federation.nodes(3)
        let police = Agency(name: "Centre for Combating Trafficking in Persons", acronym: "CCTP", kind: .police, country: "MD")
        let first = Person(agencyID: police.id, givenName: "Ion", familyName: "Popescu")
        let second = Person(agencyID: police.id, givenName: "Ana", familyName: "Rusu")
        _ = try nodes[0].write { tx in
            try tx.save(police)
            try tx.save(first)
            try tx.save(second)
        }
        try Federation.sync(nodes[0], to: nodes[1])
        var phone = Channel(personID: first.id, kind: .phone, value: "+37322000101", is24x7: true)
        _ = try nodes[1].write { [phone] tx in try tx.save(phone) }
        phone.personID = second.id
        _ = try nodes[1].write { [phone] tx in try tx.save(phone) }

        // The channel's creation and its move come before both contacts, in one transaction.
        let receiver = nodes[2]
        let fromOther = try nodes[1].commits(beyond: try receiver.vector(), for: receiver.node.id).filter { $0.header.origin == nodes[1].node.id }
        let fromCreator = try nodes[0].commits(beyond: try receiver.vector(), for: receiver.node.id)
        _ = try receiver.receive(fromOther + fromCreator)
        #expect(try receiver.digest() == nodes[1].digest())
        let index = try indexAndRebuilt(receiver)
        #expect(index.stored == index.rebuilt)
        #expect(try receiver.search(SearchQuery("rusu", only24x7: true)).map(\.id) == [second.id])
    }

    @Test func aContactCreatedWithItsChannelsAndRolesInOneCommitIsIndexedFromThem() throws {
        let nodes = try Federation.nodes(2)
        let police = Agency(name: "Poliția de Frontieră", kind: .border, country: "RO")
        let persons = (0..<50).map { Person(agencyID: police.id, givenName: "Ana \($0)", familyName: "Ionescu", languages: ["ro", "en"]) }
        _ = try nodes[0].write { tx in
            try tx.save(police)
            for (index, person) in persons.enumerated() {
                try tx.save(person)
                try tx.save(Channel(personID: person.id, kind: .phone, value: "+40210000\(100 + index)", is24x7: index.isMultiple(of: 2)))
                try tx.save(Designation(personID: person.id, crimeArea: index.isMultiple(of: 3) ? nil : .smugglingOfMigrants, function: .operationalContact))
            }
        }
        try Federation.sync(nodes[0], to: nodes[1])
        let index = try indexAndRebuilt(nodes[1])
        #expect(index.stored.count == 51)
        #expect(index.stored == index.rebuilt)
    }

    @Test func anAgencyChangedInALaterBatchIsReadAgainForItsContactsEntries() throws {
        let nodes = try Federation.nodes(2)
        let police = Agency(name: "Poliția de Frontieră", kind: .border, country: "RO")
        var renamed = police
        renamed.name = "Inspectoratul General al Poliției de Frontieră"
        renamed.acronym = "IGPF"
        _ = try nodes[0].write { [renamed] tx in
            try tx.save(police)
            try tx.save(Person(agencyID: police.id, givenName: "Ana", familyName: "Ionescu"))
            // The agency's row is now read and kept for the batches that follow.
            try tx.commitBatch()
            try tx.save(renamed)
            try tx.commitBatch()
            try tx.save(Person(agencyID: police.id, givenName: "Mihai", familyName: "Stan"))
        }
        for node in nodes {
            if node !== nodes[0] { try Federation.sync(nodes[0], to: node) }
            let index = try indexAndRebuilt(node)
            #expect(index.stored == index.rebuilt)
            #expect(try node.search(SearchQuery("igpf")).count == 3, "the agency and both contacts name it")
        }
    }

    @Test func newRecordIDsAreTimeOrderedAndShortIDsComeFromTheirRandomPart() throws {
        let ids = (0..<10_000).map { _ in UUID.timeOrdered() }
        #expect(ids.map(\.lowercasedString) == ids.map(\.lowercasedString).sorted(), "ids made one after another sort in that order")
        #expect(Set(ids).count == ids.count)
        #expect(ids.allSatisfy { $0.lowercasedString.dropFirst(14).first == "7" }, "version 7")
        #expect(Set(ids.map(\.shortID)).count > 9_990, "short ids are random digits, not the shared time")

        // A clock that steps back does not reorder what follows.
        let later = UUID.timeOrdered(now: Date(timeIntervalSince1970: 4_000_000_000))
        let stepBack = UUID.timeOrdered(now: Date(timeIntervalSince1970: 1_000_000_000))
        #expect(later.lowercasedString < stepBack.lowercasedString)
    }
}
