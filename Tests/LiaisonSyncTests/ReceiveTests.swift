import Crypto
import Foundation
import GRDB
import LiaisonCore
import LiaisonSync
import LiaisonTestSupport
import Testing

@Suite struct ReceiveTests {
    private func addAgency(_ node: Directory, _ name: String) throws -> Agency {
        try node.write { tx in try tx.save(Agency(name: name, kind: .police, country: "MD")) }.value
    }

    @Test func aRelayedCommitIsVerifiedAgainstItsAuthorsKey() throws {
        let nodes = try Federation.nodes(3)
        _ = try addAgency(nodes[0], "Border Police")
        try Federation.sync(nodes[0], to: nodes[1])
        let report = try Federation.sync(nodes[1], to: nodes[2])
        #expect(report.applied == 1 && report.refused.isEmpty)
        #expect(try nodes[2].digest() == nodes[0].digest())
        #expect(try nodes[2].vector() == nodes[0].vector())
    }

    @Test func aNodeThatReceivesStillMatchesAReplayOfItsLog() throws {
        let nodes = try Federation.nodes(2)
        _ = try addAgency(nodes[0], "Created first, elsewhere")
        _ = try addAgency(nodes[1], "Created second, here")
        try Federation.sync(nodes[0], to: nodes[1])
        #expect(try nodes[1].read { db in try LogStore.verifyState(in: db) }.records == 2)
    }

    @Test func redeliveryIsANoOpAndGapsAreHeldUntilFilled() throws {
        let nodes = try Federation.nodes(2)
        for name in ["One", "Two", "Three"] { _ = try addAgency(nodes[0], name) }
        let commits = try nodes[0].commits(beyond: VersionVector())
        let held = try nodes[1].receive([commits[2], commits[1]])
        #expect(held.applied == 0 && held.held.count == 2)
        let filled = try nodes[1].receive([commits[0], commits[0]])
        #expect(filled.applied == 3 && filled.alreadyHeld == 1)
        #expect(try nodes[1].digest() == nodes[0].digest())
        #expect(try nodes[1].receive(commits).alreadyHeld == 3)
    }

    @Test func aChangedByteRefusesTheCommitAndAppliesNothingOfIt() throws {
        let nodes = try Federation.nodes(2)
        _ = try addAgency(nodes[0], "Labour Inspectorate")
        var commit = try #require(nodes[0].commits(beyond: VersionVector()).first)
        var body = try #require(commit.changeBodies[0])
        body[body.count - 1] ^= 0x01
        commit.changeBodies[0] = body
        let report = try nodes[1].receive([commit])
        #expect(report.applied == 0)
        #expect(report.refused.first?.reason.contains("does not match its hash") == true)
        #expect(try nodes[1].vector().entries.isEmpty)
    }

    @Test func unknownAndRevokedKeysAreRefused() throws {
        let nodes = try Federation.nodes(2)
        let stranger = try Directory.inMemory(name: "Stranger")
        _ = try addAgency(stranger, "Unknown")
        let unknown = try nodes[0].receive(try stranger.commits(beyond: VersionVector()))
        #expect(unknown.refused.first?.reason.contains("not in this node's roster") == true)

        _ = try addAgency(nodes[1], "Before revocation")
        try Federation.sync(nodes[1], to: nodes[0])
        try nodes[0].revokePeer(nodes[1].node.id.hex)
        _ = try addAgency(nodes[1], "After revocation")
        let revoked = try Federation.sync(nodes[1], to: nodes[0])
        #expect(revoked.applied == 0)
        #expect(revoked.refused.first?.reason.contains("revoked key") == true)
        #expect(try nodes[0].vector().sequence(origin: nodes[1].node.id, epoch: 1) == 1, "what it held before stays")
    }

    @Test func aCommitFromTheFutureIsHeldUntilItsTime() throws {
        let nodes = try Federation.nodes(2)
        _ = try addAgency(nodes[0], "Prosecution")
        let commits = try nodes[0].commits(beyond: VersionVector())
        let early = try nodes[1].receive(commits, now: Date().addingTimeInterval(-3600))
        #expect(early.applied == 0)
        #expect(early.held.first?.reason.contains("ahead of this node's clock") == true)
        let later = try nodes[1].receive([])
        #expect(later.applied == 1)
    }

    @Test func twoCommitsAtOnePositionAreAForkAndFreezeTheOrigin() throws {
        let key = Curve25519.Signing.PrivateKey()
        let original = try Directory.create(database: try DatabaseQueue(), name: "Original", agency: "Police", signingKey: key)
        let copy = try Directory.create(database: try DatabaseQueue(), name: "Original", agency: "Police", signingKey: key)
        let receiver = try Directory.inMemory(name: "Receiver")
        _ = try receiver.addPeer(try original.card(tlsPin: Federation.testPin, url: nil))
        _ = try addAgency(original, "From the original")
        _ = try addAgency(copy, "From the copy")
        #expect(try Federation.sync(original, to: receiver).applied == 1)
        // The copy's commit 1 differs from the original's commit 1 that the receiver holds.
        let report = try receiver.receive(try copy.commits(beyond: VersionVector()))
        #expect(report.forks.count == 1)
        #expect(try receiver.forks().count == 1)
        _ = try addAgency(original, "After the fork")
        let frozen = try Federation.sync(original, to: receiver)
        #expect(frozen.applied == 0 && frozen.refused.first?.reason.contains("frozen") == true)
    }

