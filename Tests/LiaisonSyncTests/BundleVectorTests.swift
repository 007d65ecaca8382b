import Crypto
import Foundation
@testable import LiaisonCore
import Testing
@testable import LiaisonSync
import LiaisonTestSupport

@Suite struct BundleVectorTests {
    struct Vector: Decodable {
        var card: NodeCard
        var bundle: String
        var header_length: Int
        var brings: VersionVector
    }

    private func vector() throws -> Vector {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appending(path: "Fixtures/bundle-vector.json")
        return try JSONDecoder().decode(Vector.self, from: Data(contentsOf: url))
    }

    @Test func anIndependentlyBuiltBundleVerifiesAndItsFramesMatchByteForByte() throws {
        let vector = try vector()
        let node = try Directory.inMemory(name: "Reader")
        _ = try node.addPeer(vector.card)
        let folder = Fixtures.temporaryFolder()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let bytes = try #require([UInt8](hex: vector.bundle))
        let file = folder.appending(path: "vector.liaison-bundle")
        try Data(bytes).write(to: file)

        let imported = try node.importBundle(from: file)
        #expect(imported.exporterVerified)
        #expect(imported.header.brings == vector.brings)
        #expect(imported.report.applied == 1 && imported.report.changesApplied == 2)

        // A version 1 bundle, as the first release wrote, is still read. This node exports the same
        // commit as version 2, which another node reads into the same directory.
        let exported = folder.appending(path: "again.liaison-bundle")
        _ = try node.exportBundle(to: exported, assumes: VersionVector())
        #expect([UInt8](try Data(contentsOf: exported))[8] == 2)
        let third = try Directory.inMemory(name: "Third reader")
        _ = try third.addPeer(vector.card)
        _ = try third.addPeer(try node.card(tlsPin: Federation.testPin, url: nil))
        #expect(try third.importBundle(from: exported).report.applied == 1)
        #expect(try third.digest() == node.digest())
        #expect(try third.commits(beyond: VersionVector()) == node.commits(beyond: VersionVector()))

        // A changed byte in a change body refuses that commit, naming it.
        var tampered = bytes
        tampered[tampered.count - 30] ^= 0x01
        let tamperedFile = folder.appending(path: "tampered.liaison-bundle")
        try Data(tampered).write(to: tamperedFile)
        let fresh = try Directory.inMemory(name: "Second reader")
        _ = try fresh.addPeer(vector.card)
        let refused = try fresh.importBundle(from: tamperedFile)
        #expect(refused.report.applied == 0)
        #expect(refused.report.refused.first?.commit.hasSuffix("/1/1") == true)
    }

    // MARK: Version 2

    struct VersionTwoVector: Decodable {
        struct Item: Decodable {
            var header: String
            var header_hash: String
            var signature: String
            var changes_digest: String
            var change_hashes: [String]
            var change_bytes: [String]
            var withheld: [Int]
            var compact: String
            var deflated: String
        }

        var card: NodeCard
        var bundle: String
        var header_length: Int
        var brings: VersionVector
        var commits: [Item]
    }

    /// The bytes of lower-case hex text.
    private func bytes(_ hex: String) throws -> [UInt8] {
        guard let bytes = [UInt8](hex: hex) else { throw LiaisonError(.invalidFile, "not hex: \(hex.prefix(16))") }
        return bytes
    }

    private static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appending(path: "Fixtures")

    /// The commits of the version 2 vector as they travel: withheld changes as their hash only.
    private func expectedCommits(_ vector: VersionTwoVector) throws -> [Commit] {
        try vector.commits.map { item in
            let header = try CommitHeader(decoding: try bytes(item.header))
            let bodies: [[UInt8]?] = try item.change_bytes.enumerated().map { index, hex in
                item.withheld.contains(index) ? nil : try bytes(hex)
            }
            let hashes = try item.change_hashes.map { try bytes($0) }
            return Commit(header: header, signature: try bytes(item.signature), changeHashes: hashes, changeBodies: bodies)
        }
    }

