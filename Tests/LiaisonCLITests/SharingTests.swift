import Foundation
import Testing

/// The README's "Sharing with other nodes": cards, the roster, and bundle files between nodes run
/// as separate processes on separate data folders.
@Suite struct SharingTests {
    /// Makes `node` trust the node whose card is in `card`, as a script that checked the fingerprint.
    static func trust(_ node: CLINode, card: String) async throws {
        let unconfirmed = try await node.run("peer", "add", card, exit: 1)
        #expect(unconfirmed.stdout.contains("Fingerprint:"), "the fingerprint is shown before anything is asked")
        #expect(unconfirmed.stderr.hasPrefix("error: not trusted: confirm with --yes when not at a terminal"))
        #expect(try await node.run("peer", "add", card, "--yes").stdout.contains("Trusted "))
    }

    static func digest(_ node: CLINode) async throws -> String { try await node.run("digest").stdout.trimmed }

    @Test func twoNodesExchangeCardsThenBundles() async throws {
        let workspace = try Workspace()
        let chisinau = try await workspace.node("chisinau", name: "Chisinau liaison desk", agency: "National Police of Moldova")
        let bucharest = try await workspace.node("bucharest", name: "Bucharest desk", agency: "Romanian Police")
        let card = try await chisinau.run("node", "card", "--out", "chisinau.card", "--url", "https://liaison.police.md.example:8443")
        #expect(card.stdout.hasPrefix("Wrote chisinau.card. Fingerprint"))
        try await bucharest.run("node", "card", "--out", "bucharest.card")
        try await Self.trust(bucharest, card: "chisinau.card")
        try await Self.trust(chisinau, card: "bucharest.card")
        let chisinauID = try await chisinau.id()
        let peers = try #require(try await bucharest.json("peer", "list") as? [[String: Any]])
        #expect(peers.map { $0["node_id"] as? String } == [chisinauID])
        #expect(peers.first?["url"] as? String == "https://liaison.police.md.example:8443")
        #expect(peers.first?["name"] as? String == "Chisinau liaison desk")

        try await chisinau.run("agency", "add", "--country", "MD", "--kind", "police", "--name", "Centre for Combating Trafficking in Persons", "--acronym", "CCTP")
        try await chisinau.run("contact", "add", "--agency", "CCTP", "--given", "Ion", "--family", "Popescu", "--phone", "+373 22 000 101")
        let export = try await chisinau.run("bundle", "export", "--for", "bucharest desk", "--out", "to-bucharest.bundle")
        #expect(export.stdout.hasPrefix("Wrote to-bucharest.bundle: 2 commits, "))
        let imported = try #require(try await bucharest.json("bundle", "import", "to-bucharest.bundle") as? [String: Any])
        #expect(imported["exporter"] as? String == chisinauID && imported["exporter_verified"] as? Bool == true)
        #expect(imported["commits_read"] as? Int == 2 && imported["damage"] == nil)
        let report = try #require(imported["report"] as? [String: Any])
        #expect(report["applied"] as? Int == 2)
        #expect((report["refused"] as? [Any])?.isEmpty == true && (report["held"] as? [Any])?.isEmpty == true)
        let brings = try #require((imported["brings"] as? [String: Any])?["entries"] as? [[String: Any]])
        #expect(brings.map { $0["origin"] as? String } == [chisinauID] && brings.first?["sequence"] as? Int == 2)
        #expect(try await Self.digest(bucharest) == Self.digest(chisinau))
        #expect(try await bucharest.run("search", "popescu").stdout.contains("Ion Popescu"))

        // What the receiver holds, as a vector file: the next bundle carries exactly what it lacks.
        try workspace.write(try await bucharest.run("log", "vector", "--json").stdout, to: "bucharest.vector")
        try await chisinau.run("agency", "add", "--country", "MD", "--kind", "border", "--name", "Border Police")
        let since = try await chisinau.run("bundle", "export", "--since", "bucharest.vector", "--out", "to-b.bundle")
        #expect(since.stdout.hasPrefix("Wrote to-b.bundle: 1 commit, "))
        let summary = try await bucharest.run("bundle", "import", "to-b.bundle")
        #expect(summary.stdout.contains("applied:          1 commit, 1 change"))
        let digest = try #require(try await bucharest.json("digest") as? [String: Any])
        #expect(digest["digest"] as? String == (try await Self.digest(chisinau)))
        let vector = try #require((digest["vector"] as? [String: Any])?["entries"] as? [[String: Any]])
        #expect(vector.map { $0["sequence"] as? Int } == [3])
        #expect(Set(try #require(vector.first).keys) == ["origin", "epoch", "sequence", "header_hash"])
        #expect(try await bucharest.run("log", "verify").stdout.contains("Tables: "))
        #expect(try #require(try await bucharest.json("log", "forks") as? [Any]).isEmpty)

        // A revoked node's later commits are refused; a removed one leaves the roster.
        try await bucharest.run("peer", "revoke", "chisinau")
        try await chisinau.run("agency", "add", "--country", "MD", "--kind", "customs", "--name", "Customs Service")
        try await chisinau.run("bundle", "export", "--out", "after-revocation.bundle")
        let revoked = try await bucharest.run("bundle", "import", "after-revocation.bundle", exit: 2)
        #expect(revoked.stderr.contains("which was revoked"))
        #expect(try await Self.digest(bucharest) != Self.digest(chisinau))
        // A revoked node stays on the roster, so that it is never trusted again: the README's tour
        // runs one of the two, never both on one peer.
        let stays = try await bucharest.run("peer", "remove", "chisinau", exit: 1)
        #expect(stays.stderr.contains("is revoked; it stays in the roster so that it is never trusted again"))
        try await chisinau.run("peer", "remove", "bucharest")
        #expect(try #require(try await chisinau.json("peer", "list") as? [Any]).isEmpty)
    }