    @Test func aNodeThatMeetsItsOwnUnknownCommitsStartsANewEpoch() throws {
        let key = Curve25519.Signing.PrivateKey()
        let original = try Directory.create(database: try DatabaseQueue(), name: "Desk", agency: "Police", signingKey: key)
        _ = try addAgency(original, "First")
        let restored = try Directory.create(database: try DatabaseQueue(), name: "Desk", agency: "Police", signingKey: key)
        // Meeting its own commit 1/1, which it did not sign, the restored node moves to a new epoch.
        let report = try restored.receive(try original.commits(beyond: VersionVector()))
        let epoch = try #require(report.newEpoch)
        #expect(epoch > 1)
        _ = try addAgency(original, "Second, after the backup")
        let later = try Federation.sync(original, to: restored)
        #expect(later.newEpoch == nil && later.ownCommitsFromOtherCopies == 1, "the original's epoch no longer collides")
        let summary = try restored.write { tx in try tx.save(Agency(name: "Third", kind: .police, country: "MD")) }.commits
        #expect(summary.first?.epoch == epoch && summary.first?.sequence == 1)
        // The original accepts the restored node's new epoch: no fork.
        let back = try Federation.sync(restored, to: original)
        #expect(back.forks.isEmpty && back.applied == 1)
        #expect(try original.digest() == restored.digest())
    }

    @Test func onlyTheStewardsChangesApplyAndTheEarliestCreationWins() throws {
        let nodes = try Federation.nodes(3)
        let shared = UUID()
        _ = try nodes[0].importJSON(Federation.agencyDocument(id: shared, name: "Shared by 0"), fileName: "a.json")
        _ = try nodes[1].importJSON(Federation.agencyDocument(id: shared, name: "Shared by 1"), fileName: "b.json")
        try Federation.syncAll(nodes)
        let digests = try nodes.map { try $0.digest() }
        #expect(Set(digests).count == 1)
        let steward = try nodes[2].read { db in try String.fetchOne(db, sql: "SELECT steward FROM agency WHERE id = ?", arguments: [shared.lowercasedString]) }
        #expect(steward == nodes[0].node.id.hex, "node 0 created it first")
        // Another node's edit does not change it: it becomes a proposal to its steward.
        let (kept, proposals) = try nodes[1].write { tx in
            (try tx.save(Agency(id: shared, name: "Renamed by 1", kind: .police, country: "MD")), tx.proposals)
        }.value
        #expect(kept.name == "Shared by 0" && proposals.map(\.recordID) == [shared])
        #expect(try nodes[1].digest() == digests[0])
    }

    @Test func bundlesCarryCommitsAndAChangedByteIsNamed() throws {
        let nodes = try Federation.nodes(3)
        for name in ["One", "Two"] { _ = try addAgency(nodes[0], name) }
        try Federation.sync(nodes[0], to: nodes[1])
        let folder = Fixtures.temporaryFolder()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appending(path: "to-c.liaison-bundle")
        let exported = try nodes[1].exportBundle(to: file, assumes: try nodes[2].vector(), for: nodes[2].node.id)
        #expect(exported.commits == 2)

        var bytes = try Data(contentsOf: file)
        let tampered = folder.appending(path: "tampered.liaison-bundle")
        bytes[bytes.count - 20] ^= 0xFF
        try bytes.write(to: tampered)
        let refused = try nodes[2].importBundle(from: tampered)
        #expect(refused.report.applied == 1 && refused.report.refused.count == 1)
        #expect(refused.report.refused.first?.commit.hasSuffix("/1/2") == true)

        let imported = try nodes[2].importBundle(from: file)
        #expect(imported.exporterVerified)
        #expect(imported.report.applied == 1 && imported.report.alreadyHeld == 1)
        #expect(try nodes[2].digest() == nodes[0].digest())
    }

    @Test func aBundleFromANodeOutsideTheRosterIsRefusedUnlessAskedFor() throws {
        let nodes = try Federation.nodes(2)
        let stranger = try Directory.inMemory(name: "Stranger")
        _ = try stranger.addPeer(try nodes[0].card(tlsPin: Federation.testPin, url: nil))
        _ = try addAgency(nodes[0], "Carried by a stranger")
        try Federation.sync(nodes[0], to: stranger)
        let folder = Fixtures.temporaryFolder()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appending(path: "from-stranger.liaison-bundle")
        _ = try stranger.exportBundle(to: file, assumes: VersionVector())

        let error = #expect(throws: LiaisonError.self) { try nodes[1].importBundle(from: file) }
        #expect(error?.message.contains("not on this node's roster") == true)
        #expect(try nodes[1].vector().entries.isEmpty)

        let imported = try nodes[1].importBundle(from: file, anyExporter: true)
        #expect(!imported.exporterVerified)
        #expect(imported.report.applied == 1, "each commit is verified against its author's key")
        #expect(try nodes[1].digest() == nodes[0].digest())
    }

