import Crypto
import Foundation
import LiaisonCore
import LiaisonTestSupport
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
            Change(entity: .agency, recordID: agency.id, operation: .upsert(FieldGroups(agency.fieldGroups))),
            Change(entity: .channel, recordID: channel.id, operation: .upsert(FieldGroups(channel.fieldGroups))),
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
