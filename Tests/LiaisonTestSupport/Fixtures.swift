public import Crypto
public import Foundation
public import LiaisonCore
public import LiaisonSync

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
    private var state: UInt64

    public init(name: String) {
        let seed = ProcessInfo.processInfo.environment["LIAISON_SEED"].flatMap(UInt64.init) ?? UInt64.random(in: 1...UInt64.max)
        print("\(name): seed \(seed) (replay with LIAISON_SEED=\(seed))")
        state = seed
    }

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Nodes in memory that trust each other, for replication tests.
public enum Federation {
    public static let testPin = String(repeating: "ab", count: 32)

    public static func nodes(_ count: Int) throws -> [Directory] {
        try nodes(keys: (0..<count).map { _ in Curve25519.Signing.PrivateKey() })
    }

    public static func nodes(keys: [Curve25519.Signing.PrivateKey]) throws -> [Directory] {
        let nodes = try keys.enumerated().map { index, key in
            try Directory.inMemory(name: "Node \(index)", agency: "Agency \(index)", signingKey: key)
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