    @Test func aBundleWithAMissingFrameSaysWhatWaitsAndForWhat() throws {
        let nodes = try Federation.nodes(2)
        for name in ["One", "Two", "Three"] { _ = try addAgency(nodes[0], name) }
        let folder = Fixtures.temporaryFolder()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let whole = folder.appending(path: "whole.liaison-bundle")
        _ = try nodes[0].exportBundle(to: whole, assumes: VersionVector())
        // The bundle without its second frame, its end marker counting the two left.
        var bytes = [UInt8](try Data(contentsOf: whole))
        let end = bytes.count - 9
        var frames: [Range<Int>] = []
        var offset = try #require(BundleVectorTests.headerLength(of: bytes))
        // Version 2 items: tag, header, signature, u32 deflated length, u32 inflated length, the
        // deflated changes.
        while offset < end {
            let length = bytes[(offset + 186)..<(offset + 190)].reduce(0) { $0 << 8 | Int($1) }
            frames.append(offset..<(offset + 194 + length))
            offset += 194 + length
        }
        #expect(frames.count == 3)
        bytes.removeSubrange(frames[1])
        bytes[bytes.count - 1] = 2
        let gapped = folder.appending(path: "gapped.liaison-bundle")
        try Data(bytes).write(to: gapped)

        let imported = try nodes[1].importBundle(from: gapped)
        let origin = nodes[0].node.id.hex.prefix(8)
        #expect(imported.report.applied == 1)
        #expect(imported.report.held.map(\.commit) == ["\(origin)/1/3"])
        #expect(imported.report.held.first?.reason == "waiting for \(origin)/1/2")
        // The whole bundle fills the gap, and nothing waits any more.
        #expect(try nodes[1].importBundle(from: whole).report.held.isEmpty)
        #expect(try nodes[1].digest() == nodes[0].digest())
    }

    @Test func aWithheldChangeStillLetsTheChainVerify() throws {
        let nodes = try Federation.nodes(2)
        _ = try nodes[0].write { tx in
            let agency = try tx.save(Agency(name: "Central Authority", kind: .centralAuthority, country: "MD"))
            try tx.save(Channel(agencyID: agency.id, kind: .email, value: "desk@ca.md.example"))
        }
        var commit = try #require(nodes[0].commits(beyond: VersionVector()).first)
        commit.changeBodies[1] = nil
        let report = try nodes[1].receive([commit])
        #expect(report.applied == 1 && report.changesApplied == 1)
        #expect(try nodes[1].vector() == nodes[0].vector())
        let channels = try nodes[1].read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM channel") }
        #expect(channels == 0)
        #expect(try nodes[1].read { db in try LogStore.verify(in: db) }.withheldChanges == 1)
    }

    @Test func changesFromANodeThatIsNotTheStewardAreRefusedEverywhere() throws {
        let nodes = try Federation.nodes(3)
        let shared = UUID()
        // Node 1 creates the record after node 0 did, then edits its own copy before it hears of node 0's.
        _ = try nodes[0].importJSON(Federation.agencyDocument(id: shared, name: "First"), fileName: "a.json")
        _ = try nodes[1].importJSON(Federation.agencyDocument(id: shared, name: "Second"), fileName: "b.json")
        _ = try nodes[1].write { tx in try tx.save(Agency(id: shared, name: "Second, renamed", kind: .police, country: "MD")) }
        let early = try Federation.sync(nodes[1], to: nodes[2])
        #expect(early.refusedChanges.isEmpty, "node 2 has not heard of node 0's creation yet")
        let late = try Federation.sync(nodes[0], to: nodes[2])
        #expect(late.changesApplied == 1)
        let back = try Federation.sync(nodes[1], to: nodes[0])
        #expect(back.refusedChanges.count == 2, "node 1's creation and its rename")
        try Federation.syncAll(nodes)
        let names = try nodes.map { node in try node.read { db in try String.fetchOne(db, sql: "SELECT name FROM agency WHERE id = ?", arguments: [shared.lowercasedString]) } }
        #expect(names == ["First", "First", "First"])
    }

    @Test func bodiesWithheldByARelayCanArriveLaterAndTheNodesConverge() throws {
        let nodes = try Federation.nodes(2)
        let agency = try addAgency(nodes[0], "Financial Intelligence Unit")
        _ = try nodes[0].write { tx in try tx.save(Channel(agencyID: agency.id, kind: .email, value: "fiu@example.org")) }
        _ = try nodes[0].write { tx in try tx.removeAgency(agency.id, cascade: true) }
        let commits = try nodes[0].commits(beyond: VersionVector())
        var stripped = commits
        stripped[0].changeBodies = stripped[0].changeBodies.map { _ in nil }
        let first = try nodes[1].receive(stripped)
        #expect(first.changesWithheld == 1)
        #expect(first.refusedChanges.count == 1, "the agency's delete: its creation came as a hash only")
        let second = try nodes[1].receive(commits)
        #expect(second.alreadyHeld == 3 && second.changesFilledIn == 1)
        #expect(try nodes[1].digest() == nodes[0].digest())
        #expect(try nodes[1].read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM refusal") } == 0)
    }

    @Test func aCommitStampedBeforeTheOneItFollowsIsRefused() throws {
        let key = Curve25519.Signing.PrivateKey()
        let writer = try Directory.create(database: try DatabaseQueue(), name: "Writer", agency: "Police", signingKey: key)
        _ = try addAgency(writer, "First")
        _ = try addAgency(writer, "Second")
        let receiver = try Directory.inMemory(name: "Receiver")
        _ = try receiver.addPeer(try writer.card(tlsPin: Federation.testPin, url: nil))
        let commits = try writer.commits(beyond: VersionVector())
        #expect(try receiver.receive([commits[0]]).applied == 1)
        // The writer's own key signs a second commit dated before the first: back-dating.
        var backdated = commits[1]
        backdated.header.time = HybridLogicalTime(rawValue: commits[0].header.time.rawValue - 1)
        backdated.signature = Array(try key.signature(for: backdated.header.signingInput))
        let report = try receiver.receive([backdated])
        #expect(report.applied == 0)
        #expect(report.refused.first?.reason.contains("not after the commit it follows") == true)
        #expect(try receiver.receive([commits[1]]).applied == 1)
    }
}


