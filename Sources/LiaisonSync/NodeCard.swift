public import LiaisonCore
public import Crypto
public import Foundation
import GRDB

/// A node's signed identity card: what another node needs to trust it.
///
/// The JSON file carries the fields and an Ed25519 signature by the node's own signing key over
/// their canonical bytes (docs/PROTOCOL.md, "Node card"), so a card that was changed on its way
/// does not verify.
public struct NodeCard: Sendable, Hashable, Codable {
    public static let formatName = "liaison-node-card"
    static let signatureDomain = Array("liaison/node-card/v1".utf8) + [0]
    static let signatureDomainWithEncryptionKey = Array("liaison/node-card/v2".utf8) + [0]

    public var format = NodeCard.formatName
    /// 2 for a card with an encryption key; 1, without, as the first releases wrote.
    public var version = 2
    public var nodeID: NodeID
    public var name: String
    public var agency: String
    /// The raw Ed25519 public key, base64.
    public var signingKey: String
    /// SHA-256 of the TLS certificate's SubjectPublicKeyInfo, hex.
    public var tlsPin: String
    public var url: String?
    /// The raw X25519 public key that bodies sealed to the node are sealed to, base64; version 2 only.
    public var encryptionKey: String?
    public var signature: String = ""

    enum CodingKeys: String, CodingKey {
        case format, version, nodeID = "node_id", name, agency, signingKey = "signing_key", tlsPin = "tls_pin", url
        case encryptionKey = "encryption_key", signature
    }

    /// The bytes the signature covers: the domain prefix, then each field as u32 length and UTF-8.
    var signedBytes: [UInt8] {
        var writer = ByteWriter(capacity: 256)
        writer.raw(version == 1 ? Self.signatureDomain : Self.signatureDomainWithEncryptionKey)
        for field in [nodeID.hex, name, agency, signingKey, tlsPin, url ?? ""] { writer.text(field) }
        if version != 1 { writer.text(encryptionKey ?? "") }
        return writer.bytes
    }

    /// The card's encryption key, once ``verified()`` accepted the card; nil for a version 1 card.
    public var encryptionPublicKey: Curve25519.KeyAgreement.PublicKey? {
        encryptionKey.flatMap { Self.canonicalBase64($0, bytes: 32) }.flatMap { try? Curve25519.KeyAgreement.PublicKey(rawRepresentation: $0) }
    }

    /// SHA-256 of the signing key, grouped for reading aloud over the phone.
    public var fingerprint: String {
        let digest = SHA256.hash(data: Data(base64Encoded: signingKey) ?? Data()).hexString
        return stride(from: 0, to: 64, by: 4).map { digest.dropFirst($0).prefix(4) }.joined(separator: " ")
    }

    /// The card's public key after checking the card (docs/PROTOCOL.md, "Node card"): its key is a
    /// trustworthy Ed25519 key, its node id belongs to it, and its signature verifies.
    public func verified() throws(LiaisonError) -> Curve25519.Signing.PublicKey {
        guard format == Self.formatName, version == 1 || version == 2 else {
            throw LiaisonError(.invalidFile, "format \"\(format)\" version \(version) is not a Liaison node card of version 1 or 2")
        }
        if version == 1, encryptionKey != nil {
            throw LiaisonError(.verification, "a node card of version 1 has no encryption key")
        }
        if version == 2 {
            guard let encryptionKey, let raw = Self.canonicalBase64(encryptionKey, bytes: 32), raw.contains(where: { $0 != 0 }) else {
                throw LiaisonError(.verification, "the card's encryption key is not 32 bytes of padded base64")
            }
        }
        guard let raw = Self.canonicalBase64(signingKey, bytes: 32) else {
            throw LiaisonError(.verification, "the card's signing key is not 32 bytes of padded base64")
        }
        let key = try SigningKeyCheck.publicKey(raw)
        guard NodeID(publicKey: key) == nodeID else {
            throw LiaisonError(.verification, "the card's node id \(nodeID) does not belong to its signing key")
        }
        guard let signature = Self.canonicalBase64(self.signature, bytes: 64), key.isValidSignature(signature, for: signedBytes) else {
            throw LiaisonError(.verification, "the card's signature does not verify: it was changed after it was made")
        }
        for (field, text) in [("name", name), ("agency", agency), ("url", url ?? "")]
        where text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control || $0.properties.generalCategory == .format }) {
            throw LiaisonError(.verification, "the card's \(field) holds control or invisible characters")
        }
        guard tlsPin.count == 64, [UInt8](hex: tlsPin)?.hexString == tlsPin else {
            throw LiaisonError(.verification, "the card's TLS pin is not 64 lower-case hex digits")
        }
        if let url { try Self.checkURL(url) }
        return key
    }

    /// The bytes of standard, padded base64 text of `bytes` bytes in its one canonical spelling.
    private static func canonicalBase64(_ text: String, bytes: Int) -> Data? {
        guard let data = Data(base64Encoded: text), data.count == bytes, data.base64EncodedString() == text else { return nil }
        return data
    }

    /// A node's address: https with a host.
    static func checkURL(_ url: String) throws(LiaisonError) {
        guard let parsed = URL(string: url), parsed.scheme == "https", parsed.host?.isEmpty == false else {
            throw LiaisonError.invalid("url", url, "not an https address", hint: "e.g. https://liaison.police.example:8443")
        }
    }

    public func json() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(self)) ?? Data()
    }

    /// Reads a card file. Only the card's own keys are allowed, and its node id only in lower case,
    /// as it is signed: one card has one spelling.
    public init(json data: Data, fileName: String) throws(LiaisonError) {
        do {
            self = try JSONDecoder().decode(NodeCard.self, from: data)
        } catch {
            throw LiaisonError(.invalidFile, "not a Liaison node card: \(Directory.describe(error))", file: fileName, hint: "a card comes from `liaison node card`")
        }
        let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
        let allowed = Set(["format", "version", "node_id", "name", "agency", "signing_key", "tls_pin", "url", "encryption_key", "signature"])
        if let extra = object.keys.filter({ !allowed.contains($0) }).sorted().first {
            throw LiaisonError(.invalidFile, "a node card has no key \"\(extra)\"", file: fileName, hint: "a card comes from `liaison node card`")
        }
        guard object["node_id"] as? String == nodeID.hex else {
            throw LiaisonError(.verification, "the card's node id is not written as 32 lower-case hex digits", file: fileName)
        }
    }

    init(nodeID: NodeID, name: String, agency: String, signingKey: String, tlsPin: String, url: String?) {
        self.nodeID = nodeID
        self.name = name
        self.agency = agency
        self.signingKey = signingKey
        self.tlsPin = tlsPin
        self.url = url
    }
}

