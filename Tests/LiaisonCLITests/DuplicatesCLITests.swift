import Foundation
import Testing

/// The README's "Duplicates across nodes": two nodes add the same agency, the import counts the
/// pair, and the decisions settle it on both nodes.
@Suite struct DuplicatesCLITests {
    @Test func twoNodesAddTheSameAgencyAndTheStewardSettlesIt() async throws {
        let workspace = try Workspace()
        let chisinau = try await workspace.node("chisinau", name: "Chisinau desk", agency: "CCTP")
        let bucharest = try await workspace.node("bucharest", name: "Bucharest desk", agency: "DIICOT")
        try await chisinau.run("node", "card", "--out", "chisinau.card")
        try await bucharest.run("node", "card", "--out", "bucharest.card")
        try await chisinau.run("peer", "add", "bucharest.card", "--yes")
        try await bucharest.run("peer", "add", "chisinau.card", "--yes")

        let first = try await chisinau.run("agency", "add", "--country", "MD", "--kind", "border", "--name", "Border Police", "--phone", "+373 22 259 717")
        let second = try await bucharest.run("agency", "add", "--country", "MD", "--kind", "border", "--name", "border police")
        let firstID = String(try #require(first.stdout.split(whereSeparator: \.isWhitespace).last))
        let secondID = String(try #require(second.stdout.split(whereSeparator: \.isWhitespace).last))
        try await chisinau.run("bundle", "export", "--out", "from-chisinau.bundle")
        let imported = try await bucharest.run("bundle", "import", "from-chisinau.bundle")
        #expect(imported.stdout.contains("likely duplicates: 1 new pair of contacts or agencies; see `liaison duplicates`"))

        let listed = try await bucharest.run("duplicates")
        #expect(listed.stdout.contains("Agencies alike: same name"))
        #expect(listed.stdout.contains("kept by Chisinau desk (CCTP)") && listed.stdout.contains("kept by this node"))
        let pairs = try #require(try await bucharest.json("duplicates") as? [[String: Any]])
        #expect(pairs.count == 1)
        #expect(pairs.first?["reasons"] as? [String] == ["same name"])

        // Bucharest does not keep Chisinau's record: its decision is a proposal.
        let proposal = try await bucharest.run("duplicates", "same", firstID, secondID)
        #expect(proposal.stdout.contains("is kept by Chisinau desk (CCTP), so only they can retire it"))
        #expect(try #require(try await bucharest.json("search", "border") as? [Any]).count == 2)

        // It keeps its own: retired at once, and the other node follows with the next bundle.
        let retired = try await bucharest.run("duplicates", "same", secondID, firstID, "--note", "one border police")
        #expect(retired.stdout.contains("is now shown as Border Police"))
        #expect(try await bucharest.run("duplicates").stdout.contains("No likely duplicates."))
        try await bucharest.run("bundle", "export", "--out", "from-bucharest.bundle")
        try await chisinau.run("bundle", "import", "from-bucharest.bundle")
        for node in [chisinau, bucharest] {
            let found = try #require(try await node.json("search", "border") as? [[String: Any]])
            #expect(found.map { $0["id"] as? String } == [firstID])
            #expect(try await node.run("agency", "show", secondID).stdout.contains("Same as: \(secondID.suffix(8))"))
        }
        #expect(try await chisinau.run("digest").stdout == bucharest.run("digest").stdout)
        #expect(try await chisinau.run("duplicates", "same", firstID, "nowhere", exit: 1).stderr.contains("no agency matches \"nowhere\""))
    }
}