/// The roster and bundle files refuse what would mislead an officer or lose data.
@Suite struct RosterAndFileTests {
    @Test func exportNeverOverwritesAFileThatIsNotABundle() throws {
        let nodes = try Federation.nodes(2)
        let node = nodes[0]
        let folder = Fixtures.temporaryFolder()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let precious = folder.appending(path: "liaison.sqlite")
        try Data("not a bundle".utf8).write(to: precious)
        let error = #expect(throws: LiaisonError.self) { try node.exportBundle(to: precious, assumes: VersionVector()) }
        #expect(error?.code == .invalidFile && error?.message.contains("it was not overwritten") == true, "\(String(describing: error))")
        #expect(try Data(contentsOf: precious) == Data("not a bundle".utf8))
        // A bundle is replaced, whole: the file holds the second export, made after a write.
        let bundle = folder.appending(path: "out.bundle")
        #expect(try node.exportBundle(to: bundle, assumes: VersionVector()).commits == 0)
        _ = try addAgency(node, "Border Police")
        let second = try node.exportBundle(to: bundle, assumes: VersionVector())
        #expect(second.commits == 1)
        #expect(try FileManager.default.attributesOfItem(atPath: bundle.path)[.size] as? Int64 == second.bytes)
        let imported = try nodes[1].importBundle(from: bundle)
        #expect(imported.exporterVerified && imported.damage == nil)
        #expect(imported.commitsRead == 1 && imported.report.applied == 1)
        #expect(try nodes[1].digest() == node.digest())
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() == ["liaison.sqlite", "out.bundle"], "no partial file is left")
    }

    private func addAgency(_ node: Directory, _ name: String) throws -> Agency {
        try node.write { tx in try tx.save(Agency(name: name, kind: .police, country: "MD")) }.value
    }

    @Test func aCardWithALineBreakInItsNameIsRefused() throws {
        let nodes = try Federation.nodes(1)
        let stranger = try Directory.inMemory(name: "Desk\nFingerprint: 0000 0000", agency: "Police")
        let card = try stranger.card(tlsPin: Federation.testPin, url: nil)
        #expect(throws: LiaisonError(.verification, "the card's name holds control or invisible characters")) { try nodes[0].addPeer(card) }
        #expect(try nodes[0].peers().isEmpty)
    }

    /// The card of `directory`, as a JSON object to change.
    private func cardObject(_ directory: Directory) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: directory.card(tlsPin: Federation.testPin, url: nil).json()) as? [String: Any])
    }

    private func card(_ object: [String: Any]) throws -> NodeCard {
        try NodeCard(json: try JSONSerialization.data(withJSONObject: object), fileName: "card.json")
    }

    @Test func aSmallOrderKeyCannotJoinTheRoster() throws {
        // With the identity point as its key, the "signature" R = identity, S = 0 verifies for any
        // message: whoever holds such a card could sign as its node.
        let identity = [UInt8](hex: "0100000000000000000000000000000000000000000000000000000000000000")!
        let forgedSignature = identity + [UInt8](repeating: 0, count: 32)
        let key = try Curve25519.Signing.PublicKey(rawRepresentation: identity)
        #expect(key.isValidSignature(forgedSignature, for: Array("any header at all".utf8)), "the attack this test guards against")
        let node = NodeID(publicKey: key)
        var card = try cardObject(try Directory.inMemory())
        card["node_id"] = node.hex
        card["signing_key"] = Data(identity).base64EncodedString()
        card["signature"] = Data(forgedSignature).base64EncodedString()
        let receiver = try Directory.inMemory(name: "Receiver")
        let error = #expect(throws: LiaisonError.self) { try receiver.addPeer(try self.card(card)) }
        #expect(error?.message.contains("small order") == true)
        #expect(try receiver.peers().isEmpty)
    }

    @Test func everySmallOrderAndNonCanonicalKeyIsRefusedAndRealKeysAreNot() throws {
        let smallOrder = [
            "0100000000000000000000000000000000000000000000000000000000000000", "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
            "0000000000000000000000000000000000000000000000000000000000000000", "0000000000000000000000000000000000000000000000000000000000000080",
            "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05", "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
            "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a", "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
        ]
        for hex in smallOrder {
            let error = #expect(throws: LiaisonError.self, "\(hex)") { try SigningKeyCheck.publicKey([UInt8](hex: hex)!) }
            #expect(error?.code == .verification && error?.message.contains("a point of small order") == true, "\(hex)")
        }
        // y = p and y = 2^255 - 1: not canonical. The identity again, with the sign bit of x = 0 set.
        for hex in ["edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
                    "0100000000000000000000000000000000000000000000000000000000000080"] {
            let error = #expect(throws: LiaisonError.self, "\(hex)") { try SigningKeyCheck.publicKey([UInt8](hex: hex)!) }
            #expect(error?.code == .verification && error?.message.contains("not a canonical encoding") == true, "\(hex)")
        }
        for _ in 0..<100 {
            let key = Curve25519.Signing.PrivateKey().publicKey
            #expect(throws: Never.self) { try SigningKeyCheck.publicKey(key.rawRepresentation) }
        }
        // About half of all y have no x on the curve.
        var generator = SeededGenerator(seed: 8032)
        let refused = (0..<400).filter { _ in
            let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
            return (try? SigningKeyCheck.publicKey(bytes)) == nil
        }.count
        #expect((120...280).contains(refused), "\(refused) of 400 random encodings refused")
    }

    @Test(arguments: [
        ("node id in upper case", "node_id", "upper", LiaisonError.Code.verification, "the card's node id is not written as 32 lower-case hex digits"),
        ("an extra key", "fingerprint", "extra", .invalidFile, "a node card has no key \"fingerprint\""),
        ("an empty url", "url", "", .invalidValue, "not an https address"),
        ("an http url", "url", "http://liaison.police.example", .invalidValue, "not an https address"),
        ("a TLS pin in upper case", "tls_pin", "upper", .verification, "the card's TLS pin is not 64 lower-case hex digits"),
        ("a signing key without padding", "signing_key", "unpadded", .verification, "the card's signing key is not 32 bytes of padded base64"),
    ])
    func aCardInAnyButItsOneSpellingIsRefused(_ rule: String, _ key: String, _ change: String, _ code: LiaisonError.Code, _ message: String) throws {
        let signingKey = Curve25519.Signing.PrivateKey()
        let author = try Directory.inMemory(name: "Author", signingKey: signingKey)
        var object = try cardObject(author)
        switch change {
        case "upper": object[key] = (object[key] as? String)?.uppercased()
        case "extra": object[key] = "0000"
        case "unpadded": object[key] = (object[key] as? String)?.replacingOccurrences(of: "=", with: "")
        default: object[key] = change
        }
        // Signed again as written, so that only the spelling is wrong; the node id is signed in
        // lower case whatever the card says.
        if key != "node_id" { object["signature"] = try resigned(object, with: signingKey) }
        let receiver = try Directory.inMemory(name: "Receiver")
        let error = #expect(throws: LiaisonError.self, "\(rule)") { try receiver.addPeer(try self.card(object)) }
        #expect(error?.code == code && error?.message == message, "\(rule): \(String(describing: error))")
        #expect(try receiver.peers().isEmpty, "\(rule)")
        var asMade = try cardObject(author)
        asMade["signature"] = try resigned(asMade, with: signingKey)
        #expect(throws: Never.self, "the card as made") { try receiver.addPeer(try self.card(asMade)) }
    }

    /// A card's signature over its fields as written (docs/PROTOCOL.md, "Node card").
    private func resigned(_ object: [String: Any], with key: Curve25519.Signing.PrivateKey) throws -> String {
        let version = object["version"] as? Int ?? 1
        var bytes = Array("liaison/node-card/v\(version)".utf8) + [0]
        for field in ["node_id", "name", "agency", "signing_key", "tls_pin", "url"] + (version == 1 ? [] : ["encryption_key"]) {
            let text = Array((object[field] as? String ?? "").utf8)
            bytes += withUnsafeBytes(of: UInt32(text.count).bigEndian, Array.init) + text
        }
        return try key.signature(for: bytes).base64EncodedString()
    }

    @Test func aRevokedPeerStaysRevoked() throws {
        let nodes = try Federation.nodes(2)
        let id = nodes[1].node.id.hex
        try nodes[0].revokePeer(id)
        let remove = #expect(throws: LiaisonError.self) { try nodes[0].removePeer(id) }
        #expect(remove?.code == .conflict && remove?.message.contains("is revoked; it stays in the roster") == true)
        let add = #expect(throws: LiaisonError.self) { try nodes[0].addPeer(try nodes[1].card(tlsPin: Federation.testPin, url: nil)) }
        #expect(add?.code == .conflict && add?.message.contains("was revoked; a revoked node is not trusted again") == true)
        #expect(try nodes[0].peers().first { $0.nodeID == id }?.revokedAt != nil)
    }
}

