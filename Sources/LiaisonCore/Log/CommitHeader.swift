public import Crypto
import Foundation

/// The signed part of a commit: who wrote it, where it stands in its origin's log, and a digest of
/// its changes.
///
/// Its canonical encoding is 121 bytes (docs/PROTOCOL.md, "Commit header"); the signature covers
/// those bytes, so a change can be withheld or purged while the header still verifies.
public struct CommitHeader: Sendable, Hashable {
    public static let formatVersion: UInt8 = 1
    public static let encodedSize = 121

    public var origin: NodeID
    public var epoch: UInt32
    public var sequence: UInt64
    public var previousHash: [UInt8]
    public var time: HybridLogicalTime
    public var keyID: NodeID
    public var changeCount: UInt32
    public var changesDigest: [UInt8]

    public init(
        origin: NodeID, epoch: UInt32, sequence: UInt64, previousHash: [UInt8], time: HybridLogicalTime,
        keyID: NodeID, changeCount: UInt32, changesDigest: [UInt8]
    ) {
        self.origin = origin
        self.epoch = epoch
        self.sequence = sequence
        self.previousHash = previousHash
        self.time = time
        self.keyID = keyID
        self.changeCount = changeCount
        self.changesDigest = changesDigest
    }

    /// The hash that the first commit of a log names as its predecessor: 32 zero bytes.
    public static let genesisHash = [UInt8](repeating: 0, count: 32)

    /// `origin/epoch/sequence`, the origin shortened to 8 hex digits: how messages name a commit.
    public var label: String { Self.label(origin: origin, epoch: epoch, sequence: sequence) }

    public static func label(origin: NodeID, epoch: UInt32, sequence: UInt64) -> String {
        "\(origin.hex.prefix(8))/\(epoch)/\(sequence)"
    }

    public var encoded: [UInt8] {
        var writer = ByteWriter(capacity: Self.encodedSize)
        writer.u8(Self.formatVersion)
        writer.raw(origin.bytes)
        writer.u32(epoch)
        writer.u64(sequence)
        writer.raw(previousHash)
        writer.u64(time.rawValue)
        writer.raw(keyID.bytes)
        writer.u32(changeCount)
        writer.raw(changesDigest)
        return writer.bytes
    }

    public init(decoding bytes: [UInt8]) throws(LiaisonError) {
        guard bytes.count == Self.encodedSize else {
            throw LiaisonError(.verification, "a commit header has \(Self.encodedSize) bytes, not \(bytes.count)")
        }
        var reader = ByteReader(bytes)
        let version = try reader.u8()
        guard version == Self.formatVersion else {
            throw LiaisonError(.verification, "unknown commit header version \(version)")
        }
        origin = try NodeID(bytes: Array(try reader.take(16)))
        epoch = try reader.u32()
        sequence = try reader.u64()
        previousHash = Array(try reader.take(32))
        time = HybridLogicalTime(rawValue: try reader.u64())
        keyID = try NodeID(bytes: Array(try reader.take(16)))
        changeCount = try reader.u32()
        changesDigest = Array(try reader.take(32))
    }

    /// SHA-256 of the domain prefix `liaison/header/v1` and a zero byte, then the header bytes.
    public var hash: [UInt8] {
        var hasher = SHA256()
        hasher.update(data: Domain.header)
        hasher.update(data: encoded)
        return Array(hasher.finalize())
    }

    /// The bytes that the signature covers: the domain prefix `liaison/commit-signature/v1`, a zero
    /// byte, then the header bytes.
    public var signingInput: [UInt8] { Domain.signature + encoded }

    /// SHA-256 of the domain prefix `liaison/changes/v1`, a zero byte, then each change hash in order.
    public static func changesDigest(of changeHashes: [[UInt8]]) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(data: Domain.changes)
        for hash in changeHashes { hasher.update(data: hash) }
        return Array(hasher.finalize())
    }
}

/// A signed commit as stored and sent: the header, its signature, and each change as its bytes or,
/// when withheld or purged, as its hash only.
public struct Commit: Sendable, Hashable {
    /// The largest change a commit may carry (docs/PROTOCOL.md, "Bundle file").
    public static let maximumChangeSize = 1 << 20

