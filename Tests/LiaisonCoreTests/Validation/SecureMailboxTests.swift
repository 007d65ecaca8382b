import Foundation
import LiaisonCore
import LiaisonTestSupport
import Testing

/// One reading of `SYSTEM: address` for the command line and the CSV import.
@Suite struct SecureMailboxTests {
    @Test(arguments: [
        ("SIENA: md.tip@siena.example", "SIENA", "md.tip@siena.example"),
        ("I-24/7: x@y", "I-24/7", "x@y"),
        ("md.tip@siena.example", nil, "md.tip@siena.example"),
        ("desk@chat.example: night desk", nil, "desk@chat.example: night desk"),
        ("xmpp:desk@chat.example", nil, "xmpp:desk@chat.example"),
        ("A system name far too long to be one: box@x.example", nil, "A system name far too long to be one: box@x.example"),
    ] as [(String, String?, String)])
    func theCommandLineAndTheImportReadAMailboxAlike(text: String, system: String?, address: String) throws {
        let mailbox = try SecureMailbox(parsing: "  \(text) ")
        #expect(mailbox.system == system)
        #expect(mailbox.address == address)

        // As `contact add --secure` and `agency add --secure` save it...
        let directory = try Fixtures.emptyNode()
        let police = try Fixtures.moldovaPolice(directory)
        try directory.write { tx in
            try tx.replaceChannels([try SecureMailbox(parsing: text).channel()], kind: .secureMailbox, is24x7: nil, agencyID: police.id, personID: nil)
        }
        // ...and as a CSV row imports it.
        _ = try directory.importCSV("country,agency,agency_kind,secure_channel\nMD,Border Police,border,\"\(text)\"\n", fileName: "m.csv")
        let fromOptions = try directory.agencyCard(police.id).channels
        let fromImport = try directory.agencyCard(try directory.agency(matching: "Border Police").id).channels
        #expect(fromOptions.map { [$0.label, $0.value] } == [[system, address]])
        #expect(fromImport.map { [$0.label, $0.value] } == [[system, address]])
    }

    @Test func aSystemWithoutAnAddressIsRefusedAlike() throws {
        let error = #expect(throws: LiaisonError.self) { try SecureMailbox(parsing: "SIENA:") }
        #expect(error?.field == "secure-mailbox")
        #expect(error?.message == "no address after \"SIENA:\"")
        let directory = try Fixtures.emptyNode()
        let rows = #expect(throws: LiaisonError.self) {
            try directory.importCSV("country,agency,agency_kind,secure_channel\nMD,Police,police,SIENA: \n", fileName: "m.csv")
        }
        #expect(rows?.rowErrors.map(\.description) == ["m.csv:2: secure_channel: no address after \"SIENA:\""])
    }
}