/// Receiving cases found in review: each would otherwise leave nodes apart or an origin blocked.
@Suite struct ReceiveEdgeTests {
    private func addAgency(_ node: Directory, _ name: String) throws -> Agency {
        try node.write { tx in try tx.save(Agency(name: name, kind: .police, country: "MD")) }.value
    }

    /// An author's signing key, and a receiver that has the author on its roster.
    private func authorKeyAndReceiver() throws -> (Curve25519.Signing.PrivateKey, Directory) {
        let key = Curve25519.Signing.PrivateKey()
        let author = try Directory.create(database: try DatabaseQueue(), name: "Author", agency: "Police", signingKey: key)
        let receiver = try Directory.inMemory(name: "Receiver")
        _ = try receiver.addPeer(try author.card(tlsPin: Federation.testPin, url: nil))
        return (key, receiver)
    }

    /// A commit of `key`'s node carrying `changes`, following `previous` (nil: the first commit).
    private func signed(_ changes: [Change], key: Curve25519.Signing.PrivateKey, sequence: UInt64, previous: CommitHeader?) throws -> Commit {
        let node = NodeID(publicKey: key.publicKey)
        let bodies = changes.map(\.encoded)
        let hashes = bodies.map(Change.hash(of:))
        let header = CommitHeader(
            origin: node, epoch: 1, sequence: sequence, previousHash: previous?.hash ?? CommitHeader.genesisHash,
            time: HybridLogicalTime.next(after: previous?.time, now: Date()), keyID: node, changeCount: UInt32(changes.count),
            changesDigest: CommitHeader.changesDigest(of: hashes))
        return Commit(header: header, signature: Array(try key.signature(for: header.signingInput)), changeHashes: hashes, changeBodies: bodies)
    }

