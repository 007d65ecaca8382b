import Foundation
import Testing

/// The README's "Duplicates across nodes": two nodes add the same agency, the import counts the
/// pair, and the decisions settle it on both nodes.
@Suite struct DuplicatesCLITests {
    @Test func twoNodesAddTheSameAgencyAndTheStewardSettlesIt() throws {
        let workspace = try Workspace()
        let chisinau = try workspace.node("chisinau", name: "Chisinau desk", agency: "CCTP")
        let bucharest = try workspace.node("bucharest", name: "Bucharest desk", agency: "DIICOT")
        try chisinau.run("node", "card", "--out", "chisinau.card")
        try bucharest.run("node", "card", "--out", "bucharest.card")
        try chisinau.run("peer", "add", "bucharest.card", "--yes")
        try bucharest.run("peer", "add", "chisinau.card", "--yes")

        let first = try chisinau.run("agency", "add", "--country", "MD", "--kind", "border", "--name", "Border Police", "--phone", "+373 22 259 717")
        let second = try bucharest.run("agency", "add", "--country", "MD", "--kind", "border", "--name", "border police")
        let firstID = String(try #require(first.stdout.split(whereSeparator: \.isWhitespace).last))
        let secondID = String(try #require(second.stdout.split(whereSeparator: \.isWhitespace).last))
        try chisinau.run("bundle", "export", "--out", "from-chisinau.bundle")
        let imported = try bucharest.run("bundle", "import", "from-chisinau.bundle")
        #expect(imported.stdout.contains("likely duplicates: 1 new pair of contacts or agencies; see `liaison duplicates`"))

        let listed = try bucharest.run("duplicates")
        #expect(listed.stdout.contains("Agencies alike: same name"))
        #expect(listed.stdout.contains("kept by Chisinau desk (CCTP)") && listed.stdout.contains("kept by this node"))
        let pairs = try #require(try bucharest.json("duplicates") as? [[String: Any]])
        #expect(pairs.count == 1)
        #expect(pairs.first?["reasons"] as? [String] == ["same name"])

        // Bucharest does not keep Chisinau's record: its decision is a proposal.
        let proposal = try bucharest.run("duplicates", "same", firstID, secondID)
        #expect(proposal.stdout.contains("is kept by Chisinau desk (CCTP), so only they can retire it"))
        #expect(try #require(try bucharest.json("search", "border") as? [Any]).count == 2)

        // It keeps its own: retired at once, and the other node follows with the next bundle.
        let retired = try bucharest.run("duplicates", "same", secondID, firstID, "--note", "one border police")
        #expect(retired.stdout.contains("is now shown as Border Police"))
        #expect(try bucharest.run("duplicates").stdout.contains("No likely duplicates."))
        try bucharest.run("bundle", "export", "--out", "from-bucharest.bundle")
        try chisinau.run("bundle", "import", "from-bucharest.bundle")
        for node in [chisinau, bucharest] {
            let found = try #require(try node.json("search", "border") as? [[String: Any]])
            #expect(found.map { $0["id"] as? String } == [firstID])
            #expect(try node.run("agency", "show", secondID).stdout.contains("Same as: \(secondID.suffix(8))"))
        }
        #expect(try chisinau.run("digest").stdout == bucharest.run("digest").stdout)
        #expect(try chisinau.run("duplicates", "same", firstID, "nowhere", exit: 1).stderr.contains("no agency matches \"nowhere\""))
    }
}
