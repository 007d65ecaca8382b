public import Crypto
import Foundation

/// The identity of a node or of one of its signing keys: the first 16 bytes of the SHA-256 of an
/// Ed25519 public key, written as 32 lower-case hex digits.
///
/// A node's id is the key id of the first key it signed with, so it never changes when the node
/// rotates keys.
public struct NodeID: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    /// The 16 bytes.
    public let bytes: [UInt8]
    /// The 32 hex digits, kept because stamps and queries use them on every write.
    public let hex: String

    public init(publicKey: Curve25519.Signing.PublicKey) {
        bytes = Array(SHA256.hash(data: publicKey.rawRepresentation).prefix(16))
        hex = bytes.hexString
    }

    public init(bytes: [UInt8]) throws(LiaisonError) {
        guard bytes.count == 16 else {
            throw LiaisonError(.invalidValue, "a node id has 16 bytes, not \(bytes.count)", field: "node_id")
        }
        self.bytes = bytes
        hex = bytes.hexString
    }

    public init(hex: String) throws(LiaisonError) {
        guard let bytes = [UInt8](hex: hex), bytes.count == 16 else {
            throw LiaisonError.invalid("node_id", hex, "not a node id: expected 32 hex digits")
        }
        self.bytes = bytes
        self.hex = bytes.hexString
    }

    public static func == (lhs: NodeID, rhs: NodeID) -> Bool { lhs.bytes == rhs.bytes }
    public func hash(into hasher: inout Hasher) { hasher.combine(bytes) }
    public var description: String { hex }

    public static func < (lhs: NodeID, rhs: NodeID) -> Bool { lhs.bytes.lexicographicallyPrecedes(rhs.bytes) }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        try self.init(hex: text)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(hex)
    }
}

extension Sequence<UInt8> {
    /// Lower-case hex digits, two per byte.
    public var hexString: String {
        let digits: StaticString = "0123456789abcdef"
        var bytes: [UInt8] = []
        bytes.reserveCapacity(underestimatedCount * 2)
        digits.withUTF8Buffer { digits in
            for byte in self {
                bytes.append(digits[Int(byte >> 4)])
                bytes.append(digits[Int(byte & 0x0F)])
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension [UInt8] {
    /// Parses hex digits (either case); nil if the text is not an even number of hex digits.
    public init?(hex: String) {
        let scalars = Array(hex.utf8)
        guard scalars.count.isMultiple(of: 2) else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(scalars.count / 2)
        func value(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
            default: nil
            }
        }
        var index = 0
        while index < scalars.count {
            guard let high = value(scalars[index]), let low = value(scalars[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        self = bytes
    }
}