    @Test func anInvalidChangeIsRefusedWithoutBlockingWhatFollows() throws {
        let (key, receiver) = try authorKeyAndReceiver()
        let bad = Agency(name: "Nowhere Police", kind: .police, country: "ZZ")
        // SQLite would store the whole text, and it would be read back cut at the NUL.
        let withNul = Agency(name: "Border\u{0}Police", kind: .police, country: "MD")
        let good = Agency(name: "Somewhere Police", kind: .police, country: "MD")
        let first = try signed([Change(entity: .agency, recordID: bad.id, operation: .upsert(FieldGroups(bad.fieldGroups)))], key: key, sequence: 1, previous: nil)
        let second = try signed([Change(entity: .agency, recordID: withNul.id, operation: .upsert(FieldGroups(withNul.fieldGroups)))], key: key, sequence: 2, previous: first.header)
        let third = try signed([Change(entity: .agency, recordID: good.id, operation: .upsert(FieldGroups(good.fieldGroups)))], key: key, sequence: 3, previous: second.header)
        let report = try receiver.receive([first, second, third])
        #expect(report.applied == 3 && report.changesApplied == 1)
        #expect(report.refusedChanges.map(\.reason).allSatisfy { $0.contains("invalid change") })
        #expect(report.refusedChanges.contains { $0.reason.contains("NUL") })
        #expect(try receiver.read { db in try LogStore.verifyState(in: db) }.records == 1)
    }

    /// Found by DecoderFuzzTests (seed 6944354776777249359, case 468): an agency written for this
    /// node only, in a node's own commit that came back from another copy of it, was applied, and
    /// the log could not give it to another copy. The directory is alike everywhere: a change to it
    /// for fewer nodes is refused where its body is held, and withheld elsewhere.
    @Test(arguments: [Distribution.nodeOnly, .nodes([NodeID(publicKey: Curve25519.Signing.PrivateKey().publicKey)])])
    func aChangeToTheDirectoryForFewerNodesIsAppliedNowhere(_ scope: Distribution) throws {
        let (key, receiver) = try authorKeyAndReceiver()
        let agency = Agency(name: "Border Police", kind: .police, country: "MD")
        var scoped = scope
        if case .nodes = scope { scoped = .nodes([receiver.node.id]) }
        let change = Change(entity: .agency, recordID: agency.id, operation: .upsert(FieldGroups(agency.fieldGroups)), distribution: scoped)
        let delete = Change(entity: .agency, recordID: agency.id, operation: .delete, distribution: scoped)
        let first = try signed([change], key: key, sequence: 1, previous: nil)
        let second = try signed([delete], key: key, sequence: 2, previous: first.header)
        let report = try receiver.receive([first, second])
        #expect(report.applied == 2 && report.changesApplied == 0)
        if case .nodes = scoped {
            #expect(report.refusedChanges.count == 2 && report.refusedChanges.allSatisfy { $0.reason.contains("reaches every node (scope 0)") }, "\(report)")
        } else {
            #expect(report.changesWithheld == 2, "\(report)")
        }
        #expect(try receiver.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM agency WHERE id = ?", arguments: [agency.id.lowercasedString]) } == 0)
        // Its own such change, back from another copy of it, is refused the same way.
        let receiverKey = Curve25519.Signing.PrivateKey()
        let node = try Directory.create(database: try DatabaseQueue(), name: "Desk", agency: "Police", signingKey: receiverKey)
        let copy = try Directory.create(database: try DatabaseQueue(), name: "Desk", agency: "Police", signingKey: receiverKey)
        let own = try signed([Change(entity: .agency, recordID: agency.id, operation: .upsert(FieldGroups(agency.fieldGroups)), distribution: .nodeOnly)], key: receiverKey, sequence: 1, previous: nil)
        let back = try node.receive([own])
        #expect(back.refusedChanges.count == 1 && back.changesApplied == 0, "\(back)")
        _ = try copy.receive(try node.commits(beyond: VersionVector(), for: copy.node.id))
        #expect(try copy.digest() == node.digest())
    }

    /// Each breaks one rule of the field tables (docs/PROTOCOL.md, "Checks on a received change").
    @Test(arguments: [
        ("text where a boolean is meant", "channel", "is_24x7", FieldValue.text("1"), "holds text, not a boolean"),
        ("an integer where a boolean is meant", "channel", "is_24x7", .integer(1), "holds an integer, not a boolean"),
        ("a boolean where text is meant", "channel", "value", .bool(true), "holds a boolean, not text"),
        ("an integer where text is meant", "channel", "label", .integer(7), "holds an integer, not text or null"),
        ("a list where text is meant", "channel", "hours", .list(["Mo-Fr"]), "holds a list, not text or null"),
        ("text where a list is meant", "person", "languages", .text("ro"), "holds text, not a list of text"),
        ("NUL in a list item", "person", "languages", .list(["ro", "e\u{0}n"]), "field languages of person has an item that contains a NUL character"),
        ("null where text is required", "channel", "kind", .null, "holds null, not text"),
    ])
    func aValueOfTheWrongTypeIsRefusedOnReceipt(_ rule: String, _ entity: String, _ field: String, _ value: FieldValue, _ reason: String) throws {
        let (key, receiver) = try authorKeyAndReceiver()
        let agency = Agency(name: "Border Police", kind: .police, country: "MD")
        var groups = entity == "person"
            ? Person(agencyID: agency.id, givenName: "Ion").fieldGroups
            : Channel(agencyID: agency.id, kind: .phone, value: "+37322000100").fieldGroups
        let group = try #require(groups.first { $0.value[field] != nil }?.key, "\(rule)")
        groups[group]?[field] = value
        let record = Change(entity: entity == "person" ? .person : .channel, recordID: UUID(), operation: .upsert(FieldGroups(groups)))
        let commit = try signed(
            [Change(entity: .agency, recordID: agency.id, operation: .upsert(FieldGroups(agency.fieldGroups))), record], key: key, sequence: 1, previous: nil)
        let report = try receiver.receive([commit])
        #expect(report.applied == 1 && report.changesApplied == 1, "\(rule)")
        #expect(report.refusedChanges.count == 1, "\(rule)")
        #expect(report.refusedChanges.first?.reason.contains("invalid change: ") == true, "\(rule)")
        #expect(report.refusedChanges.first?.reason.contains(reason) == true, "\(rule): \(report.refusedChanges)")
        #expect(try receiver.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM \(entity)") } == 0, "\(rule)")
    }