/// A node in this node's roster.
public struct Peer: Sendable, Hashable, Codable {

    public var nodeID: String
    public var name: String
    public var agency: String
    public var tlsPin: String
    public var url: String?
    public var addedAt: String
    public var revokedAt: String?
    /// What the peer said it holds in its last bundle.
    public var knownVector: VersionVector?
}

extension Directory {
    /// This node's card, signed with its key.
    public func card(tlsPin: String, url: String?) throws(LiaisonError) -> NodeCard {
        if let url { try NodeCard.checkURL(url) }
        var card = NodeCard(
            nodeID: node.id, name: node.name, agency: node.agency, signingKey: node.publicKey.rawRepresentation.base64EncodedString(),
            tlsPin: tlsPin, url: url)
        let key = try requireSigningKey()
        card.encryptionKey = Sealing.encryptionKey(for: key).publicKey.rawRepresentation.base64EncodedString()
        do {
            card.signature = try key.signature(for: card.signedBytes).base64EncodedString()
        } catch {
            throw LiaisonError(.verification, "could not sign the card: \(error)")
        }
        return card
    }

    /// Trusts the node of a verified card: its key verifies its commits from now on. Adding a card
    /// again updates its name, agency, pin and address.
    public func addPeer(_ card: NodeCard) throws(LiaisonError) -> Peer {
        let key = try card.verified()
        guard card.nodeID != node.id else { throw LiaisonError(.conflict, "this is this node's own card") }
        let now = Timestamp.database(Date())
        try Self.storage {
            try database.write { db in
                if try String.fetchOne(db, sql: "SELECT revoked_at FROM peer WHERE node_id = ?", arguments: [card.nodeID.hex]) != nil {
                    throw LiaisonError(.conflict, "node \(card.nodeID.hex.prefix(8)) was revoked; a revoked node is not trusted again", record: card.nodeID.hex)
                }
                try db.execute(
                    sql: """
                        INSERT INTO peer (node_id, name, agency, tls_pin, url, card, added_at, encryption_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                        ON CONFLICT (node_id) DO UPDATE SET name = excluded.name, agency = excluded.agency, tls_pin = excluded.tls_pin,
                          url = excluded.url, card = excluded.card, encryption_key = coalesce(excluded.encryption_key, peer.encryption_key)
                        """,
                    arguments: [
                        card.nodeID.hex, card.name, card.agency, card.tlsPin, card.url, card.json(), now,
                        card.encryptionPublicKey?.rawRepresentation,
                    ])
                // A node removed from the roster and added again is trusted again.
                try db.execute(
                    sql: """
                        INSERT INTO node_key (key_id, node_id, public_key, valid_from) VALUES (?, ?, ?, ?)
                        ON CONFLICT (key_id) DO UPDATE SET revoked_at = NULL
                        """,
                    arguments: [card.nodeID.hex, card.nodeID.hex, key.rawRepresentation, now])
            }
        }
        return try peers().first { $0.nodeID == card.nodeID.hex } ?? Peer(nodeID: card.nodeID.hex, name: card.name, agency: card.agency, tlsPin: card.tlsPin, addedAt: now)
    }

