import Foundation
import Testing

/// The README's "Intelligence notes": write, grade, mark, share and evaluate a note with the built
/// `liaison`, each node in its own folder, notes carried by bundle files.
@Suite struct NoteCLITests {
    @Test func aNoteIsDraftedPublishedToAGroupEvaluatedAndLinked() async throws {
        let workspace = try Workspace()
        let chisinau = try await workspace.node("chisinau", name: "Chisinau liaison desk", agency: "National Police of Moldova")
        let bucharest = try await workspace.node("bucharest", name: "Bucharest desk", agency: "Romanian Police")
        let athens = try await workspace.node("athens", name: "Athens hub", agency: "Hellenic Police")
        for (node, file) in [(chisinau, "chisinau.card"), (bucharest, "bucharest.card"), (athens, "athens.card")] {
            try await node.run("node", "card", "--out", file)
        }
        for node in [chisinau, bucharest, athens] {
            for file in ["chisinau.card", "bucharest.card", "athens.card"] where !file.hasPrefix(node.data.lastPathComponent) {
                try await node.run("peer", "add", file, "--yes")
            }
        }
        let group = try await chisinau.run("group", "add", "Black Sea desk", "--member", "Bucharest desk", "--purpose", "Cases crossing MD, RO and UA")
        #expect(group.stdout.hasPrefix("Made group Black Sea desk ") && group.stdout.contains("with 2 members"))

        try workspace.write("""
            Job ads on two Chisinau sites offer farm work in Italy, travel paid.
            Three women who answered were met in Bari and their passports taken. ROUTE-MARKER
            """, to: "route.md")
        let drafted = try await chisinau.run(
            "note", "add", "--title", "Recruitment through seasonal job ads", "--language", "en", "--body-file", "route.md",
            "--country", "MD", "--country", "it", "--crime-area", "trafficking-in-persons", "--crime-area", "forced-labour",
            "--subject", "victim", "--subject", "suspect", "--assessment", "--refers-to", "2026-11-20", "--review-on", "2027-02-01",
            "--retain-until", "2028-11-30")
        #expect(drafted.stdout.hasPrefix("Drafted Recruitment through seasonal job ads "))
        let id = String(try #require(drafted.stdout.split(separator: "\n").first?.split(separator: " ").last))
        let short = String(id.suffix(8))
        #expect(drafted.stdout.contains("It stays on this node until `liaison note publish \(short)`."))
        #expect(try await chisinau.run("note", "list").stdout.contains("\(short)  draft"))

        // Publishing needs the grading, the marking and a distribution; TLP:RED only to named nodes.
        let ungraded = try await chisinau.run("note", "publish", short, "--group", "Black Sea desk", exit: 1)
        #expect(ungraded.stderr.contains("publishing needs a grading"))
        let redToGroup = try await chisinau.run(
            "note", "publish", short, "--reliability", "B", "--credibility", "2", "--marking", "TLP:RED", "--group", "Black Sea desk", exit: 1)
        #expect(redToGroup.stderr.contains("TLP:RED is for the eyes of individual recipients only"))
        let twoWays = try await chisinau.run("note", "publish", short, "--federation", "--to", "Athens hub", exit: 64)
        #expect(twoWays.stderr.contains("choose one distribution"))
        // A mistake in the command's words reads as the tool's own errors do, with the usage after it.
        #expect(twoWays.stderr.hasPrefix("error: ") && twoWays.stderr.contains("Usage: liaison note publish"), "\(twoWays)")
        let published = try await chisinau.run(
            "note", "publish", short, "--reliability", "b", "--credibility", "2", "--marking", "tlp:amber", "--group", "black sea desk")
        #expect(published.stdout.contains("B2 TLP:AMBER, group Black Sea desk (2 nodes)"))

        // Bucharest is in the group; Athens is not, and carries the note for nobody.
        try await chisinau.run("bundle", "export", "--for", "Athens hub", "--out", "to-athens.bundle")
        try await athens.run("bundle", "import", "to-athens.bundle")
        #expect(try await athens.run("note", "list").stdout.contains("No notes."))
        try await athens.run("bundle", "export", "--for", "Bucharest desk", "--out", "athens-to-bucharest.bundle")
        try await bucharest.run("bundle", "import", "athens-to-bucharest.bundle")
        let shown = try await bucharest.run("note", "show", short).stdout
        #expect(shown.contains("Recruitment through seasonal job ads  (\(id))"))
        #expect(shown.contains("published · B2: source usually reliable, information probably true · TLP:AMBER · shared with group Black Sea desk (2 nodes)"))
        #expect(shown.contains("Written by Chisinau liaison desk (National Police of Moldova)"))
        #expect(shown.contains("language en · assessment · refers to 2026-11-20 · subjects: victim, suspect"))
        #expect(shown.contains("Countries: MD, IT") && shown.contains("Crime areas: trafficking-in-persons, forced-labour"))
        #expect(shown.contains("Review on 2027-02-01 · retain until 2028-11-30") && shown.contains("ROUTE-MARKER"))
        for folder in ["athens"] {
            for suffix in ["", "-wal"] {
                let bytes = (try? workspace.read("\(folder)/liaison.sqlite\(suffix)")) ?? Data()
                #expect(bytes.range(of: Data("ROUTE-MARKER".utf8)) == nil, "\(folder)\(suffix)")
            }
        }

        // Bucharest grades it, and writes a note of its own from it, as high and no wider.
        let evaluated = try await bucharest.run("note", "evaluate", short, "--reliability", "B", "--credibility", "1", "--comment", "Same recruiter in our case 2026/114")
        #expect(evaluated.stdout.contains("Evaluated Recruitment through seasonal job ads as B1; combined grading now B2 from 2 nodes."))
        let lower = try await bucharest.run(
            "note", "add", "--title", "Bari pick-ups", "--language", "en", "--body", "Cars with RO plates.", "--derived-from", short,
            "--publish", "--reliability", "B", "--credibility", "2", "--marking", "TLP:GREEN", "--to", "Chisinau liaison desk", exit: 1)
        #expect(lower.stderr.contains("cannot carry the lower marking TLP:GREEN"))
        let derived = try await bucharest.run(
            "note", "add", "--title", "Bari pick-ups", "--language", "en", "--body", "Cars with RO plates.", "--derived-from", short,
            "--publish", "--reliability", "B", "--credibility", "2", "--marking", "TLP:AMBER", "--to", "Chisinau liaison desk")
        let derivedShort = String(try #require(derived.stdout.split(separator: " ").last?.trimmingCharacters(in: .whitespacesAndNewlines)).suffix(8))
        let linked = try await bucharest.run("note", "link", derivedShort, "corroborates", short, "--comment", "Same route")
        #expect(linked.stdout.hasPrefix("Linked: Bari pick-ups corroborates Recruitment through seasonal job ads"))
        try await bucharest.run("bundle", "export", "--for", "Chisinau liaison desk", "--out", "to-chisinau.bundle")
        try await chisinau.run("bundle", "import", "to-chisinau.bundle")
        let page = try await chisinau.run("note", "show", short).stdout
        #expect(page.contains("Combined grading: B2 from 2 nodes; corroborated by 1 note, contradicted by 0 notes"))
        #expect(page.contains("B1  Bucharest desk (Romanian Police): Same recruiter in our case 2026/114"))
        #expect(page.contains("corroborates this: Bari pick-ups (\(derivedShort)), by Bucharest desk (Romanian Police): Same route"))
        #expect(page.contains("Derived notes:\n  Bari pick-ups (\(derivedShort))"))
        let json = try #require(try await chisinau.json("note", "show", short) as? [String: Any])
        #expect((json["combined"] as? [String: Any])?["credibility"] as? String == "2")
        #expect((json["note"] as? [String: Any])?["marking"] as? String == "TLP:AMBER")

        // Groups: only their steward changes them.
        #expect(try await chisinau.run("group", "add-member", "Black Sea desk", "Athens hub").stdout.contains("Added Athens hub (Hellenic Police) to Black Sea desk: 3 members."))
        #expect(try await chisinau.run("group", "remove-member", "Black Sea desk", "athens").stdout.contains("2 members left"))
        let groups = try await bucharest.run("group", "list").stdout
        #expect(groups.contains("Black Sea desk  2        Chisinau liaison desk (National Police of Moldo"), "\(groups)")
        let notSteward = try await bucharest.run("group", "add-member", "Black Sea desk", "Athens hub", exit: 1)
        #expect(notSteward.stderr.contains("only they can change it"))
    }
}