    @Test func theVersionTwoVectorImportsAndItsCompactBytesAreTheEncoders() throws {
        let vector = try JSONDecoder().decode(VersionTwoVector.self, from: Data(contentsOf: Self.fixtures.appending(path: "bundle-v2-vector.json")))
        let v1 = try self.vector()
        let folder = Fixtures.temporaryFolder()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let bundle = try bytes(vector.bundle)
        #expect(bundle[8] == 2)
        let file = folder.appending(path: "vector-v2.liaison-bundle")
        try Data(bundle).write(to: file)

        let expected = try expectedCommits(vector)
        for (commit, item) in zip(expected, vector.commits) {
            let compact = try bytes(item.compact)
            #expect(CompactCommitEncoder.encodeChanges(of: commit) == compact)
            #expect(try Deflate.decompress(try bytes(item.deflated), size: compact.count, limit: BundleFile.maximumFrameSize) == compact)
            let decoded = try CompactCommitDecoder.decode(header: commit.header, signature: commit.signature, changes: compact)
            #expect(decoded.commit == commit)
            #expect(commit.header.hash == [UInt8](hex: item.header_hash))
            #expect(commit.header.changesDigest == [UInt8](hex: item.changes_digest))
            // Every change, withheld ones included, matches its hash.
            for (body, hash) in zip(item.change_bytes, item.change_hashes) { #expect(Change.hash(of: [UInt8](hex: body) ?? []) == [UInt8](hex: hash)) }
        }

        let node = try Directory.inMemory(name: "Reader")
        _ = try node.addPeer(vector.card)
        let imported = try node.importBundle(from: file)
        #expect(imported.exporterVerified && imported.damage == nil)
        #expect(imported.header.brings == vector.brings)
        #expect(imported.report.applied == 2 && imported.report.refused.isEmpty && imported.report.held.isEmpty)
        // The change that names a group this version does not know is refused; the one kept on its
        // origin came as its hash only.
        #expect(imported.report.refusedChanges.map(\.commit).count == 1)
        #expect(imported.report.refusedChanges.first?.reason.hasPrefix("change 5 (person") == true)
        #expect(imported.report.changesWithheld == 1)
        #expect(try node.commits(beyond: VersionVector()) == expected)

        // The first commit is the one of the version 1 vector: a node that read that bundle holds
        // the same commit, and after this bundle the same records.
        let first = try Directory.inMemory(name: "Version 1 reader")
        _ = try first.addPeer(vector.card)
        let v1File = folder.appending(path: "vector-v1.liaison-bundle")
        try Data(try bytes(v1.bundle)).write(to: v1File)
        #expect(try first.importBundle(from: v1File).report.applied == 1)
        #expect(try first.commits(beyond: VersionVector()) == [expected[0]])
        let after = try first.importBundle(from: file)
        #expect(after.report.alreadyHeld == 1 && after.report.applied == 1)
        #expect(try first.digest() == node.digest())
    }

    /// Writes `bundle-v2-vector.json`: the commit of the version 1 vector and a second commit of the
    /// same node, as this node's export writes them (compact form, deflated), in a bundle signed by
    /// that node. `docs/tools/protocol-vector.py --check` decodes it from the document alone.
    ///
    ///     LIAISON_WRITE_VECTOR=1 swift test --filter BundleVectorTests/writeTheVersionTwoVector
    @Test(.enabled(if: ProcessInfo.processInfo.environment["LIAISON_WRITE_VECTOR"] != nil))
    func writeTheVersionTwoVector() throws {
        let commitVector = try #require(try JSONSerialization.jsonObject(
            with: Data(contentsOf: Self.fixtures.deletingLastPathComponent().deletingLastPathComponent()
                .appending(path: "LiaisonCoreTests/Fixtures/commit-vector.json"))) as? [String: Any])
        let bundleVector = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: Self.fixtures.appending(path: "bundle-vector.json"))) as? [String: Any])
        func hex(_ key: String) throws -> [UInt8] { try bytes(commitVector[key] as? String ?? "") }
        let key = try Curve25519.Signing.PrivateKey(rawRepresentation: try hex("seed"))
        let node = NodeID(publicKey: key.publicKey)
        let first = Commit(
            header: try CommitHeader(decoding: try hex("header")), signature: try hex("signature"),
            changeHashes: try #require(commitVector["change_hashes"] as? [String]).map { try bytes($0) },
            changeBodies: try #require(commitVector["change_bytes"] as? [String]).map { try bytes($0) })

        let agency = try #require(UUID(uuidString: "6f1c2b4a-8d3e-4f5a-9b7c-1d2e3f4a5b6c"))
        let phone = try #require(UUID(uuidString: "0a0b0c0d-0e0f-4011-8213-141516171819"))
        let unit = try #require(UUID(uuidString: "1b2c3d4e-5f60-4172-8394-a5b6c7d8e9f0"))
        let person = try #require(UUID(uuidString: "2c3d4e5f-6071-4283-94a5-b6c7d8e9f0a1"))
        let email = try #require(UUID(uuidString: "3d4e5f60-7182-4394-a5b6-c7d8e9f0a1b2"))
        let mobile = try #require(UUID(uuidString: "4e5f6071-8293-44a5-b6c7-d8e9f0a1b2c3"))
        let role = try #require(UUID(uuidString: "5f607182-93a4-45b6-87c8-e9f0a1b2c3d4"))
        func id(_ id: UUID) -> FieldValue { .text(id.lowercasedString) }
        let changes: [Change] = [
            Change(entity: .agency, recordID: unit, operation: .upsert([
                "name": ["name": .text("Anti-Trafficking Investigations Unit"), "native_name": .text("Secția de investigare a traficului de ființe umane"), "acronym": .null],
                "placement": ["kind": .text("police"), "country": .text("MD"), "parent_id": id(agency), "subdivision": .text("MD-CU")],
                "address": ["address": .text("str. Bucuriei 14, Chișinău"), "website": .null],
            ])),
            Change(entity: .person, recordID: person, operation: .upsert([
                "name": ["given_name": .text("Elena"), "family_name": .text("Rusu"), "native_name": .null],
                "role": ["agency_id": id(unit), "position": .text("Head of unit"), "rank": .text("Commissioner")],
                "languages": ["languages": .list(["ro", "en", "ru"]), "time_zone": .text("Europe/Chisinau")],
                "verified": ["verified_at": .null, "verified_by": .null],
            ])),
            Change(entity: .channel, recordID: email, operation: .upsert(["channel": [
                "agency_id": .null, "person_id": id(person), "kind": .text("email"), "value": .text("elena.rusu@police.md.example"), "label": .null,
                "preference": .integer(2), "is_24x7": .bool(false), "hours": .text("Mo-Fr 08:00-17:00 Europe/Chisinau"), "marking": .text("TLP:AMBER"),
            ]])),
            Change(entity: .channel, recordID: mobile, operation: .upsert(["channel": [
                "agency_id": .null, "person_id": id(person), "kind": .text("mobile"), "value": .text("+37369123456"), "label": .null,
                "preference": .integer(1), "is_24x7": .bool(true), "hours": .null, "marking": .text("TLP:RED"),
            ]]), distribution: .nodeOnly),
            Change(entity: .designation, recordID: role, operation: .upsert(["designation": [
                "agency_id": .null, "person_id": id(person), "crime_area": .text("trafficking-in-persons"), "function": .text("operational-contact"),
                "valid_from": .text("2026-01-01"), "valid_to": .null,
                "legal_basis": .text("Law No. 241-XVI of 20 October 2005 on preventing and combating trafficking in human beings, and the national referral mechanism (2008)"),
            ]])),
            // A group that this version's tables do not list, as a later version might send: it
            // travels in canonical form, and the receiver refuses it as an invalid change.
            Change(entity: .person, recordID: person, operation: .upsert(["notes": ["note": .text("Speaks at the regional working group.")]])),
            Change(entity: .agency, recordID: unit, operation: .upsert([
                "address": ["address": .text("str. Bucuriei 14, Chișinău, MD-2004"), "website": .text("https://police.md.example/trafficking")],
            ])),
            Change(entity: .channel, recordID: phone, operation: .delete),
        ]
        let milliseconds: UInt64 = 1_767_225_660_000
        var second = try Commit.sign(
            changes: changes, origin: node, epoch: 1, sequence: 2, previousHash: first.header.hash,
            time: HybridLogicalTime(rawValue: milliseconds << 16), key: key)
        let allBodies = second.changeBodies.map { $0 ?? [] }
        let withheld = [3]
        for index in withheld { second.changeBodies[index] = nil }

        let brings = VersionVector([.init(origin: node, epoch: 1, sequence: 2, headerHash: second.header.hash)])
        var writer = ByteWriter()
        writer.raw(BundleFile.magic)
        writer.u8(BundleFile.version)
        writer.raw(node.bytes)
        writer.u64(milliseconds)
        writer.raw(VersionVector().encoded)
        writer.raw(brings.encoded)
        writer.raw(try key.signature(for: BundleFile.signatureDomain + writer.bytes))
        let headerLength = writer.bytes.count
        var items: [[String: Any]] = []
        for (index, (commit, bodies)) in [(first, first.changeBodies.map { $0 ?? [] }), (second, allBodies)].enumerated() {
            let compact = CompactCommitEncoder.encodeChanges(of: commit)
            let deflated = try Deflate.compress(compact)
            var item: [UInt8] = []
            try BundleFile.writeItem(commit, into: &item)
            writer.raw(item)
            items.append([
                "header": commit.header.encoded.hexString, "header_hash": commit.header.hash.hexString, "signature": commit.signature.hexString,
                "changes_digest": commit.header.changesDigest.hexString, "change_hashes": commit.changeHashes.map(\.hexString),
                "change_bytes": bodies.map(\.hexString), "withheld": index == 1 ? withheld : [],
                "compact": compact.hexString, "deflated": deflated.hexString,
            ])
        }
        writer.u8(BundleFile.Tag.end)
        writer.u64(2)
        let object: [String: Any] = [
            "description": "Bundle file of version 2 (docs/PROTOCOL.md, \"Compact commits\"), carrying the commit of commit-vector.json and a second commit of the same node; written by BundleVectorTests.writeTheVersionTwoVector and decoded by docs/tools/protocol-vector.py. Byte strings are lower-case hex.",
            "card": try #require(bundleVector["card"]),
            "bundle": writer.bytes.hexString,
            "header_length": headerLength,
            "brings": ["format": "liaison-vector", "version": 1, "entries": [[
                "origin": node.hex, "epoch": 1, "sequence": 2, "header_hash": second.header.hash.hexString]]],
            "commits": items,
        ]
        let json = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        try (json + Data("\n".utf8)).write(to: Self.fixtures.appending(path: "bundle-v2-vector.json"))
    }

    /// Where a bundle's first frame begins: after the fixed fields, both vectors and the signature
    /// (docs/PROTOCOL.md, "Bundle file").
    static func headerLength(of bytes: [UInt8]) -> Int? {
        var offset = 8 + 1 + 16 + 8
        for _ in 0..<2 {
            guard bytes.count >= offset + 4 else { return nil }
            let count = bytes[offset..<(offset + 4)].reduce(0) { $0 << 8 | Int($1) }
            offset += 4 + count * 60
        }
        return offset + 64
    }
}
