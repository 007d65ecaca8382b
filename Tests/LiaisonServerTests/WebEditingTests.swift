import Foundation
import LiaisonCore
@testable import LiaisonServer
import LiaisonSync
import LiaisonTestSupport
import Testing

/// The web page's forms that change the directory: the store's own validation messages next to
/// their fields, an edit of another node's record sent to it as a proposal, the proposals made to
/// this node accepted or rejected, and viewers kept out.
@Suite struct WebEditingTests {
    typealias Node = MutualTLSTests.Node
    typealias Browser = WebPageTests.Browser

    /// What the command line says of `error`, as the page writes it in HTML.
    static func shown(_ error: LiaisonError?) -> String {
        (error?.message ?? "?").replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "\"", with: "&quot;")
            .replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "'", with: "&#39;")
    }

    /// The form a page shows, as a browser would send it back: every input and textarea by name.
    static func fields(_ page: WebPageTests.Browser.Answer) -> [String: String] {
        var fields: [String: String] = [:]
        for match in page.body.matches(of: #/<input id="[^"]*" name="([a-z_]+)" value="([^"]*)"/#) { fields[String(match.1)] = String(match.2) }
        for match in page.body.matches(of: #/<textarea id="[^"]*" name="([a-z_]+)"[^>]*>([^<]*)</textarea>/#) { fields[String(match.1)] = String(match.2) }
        for match in page.body.matches(of: #/<option value="([a-z-]+)" selected>/#) { fields["kind"] = String(match.1) }
        return fields
    }

    @Test func anEditorCorrectsAContactAndIsToldWhatIsWrongNextToTheField() async throws {
        let (node, ion) = try WebPageTests.node()
        defer { node.remove() }
        try await MutualTLSTests().withServer(node) { port in
            let browser = try Browser(port: port)
            _ = try await browser.signIn("ana", "correct horse battery")
            let path = "/contacts/\(ion.id.lowercasedString)"
            let card = try await browser.request(path)
            #expect(card.body.contains("href=\"\(path)/edit\""))
            let form = try await browser.request("\(path)/edit")
            #expect(form.status == 200 && !form.body.contains("keeps this record"))
            var sent = Self.fields(form)
            #expect(sent["family_name"] == "Popescu" && sent["native_name"] == "Ион Попеску" && sent["languages"] == "ro, ru")
            #expect(sent["phone"] == "+37322000101")
            sent["form_token"] = try Browser.formToken(form)

            // A number that is not one: the message the command line prints, beside the phone field.
            var wrong = sent
            wrong["mobile"] = "+999 12"
            let badPhone = #expect(throws: LiaisonError.self) {
                try node.directory.write { tx in try tx.save(Channel(personID: ion.id, kind: .mobile, value: "+999 12")) }
            }
            let refused = try await browser.request(path, form: wrong)
            #expect(refused.status == 400, "\(refused.body)")
            #expect(refused.body.contains("<p id=\"mobile-problem\" class=\"problem\">\(Self.shown(badPhone))</p>"), "\(refused.body)")
            #expect(refused.body.contains("aria-invalid=\"true\">+999 12</textarea>"), "what was typed stays")
            wrong = sent
            wrong["timezone"] = "Mars/Olympus"
            let zone = try await browser.request(path, form: wrong)
            #expect(zone.status == 400 && zone.body.contains("<p id=\"timezone-problem\" class=\"problem\">unknown IANA time zone &quot;Mars/Olympus&quot;"))
            #expect(try node.directory.contactCard(ion.id).person.timeZone == nil, "nothing was written")

            // A good edit is written; the 24/7 phone, not on the form's changed lines, keeps its flag.
            sent["position"] = "Head of unit"
            sent["mobile"] = "+373 69 000 202"
            sent["timezone"] = "Europe/Chisinau"
            sent["verified"] = "1"
            let saved = try await browser.request(path, form: sent)
            #expect(saved.status == 303 && saved.header("Location") == path)
            let now = try node.directory.contactCard(ion.id)
            #expect(now.person.position == "Head of unit" && now.person.verifiedBy == "ana" && now.person.timeZone == "Europe/Chisinau")
            #expect(now.channels.contains { $0.kind == .mobile && $0.value == "+37369000202" })
            #expect(now.channels.contains { $0.kind == .phone && $0.value == "+37322000101" && $0.is24x7 })

            // A new contact in the agency; one without a name is refused at the name.
            let agencyPath = "/agencies/\(now.agency.id.lowercasedString)"
            let blank = try await browser.request("\(agencyPath)/contacts/new")
            #expect(blank.status == 200)
            let token = try Browser.formToken(blank)
            let nameless = try await browser.request("\(agencyPath)/contacts", form: ["form_token": token, "position": "Analyst"])
            #expect(nameless.status == 400 && nameless.body.contains("<p id=\"given_name-problem\" class=\"problem\">a contact needs a given name"))
            let added = try await browser.request(
                "\(agencyPath)/contacts", form: ["form_token": token, "given_name": "Maria", "family_name": "Ceban", "email": "maria.ceban@police.example"])
            let location = try #require(added.header("Location"))
            #expect(added.status == 303 && location.hasPrefix("/contacts/"))
            #expect(try await browser.request(location).body.contains("mailto:maria.ceban@police.example"))

            // The agency's form, with its kind chosen and a web site that is not one refused.
            let agencyForm = try await browser.request("\(agencyPath)/edit")
            var agency = Self.fields(agencyForm)
            #expect(agency["name"] == "Centre for Combating Trafficking in Persons" && agency["kind"] == "police")
            agency["form_token"] = token
            agency["website"] = "javascript:alert(1)"
            let badSite = try await browser.request(agencyPath, form: agency)
            #expect(badSite.status == 400 && badSite.body.contains("<p id=\"website-problem\" class=\"problem\">"), "\(badSite.body)")
            agency["website"] = "https://police.example"
            agency["phone"] = "+373 22 000 100"
            #expect(try await browser.request(agencyPath, form: agency).status == 303)
            #expect(try node.directory.agencyCard(now.agency.id).agency.website == "https://police.example")

            // Every form that showed a record was a consultation, in the officer's name.
            let reads = try node.directory.auditEntries().filter { $0.action == .webRead && $0.records.contains(ion.id.lowercasedString) }
            #expect(reads.count >= 2 && reads.allSatisfy { $0.actor == "web:ana" })
        }
    }

    @Test func anEditOfAnotherNodesRecordIsProposedAndTheStewardDecidesOnThePage() async throws {
        let (node, ion) = try WebPageTests.node()
        let other = try Node("Bucharest")
        defer { [node, other].forEach { $0.remove() } }
        _ = try node.directory.addPeer(try other.card())
        _ = try other.directory.addPeer(try node.card())
        let border = try other.directory.write { tx in
            try tx.save(Agency(name: "Border Police", kind: .border, country: "RO", website: "https://border.example"))
        }.value
        try Federation.sync(other.directory, to: node.directory)
        try Federation.sync(node.directory, to: other.directory)
        // Bucharest proposes two edits of Chisinau's contact.
        for position in ["Chief inspector", "Commissioner"] {
            var edited = try other.directory.person(matching: ion.id.lowercasedString)
            edited.position = position
            _ = try other.directory.write { [edited] tx in
                tx.proposalComment = "Promoted in November"
                try tx.save(edited)
            }
        }
        try Federation.sync(other.directory, to: node.directory)

        try await MutualTLSTests().withServer(node) { port in
            let browser = try Browser(port: port)
            _ = try await browser.signIn("ana", "correct horse battery")
            // An edit of Bucharest's agency becomes a proposal to Bucharest; nothing changes here.
            let path = "/agencies/\(border.id.lowercasedString)"
            let form = try await browser.request("\(path)/edit")
            #expect(form.body.contains("Bucharest (Agency of Bucharest) keeps this record: what you change here goes to it as a proposal"))
            var sent = Self.fields(form)
            sent["form_token"] = try Browser.formToken(form)
            sent["website"] = "https://border.gov.example"
            sent["comment"] = "Their site moved"
            let proposed = try await browser.request(path, form: sent)
            #expect(proposed.status == 200, "\(proposed.body)")
            #expect(proposed.body.contains("Proposed to Bucharest (Agency of Bucharest), which keeps Border Police: website."), "\(proposed.body)")
            #expect(try node.directory.agencyCard(border.id).agency.website == "https://border.example")
            try Federation.sync(node.directory, to: other.directory)
            let arrived = try #require(try other.directory.proposals(openOnly: true).first)
            #expect(arrived.incoming && arrived.comment == "Their site moved" && arrived.changes.map(\.field) == ["website"])

            // The proposals to this node, with what each changes and a form to decide.
            let list = try await browser.request("/proposals")
            #expect(list.status == 200 && list.body.contains("Promoted in November") && list.body.contains("Chief inspector"))
            let open = try node.directory.proposals(openOnly: true).filter(\.incoming)
            #expect(open.count == 2)
            let token = try Browser.formToken(list)
            let (first, second) = (open[0], open[1])
            #expect(list.body.contains("action=\"/proposals/\(first.id.lowercasedString)/accept\""))
            // Rejecting needs a reason, which goes to the node that proposed it.
            let silent = try await browser.request("/proposals/\(second.id.lowercasedString)/reject", form: ["form_token": token, "reason": " "])
            #expect(silent.status == 400 && silent.body.contains("Say why"))
            #expect(try await browser.request("/proposals/\(second.id.lowercasedString)/reject", form: ["form_token": token, "reason": "Not yet official"]).status == 303)
            #expect(try await browser.request("/proposals/\(first.id.lowercasedString)/accept", form: ["form_token": token, "comment": "Thanks"]).status == 303)
            let proposedPosition = first.changes.first { $0.field == "position" }?.proposed
            #expect(try node.directory.contactCard(ion.id).person.position == proposedPosition)
            let decided = try node.directory.proposals().filter(\.incoming)
            #expect(Set(decided.map(\.status)) == [.accepted, .rejected])
            #expect(try await browser.request("/proposals").body.contains("Not yet official"))
            try Federation.sync(node.directory, to: other.directory)
            #expect(try other.directory.person(matching: ion.id.lowercasedString).position == proposedPosition)
        }
    }

    @Test func aViewerCannotOpenOrSendAForm() async throws {
        let (node, ion) = try WebPageTests.node()
        defer { node.remove() }
        _ = try node.directory.addAccount(name: "victor", role: .viewer, password: "a viewer's long password")
        try await MutualTLSTests().withServer(node) { port in
            let viewer = try Browser(port: port)
            _ = try await viewer.signIn("victor", "a viewer's long password")
            let path = "/contacts/\(ion.id.lowercasedString)"
            let card = try await viewer.request(path)
            #expect(card.status == 200 && !card.body.contains("/edit\"") && !card.body.contains("href=\"/proposals\""))
            #expect(try await viewer.request("\(path)/edit").status == 403)
            let sent = try await viewer.request(path, form: ["form_token": try Browser.formToken(card), "given_name": "Ivan"])
            #expect(sent.status == 403)
            #expect(try await viewer.request("/proposals").status == 403)
            #expect(try node.directory.contactCard(ion.id).person.givenName == "Ion")
        }
    }

    @Test func theCountryPageSaysTheTimeThereAndWhetherOfficesAreOpen() async throws {
        let (node, ion) = try WebPageTests.node()
        defer { node.remove() }
        let agencyID = try node.directory.contactCard(ion.id).agency.id
        _ = try node.directory.write { tx in
            var person = try node.directory.person(matching: ion.id.lowercasedString)
            person.timeZone = "Europe/Chisinau"
            try tx.save(person)
            try tx.save(Channel(agencyID: agencyID, kind: .phone, value: "+37322000100", hours: "Mo-Su 00:00-24:00 Europe/Chisinau"))
            let closed = try tx.save(Agency(name: "Labour Inspectorate", kind: .labourInspectorate, country: "MD"))
            try tx.save(Channel(agencyID: closed.id, kind: .phone, value: "+37322000300", hours: "Mo-Su off"))
        }
        try await MutualTLSTests().withServer(node) { port in
            let browser = try Browser(port: port)
            _ = try await browser.signIn("ana", "correct horse battery")
            let page = try await browser.request("/countries/MD")
            #expect(page.body.contains("<p class=\"local-time\">Local time there: ") && page.body.contains("(Europe/Chisinau)</p>"), "\(page.body)")
            #expect(page.body.contains("<span class=\"open-now\">open now</span>"))
            // Hours without a zone are read in the zone the country's records use.
            #expect(page.body.contains("<span class=\"open-now closed\">closed now</span>"))
            let agency = try await browser.request("/agencies/\(agencyID.lowercasedString)")
            #expect(agency.body.contains("Mo-Su 00:00-24:00 Europe/Chisinau <span class=\"open-now\">open now</span>"), "\(agency.body)")
        }
    }
}