    @Test func aChangeAboveTheSizeLimitIsRefusedAndBlocksNothing() throws {
        let (key, receiver) = try authorKeyAndReceiver()
        let small = Agency(name: "Border Police", kind: .police, country: "MD")
        let huge = Agency(name: String(repeating: "A", count: Commit.maximumChangeSize + 1), kind: .police, country: "MD")
        let first = try signed([Change(entity: .agency, recordID: small.id, operation: .upsert(FieldGroups(small.fieldGroups)))], key: key, sequence: 1, previous: nil)
        let second = try signed([Change(entity: .agency, recordID: huge.id, operation: .upsert(FieldGroups(huge.fieldGroups)))], key: key, sequence: 2, previous: first.header)
        // Sent before its predecessor, it would wait in a form no frame can hold.
        let early = try receiver.receive([second])
        #expect(early.refused.first?.reason.contains("a frame carries at most \(Commit.maximumChangeSize)") == true, "\(early.refused)")
        #expect(try receiver.receive([first]).applied == 1)
        #expect(try receiver.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM held_commit") } == 0)
    }

    @Test func anUpsertWithNoFieldGroupIsRefused() throws {
        let (key, receiver) = try authorKeyAndReceiver()
        let agency = try addAgency(receiver, "Held here")
        let empty = try signed([Change(entity: .agency, recordID: agency.id, operation: .upsert([:]))], key: key, sequence: 1, previous: nil)
        let report = try receiver.receive([empty])
        #expect(report.refusedChanges.map(\.reason) == ["change 0 (agency \(agency.id.lowercasedString)): invalid change: an upsert of agency carries no field group"])
    }

    @Test func aChangeWithOneInvalidGroupIsRefusedWholeInAnyOrder() throws {
        // The invalid group would lose the merge on a node that already holds a later write of it:
        // it must still refuse the whole change there, as a node that met it first does.
        let key = Curve25519.Signing.PrivateKey()
        let (original, copy) = try originalAndRestoredCopy(key: key)
        let record = try #require(try original.read { db in try String.fetchOne(db, sql: "SELECT id FROM agency") }.flatMap(UUID.init(uuidString:)))
        let first = try #require(original.commits(beyond: VersionVector()).first)
        var renamed = Agency(name: "Renamed with a bad placement", kind: .police, country: "MD")
        renamed.id = record
        var groups = renamed.fieldGroups
        groups["address"] = nil
        groups["placement"]?["country"] = .text("ZZ")
        let invalid = try signed([Change(entity: .agency, recordID: record, operation: .upsert(FieldGroups(groups)))], key: key, sequence: 2, previous: first.header)
        var moved = try copy.agency(matching: record.lowercasedString)
        moved.country = "RO"
        _ = try copy.write { [moved] tx in try tx.save(moved) }
        let copies = try copy.commits(beyond: VersionVector())
        var digests: Set<String> = []
        for invalidFirst in [true, false] {
            let receiver = try Directory.inMemory(name: "Receiver")
            _ = try receiver.addPeer(try original.card(tlsPin: Federation.testPin, url: nil))
            if invalidFirst { _ = try receiver.receive([first, invalid]) }
            _ = try receiver.receive(copies)
            if !invalidFirst { _ = try receiver.receive([invalid]) }
            #expect(try receiver.read { db in try String.fetchOne(db, sql: "SELECT name FROM agency") } == "Before the copy")
            #expect(throws: Never.self) { try receiver.read { db in try LogStore.verifyState(in: db) } }
            digests.insert(try receiver.digest())
        }
        #expect(digests.count == 1)
    }

    /// A node that has signed, and a copy of it that met its commits and so writes in a new epoch;
    /// both read `clock`.
    private func originalAndRestoredCopy(
        key: Curve25519.Signing.PrivateKey = .init(), clock: @escaping @Sendable () -> Date = Date.init
    ) throws -> (original: Directory, copy: Directory) {
        let original = try Directory.create(database: try DatabaseQueue(), name: "Desk", agency: "Police", signingKey: key, clock: clock)
        _ = try addAgency(original, "Before the copy")
        let copy = try Directory.create(database: try DatabaseQueue(), name: "Desk", agency: "Police", signingKey: key, clock: clock)
        #expect(try Federation.sync(original, to: copy).newEpoch != nil)
        return (original, copy)
    }

