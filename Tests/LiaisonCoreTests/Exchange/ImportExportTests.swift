import Foundation
import LiaisonCore
import LiaisonSync
import LiaisonTestSupport
import Synchronization
import Testing

@Suite struct ImportExportTests {
    static let header = "country,agency,agency_kind,unit,given_name,family_name,native_name,position,languages,timezone,phone,mobile,email,secure_channel,is_24x7,crime_areas,functions\n"

    @Test func everyBadRowIsReportedAndNothingIsWritten() throws {
        let directory = try Fixtures.emptyNode()
        let csv = Self.header + #"""
            MD,National Police,police,,Ion,Popescu,,Inspector,ro;en,Europe/Chisinau,+373 22 000 101,,ion@police.md.example,,yes,trafficking-in-persons,24x7-contact
            XX,Nowhere Police,police,,Ana,Pop,,,,,,,,,,,
            MD,National Police,police,,Eva,Rusu,,,ro,Mars/Base,call me,,eva@@x,,maybe,piracy,
            GR,"Hellenic Police, Unit ""A""",police,,Nikos,Pappas,Νίκος Παππάς,,el,,+30 210 000 0101,,,,false,,
            MD,,spaceship,,,,,,,,,,,,,,
            """#
        let error = #expect(throws: LiaisonError.self) { try directory.importCSV(csv, fileName: "contacts.csv") }
        #expect(error?.code == .invalidRows)
        let lines = error?.rowErrors.map(\.description) ?? []
        #expect(lines.contains("contacts.csv:3: country: unknown country \"XX\""))
        #expect(lines.contains { $0.hasPrefix("contacts.csv:4: timezone: ") })
        #expect(lines.contains { $0.hasPrefix("contacts.csv:4: phone: ") })
        #expect(lines.contains { $0.hasPrefix("contacts.csv:4: email: ") })
        #expect(lines.contains { $0.hasPrefix("contacts.csv:4: is_24x7: ") })
        #expect(lines.contains { $0.hasPrefix("contacts.csv:4: crime_areas: ") })
        #expect(lines.contains { $0.hasPrefix("contacts.csv:6: agency: ") })
        #expect(lines.contains { $0.hasPrefix("contacts.csv:6: agency_kind: ") })
        #expect(!lines.contains { $0.hasPrefix("contacts.csv:2:") || $0.hasPrefix("contacts.csv:5:") })
        let stats = try directory.stats()
        #expect(stats.agencies == 0 && stats.contacts == 0 && stats.commits == 0)
    }

    @Test func rowsOfEveryBatchAreCheckedAndReportedInFileOrder() throws {
        let directory = try Fixtures.emptyNode()
        func csv(badRows: Set<Int>) -> String {
            Self.header + (2...1_204).map { row in
                let phone = badRows.contains(row) ? "call me" : "+373 22 \(100_000 + row)"
                let roles = row % 4 == 0 ? "trafficking-in-persons;forced-labour,24x7-contact" : ","
                return "MD,National Police,police,Unit \(row % 3),Ion,Popescu \(row),,Inspector,ro,Europe/Chisinau,\(phone),,,,\(row % 5 == 0),\(roles)"
            }.joined(separator: "\n")
        }
        let error = #expect(throws: LiaisonError.self) { try directory.importCSV(csv(badRows: [10, 700, 1_204]), fileName: "big.csv") }
        #expect(error?.rowErrors.map(\.row) == ["10", "700", "1204"])
        #expect(try directory.stats().contacts == 0)

        let reported = Mutex<[Int]>([])
        let summary = try directory.importCSV(csv(badRows: []), fileName: "big.csv") { done, total in
            #expect(total == 1_203)
            reported.withLock { $0.append(done) }
        }
        #expect(summary.contactsCreated == 1_203 && summary.commits == 3)
        #expect(reported.withLock { $0 } == [500, 1_000, 1_203])
        #expect(try directory.stats().contacts == 1_203)
        // The search index made while importing is the one the records give.
        #expect(throws: Never.self) { try directory.read { db in try LogStore.verifyState(in: db) } }
        #expect(try directory.search(SearchQuery("popescu 1200", only24x7: true)).map(\.name) == ["Ion Popescu 1200"])
    }

    @Test func unknownColumnsAreRefused() throws {
        let directory = try Fixtures.emptyNode()
        let error = #expect(throws: LiaisonError.self) {
            try directory.importCSV("country,agency,shoe_size\nMD,Police,42\n", fileName: "x.csv")
        }
        #expect(error?.rowErrors.first?.description.hasPrefix("x.csv:1: shoe_size: unknown column") == true)
    }

    @Test func dryRunWritesNothing() throws {
        let directory = try Fixtures.emptyNode()
        let summary = try directory.importCSV(DemoDirectory.csv, fileName: "demo.csv", dryRun: true)
        #expect(summary.dryRun && summary.contactsCreated > 100)
        #expect(try directory.stats().contacts == 0)
        #expect(try directory.stats().commits == 0)
    }

    @Test func importingTwiceAddsNothing() throws {
        let directory = try Fixtures.demoNode()
        let before = try directory.stats()
        let again = try directory.importCSV(DemoDirectory.csv, fileName: "demo.csv")
        #expect(again.agenciesCreated == 0 && again.contactsCreated == 0 && again.channelsCreated == 0 && again.designationsCreated == 0)
        #expect(again.contactsUpdated == 0 && again.commits == 0)
        let after = try directory.stats()
        #expect(after == before)
    }

    @Test func csvRoundTripsWithoutLoss() throws {
        let source = try Fixtures.demoNode()
        let exported = try source.export(.csv)
        let copy = try Fixtures.emptyNode()
        _ = try copy.importCSV(String(decoding: exported, as: UTF8.self), fileName: "export.csv")
        #expect(try copy.export(.csv) == exported)
        let a = try source.stats(), b = try copy.stats()
        #expect((a.agencies, a.units, a.contacts, a.channels, a.designations) == (b.agencies, b.units, b.contacts, b.channels, b.designations))
    }

    @Test func jsonRoundTripsWithIDs() throws {
        let source = try Fixtures.demoNode()
        let exported = try source.export(.json)
        let copy = try Fixtures.emptyNode()
        let summary = try copy.importJSON(exported, fileName: "export.json")
        #expect(summary.contactsCreated == (try source.stats().contacts))
        #expect(try copy.export(.json) == exported)
        let again = try copy.importJSON(exported, fileName: "export.json")
        #expect(again.commits == 0)
        let text = String(decoding: exported, as: UTF8.self)
        let someID = try #require(try source.agencies().first?.id.lowercasedString)
        #expect(text.contains("\"\(someID)\""), "ids are written in lower case, as the database keeps them")
        #expect(text.contains("\"native_name\""))
    }

    @Test func jsonErrorsNameTheRecord() throws {
        let directory = try Fixtures.emptyNode()
        let json = #"{"format":"liaison-directory","version":1,"agencies":[{"name":"A","kind":"police","country":"MD"},{"name":"B","kind":"rocket","country":"MD"}],"contacts":[]}"#
        let error = #expect(throws: LiaisonError.self) { try directory.importJSON(Data(json.utf8), fileName: "d.json") }
        #expect(error?.rowErrors.map(\.description).first?.hasPrefix("d.json:agencies[1]: agency_kind: unknown value \"rocket\"") == true)
        #expect(try directory.stats().agencies == 0)
    }

    @Test func vCardsFollowRFC6350() throws {
        let directory = try Fixtures.demoNode()
        let text = String(decoding: try directory.export(.vcard, country: "MD"), as: UTF8.self)
        let cards = text.components(separatedBy: "BEGIN:VCARD\r\n").dropFirst()
        #expect(cards.filter { $0.contains("KIND:individual") }.count == (try directory.contacts(country: "MD").count))
        let desks = cards.filter { $0.contains("KIND:org") }
        #expect(desks.contains { $0.contains("Duty Desk") && $0.contains("X-LIAISON-24X7=true") }, "24/7 desks travel as organisation cards")
        for line in text.components(separatedBy: "\r\n") where !line.isEmpty {
            #expect(line.utf8.count <= 75, "folded at 75 octets: \(line)")
        }
        #expect(!text.replacingOccurrences(of: "\r\n", with: "").contains("\n"), "CRLF line endings only")
        let ivanov = try #require(cards.first { $0.contains("Ivanov") }).replacingOccurrences(of: "\r\n ", with: "")
        #expect(ivanov.hasPrefix("VERSION:4.0\r\n"))
        #expect(ivanov.contains("\r\nFN;ALTID=1;PREF=1:Serghei Ivanov\r\n"))
        #expect(ivanov.contains("\r\nFN;ALTID=1:Сергей Иванов\r\n"))
        #expect(ivanov.contains("\r\nN:Ivanov;Serghei;;;\r\n"))
        #expect(ivanov.contains("\r\nORG:"))
        #expect(ivanov.contains("TEL;VALUE=uri;TYPE=\"work,voice\";PREF=1") && ivanov.contains(":tel:+373"))
        #expect(ivanov.contains("\r\nEMAIL;TYPE=work;PREF=1:"))
        #expect(ivanov.contains("\r\nLANG;PREF=1:"))
        #expect(ivanov.contains("\r\nTZ;VALUE=text:Europe/Chisinau\r\n"))
        #expect(ivanov.contains("\r\nUID:urn:uuid:"))
        #expect(ivanov.contains("\r\nX-LIAISON-DESIGNATION:trafficking-in-persons / "))
        #expect(ivanov.hasSuffix("END:VCARD\r\n"))
    }

    @Test func countryPageShowsAgencies24x7AndFocalPoints() throws {
        let directory = try Fixtures.demoNode()
        let page = try directory.countryPage("md")
        #expect(page.country.code == "MD")
        #expect(page.agencies.count >= 5)
        #expect(page.agencies.contains { !$0.units.isEmpty })
        #expect(!page.contacts24x7.isEmpty)
        // Each is a channel marked 24/7, or the first channel of one who holds the 24/7 point of contact's role.
        let roleHolders = Set(page.focalPoints.filter { $0.function == .contact24x7 }.map(\.holder))
        #expect(page.contacts24x7.allSatisfy { $0.channel.is24x7 || roleHolders.contains($0.holder) })
        #expect(page.focalPoints.contains { $0.crimeArea == .traffickingInPersons && $0.function == .contact24x7 })
        #expect(try directory.countries().filter { $0.agencyCount > 0 }.count >= 30)
    }

    @Test func theHolderOfThe24x7RoleIsA24x7ContactByTheirFirstChannel() throws {
        let directory = try Directory.inMemory()
        try directory.write { tx in
            let police = try tx.save(Agency(name: "Border Police", kind: .border, country: "MD"))
            let duty = try tx.save(Person(agencyID: police.id, givenName: "Elena", familyName: "Rusu"))
            try tx.save(Channel(personID: duty.id, kind: .email, value: "elena.rusu@border.example", preference: 2))
            try tx.save(Channel(personID: duty.id, kind: .phone, value: "+37322000202", preference: 1))
            try tx.save(Designation(personID: duty.id, crimeArea: .traffickingInPersons, function: .contact24x7))
            let clerk = try tx.save(Person(agencyID: police.id, givenName: "Ion", familyName: "Lungu"))
            try tx.save(Channel(personID: clerk.id, kind: .phone, value: "+37322000203"))
        }
        let page = try directory.countryPage("MD")
        #expect(page.contacts24x7.map(\.holder) == ["Elena Rusu"])
        #expect(page.contacts24x7.first?.channel.value == "+37322000202")
    }

    @Test(arguments: [
        ("country,agency\nMD,\"Police\nMD,Border\n", 2, "never closed"),
        ("country,agency\nMD,Pol\"ice\n", 2, "a quote inside a cell"),
        ("country,agency\nMD,\"Police\" x\n", 2, "text after the closing quote"),
    ])
    func malformedCSVIsRefusedNamingTheRow(text: String, row: Int, message: String) throws {
        let directory = try Fixtures.emptyNode()
        let error = #expect(throws: LiaisonError.self) { try directory.importCSV(text, fileName: "bad.csv") }
        #expect(error?.code == .invalidFile)
        #expect(error?.row == row)
        #expect(error?.message.contains(message) == true, "\(String(describing: error))")
        #expect(try directory.stats().agencies == 0)
    }

    @Test func aFileReadsAsItsTextDoesWithQuotesLineBreaksAndAByteOrderMark() throws {
        let csv = "\u{FEFF}country,agency,agency_kind,given_name,family_name,position,phone\r\n"
            + "MD,\"Police, \"\"Central\"\"\",police,Ion,Popescu,\"Head of Unit\r\nDeputy Director\",+373 22 000 101\r\n"
            + "\r\n"
            + "GR,Αστυνομία,police,Νίκος,Παππάς,,+30 210 000 0101\r\n"
            + "MD,Border,border,Ana,Rusu,,+373 22 000 102"
        let folder = Fixtures.temporaryFolder()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appending(path: "contacts.csv")
        try Data(csv.utf8).write(to: file)

        let fromFile = try Fixtures.emptyNode()
        let summary = try fromFile.importFile(file)
        #expect(summary.rows == 3 && summary.contactsCreated == 3 && summary.agenciesCreated == 3)
        let police = try fromFile.agency(matching: "Police, \"Central\"")
        #expect(try fromFile.agencyCard(police.id).contacts.map(\.position) == ["Head of Unit\nDeputy Director"])
        #expect(try fromFile.agency(matching: "Αστυνομία").country == "GR")
        let fromText = try Fixtures.emptyNode()
        _ = try fromText.importCSV(csv, fileName: "contacts.csv")
        #expect(try fromFile.export(.csv) == (try fromText.export(.csv)))

        // Rows are numbered as a spreadsheet shows them: the header is row 1, a quoted line break
        // starts a new line, and blank lines count.
        let bad = csv.replacingOccurrences(of: "+373 22 000 102", with: "call me")
        try Data(bad.utf8).write(to: file)
        let errors = [
            #expect(throws: LiaisonError.self) { try Fixtures.emptyNode().importFile(file) },
            #expect(throws: LiaisonError.self) { try Fixtures.emptyNode().importCSV(bad, fileName: "contacts.csv") },
        ]
        for error in errors {
            #expect(error?.rowErrors.map(\.description) == ["contacts.csv:6: phone: not a phone number: unexpected \"c\" (got \"call me\")"])
        }
        try Data([0x63, 0x6F, 0xFF, 0x0A]).write(to: file)
        let notText = #expect(throws: LiaisonError.self) { try Fixtures.emptyNode().importFile(file) }
        #expect(notText?.message == "the file is not UTF-8 text")
    }

    @Test func rowsWithTooFewOrTooManyCellsAreReported() throws {
        let directory = try Fixtures.emptyNode()
        let error = #expect(throws: LiaisonError.self) {
            try directory.importCSV("country,agency,agency_kind\nMD,Police\nMD,Border,border,extra\nMD,Customs,customs\n", fileName: "cells.csv")
        }
        #expect(error?.rowErrors.map(\.description) == [
            "cells.csv:2: row: has 2 cells, the header has 3 columns",
            "cells.csv:3: row: has 4 cells, the header has 3 columns",
        ])
    }

    @Test func emptyFilesAndForeignJSONGetPlainErrors() throws {
        let directory = try Fixtures.emptyNode()
        let empty = #expect(throws: LiaisonError.self) { try directory.importCSV("", fileName: "empty.csv") }
        #expect(empty?.message.contains("empty") == true)
        let foreign = #expect(throws: LiaisonError.self) { try directory.importJSON(Data(#"{"name": "x"}"#.utf8), fileName: "x.json") }
        #expect(foreign?.message == "format is missing")
    }

    @Test func spreadsheetFormulasAreNeutralisedOnExportAndRestoredOnImport() throws {
        let directory = try Fixtures.emptyNode()
        _ = try directory.importCSV(Self.header + "MD,=HYPERLINK(1),police,,@Ana,-Pop,,+cmd,,,+373 22 000 101,,,,no,,\n", fileName: "f.csv")
        let exported = String(decoding: try directory.export(.csv), as: UTF8.self)
        #expect(exported.contains(",'=HYPERLINK(1),"))
        #expect(exported.contains(",'@Ana,'-Pop,,'+cmd,"))
        #expect(exported.contains(",+37322000101,"), "phone numbers are written as they are")
        let copy = try Fixtures.emptyNode()
        _ = try copy.importCSV(exported, fileName: "export.csv")
        #expect(try copy.export(.csv) == (try directory.export(.csv)))
        #expect(try copy.agencies().first?.name == "=HYPERLINK(1)")
    }

    @Test func jsonContactsOfABadAgencyStillHaveTheirOwnValuesChecked() throws {
        let directory = try Fixtures.emptyNode()
        let agencyID = UUID().uuidString
        let json = """
            {"format":"liaison-directory","version":1,
             "agencies":[{"id":"\(agencyID)","name":"Police","kind":"police","country":"QQ"}],
             "contacts":[{"agency_id":"\(agencyID)","given_name":"Ana","languages":["xx!"],
                          "channels":[{"kind":"phone","value":"+999 1"}]}]}
            """
        let error = #expect(throws: LiaisonError.self) { try directory.importJSON(Data(json.utf8), fileName: "d.json") }
        let lines = error?.rowErrors.map(\.description) ?? []
        #expect(lines.contains { $0.hasPrefix("d.json:agencies[0]: country: ") })
        #expect(lines.contains("d.json:contacts[0]: agency_id: its agency, agencies[0], is invalid"))
        #expect(lines.contains { $0.hasPrefix("d.json:contacts[0]: languages: ") })
        #expect(lines.contains { $0.hasPrefix("d.json:contacts[0]: phone: ") })
    }

    @Test func spacingAndCaseDoNotMakeNewRecordsOnReimport() throws {
        let directory = try Fixtures.emptyNode()
        _ = try directory.importCSV(Self.header + "md,\"  National   Police \",police,,Ion,Popescu,,,,,,,,,no,,\n", fileName: "a.csv")
        let again = try directory.importCSV(Self.header + "MD,national police,police,,ION,popescu,,,,,,,,,no,,\n", fileName: "b.csv")
        #expect(again.agenciesCreated == 0 && again.contactsCreated == 0)
        #expect(try directory.stats().agencies == 1)
    }
}
