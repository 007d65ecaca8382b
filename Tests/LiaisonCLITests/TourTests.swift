import Foundation
import Testing

/// The README's "A short tour", run as an officer would run it: the `liaison` executable on a new
/// node, checking exit codes, `--json` output and the errors printed.
@Suite struct TourTests {
    /// A node with the tour's directory: CCTP with a unit, Ion Popescu as its 24/7 trafficking contact,
    /// and a contact known only by a Cyrillic name.
    static func tourNode(_ workspace: Workspace) async throws -> (node: CLINode, ion: String) {
        let node = try await workspace.node("node", name: "Chisinau liaison desk", agency: "National Police of Moldova")
        try await node.run(
            "agency", "add", "--country", "MD", "--kind", "police", "--name", "Centre for Combating Trafficking in Persons",
            "--acronym", "CCTP", "--phone", "+373 22 000 100", "--24x7")
        try await node.run("agency", "add", "--country", "MD", "--kind", "police", "--name", "Operational Section", "--parent", "CCTP")
        let ion = try await node.run(
            "contact", "add", "--agency", "CCTP", "--given", "Ion", "--family", "Popescu", "--native-name", "Ион Попеску",
            "--position", "Inspector", "--language", "ro", "--language", "en", "--timezone", "Europe/Chisinau",
            "--phone", "+373 22 000 101", "--email", "ion.popescu@police.md.example", "--secure", "SIENA: md.tip@siena.example"
        ).printedID
        try await node.run("contact", "add", "--agency", "Operational Section", "--native-name", "Иван Иванов", "--language", "ru")
        try await node.run("designation", "add", "--contact", String(ion.suffix(8)), "--crime-area", "trafficking-in-persons", "--function", "24x7-contact")
        return (node, ion)
    }

    @Test func buildingTheDirectoryByHandAndFindingPeople() async throws {
        let workspace = try Workspace()
        let (node, ion) = try await Self.tourNode(workspace)

        let identity = try #require(try await node.json("node", "show") as? [String: Any])
        #expect(Set(identity.keys) == ["id", "name", "agency", "epoch", "signing_key_fingerprint", "tls_pin", "folder"])
        #expect((identity["id"] as? String)?.count == 32)
        #expect(identity["name"] as? String == "Chisinau liaison desk")
        #expect(identity["epoch"] as? Int == 1)
        #expect(identity["folder"] as? String == node.data.path)

        // Names in any script and their Latin spellings; every hit says what it is and where.
        let ivanov = try #require(try await node.json("search", "ivanov") as? [[String: Any]])
        #expect(ivanov.map { $0["native_name"] as? String } == ["Иван Иванов"])
        #expect(ivanov.first?["entity"] as? String == "person")
        #expect(ivanov.first?["agency"] as? String == "Operational Section")
        let popescu = try #require(try await node.json("search", "попеску") as? [[String: Any]])
        #expect(popescu.map { $0["id"] as? String } == [ion])
        #expect(popescu.first?["name"] as? String == "Ion Popescu")
        let typeAhead = try await node.run("search", "combat")
        #expect(typeAhead.stdout.contains("Centre for Combating"))
        let focal = try #require(
            try await node.json("search", "--country", "MD", "--crime-area", "trafficking-in-persons", "--function", "24x7-contact") as? [[String: Any]])
        #expect(focal.map { $0["id"] as? String } == [ion])
        let speakers = try #require(try await node.json("search", "--country", "MD", "--language", "ro", "--language", "en") as? [[String: Any]])
        #expect(speakers.map { $0["id"] as? String } == [ion])

        // The country page: the agency with its unit, the desk's 24/7 number, the focal point.
        let page = try #require(try await node.json("country", "show", "md") as? [String: Any])
        let country = try #require(page["country"] as? [String: Any])
        #expect(country["code"] as? String == "MD" && country["calling_code"] as? String == "373")
        let agencies = try #require(page["agencies"] as? [[String: Any]])
        #expect(agencies.count == 1)
        #expect((agencies.first?["agency"] as? [String: Any])?["acronym"] as? String == "CCTP")
        #expect((agencies.first?["units"] as? [[String: Any]])?.map { $0["name"] as? String } == ["Operational Section"])
        #expect(agencies.first?["contact_count"] as? Int == 2, "with its unit's")
        let desk = try #require((page["contacts24x7"] as? [[String: Any]])?.first?["channel"] as? [String: Any])
        #expect(desk["value"] as? String == "+37322000100" && desk["is_24x7"] as? Bool == true)
        #expect((page["focal_points"] as? [Any])?.isEmpty == false)
        #expect(try await node.run("country", "show", "MD").stdout.contains("Moldova"))

