import Foundation
import LiaisonCore
import LiaisonTestSupport
import Testing

/// Rules that the library checks inside the write transaction, so that every interface that calls
/// it gets the same errors.
@Suite struct WriteRuleTests {
    @Test func aNamesakeIsRefusedWhenTheWriterAsks() throws {
        let directory = try Fixtures.emptyNode()
        let police = try Fixtures.moldovaPolice(directory)
        let ion = try directory.write { tx in
            try tx.save(Person(agencyID: police.id, givenName: "Ion", familyName: "Popescu"), allowingSameName: false)
        }.value
        let error = #expect(throws: LiaisonError.self) {
            try directory.write { tx in try tx.save(Person(agencyID: police.id, givenName: "ION", familyName: "Popéscu"), allowingSameName: false) }
        }
        #expect(error?.code == .conflict)
        #expect(error?.message == "Ion Popescu is already a contact of this agency")
        #expect(error?.record == ion.id.lowercasedString)
        #expect(error?.hint == "change it with `liaison contact edit \(ion.id.shortID)`, or add another person of the same name with --allow-same-name")

        // The contact itself is no namesake of its own, and another agency may have an Ion Popescu.
        var edited = ion
        edited.position = "Inspector"
        try directory.write { [edited] tx in try tx.save(edited, allowingSameName: false) }
        let border = try directory.write { tx in try tx.save(Agency(name: "Border Police", kind: .border, country: "MD")) }.value
        try directory.write { tx in try tx.save(Person(agencyID: border.id, givenName: "Ion", familyName: "Popescu"), allowingSameName: false) }
        // Without the option, as imports save, two people of one name may share an agency.
        try directory.write { tx in try tx.save(Person(agencyID: police.id, givenName: "Ion", familyName: "Popescu")) }
        #expect(try directory.stats().contacts == 3)
    }

    @Test func aNamesakeWrittenEarlierInTheSameTransactionCounts() throws {
        let directory = try Fixtures.emptyNode()
        let police = try Fixtures.moldovaPolice(directory)
        let error = #expect(throws: LiaisonError.self) {
            try directory.write { tx in
                try tx.save(Person(agencyID: police.id, nativeName: "Ион Попеску"), allowingSameName: false)
                try tx.save(Person(agencyID: police.id, nativeName: "ион попеску"), allowingSameName: false)
            }
        }
        #expect(error?.code == .conflict)
        #expect(try directory.stats().contacts == 0, "the transaction wrote nothing")
    }

    @Test func aRoleTheHolderHasIsRefused() throws {
        let directory = try Fixtures.emptyNode()
        let police = try Fixtures.moldovaPolice(directory)
        let (held, ana) = try directory.write { tx in
            let ana = try tx.save(Person(agencyID: police.id, givenName: "Ana", familyName: "Rusu"))
            return (try tx.save(Designation(personID: ana.id, crimeArea: .traffickingInPersons, function: .contact24x7)), ana)
        }.value
        let error = #expect(throws: LiaisonError.self) {
            try directory.write { tx in try tx.save(Designation(personID: ana.id, crimeArea: .traffickingInPersons, function: .contact24x7)) }
        }
        #expect(error?.code == .conflict)
        #expect(error?.message == "this role is already held")
        #expect(error?.record == held.id.lowercasedString)

        // Another crime area, all crime areas, or another holder is another role.
        let (allAreas, _) = try directory.write { tx in
            try tx.save(Designation(personID: ana.id, crimeArea: .smugglingOfMigrants, function: .contact24x7))
            try tx.save(Designation(agencyID: police.id, crimeArea: .traffickingInPersons, function: .contact24x7))
            return try tx.save(Designation(personID: ana.id, crimeArea: nil, function: .contact24x7))
        }
        #expect(throws: LiaisonError.self) {
            try directory.write { tx in try tx.save(Designation(agencyID: police.id, crimeArea: .traffickingInPersons, function: .contact24x7)) }
        }
        // A role keeps its dates editable; turning it into one the holder has is refused.
        var dated = allAreas
        dated.validFrom = "2024-01-01"
        try directory.write { [dated] tx in try tx.save(dated) }
        dated.crimeArea = .traffickingInPersons
        let changed = #expect(throws: LiaisonError.self) { try directory.write { [dated] tx in try tx.save(dated) } }
        #expect(changed?.message == "this role is already held")
        #expect(try directory.stats().designations == 4)
    }
}
