public import Crypto
import Foundation

/// Who this node is: its id, names, current epoch and public signing key.
public struct NodeIdentity: Sendable, Hashable {
    public var id: NodeID
    public var name: String
    public var agency: String
    public var epoch: UInt32
    public var publicKey: Curve25519.Signing.PublicKey

    package init(id: NodeID, name: String, agency: String, epoch: UInt32, publicKey: Curve25519.Signing.PublicKey) {
        self.id = id
        self.name = name
        self.agency = agency
        self.epoch = epoch
        self.publicKey = publicKey
    }

    /// SHA-256 of the raw Ed25519 public key, as hex.
    public var signingKeyFingerprint: String { SHA256.hash(data: publicKey.rawRepresentation).hexString }

    public static func == (lhs: NodeIdentity, rhs: NodeIdentity) -> Bool {
        lhs.id == rhs.id && lhs.name == rhs.name && lhs.agency == rhs.agency && lhs.epoch == rhs.epoch
    }

    public func hash(into hasher: inout Hasher) { hasher.combine(id) }
}
