import Crypto
import Foundation
import LiaisonCore
import Testing
import LiaisonSync
import LiaisonTestSupport

@Suite struct BundleVectorTests {
    struct Vector: Decodable {
        var card: NodeCard
        var bundle: String
        var header_length: Int
        var brings: VersionVector
    }

    private func vector() throws -> Vector {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appending(path: "Fixtures/bundle-vector.json")
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

        // A version 1 bundle, as the first release wrote, is still read. This node exports the same
        // commit as version 2, which another node reads into the same directory.
        let exported = folder.appending(path: "again.liaison-bundle")
        _ = try node.exportBundle(to: exported, assumes: VersionVector())
        #expect([UInt8](try Data(contentsOf: exported))[8] == 2)
        let third = try Directory.inMemory(name: "Third reader")
        _ = try third.addPeer(vector.card)
        _ = try third.addPeer(try node.card(tlsPin: Federation.testPin, url: nil))
        #expect(try third.importBundle(from: exported).report.applied == 1)
        #expect(try third.digest() == node.digest())
        #expect(try third.commits(beyond: VersionVector()) == node.commits(beyond: VersionVector()))

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

    /// Where a bundle's first frame begins: after the fixed fields, both vectors and the signature
    /// (docs/PROTOCOL.md, "Bundle file").
    static func headerLength(of bytes: [UInt8]) -> Int? {
        var offset = 8 + 1 + 16 + 8
        for _ in 0..<2 {
            guard bytes.count >= offset + 4 else { return nil }
            let count = bytes[offset..<(offset + 4)].reduce(0) { $0 << 8 | Int($1) }
            offset += 4 + count * 60
        }
        return offset + 64
    }
}
