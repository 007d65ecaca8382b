import Foundation
import Testing

/// The README's "Retention, purge and the audit log" and "Proposals" with the built `liaison`:
/// three nodes in their own folders, carried by bundle files through a hub.
@Suite struct AccountabilityCLITests {
    struct Federation {
        let workspace: Workspace
        let chisinau: CLINode, athens: CLINode, bucharest: CLINode

        init() async throws {
            workspace = try Workspace()
            chisinau = try await workspace.node("chisinau", name: "Chisinau liaison desk", agency: "National Police of Moldova")
            athens = try await workspace.node("athens", name: "Athens hub", agency: "Hellenic Police")
            bucharest = try await workspace.node("bucharest", name: "Bucharest desk", agency: "Romanian Police")
            for (node, file) in [(chisinau, "chisinau.card"), (athens, "athens.card"), (bucharest, "bucharest.card")] {
                try await node.run("node", "card", "--out", file)
            }
            for node in [chisinau, athens, bucharest] {
                for file in ["chisinau.card", "athens.card", "bucharest.card"] where !file.hasPrefix(node.data.lastPathComponent) {
                    try await node.run("peer", "add", file, "--yes")
                }
            }
        }

        /// Carries what `from` holds to `to` through the Athens hub, by bundle files.
        func carry(from: CLINode, to: CLINode, _ name: String) async throws {
            try await from.run("bundle", "export", "--for", "Athens hub", "--out", "\(name)-1.bundle")
            try await athens.run("bundle", "import", "\(name)-1.bundle")
            try await athens.run("bundle", "export", "--for", to.data == chisinau.data ? "Chisinau liaison desk" : "Bucharest desk", "--out", "\(name)-2.bundle")
            try await to.run("bundle", "import", "\(name)-2.bundle")
        }

        /// The node folders whose database files hold `text`.
        func holders(of text: String) throws -> [String] {
            ["chisinau", "athens", "bucharest"].filter { folder in
                ["", "-wal", "-shm"].contains { suffix in
                    ((try? workspace.read("\(folder)/liaison.sqlite\(suffix)")) ?? Data()).range(of: Data(text.utf8)) != nil
                }
            }
        }
    }

