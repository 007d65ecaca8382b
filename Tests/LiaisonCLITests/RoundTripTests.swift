import Foundation
import Testing

/// A directory taken out and brought in again keeps every field, `digest --content` proves it, and
/// the demo and the counts read as an officer expects.
@Suite struct RoundTripTests {
    /// A node with an agency and a contact whose acronym, rank and verification CSV once lost.
    static func moldovaNode(_ workspace: Workspace, _ name: String) async throws -> CLINode {
        let node = try await workspace.node(name, name: "Desk \(name)", agency: "National Police of Moldova")
        try await node.run(
            "agency", "add", "--country", "MD", "--kind", "police", "--name", "Centre for Combating Trafficking in Persons",
            "--acronym", "CCTP", "--phone", "+373 22 000 100", "--24x7")
        try await node.run(
            "contact", "add", "--agency", "CCTP", "--given", "Ion", "--family", "Popescu", "--rank", "Major", "--verified-by", "Duty officer",
            "--phone", "+373 22 000 101")
        return node
    }

    static func contentDigest(_ node: CLINode) async throws -> String { try await node.run("digest", "--content").stdout.trimmed }

    @Test func aCSVRoundTripKeepsAcronymRankAndVerification() async throws {
        let workspace = try Workspace()
        let source = try await Self.moldovaNode(workspace, "source")
        try await source.run("export", "--format", "csv", "--out", "directory.csv")
        let copy = try await workspace.node("copy", name: "Copy", agency: "Other")
        try await copy.run("import", "directory.csv")

        let agency = try #require(try await copy.json("agency", "show", "CCTP") as? [String: Any])
        #expect((agency["agency"] as? [String: Any])?["acronym"] as? String == "CCTP")
        let ion = try #require((try await copy.json("search", "popescu") as? [[String: Any]])?.first?["id"] as? String)
        let person = try #require((try await copy.json("contact", "show", ion) as? [String: Any])?["person"] as? [String: Any])
        #expect(person["rank"] as? String == "Major")
        #expect(person["verified_by"] as? String == "Duty officer")
        #expect(person["verified_at"] as? String != nil)
        #expect(try await Self.contentDigest(copy) == Self.contentDigest(source))
    }

    @Test func digestContentIsEqualOnNodesThatImportedTheSameFile() async throws {
        let workspace = try Workspace()
        try workspace.write("""
            country,agency,agency_kind,agency_acronym,given_name,family_name,rank,phone,is_24x7
            MD,Centre for Combating Trafficking in Persons,police,CCTP,Ion,Popescu,Major,+373 22 000 101,yes
            MD,Border Police,border,,Oleg,Tcaciuc,,+373 22 000 120,no

            """, to: "contacts.csv")
        let first = try await workspace.node("first", name: "First", agency: "First agency")
        let second = try await workspace.node("second", name: "Second", agency: "Second agency")
        try await first.run("import", "contacts.csv")
        try await second.run("import", "contacts.csv")
        #expect(try await first.run("digest").stdout != second.run("digest").stdout, "other ids, stewards and stamps")
        let content = try await Self.contentDigest(first)
        #expect(content.count == 64)
        #expect(try await Self.contentDigest(second) == content)
        #expect((try await second.json("digest", "--content") as? [String: Any])?["content_digest"] as? String == content)

        try await second.run("agency", "edit", "CCTP", "--website", "https://cctp.police.md.example")
        #expect(try await Self.contentDigest(second) != content)
    }

    @Test func theDemoMakesANewFolderEachRunOrUsesTheOneGiven() async throws {
        let workspace = try Workspace()
        let temporary = workspace.folder.appending(path: "tmp")
        try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true)
        func demoFolder(_ arguments: [String] = []) async throws -> String {
            let run = try await workspace.run(["demo", "--once"] + arguments, environment: ["TMPDIR": temporary.path])
            #expect(run.status == 0, "\(run)")
            #expect(run.stdout.contains(" contacts, 1 signed commit.\n"), "a count with its noun, not commit(s)")
            let line = try #require(run.stdout.split(separator: "\n").first { $0.hasPrefix("Demo node ") })
            return String(try #require(line.split(separator: " in ", maxSplits: 1).last))
        }
        let first = try await demoFolder(), second = try await demoFolder()
        #expect(first != second)
        #expect(first.hasPrefix(temporary.path) && second.hasPrefix(temporary.path))
        #expect(first != temporary.appending(path: "liaison-demo").path)
        let given = workspace.folder.appending(path: "my-demo").path
        #expect(try await demoFolder(["--data", given]) == given)
        #expect(FileManager.default.fileExists(atPath: given + "/liaison.sqlite"))
    }

    @Test func oneOfSomethingIsSingular() async throws {
        let workspace = try Workspace()
        let node = try await workspace.node("node", name: "Desk", agency: "Police")
        try await node.run("agency", "add", "--country", "MD", "--kind", "police", "--name", "Border Police")
        #expect(try await node.run("country", "list").stdout.contains("1 country\n"))
        #expect(try await node.run("agency", "list").stdout.contains("1 agency or unit\n"))
        let stats = try await node.run("stats").stdout
        #expect(stats.contains("(+ 0 units)") && stats.contains("Log:           1 commit, 1 change\n"), "\(stats)")
        try workspace.write("country,agency,agency_kind\nMD,Police,police\n", to: "one.csv")
        #expect(try await node.run("import", "one.csv").stdout.contains("one.csv: 1 row\n"))
    }
}
