import Crypto
import Foundation
@testable import LiaisonCore
import LiaisonSync
import Testing

/// The sealed body vector of docs/PROTOCOL.md ("Sealed body vector"): the fixture node's encryption
/// key, and the first change of commit-vector.json sealed to it.
@Suite struct SealedBodyVectorTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appending(path: "Fixtures")

    static func commitVector() throws -> [String: Any] {
        let url = fixtures.deletingLastPathComponent().deletingLastPathComponent().appending(path: "LiaisonCoreTests/Fixtures/commit-vector.json")
        return try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    }

    static func fixtureKey() throws -> Curve25519.Signing.PrivateKey {
        let seed = try commitVector()["seed"] as? String
        return try Curve25519.Signing.PrivateKey(rawRepresentation: try #require(seed.flatMap { [UInt8](hex: $0) }))
    }

    @Test func theVectorOpensToTheChangeItSeals() throws {
        let vector = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: Self.fixtures.appending(path: "sealed-body-vector.json"))) as? [String: Any])
        func bytes(_ key: String) throws -> [UInt8] { try #require((vector[key] as? String).flatMap { [UInt8](hex: $0) }, "\(key)") }
        let key = Sealing.encryptionKey(for: try Self.fixtureKey())
        #expect(key.rawRepresentation.hexString == vector["encryption_private_key"] as? String)
        #expect(key.publicKey.rawRepresentation.hexString == vector["encryption_public_key"] as? String)
        let recipient = try NodeID(bytes: try bytes("recipient"))
        let sealed = SealedBody(recipient: recipient, encapsulatedKey: try bytes("enc"), ciphertext: try bytes("ciphertext"))
        let body = try #require(Sealing.open(sealed, hash: try bytes("change_hash"), key: key))
        #expect(body == (try bytes("change_bytes")))
        #expect(Array("liaison/sealed-change/v1".utf8) + [0] + recipient.bytes == (try bytes("info")))
        // Another recipient's info, another hash as associated data, or one changed byte: nothing opens.
        var other = sealed
        other.recipient = try NodeID(bytes: [UInt8](repeating: 1, count: 16))
        #expect(Sealing.open(other, hash: try bytes("change_hash"), key: key) == nil)
        #expect(Sealing.open(sealed, hash: [UInt8](repeating: 0, count: 32), key: key) == nil)
        var flipped = sealed
        flipped.ciphertext[0] ^= 1
        #expect(Sealing.open(flipped, hash: try bytes("change_hash"), key: key) == nil)
    }

    /// Writes `Fixtures/sealed-body-vector.json` anew; HPKE draws a new ephemeral key each time.
    ///
    ///     LIAISON_WRITE_VECTOR=1 swift test --filter SealedBodyVectorTests/writeTheVector
    @Test(.enabled(if: ProcessInfo.processInfo.environment["LIAISON_WRITE_VECTOR"] != nil))
    func writeTheVector() throws {
        let commit = try Self.commitVector()
        let body = try #require((commit["change_bytes"] as? [String])?.first.flatMap { [UInt8](hex: $0) })
        let hash = try #require((commit["change_hashes"] as? [String])?.first.flatMap { [UInt8](hex: $0) })
        let signingKey = try Self.fixtureKey()
        let recipient = NodeID(publicKey: signingKey.publicKey)
        let key = Sealing.encryptionKey(for: signingKey)
        let sealed = try Sealing.seal(body, hash: hash, to: recipient, key: key.publicKey)
        let object: [String: Any] = [
            "description": "A change sealed to the fixture node of commit-vector.json (docs/PROTOCOL.md, \"Sealed bodies\"): HPKE base mode, DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20-Poly1305. Written by SealedBodyVectorTests.writeTheVector. Byte strings are lower-case hex.",
            "encryption_private_key": key.rawRepresentation.hexString, "encryption_public_key": key.publicKey.rawRepresentation.hexString,
            "recipient": recipient.hex, "info": (Array("liaison/sealed-change/v1".utf8) + [0] + recipient.bytes).hexString,
            "change_bytes": body.hexString, "change_hash": hash.hexString,
            "enc": sealed.encapsulatedKey.hexString, "ciphertext": sealed.ciphertext.hexString,
        ]
        let json = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        try (json + Data("\n".utf8)).write(to: Self.fixtures.appending(path: "sealed-body-vector.json"))
    }
}
