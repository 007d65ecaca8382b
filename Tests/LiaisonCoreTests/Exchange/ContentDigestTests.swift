import Foundation
import LiaisonCore
import LiaisonTestSupport
import Testing

/// `contentDigest()` compares what two nodes hold, field by field, whoever wrote it and when.
@Suite struct ContentDigestTests {
    @Test func nodesThatImportTheSameFileSeparatelyHoldTheSameContent() throws {
        let first = try Fixtures.emptyNode(), second = try Fixtures.emptyNode()
        _ = try first.importCSV(DemoDirectory.csv, fileName: "demo.csv")
        _ = try second.importCSV(DemoDirectory.csv, fileName: "demo.csv")
        #expect(try first.digest() != second.digest(), "other ids, stewards and stamps")
        #expect(try first.contentDigest() == second.contentDigest())

        // One field of one record changes it.
        let agency = try second.agency(matching: "CCTP", country: "MD")
        let before = try second.contentDigest()
        try second.write { tx in
            var edited = agency
            edited.website = "https://cctp.police.md.example"
            _ = try tx.save(edited)
        }
        #expect(try second.contentDigest() != before)
        #expect(try second.contentDigest() != first.contentDigest())
    }

    @Test func roundTripsThroughCSVAndJSONKeepTheContent() throws {
        let source = try DemoRoundTripTests.richDemoNode()
        let viaCSV = try Fixtures.emptyNode(), viaJSON = try Fixtures.emptyNode()
        _ = try viaCSV.importCSV(String(decoding: try source.export(.csv), as: UTF8.self), fileName: "export.csv")
        _ = try viaJSON.importJSON(try source.export(.json), fileName: "export.json")
        #expect(try viaCSV.contentDigest() == source.contentDigest())
        #expect(try viaJSON.contentDigest() == source.contentDigest())
        #expect(try viaJSON.digest() != source.digest(), "the stewards differ")
    }

    @Test func deletedRecordsAreNotContent() throws {
        let node = try Fixtures.emptyNode()
        let empty = try node.contentDigest()
        let agency = try Fixtures.moldovaPolice(node)
        #expect(try node.contentDigest() != empty)
        try node.write { tx in try tx.removeAgency(agency.id) }
        #expect(try node.contentDigest() == empty)
    }

    /// The example of docs/PROTOCOL.md, "Content digest".
    @Test func theDocumentedExample() throws {
        let node = try Fixtures.emptyNode()
        #expect(try node.contentText() == "")
        #expect(try node.contentDigest() == "2cd5a20bbd46e4e410a2092c040cdc7301e86140f639203f5203a1643d8f4c67")
        try node.write { tx in
            let centre = try tx.save(Agency(
                name: "Centre for Combating Trafficking in Persons", nativeName: "Centrul pentru Combaterea Traficului de Persoane",
                acronym: "CCTP", kind: .police, country: "MD", subdivision: "MD-CU", website: "https://police.md.example"))
            let unit = try tx.save(Agency(name: "Duty Desk", kind: .police, country: "MD", parentID: centre.id))
            _ = try tx.save(Channel(agencyID: unit.id, kind: .phone, value: "+373 22 000 100", is24x7: true))
            let ion = try tx.save(Person(
                agencyID: centre.id, givenName: "Ion", familyName: "Popescu", nativeName: "Ион Попеску", languages: ["ro", "en"],
                timeZone: "Europe/Chisinau"))
            _ = try tx.save(Channel(personID: ion.id, kind: .secureMailbox, value: "md.tip@siena.example", label: "SIENA"))
            _ = try tx.save(Designation(personID: ion.id, crimeArea: .traffickingInPersons, function: .contact24x7))
        }
        #expect(try node.contentText() == """
            ["agency","MD","Centre for Combating Trafficking in Persons","Duty Desk",null,null,"police",null,null,null,[["phone","+37322000100",null,1,true,null,"TLP:GREEN"]],[]]
            ["agency","MD",null,"Centre for Combating Trafficking in Persons","Centrul pentru Combaterea Traficului de Persoane","CCTP","police","MD-CU",null,"https://police.md.example",[],[]]
            ["person","MD","Centre for Combating Trafficking in Persons",null,"Ion","Popescu","Ион Попеску",null,null,["ro","en"],"Europe/Chisinau",null,null,[["secure-mailbox","md.tip@siena.example","SIENA",1,false,null,"TLP:AMBER"]],[["trafficking-in-persons","24x7-contact",null,null,null]]]

            """)
        #expect(try node.contentDigest() == "5ab58eed4657518c1d4a735a1beb5227097e7a0e6ebbb3389c2fedd516247264")
    }
}
