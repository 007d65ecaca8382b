public import Crypto
public import Foundation
public import LiaisonCore
public import LiaisonSync
import Synchronization

/// A node in memory with the demo directory loaded, shared by read-only tests.
public enum Fixtures {
    public static func emptyNode() throws -> Directory { try Directory.inMemory() }

    public static func demoNode() throws -> Directory {
        let directory = try Directory.inMemory()
        _ = try DemoDirectory.load(into: directory)
        return directory
    }

    public static func moldovaPolice(_ directory: Directory) throws -> Agency {
        try directory.write { tx in
            try tx.save(Agency(name: "Centre for Combating Trafficking in Persons", acronym: "CCTP", kind: .police, country: "md"))
        }.value
    }

    public static func temporaryFolder() -> URL {
        FileManager.default.temporaryDirectory.appending(path: "liaison-tests-\(UUID().uuidString)")
    }
}

/// A seeded random generator whose seed is printed and can be replayed with LIAISON_SEED.
public struct SeededGenerator: RandomNumberGenerator {
    /// The seed it started from, to name in a failure.
    public let seed: UInt64
    private var state: UInt64

    public init(name: String) {
        let seed = ProcessInfo.processInfo.environment["LIAISON_SEED"].flatMap(UInt64.init) ?? UInt64.random(in: 1...UInt64.max)
        print("\(name): seed \(seed) (replay with LIAISON_SEED=\(seed))")
        self.seed = seed
        state = seed
    }

    public init(seed: UInt64) {
        self.seed = seed
        state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension SeededGenerator {
    /// An Ed25519 key made from 32 seeded bytes, so that node ids replay from the seed.
    public mutating func signingKey() throws -> Curve25519.Signing.PrivateKey {
        // Any 32 bytes are an Ed25519 private key (RFC 8032, 5.1.5).
        try Curve25519.Signing.PrivateKey(rawRepresentation: (0..<4).flatMap { _ in withUnsafeBytes(of: next()) { Array($0) } })
    }

    /// A random (version 4) UUID made from seeded bytes, for record ids that replay from the seed.
    public mutating func uuid() -> UUID {
        let a = next(), b = next()
        func byte(_ value: UInt64, _ index: Int) -> UInt8 { UInt8(truncatingIfNeeded: value >> (index * 8)) }
        return UUID(uuid: (
            byte(a, 0), byte(a, 1), byte(a, 2), byte(a, 3), byte(a, 4), byte(a, 5), 0x40 | byte(a, 6) & 0x0F, byte(a, 7),
            0x80 | byte(b, 0) & 0x3F, byte(b, 1), byte(b, 2), byte(b, 3), byte(b, 4), byte(b, 5), byte(b, 6), byte(b, 7)))
    }
}

/// A seeded generator that several nodes draw from (a new epoch's step), so that what they draw
/// replays from the seed.
public final class SharedGenerator: Sendable {
    private let generator: Mutex<SeededGenerator>

    public init(seed: UInt64) { generator = Mutex(SeededGenerator(seed: seed)) }

    public func next() -> UInt64 { generator.withLock { $0.next() } }
}

/// A clock that a test moves by hand: nodes that read it sign commits whose times replay from a
/// seed, and a test can order writes in time without sleeping.
public final class TestClock: Sendable {
    private let current: Mutex<Date>

    /// Starts at `start`, by default 2026-01-01T00:00:00Z.
    public init(_ start: Date = Date(timeIntervalSince1970: 1_767_225_600)) { current = Mutex(start) }

    /// The time it shows.
    public func now() -> Date { current.withLock { $0 } }

    public func advance(by seconds: TimeInterval) { current.withLock { $0.addTimeInterval(seconds) } }
}

/// Nodes in memory that trust each other, for replication tests.
public enum Federation {
    public static let testPin = String(repeating: "ab", count: 32)

    public static func nodes(_ count: Int) throws -> [Directory] {
        try nodes(keys: (0..<count).map { _ in Curve25519.Signing.PrivateKey() })
    }

    /// Nodes of these keys; each reads its clock from `clock` (by default the wall clock) and
    /// draws its random choices from `random`.
    public static func nodes(
        keys: [Curve25519.Signing.PrivateKey], clock: (Int) -> @Sendable () -> Date = { _ in Date.init },
        random: (Int) -> @Sendable () -> UInt64 = { _ in { .random(in: .min ... .max) } }
    ) throws -> [Directory] {
        let nodes = try keys.enumerated().map { index, key in
            try Directory.inMemory(name: "Node \(index)", agency: "Agency \(index)", signingKey: key, clock: clock(index), random: random(index))
        }
        for node in nodes {
            for other in nodes where other.node.id != node.node.id {
                _ = try node.addPeer(try other.card(tlsPin: testPin, url: nil))
            }
        }
        return nodes
    }

    /// Sends everything `from` holds that `to` lacks.
    @discardableResult
    public static func sync(_ from: Directory, to: Directory) throws -> ReceiveReport {
        try to.receive(try from.commits(beyond: try to.vector(), for: to.node.id))
    }

    /// Syncs every pair until nothing moves.
    public static func syncAll(_ nodes: [Directory]) throws {
        for _ in 0..<4 {
            for from in nodes {
                for to in nodes where to !== from { try sync(from, to: to) }
            }
        }
    }

    public static func agencyDocument(id: UUID, name: String) -> Data {
        Data("""
            {"format": "liaison-directory", "version": 1, "contacts": [],
             "agencies": [{"id": "\(id.lowercasedString)", "name": "\(name)", "kind": "police", "country": "MD"}]}
            """.utf8)
    }
}