        // The contact as stored: channels normalised, the secure mailbox split into system and address.
        let card = try #require(try await node.json("contact", "show", String(ion.suffix(8))) as? [String: Any])
        let person = try #require(card["person"] as? [String: Any])
        #expect(person["languages"] as? [String] == ["ro", "en"])
        #expect(person["time_zone"] as? String == "Europe/Chisinau")
        let channels = try #require(card["channels"] as? [[String: Any]])
        let byKind = Dictionary(uniqueKeysWithValues: channels.map { ($0["kind"] as? String ?? "", $0) })
        #expect(byKind["phone"]?["value"] as? String == "+37322000101")
        #expect(byKind["email"]?["value"] as? String == "ion.popescu@police.md.example")
        #expect(byKind["secure-mailbox"]?["label"] as? String == "SIENA")
        #expect(byKind["secure-mailbox"]?["value"] as? String == "md.tip@siena.example")
        let roles = try #require(card["designations"] as? [[String: Any]])
        #expect(roles.map { "\($0["crime_area"] as? String ?? "") \($0["function"] as? String ?? "")" } == ["trafficking-in-persons 24x7-contact"])

        let stats = try #require(try await node.json("stats") as? [String: Any])
        #expect(stats["contacts"] as? Int == 2)
        let log = try #require(try await node.json("log", "show", "--limit", "10") as? [[String: Any]])
        #expect(log.count == 5, "one commit per command that wrote")
        #expect(try await node.run("log", "verify").stdout.contains("verified"))
    }

    @Test func refusalsNameWhatIsWrongAndWriteNothing() async throws {
        let workspace = try Workspace()
        let (node, ion) = try await Self.tourNode(workspace)
        let commits = try #require(try await node.json("log", "show", "--limit", "100") as? [Any]).count

        let country = try await node.run("agency", "add", "--country", "QQ", "--kind", "police", "--name", "Nowhere Police", exit: 1)
        #expect(country.stderr.hasPrefix("error: country: unknown country \"QQ\"\n"))
        let acronym = try await node.run("agency", "add", "--country", "MD", "--kind", "border", "--name", "Border Police", "--acronym", "cctp", exit: 1)
        #expect(acronym.stderr.contains(": acronym: MD already has an agency with the acronym cctp\n"))

        let namesake = try await node.run("contact", "add", "--agency", "CCTP", "--given", "ion", "--family", "POPESCU", exit: 1)
        #expect(namesake.stderr == """
            error: \(ion): Ion Popescu is already a contact of this agency
            hint: change it with `liaison contact edit \(ion.suffix(8))`, or add another person of the same name with --allow-same-name

            """)
        let role = try await node.run(
            "designation", "add", "--contact", ion, "--crime-area", "trafficking-in-persons", "--function", "24x7-contact", exit: 1)
        #expect(role.stderr.hasPrefix("error: ") && role.stderr.contains(": this role is already held"))
        let mailbox = try await node.run("contact", "add", "--agency", "CCTP", "--given", "Ana", "--secure", "SIENA:", exit: 1)
        #expect(mailbox.stderr.hasPrefix("error: secure-mailbox: no address after \"SIENA:\""))
        #expect(try await node.run("stats").stdout.contains("Contacts:      2"), "the refused contact was not half-written")

        try workspace.write("country,agency,agency_kind,phone\nQQ,X,police,+373 22 x\nMD,Border Police,border,+373 22 000 200\n", to: "bad.csv")
        let rows = try await node.run("import", "bad.csv", exit: 1)
        #expect(rows.stderr == """
            error: bad.csv: 1 row is invalid; nothing was imported
              bad.csv:2: country: unknown country "QQ"
              bad.csv:2: phone: not a phone number: unexpected "x" (got "+373 22 x")
            hint: fix the rows above and import again; --dry-run checks without writing

            """)
        #expect(try #require(try await node.json("log", "show", "--limit", "100") as? [Any]).count == commits, "no refusal signed a commit")

        // A second person of the same name, when the officer says so.
        try await node.run("contact", "add", "--agency", "CCTP", "--given", "Ion", "--family", "Popescu", "--allow-same-name")
        try await node.run("log", "verify")
    }

    @Test func secureMailboxesReadTheSameFromOptionsAndFromImport() async throws {
        let workspace = try Workspace()
        let node = try await workspace.node("node", name: "Chisinau liaison desk", agency: "National Police of Moldova")
        try await node.run("agency", "add", "--country", "MD", "--kind", "police", "--name", "Police", "--acronym", "POL")
        let mailboxes = ["SIENA: md.tip@siena.example", "I-24/7: x@y", "desk@mailbox.example", "desk@chat.example: night desk"]
        let byOptions = try await node.run(["contact", "add", "--agency", "POL", "--given", "Ana"] + mailboxes.flatMap { ["--secure", $0] }).printedID
        try workspace.write(
            "country,agency,given_name,secure_channel\nMD,Police,Maria,\(mailboxes.joined(separator: ";"))\n", to: "mailboxes.csv")
        try await node.run("import", "mailboxes.csv")
        let byImport = try #require(try await node.json("search", "maria") as? [[String: Any]]).first?["id"] as? String ?? ""

        func mailboxesOf(_ id: String) async throws -> [String] {
            let card = try #require(try await node.json("contact", "show", id) as? [String: Any])
            return try #require(card["channels"] as? [[String: Any]])
                .sorted { ($0["preference"] as? Int ?? 0) < ($1["preference"] as? Int ?? 0) }
                .map { "\($0["label"] as? String ?? "-") | \($0["value"] as? String ?? "")" }
        }
        let expected = ["SIENA | md.tip@siena.example", "I-24/7 | x@y", "- | desk@mailbox.example", "- | desk@chat.example: night desk"]
        #expect(try await mailboxesOf(byOptions) == expected)
        #expect(try await mailboxesOf(byImport) == expected)
    }

    @Test func exportsImportAgainToTheSameDirectory() async throws {
        let workspace = try Workspace()
        let (node, ion) = try await Self.tourNode(workspace)
        try await node.run("export", "--format", "csv", "--out", "directory.csv")
        try await node.run("export", "--format", "json", "--out", "directory.json")
        let vcard = try await node.run("export", "--format", "vcard", "--country", "MD", "--out", "moldova.vcf")
        #expect(vcard.stderr.hasPrefix("Wrote "))
        #expect(String(decoding: try workspace.read("moldova.vcf"), as: UTF8.self).contains("BEGIN:VCARD"))
        #expect(String(decoding: try workspace.read("directory.csv"), as: UTF8.self).contains("SIENA: md.tip@siena.example"))

        // CSV: matched by names, so a second import adds nothing.
        let fromCSV = try await workspace.node("csv", name: "Bucharest desk", agency: "Romanian Police")
        let dryRun = try #require(try await fromCSV.json("import", "directory.csv", "--dry-run") as? [String: Any])
        #expect(dryRun["dry_run"] as? Bool == true && dryRun["contacts_created"] as? Int == 2)
        #expect(try await fromCSV.run("stats").stdout.contains("Contacts:      0"))
        try await fromCSV.run("import", "directory.csv")
        let again = try await fromCSV.run("import", "directory.csv")
        #expect(again.stdout.contains("contacts:           0 new, 0 updated") && again.stdout.contains("signed commits:     0"))
        let found = try #require(try await fromCSV.json("search", "--country", "MD", "--crime-area", "trafficking-in-persons", "--function", "24x7-contact") as? [[String: Any]])
        #expect(found.map { $0["name"] as? String } == ["Ion Popescu"])

        // JSON: lossless, with the records' ids.
        let fromJSON = try await workspace.node("json", name: "Athens desk", agency: "Hellenic Police")
        let summary = try #require(try await fromJSON.json("import", "directory.json") as? [String: Any])
        #expect(Set(summary.keys) == [
            "file", "rows", "dry_run", "agencies_created", "agencies_updated", "contacts_created", "contacts_updated",
            "channels_created", "channels_updated", "designations_created", "designations_updated", "commits",
        ])
        #expect(summary["agencies_created"] as? Int == 2 && summary["contacts_created"] as? Int == 2)
        #expect(summary["channels_created"] as? Int == 4 && summary["designations_created"] as? Int == 1)
        let original = try #require(try await node.json("contact", "show", ion) as? [String: Any])
        let copy = try #require(try await fromJSON.json("contact", "show", ion) as? [String: Any])
        func withoutMetadata(_ card: [String: Any]) -> NSDictionary {
            func strip(_ value: Any) -> Any {
                if let object = value as? [String: Any] { return object.filter { $0.key != "metadata" }.mapValues(strip) }
                if let array = value as? [Any] { return array.map(strip) }
                return value
            }
            return strip(card) as? NSDictionary ?? [:]
        }
        #expect(withoutMetadata(copy) == withoutMetadata(original))
        let reimported = try #require(try await fromJSON.json("import", "directory.json") as? [String: Any])
        #expect(reimported["commits"] as? Int == 0)
    }
}