    @Test func aNoteIsPurgedEverywhereAndEveryLookIsAccountedFor() async throws {
        let federation = try await Federation()
        let (chisinau, bucharest) = (federation.chisinau, federation.bucharest)
        let added = try await chisinau.run(
            "note", "add", "--title", "Recruitment through seasonal job ads", "--language", "en", "--body", "Met in Bari. PURGEMARKERQZ",
            "--country", "MD", "--review-on", "2026-01-15", "--retain-until", "2030-12-31",
            "--publish", "--reliability", "B", "--credibility", "2", "--marking", "TLP:AMBER", "--to", "Bucharest desk")
        let id = String(try #require(added.stdout.split(separator: "\n").first?.split(separator: " ").last))
        let short = String(id.suffix(8))
        try await federation.carry(from: chisinau, to: bucharest, "note")
        #expect(try federation.holders(of: "PURGEMARKERQZ") == ["chisinau", "bucharest"])
        #expect(try await bucharest.run("note", "show", short, "--reason", "case 2026/114").stdout.contains("PURGEMARKERQZ"))

        let due = try await chisinau.run("note", "review-due", "--within", "90").stdout
        #expect(due.contains(short) && due.contains("review"))

        let purged = try await chisinau.run("note", "purge", short, "--reason", "source withdrew consent").stdout
        #expect(purged.contains("Purged note \(id)") && purged.contains("The purge goes to every node"))
        try await federation.carry(from: chisinau, to: bucharest, "purge")
        #expect(try federation.holders(of: "PURGEMARKERQZ").isEmpty)
        #expect(try await bucharest.run("note", "list").stdout.contains("No notes."))
        for node in [chisinau, federation.athens, bucharest] { try await node.run("log", "verify") }

        // Bucharest's audit log: the look with its reason, the list, the purge it applied.
        let entries = try #require(try await bucharest.json("audit", "--json") as? [[String: Any]])
        let show = try #require(entries.first { $0["action"] as? String == "note.show" })
        #expect(show["reason"] as? String == "case 2026/114" && (show["records"] as? [String]) == [id])
        #expect((show["actor"] as? String)?.hasPrefix("user:") == true)
        #expect(entries.contains { $0["action"] as? String == "note.purge" && $0["actor"] as? String == "node" })
        // Chisinau's: the bundle files that carried the note, and its own purge.
        let disclosures = try await chisinau.run("audit", "--record", short).stdout
        #expect(disclosures.contains("disclosed.bundle") && disclosures.contains("note.purge") && disclosures.contains("source withdrew consent"))
        #expect(!disclosures.contains("PURGEMARKERQZ"))
        #expect(try await bucharest.run("audit", "verify").stdout.contains("each chained to the one before. Head: "))

        // Edited behind the node's back, the log no longer verifies.
        let log = bucharest.data.appending(path: "audit.log")
        let edited = try String(contentsOf: log, encoding: .utf8).replacingOccurrences(of: "case 2026/114", with: "routine")
        try Data(edited.utf8).write(to: log)
        let broken = try await bucharest.run("audit", "verify", exit: 2)
        #expect(broken.stderr.contains("does not fit the chain"))
        // Removed, it is missed: the node does not open without it.
        try FileManager.default.removeItem(at: log)
        let missing = try await bucharest.run("note", "list", exit: 1)
        #expect(missing.stderr.contains("this node's audit log, audit.log, is missing from its data folder"))
        #expect(!FileManager.default.fileExists(atPath: log.path))
    }

    @Test func anEditOfAnotherNodesAgencyIsProposedAcceptedAndReachesEveryone() async throws {
        let federation = try await Federation()
        let (chisinau, bucharest) = (federation.chisinau, federation.bucharest)
        try await chisinau.run("agency", "add", "--name", "Border Police", "--kind", "border", "--country", "MD", "--website", "https://border.example")
        try await federation.carry(from: chisinau, to: bucharest, "agency")
        let proposed = try await bucharest.run(
            "agency", "edit", "Border Police", "--website", "https://border.gov.example", "--comment", "Their site moved in November").stdout
        #expect(proposed.contains("Proposed to Chisinau liaison desk (National Police of Moldova), which keeps Border Police: website."))
        #expect(try await bucharest.run("agency", "show", "Border Police").stdout.contains("Web: https://border.example"))
        try await federation.carry(from: bucharest, to: chisinau, "proposal")
        #expect(try await federation.athens.run("proposal", "list").stdout.contains("No proposals."))
        let list = try await chisinau.run("proposal", "list", "--open").stdout
        #expect(list.contains("open") && list.contains("to us") && list.contains("agency Border Police") && list.contains("Bucharest desk"))
        let proposalID = String(try #require(list.split(separator: "\n").first { $0.contains("to us") }?.split(separator: " ").first))
        let shown = try await chisinau.run("proposal", "show", proposalID).stdout
        #expect(shown.contains("Why: Their site moved in November") && shown.contains("https://border.example") && shown.contains("https://border.gov.example"))
        #expect(try await chisinau.run("proposal", "accept", proposalID, "--comment", "Thanks").stdout.hasPrefix("Accepted: agency Border Police now holds website"))
        try await federation.carry(from: chisinau, to: bucharest, "accepted")
        #expect(try await bucharest.run("agency", "show", "Border Police").stdout.contains("Web: https://border.gov.example"))
        #expect(try await bucharest.run("proposal", "show", proposalID).stdout.contains("Accepted at "))
        let rejectTwice = try await chisinau.run("proposal", "reject", proposalID, "--reason", "late", exit: 1)
        #expect(rejectTwice.stderr.contains("this proposal was decided already"))
    }
}