    @Test func bundlesThatNeedAnOfficersAttentionExit2() async throws {
        let workspace = try Workspace()
        let chisinau = try await workspace.node("chisinau", name: "Chisinau liaison desk", agency: "National Police of Moldova")
        let bucharest = try await workspace.node("bucharest", name: "Bucharest desk", agency: "Romanian Police")
        let athens = try await workspace.node("athens", name: "Athens desk", agency: "Hellenic Police")
        try await chisinau.run("node", "card", "--out", "chisinau.card")
        try await bucharest.run("peer", "add", "chisinau.card", "--yes")
        try await athens.run("peer", "add", "chisinau.card", "--yes")
        let origin = String(try await chisinau.id().prefix(8))

        try await chisinau.run("agency", "add", "--country", "MD", "--kind", "police", "--name", "Centre for Combating Trafficking in Persons")
        try await chisinau.run("bundle", "export", "--out", "first.bundle")

        // One changed byte refuses that commit, named; the node holds nothing of it.
        // The last bytes before the end marker (u8 0, u64 count) are the commit's deflated changes.
        var bytes = try workspace.read("first.bundle")
        bytes[bytes.count - 12] ^= 0x01
        try bytes.write(to: workspace.folder.appending(path: "tampered.bundle"))
        let tampered = try await athens.run("bundle", "import", "tampered.bundle", exit: 2)
        #expect(tampered.stdout.contains("refused \(origin)/1/1: "), "\(tampered.stdout)")
        #expect(try await athens.run("stats").stdout.contains("Agencies:      0"))

        // A commit whose predecessor is not in the bundle waits for it, named, and the import exits 2.
        try await bucharest.run("bundle", "import", "first.bundle")
        try await chisinau.run("agency", "add", "--country", "MD", "--kind", "border", "--name", "Border Police")
        try workspace.write(try await chisinau.run("log", "vector", "--json").stdout, to: "after-2.vector")
        try await chisinau.run("agency", "add", "--country", "MD", "--kind", "customs", "--name", "Customs Service")
        try await chisinau.run("bundle", "export", "--since", "after-2.vector", "--out", "gap.bundle")
        let gap = try await bucharest.run("bundle", "import", "gap.bundle", exit: 2)
        #expect(gap.stdout.contains("  held back:        1 commit\n"))
        #expect(gap.stdout.contains("\nheld \(origin)/1/3: waiting for \(origin)/1/2\n"))
        let held = try #require(try await bucharest.json("bundle", "import", "gap.bundle", exit: 2) as? [String: Any])
        let heldReport = try #require(held["report"] as? [String: Any])
        #expect((heldReport["held"] as? [[String: String]])?.first == ["commit": "\(origin)/1/3", "reason": "waiting for \(origin)/1/2"])

        // A bundle from a node outside the roster is refused whole, unless the officer says otherwise.
        try await bucharest.run("bundle", "export", "--out", "relayed.bundle")
        let bucharestID = String(try await bucharest.id().prefix(8))
        let stranger = try await athens.run("bundle", "import", "relayed.bundle", exit: 2)
        #expect(stranger.stderr.contains(
            "the bundle was exported by node \(bucharestID), which is not on this node's roster: nothing vouches for its header"))
        #expect(stranger.stderr.contains("hint: add the exporter's card with `liaison peer add CARD` first, or import with --any-exporter"))
        #expect(try await athens.run("stats").stdout.contains("Agencies:      0"))
        let relayed = try await athens.run("bundle", "import", "relayed.bundle", "--any-exporter")
        #expect(relayed.stdout.contains("not on the roster") && relayed.stdout.contains("applied:          1 commit"))

        // The whole log fills every gap: the three nodes end with one directory.
        try await chisinau.run("bundle", "export", "--out", "all.bundle")
        try await bucharest.run("bundle", "import", "all.bundle")
        try await athens.run("bundle", "import", "all.bundle")
        let digest = try await Self.digest(chisinau)
        #expect(try await Self.digest(bucharest) == digest)
        #expect(try await Self.digest(athens) == digest)
        try await athens.run("log", "verify")
    }

    @Test func aRecordKeptByAnotherNodeNamesItAndWhomToAsk() async throws {
        let workspace = try Workspace()
        let chisinau = try await workspace.node("chisinau", name: "Chisinau liaison desk", agency: "National Police of Moldova")
        let bucharest = try await workspace.node("bucharest", name: "Bucharest desk", agency: "Romanian Police")
        let athens = try await workspace.node("athens", name: "Athens desk", agency: "Hellenic Police")
        try await chisinau.run("node", "card", "--out", "chisinau.card")
        try await bucharest.run("peer", "add", "chisinau.card", "--yes")
        try await chisinau.run("agency", "add", "--country", "MD", "--kind", "police", "--name", "Centre for Combating Trafficking in Persons", "--acronym", "CCTP")
        let ion = try await chisinau.run("contact", "add", "--agency", "CCTP", "--given", "Ion", "--family", "Popescu").printedID
        try await chisinau.run("bundle", "export", "--out", "chisinau.bundle")
        try await bucharest.run("bundle", "import", "chisinau.bundle")
        let agency = try #require(try await bucharest.json("agency", "show", "CCTP") as? [String: Any])
        let agencyID = try #require((agency["agency"] as? [String: Any])?["id"] as? String)

        // An edit becomes a proposal to the steward; a removal is refused with whom to ask.
        let renamed = try await bucharest.run("agency", "edit", "CCTP", "--name", "Anti-Trafficking Centre")
        #expect(renamed.stdout.hasPrefix("Proposed to Chisinau liaison desk (National Police of Moldova), which keeps Centre for Combating Trafficking in Persons: name."))
        let edited = try await bucharest.run("contact", "edit", String(ion.suffix(8)), "--position", "Inspector")
        #expect(edited.stdout.hasPrefix("Proposed to Chisinau liaison desk (National Police of Moldova), which keeps Ion Popescu: position."))
        let removed = try await bucharest.run("agency", "remove", "CCTP", "--cascade", exit: 1)
        #expect(removed.stderr == """
            error: \(agencyID.lowercased()): this agency is kept by Chisinau liaison desk (National Police of Moldova), and only they can \
            change it: ask Chisinau liaison desk to make the change\n
            """)

        // A steward that has left the roster can only be named by its id.
        try await athens.run("peer", "add", "chisinau.card", "--yes")
        try await athens.run("bundle", "import", "chisinau.bundle")
        try await athens.run("peer", "remove", "chisinau")
        let stranger = try await athens.run("agency", "edit", "CCTP", "--name", "Anti-Trafficking Centre", exit: 1)
        #expect(stranger.stderr.contains(
            "this agency is kept by node \(try await chisinau.id()), which is not on this node's roster, and only that node can change it: ask the agency that runs it to make the change"))
    }
}