    public var header: CommitHeader
    public var signature: [UInt8]
    /// The change hashes, in order; their digest is in the header.
    public var changeHashes: [[UInt8]]
    /// The change bytes, in order; nil where the change was withheld or purged.
    public var changeBodies: [[UInt8]?]
    /// Per change index, its body sealed to each node it is addressed to: what carries a body of
    /// named nodes or a sharing group through nodes that may not read it. Outside the signature:
    /// a receiver checks what it opens against the change hash.
    public var sealedBodies: [Int: [SealedBody]]

    public init(header: CommitHeader, signature: [UInt8], changeHashes: [[UInt8]], changeBodies: [[UInt8]?], sealedBodies: [Int: [SealedBody]] = [:]) {
        self.header = header
        self.signature = signature
        self.changeHashes = changeHashes
        self.changeBodies = changeBodies
        self.sealedBodies = sealedBodies
    }

    /// Signs the changes as the next commit of a log.
    static func sign(
        changes: [Change], origin: NodeID, epoch: UInt32, sequence: UInt64, previousHash: [UInt8],
        time: HybridLogicalTime, key: Curve25519.Signing.PrivateKey
    ) throws(LiaisonError) -> Commit {
        // Imports sign hundreds of changes a commit: encoding and hashing them is spread over the cores.
        let encoded = changes.concurrentMap { change in
            let body = change.encoded
            return (body: body, hash: Change.hash(of: body))
        }
        let bodies = encoded.map(\.body)
        let hashes = encoded.map(\.hash)
        let header = CommitHeader(
            origin: origin, epoch: epoch, sequence: sequence, previousHash: previousHash, time: time,
            keyID: NodeID(publicKey: key.publicKey), changeCount: UInt32(changes.count),
            changesDigest: CommitHeader.changesDigest(of: hashes))
        let signature: Data
        do {
            signature = try key.signature(for: header.signingInput)
        } catch {
            throw LiaisonError(.verification, "could not sign commit \(sequence): \(error)")
        }
        return Commit(header: header, signature: Array(signature), changeHashes: hashes, changeBodies: bodies)
    }

    /// Checks that the commit's fields have their sizes, its signature against `publicKey`, and every
    /// present change against its hash and the header's digest. Chain order is checked by the
    /// caller, which knows the predecessor.
    public func verify(with publicKey: Curve25519.Signing.PublicKey) throws(LiaisonError) {
        let position = "commit \(header.label)"
        // A commit given as values rather than read from a frame can have fields of any length.
        // Its signature may still verify, over a header of another size, yet it could be neither
        // stored nor sent on: the log and frames hold these fields at these sizes.
        guard header.previousHash.count == 32, header.changesDigest.count == 32, signature.count == 64,
            changeHashes.allSatisfy({ $0.count == 32 })
        else {
            throw LiaisonError(
                .verification, "not the sizes of a commit: a 121-byte header, a 64-byte signature and 32-byte change hashes",
                record: position)
        }
        guard NodeID(publicKey: publicKey) == header.keyID else {
            throw LiaisonError(.verification, "signed by key \(header.keyID), not the key given", record: position)
        }
        guard publicKey.isValidSignature(signature, for: header.signingInput) else {
            throw LiaisonError(.verification, "bad signature", record: position)
        }
        guard changeHashes.count == Int(header.changeCount), changeBodies.count == changeHashes.count else {
            throw LiaisonError(.verification, "header counts \(header.changeCount) changes, found \(changeHashes.count)", record: position)
        }
        guard CommitHeader.changesDigest(of: changeHashes) == header.changesDigest else {
            throw LiaisonError(.verification, "change hashes do not match the header's digest", record: position)
        }
        for (index, body) in changeBodies.enumerated() {
            if let body, Change.hash(of: body) != changeHashes[index] {
                throw LiaisonError(.verification, "change \(index) does not match its hash", record: position)
            }
        }
    }
}