    /// The roster, by name.
    public func peers() throws(LiaisonError) -> [Peer] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM peer ORDER BY name, node_id").map(Peer.init(row:))
        }
    }

    /// The peer whose certificate has this pin, unless it is revoked: who a TLS client is. Asked at
    /// every handshake and request, so it reads one row.
    public func peer(pinned pin: String) throws(LiaisonError) -> Peer? {
        try read { db in
            // Every handshake asks: the vector the peer last brought is not read.
            try Row.fetchOne(
                db, sql: "SELECT node_id, name, agency, tls_pin, url, added_at, revoked_at FROM peer WHERE tls_pin = ? AND revoked_at IS NULL LIMIT 1",
                arguments: [pin]
            ).map(Peer.init(row:))
        }
    }

    /// Each peer's name and agency, `Name (Agency)`, by node id: how pages and messages name a node.
    public func peerNames() throws(LiaisonError) -> [String: String] {
        Dictionary(try peers().map { ($0.nodeID, "\($0.name) (\($0.agency))") }, uniquingKeysWith: { first, _ in first })
    }

    /// The peer whose node id starts with `prefix` (at least 4 hex digits) or whose name is, or else
    /// starts with, `prefix`.
    public func peer(_ prefix: String) throws(LiaisonError) -> Peer {
        let all = try peers()
        let text = prefix.lowercased()
        let exact = all.filter { $0.name.lowercased() == text || (text.count >= 4 && $0.nodeID.hasPrefix(text)) }
        let matches = exact.isEmpty ? all.filter { $0.name.lowercased().hasPrefix(text) } : exact
        guard let peer = matches.first else {
            throw LiaisonError(.notFound, "no peer \"\(prefix)\"", hint: "`liaison peer list` shows the roster")
        }
        guard matches.count == 1 else { throw LiaisonError(.ambiguous, "\"\(prefix)\" matches \(matches.count) peers; give more of the node id") }
        return peer
    }

    /// Removes a peer from the roster: commits signed by its key that arrive later are refused as
    /// unknown. What it wrote before stays.
    public func removePeer(_ nodeID: String) throws(LiaisonError) {
        try Self.storage {
            try database.write { db in
                if try String.fetchOne(db, sql: "SELECT revoked_at FROM peer WHERE node_id = ?", arguments: [nodeID]) != nil {
                    throw LiaisonError(
                        .conflict, "node \(nodeID.prefix(8)) is revoked; it stays in the roster so that it is never trusted again", record: nodeID)
                }
                try db.execute(sql: "DELETE FROM peer WHERE node_id = ?", arguments: [nodeID])
                // Keys that signed commits held here stay, so that `log verify` can still check them.
                try db.execute(
                    sql: "DELETE FROM node_key WHERE node_id = ? AND NOT EXISTS (SELECT 1 FROM commit_log WHERE origin = node_key.node_id)",
                    arguments: [nodeID])
                try db.execute(sql: "UPDATE node_key SET revoked_at = coalesce(revoked_at, ?) WHERE node_id = ?", arguments: [Timestamp.database(Date()), nodeID])
            }
        }
    }

    /// Revokes a peer's keys: commits signed by them that this node does not already hold are
    /// refused. The peer stays in the roster, marked revoked.
    public func revokePeer(_ nodeID: String) throws(LiaisonError) {
        let now = Timestamp.database(Date())
        try Self.storage {
            try database.write { db in
                try db.execute(sql: "UPDATE peer SET revoked_at = coalesce(revoked_at, ?) WHERE node_id = ?", arguments: [now, nodeID])
                try db.execute(sql: "UPDATE node_key SET revoked_at = coalesce(revoked_at, ?) WHERE node_id = ?", arguments: [now, nodeID])
            }
        }
    }
}

// Outside the struct, so that its memberwise initialiser stays.
extension Peer {
    /// A row of the `peer` table.
    init(row: Row) {
        self.init(
            nodeID: row["node_id"], name: row["name"], agency: row["agency"], tlsPin: row["tls_pin"], url: row["url"],
            addedAt: Timestamp.iso8601(database: row["added_at"]), revokedAt: (row["revoked_at"] as String?).map(Timestamp.iso8601(database:)),
            knownVector: (row["known_vector"] as String?).flatMap { try? VersionVector(json: Data($0.utf8), fileName: "peer") })
    }
}