    @Test func aRefusedChangeAppliesOnceItsRecordsCreationArrives() throws {
        // Two copies of one node in different epochs: the copy deletes a record that the
        // original created after the copy split off, so the delete does not chain to the creation.
        let (original, copy) = try originalAndRestoredCopy()
        _ = try addAgency(copy, "Written by the copy")
        let record = try addAgency(original, "Created by the original")
        try Federation.sync(original, to: copy)
        _ = try copy.write { tx in try tx.removeAgency(record.id) }

        let receiver = try Directory.inMemory(name: "Receiver")
        _ = try receiver.addPeer(try original.card(tlsPin: Federation.testPin, url: nil))
        let all = try copy.commits(beyond: VersionVector())
        let creation = try #require(all.first { $0.header.epoch == 1 && $0.header.sequence == 2 })
        let early = try receiver.receive(all.filter { $0.header.hash != creation.header.hash })
        #expect(early.refusedChanges.count == 1, "the delete comes before the creation")
        let late = try receiver.receive([creation])
        #expect(late.refusedChanges.isEmpty)
        #expect(try receiver.digest() == copy.digest())
        #expect(try receiver.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM refusal") } == 0)
    }

    @Test func aNodesChangeErasedByATakeoverAppliesWhenItsNodeIsStewardAgain() throws {
        // A node and its restored copy (another epoch) both create one record, around another
        // node's creation of it: the original first, then the other node, then the copy.
        let clock = TestClock()
        let (original, copy) = try originalAndRestoredCopy(clock: clock.now)
        let other = try Directory.inMemory(name: "Other", clock: clock.now)
        let id = UUID()
        for (node, name) in [(original, "Shared one"), (other, "Shared two"), (copy, "Shared three")] {
            _ = try node.importJSON(Federation.agencyDocument(id: id, name: name), fileName: "shared.json")
            clock.advance(by: 0.005)
        }
        let commits = [original, other, copy].map { node in try? node.commits(beyond: VersionVector()) }.compactMap { $0 }

        // One receiver gets them in the order they were made, another in the reverse order: the
        // copy's creation applies, the other node's takes over and erases it, the original's
        // takes over again, and the copy's, the steward's latest, must apply once more.
        var digests: [String] = []
        for order in [[0, 1, 2], [2, 1, 0]] {
            let receiver = try Directory.inMemory(name: "Receiver", clock: clock.now)
            for node in [original, other] { _ = try receiver.addPeer(try node.card(tlsPin: Federation.testPin, url: nil)) }
            for index in order { _ = try receiver.receive(commits[index]) }
            #expect(try receiver.read { db in try String.fetchOne(db, sql: "SELECT name FROM agency WHERE id = ?", arguments: [id.lowercasedString]) } == "Shared three")
            #expect(throws: Never.self) { try receiver.read { db in try LogStore.verifyState(in: db) } }
            digests.append(try receiver.digest())
        }
        #expect(Set(digests).count == 1)
    }

    @Test func aNodeThatMeetsItsOwnCommitsInTheLastEpochStaysThere() throws {
        // Another copy of this node signed in the highest epoch there is: no epoch is left above it.
        let key = Curve25519.Signing.PrivateKey()
        let node = try Directory.inMemory(name: "Desk", signingKey: key)
        let agency = Agency(name: "Border Police", kind: .police, country: "MD")
        let first = try signed([Change(entity: .agency, recordID: agency.id, operation: .upsert(FieldGroups(agency.fieldGroups)))], key: key, sequence: 1, previous: nil)
        var last = try signed([], key: key, sequence: 1, previous: first.header)
        last.header.epoch = .max
        last.signature = Array(try key.signature(for: last.header.signingInput))
        let report = try node.receive([first, last])
        #expect(report.applied == 2)
        #expect(report.newEpoch == .max)
        // It signs on in that epoch, after the copy's commit: should the copy sign there too, the
        // two are a fork.
        let summary = try node.write { tx in try tx.save(Agency(name: "Customs", kind: .customs, country: "MD")) }.commits
        #expect(summary.map(\.epoch) == [.max] && summary.map(\.sequence) == [2])
        #expect(throws: Never.self) { try node.read { db in try LogStore.verify(in: db) } }
    }

    @Test func aForkIsFoundWhenOneSideWasHeldForItsClock() throws {
        let key = Curve25519.Signing.PrivateKey()
        let clock = TestClock()
        let original = try Directory.create(database: try DatabaseQueue(), name: "Original", agency: "Police", signingKey: key, clock: clock.now)
        let copy = try Directory.create(database: try DatabaseQueue(), name: "Original", agency: "Police", signingKey: key, clock: clock.now)
        _ = try addAgency(original, "From the original")
        clock.advance(by: 0.05)
        _ = try addAgency(copy, "From the copy")
        let receiver = try Directory.inMemory(name: "Receiver")
        _ = try receiver.addPeer(try original.card(tlsPin: Federation.testPin, url: nil))
        let originals = try original.commits(beyond: VersionVector())
        let copies = try copy.commits(beyond: VersionVector())
        // A receiver whose clock is just far enough behind to hold the copy's commit, not the original's.
        let originalTime = Date(timeIntervalSince1970: Double(originals[0].header.time.milliseconds) / 1000)
        let now = originalTime.addingTimeInterval(-Directory.maximumClockSkew)
        #expect(try receiver.receive(copies, now: now).held.count == 1)
        let report = try receiver.receive(originals, now: now)
        #expect(report.applied == 0 && report.forks.count == 1)
        #expect(try receiver.forks().count == 1)
    }
}
