public import Crypto
import Foundation

/// A change's body sealed to one node's encryption key with HPKE (RFC 9180), so that nodes that may
/// not read it can still carry it to that node (docs/PROTOCOL.md, "Sealed bodies").
public struct SealedBody: Sendable, Hashable {
    /// The node that can open it.
    public var recipient: NodeID
    /// HPKE's encapsulated key: the sender's ephemeral X25519 public key, 32 bytes.
    public var encapsulatedKey: [UInt8]
    /// The body sealed with ChaCha20-Poly1305: as long as the body, plus a 16-byte tag.
    public var ciphertext: [UInt8]

    public init(recipient: NodeID, encapsulatedKey: [UInt8], ciphertext: [UInt8]) {
        self.recipient = recipient
        self.encapsulatedKey = encapsulatedKey
        self.ciphertext = ciphertext
    }

    /// Bytes a sealed copy adds to a body's length.
    public static let overhead = 16
}

/// Sealing and opening change bodies: HPKE base mode, DHKEM(X25519, HKDF-SHA256), HKDF-SHA256,
/// ChaCha20-Poly1305; `info` names the recipient, the associated data is the change hash.
public enum Sealing {
    static let ciphersuite = HPKE.Ciphersuite.Curve25519_SHA256_ChachaPoly
    static let infoPrefix = Array("liaison/sealed-change/v1".utf8) + [0]
    /// The most a commit's sealed copies may take, half of what a bundle item carries.
    public static let maximumSealedBytes = 32 << 20

    static func info(_ recipient: NodeID) -> Data { Data(infoPrefix + recipient.bytes) }

    /// Seals `body`, whose hash is `hash`, to `recipient`'s encryption key.
    public static func seal(
        _ body: [UInt8], hash: [UInt8], to recipient: NodeID, key: Curve25519.KeyAgreement.PublicKey
    ) throws(LiaisonError) -> SealedBody {
        do {
            var sender = try HPKE.Sender(recipientKey: key, ciphersuite: ciphersuite, info: info(recipient))
            let ciphertext = try sender.seal(body, authenticating: hash)
            return SealedBody(recipient: recipient, encapsulatedKey: Array(sender.encapsulatedKey), ciphertext: Array(ciphertext))
        } catch {
            throw LiaisonError(.verification, "could not seal a change to node \(recipient.hex.prefix(8)): \(error)")
        }
    }

    /// The body inside `sealed`, if `key` opens it and what it holds has the hash `hash`; nil otherwise.
    public static func open(_ sealed: SealedBody, hash: [UInt8], key: Curve25519.KeyAgreement.PrivateKey) -> [UInt8]? {
        guard sealed.encapsulatedKey.count == 32,
            var receiver = try? HPKE.Recipient(privateKey: key, ciphersuite: ciphersuite, info: info(sealed.recipient), encapsulatedKey: Data(sealed.encapsulatedKey)),
            let body = try? receiver.open(sealed.ciphertext, authenticating: hash)
        else { return nil }
        let bytes = Array(body)
        return Change.hash(of: bytes) == hash ? bytes : nil
    }

    /// The X25519 key a node opens sealed bodies with, derived from its signing key, so that a
    /// node's folder and its backups need no other secret. HKDF-SHA256 with a label of its own
    /// keeps the two keys apart.
    public static func encryptionKey(for signingKey: Curve25519.Signing.PrivateKey) -> Curve25519.KeyAgreement.PrivateKey {
        let derived = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: signingKey.rawRepresentation), salt: Data("liaison/encryption-key/v1".utf8),
            outputByteCount: 32)
        return try! Curve25519.KeyAgreement.PrivateKey(rawRepresentation: derived.withUnsafeBytes { Data($0) })  // safe: HKDF gave exactly 32 bytes, and any 32 bytes are an X25519 private key
    }
}

extension Commit {
    /// Seals every body of scope 2 or 3 to each of its recipients but the origin: `keys` gives
    /// their encryption keys, and `missingKey` the error for a recipient without one.
    public mutating func sealBodies(
        keys: [NodeID: Curve25519.KeyAgreement.PublicKey], missingKey: (NodeID) -> LiaisonError
    ) throws(LiaisonError) {
        var total = 0
        for (index, body) in changeBodies.enumerated() {
            guard let body, let recipients = NeedToKnow.sealedRecipients(body) else { continue }
            var sealed: [SealedBody] = []
            for recipient in recipients.sorted() where recipient != header.origin {
                guard let key = keys[recipient] else { throw missingKey(recipient) }
                sealed.append(try Sealing.seal(body, hash: changeHashes[index], to: recipient, key: key))
                total += body.count + SealedBody.overhead
                // Every node must be able to carry the commit: a bundle item holds 64 MiB.
                guard total <= Sealing.maximumSealedBytes else {
                    throw LiaisonError(
                        .tooLarge, "sealed to \(recipients.count) nodes, these changes would take over \(Sealing.maximumSealedBytes >> 20) MiB",
                        hint: "share a shorter note, or with fewer nodes, or write fewer notes at once")
                }
            }
            if !sealed.isEmpty { sealedBodies[index] = sealed }
        }
    }

    /// Fills in each withheld body that a copy sealed to `node` holds, opened with `key`.
    public func openingSealedBodies(for node: NodeID, key: Curve25519.KeyAgreement.PrivateKey) -> Commit {
        var commit = self
        for (index, copies) in sealedBodies where index < changeBodies.count && changeBodies[index] == nil {
            guard let copy = copies.first(where: { $0.recipient == node }) else { continue }
            commit.changeBodies[index] = Sealing.open(copy, hash: changeHashes[index], key: key)
        }
        return commit
    }
}
