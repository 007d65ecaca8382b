import Crypto
import Foundation
import LiaisonCore
import Testing

/// Checks the test vector of docs/PROTOCOL.md, computed independently from the document.
@Suite struct ProtocolVectorTests {
    struct Vector: Decodable {
        var seed: String
        var public_key: String
        var node_id: String
        var change_bytes: [String]
        var change_hashes: [String]
        var changes_digest: String
        var header: String
        var header_hash: String
        var signature: String
    }

    @Test func commitMatchesTheDocumentedVectorByteForByte() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appending(path: "Fixtures/commit-vector.json")
        let vector = try JSONDecoder().decode(Vector.self, from: Data(contentsOf: url))
        let key = try Curve25519.Signing.PrivateKey(rawRepresentation: try #require([UInt8](hex: vector.seed)))
        #expect(key.publicKey.rawRepresentation.hexString == vector.public_key)
        let node = NodeID(publicKey: key.publicKey)
        #expect(node.hex == vector.node_id)

        let agencyID = try #require(UUID(uuidString: "6f1c2b4a-8d3e-4f5a-9b7c-1d2e3f4a5b6c"))
        let agency = Agency(
            id: agencyID, name: "Centre for Combating Trafficking in Persons",
            nativeName: "Centrul pentru Combaterea Traficului de Persoane", acronym: "CCTP", kind: .police, country: "MD",
            subdivision: "MD-CU", website: "https://police.md.example")
        let channel = Channel(
            id: try #require(UUID(uuidString: "0a0b0c0d-0e0f-4011-8213-141516171819")), agencyID: agencyID, kind: .phone,
            value: "+37322123456", preference: 1, is24x7: true)
        let changes = [
            Change(entity: .agency, recordID: agency.id, operation: .upsert(agency.fieldGroups)),
            Change(entity: .channel, recordID: channel.id, operation: .upsert(channel.fieldGroups)),
        ]
        #expect(changes.map { $0.encoded.hexString } == vector.change_bytes)
        let hashes = changes.map { Change.hash(of: $0.encoded) }
        #expect(hashes.map(\.hexString) == vector.change_hashes)
        let header = CommitHeader(
            origin: node, epoch: 1, sequence: 1, previousHash: CommitHeader.genesisHash,
            time: HybridLogicalTime(milliseconds: 1_767_225_600_000, counter: 3), keyID: node, changeCount: 2,
            changesDigest: CommitHeader.changesDigest(of: hashes))
        #expect(header.changesDigest.hexString == vector.changes_digest)
        #expect(header.encoded.hexString == vector.header)
        #expect(header.hash.hexString == vector.header_hash)
        #expect(try CommitHeader(decoding: header.encoded) == header)
        let signature = try #require([UInt8](hex: vector.signature))
        #expect(key.publicKey.isValidSignature(signature, for: header.signingInput))
        let commit = Commit(header: header, signature: signature, changeHashes: hashes, changeBodies: changes.map(\.encoded))
        try commit.verify(with: key.publicKey)
    }
}

/// Checks the node card and bundle file of docs/PROTOCOL.md, built independently from the document.
@Suite struct BundleVectorTests {
    struct Vector: Decodable {
        var card: NodeCard
        var bundle: String
        var header_length: Int
        var brings: VersionVector
    }

    private func vector() throws -> Vector {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appending(path: "Fixtures/bundle-vector.json")
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

        // This node's export of the same commit carries the same frames, byte for byte.
        let exported = folder.appending(path: "again.liaison-bundle")
        _ = try node.exportBundle(to: exported, assumes: VersionVector())
        let again = [UInt8](try Data(contentsOf: exported))
        let frames = Array(bytes[vector.header_length...])
        #expect(Array(again.suffix(frames.count)) == frames)

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
}
