import Crypto
import Foundation
@testable import LiaisonCore
@testable import LiaisonSync
import LiaisonTestSupport
import Testing

/// The compact form of a commit's changes and its deflate stream, read as docs/PROTOCOL.md
/// ("Compact commits") says: what a receiver accepts and what it refuses.
@Suite struct CompactCommitTests {
    private let agency = UUID(uuidString: "6f1c2b4a-8d3e-4f5a-9b7c-1d2e3f4a5b6c")!
    private let channel = UUID(uuidString: "0a0b0c0d-0e0f-4011-8213-141516171819")!

    /// A header for `count` changes: the decoder checks the count, not the signature or digest.
    private func header(changes count: Int) -> CommitHeader {
        CommitHeader(
            origin: NodeID(publicKey: Curve25519.Signing.PrivateKey().publicKey), epoch: 1, sequence: 1, previousHash: CommitHeader.genesisHash,
            time: HybridLogicalTime(rawValue: 1 << 40), keyID: NodeID(publicKey: Curve25519.Signing.PrivateKey().publicKey),
            changeCount: UInt32(count), changesDigest: [UInt8](repeating: 0, count: 32))
    }

    private func decode(_ bytes: [UInt8], changes count: Int) throws -> [[UInt8]?] {
        try CompactCommitDecoder.decode(header: header(changes: count), signature: [UInt8](repeating: 0, count: 64), changes: bytes).commit.changeBodies
    }

    /// A compact channel delete: form 2, channel, the id reference, federation, delete.
    private func delete(_ reference: [UInt8]) -> [UInt8] { [2, 2] + reference + [0, 2] }

    /// A compact channel upsert whose `agency_id` is `agencyValue` (person_id null).
    private func channelUpsert(_ reference: [UInt8], agencyValue: [UInt8]) -> [UInt8] {
        [2, 2] + reference + [0, 1, 0x01] + agencyValue + [0, 4, 1, 5] + Array("phone".utf8) + [0, 1, 9] + Array("TLP:GREEN".utf8)
            + [0, 2, 2, 1, 12] + Array("+37322123456".utf8)
    }

    private func channelChange(agencyID: String) -> Change {
        Change(entity: .channel, recordID: channel, operation: .upsert(["channel": [
            "agency_id": .text(agencyID), "hours": .null, "is_24x7": .bool(true), "kind": .text("phone"), "label": .null,
            "marking": .text("TLP:GREEN"), "person_id": .null, "preference": .integer(1), "value": .text("+37322123456"),
        ]]))
    }

    @Test func onlyTheCanonicalTextOfAnIDTravelsAsItsBytes() {
        var random = SeededGenerator(name: "canonical id text")
        for _ in 0..<200 {
            let id = random.uuid()
            #expect(UUID(canonicalText: id.lowercasedString) == id)
            #expect(UUID(canonicalText: id.uuidString) == nil || id.uuidString == id.lowercasedString, "upper case stays text")
        }
        for text in ["", "not an id", "01a22c40-8e81-7000-a0e0-7015b6e2606", "01a22c40-8e81-7000-a0e0-7015b6e260611",
                     "01a22c40x8e81-7000-a0e0-7015b6e26061", "01a22c40-8e81-7000-a0e0-7015b6e2606g", "01a22c40-8e81-7000-a0e0-7015b6e2606é"] {
            #expect(UUID(canonicalText: text) == nil, "\(text)")
        }
    }

    @Test func everySpellingOfAnIdRebuildsTheSameChange() throws {
        let expected = channelChange(agencyID: agency.lowercasedString).encoded
        let raw = [0] + channel.bytes
        // Text, tag 6 and tag 7 with distance 0 (16 raw bytes) all give the same canonical bytes.
        for value in [[1, 36] + Array(agency.lowercasedString.utf8), [6] + agency.bytes, [7, 0] + agency.bytes] {
            #expect(try decode([1] + channelUpsert(raw, agencyValue: value), changes: 1) == [expected])
        }
        // A back-reference to any earlier occurrence: the agency's id noted by a delete, twice.
        let agencyDelete: [UInt8] = [2, 0, 0] + agency.bytes + [0, 2]
        let twice = [3] + agencyDelete + [2, 0, 1, 0, 2] + channelUpsert(raw, agencyValue: [7, 2])
        #expect(try decode(twice, changes: 3)[2] == expected)
        // A change in canonical form is noted too, when its bytes decode; a hash-only change is not.
        let canonical = Change(entity: .agency, recordID: agency, operation: .delete).encoded
        let noted = [3, 1, UInt8(canonical.count)] + canonical + [0] + [UInt8](repeating: 9, count: 32) + channelUpsert(raw, agencyValue: [7, 1])
        #expect(try decode(noted, changes: 3)[2] == expected)
        // Uppercase text stays text: it is not the id's canonical form, and rebuilds as sent.
        let upper = try decode([1] + channelUpsert(raw, agencyValue: [1, 36] + Array(agency.uuidString.uppercased().utf8)), changes: 1)
        #expect(upper == [channelChange(agencyID: agency.uuidString.uppercased()).encoded])
    }

    @Test func namedNodesTravelAsInTheCanonicalChangeAndNoOtherWay() throws {
        let low = try NodeID(bytes: [UInt8](repeating: 1, count: 16)), high = try NodeID(bytes: [UInt8](repeating: 2, count: 16))
        let expected = Change(entity: .channel, recordID: channel, operation: .delete, distribution: .nodes([low, high])).encoded
        let sorted: [UInt8] = [1, 2, 2, 0] + channel.bytes + [2, 0, 0, 0, 2] + low.bytes + high.bytes + [2]
        #expect(try decode(sorted, changes: 1) == [expected])
        let unsorted: [UInt8] = [1, 2, 2, 0] + channel.bytes + [2, 0, 0, 0, 2] + high.bytes + low.bytes + [2]
        #expect(throws: LiaisonError.self) { try decode(unsorted, changes: 1) }
        let repeated: [UInt8] = [1, 2, 2, 0] + channel.bytes + [2, 0, 0, 0, 2] + low.bytes + low.bytes + [2]
        #expect(throws: LiaisonError.self) { try decode(repeated, changes: 1) }
    }

    @Test(arguments: [
        ("a count not in its shortest form", [0x81, 0x00]),
        ("a count over ten bytes", [UInt8](repeating: 0x80, count: 10) + [0x01]),
        ("a tenth varint byte above 1", [UInt8](repeating: 0x80, count: 9) + [0x02]),
        ("a back-reference before the commit began", [1, 2, 2, 1, 0, 2]),
        ("a back-reference of distance 0 cut short", [1, 2, 2, 0, 1, 2, 3, 0, 2]),
        ("an unknown form", [1, 3]),
        ("an unknown record kind", [1, 2, 12, 0] + [UInt8](repeating: 1, count: 16) + [0, 2]),
        ("an unknown scope", [1, 2, 2, 0] + [UInt8](repeating: 1, count: 16) + [4, 2]),
        ("an unknown operation", [1, 2, 2, 0] + [UInt8](repeating: 1, count: 16) + [0, 3]),
        ("a group bit the kind does not have", [1, 2, 2, 0] + [UInt8](repeating: 1, count: 16) + [0, 1, 2]),
        ("an unknown value tag", [1, 2, 2, 0] + [UInt8](repeating: 1, count: 16) + [0, 1, 1, 8]),
        ("invalid UTF-8", [1, 2, 2, 0] + [UInt8](repeating: 1, count: 16) + [0, 1, 1, 1, 2, 0xc0, 0x80]),
        ("a byte after the last change", [1, 2, 2, 0] + [UInt8](repeating: 1, count: 16) + [0, 2, 0]),
        ("more changes than the header counts", [2, 2, 2, 0] + [UInt8](repeating: 1, count: 16) + [0, 2, 2, 2, 1, 0, 2]),
        ("a canonical form whose length exceeds what is left", [1, 1, 0x10, 1, 2, 3]),
    ] as [(String, [UInt8])])
    func whatTheDecoderRefuses(_ rule: String, _ bytes: [UInt8]) throws {
        #expect(throws: LiaisonError.self, "\(rule)") { try decode(bytes, changes: 1) }
    }

    @Test func aDeflateStreamMustBeWholeAndAlone() throws {
        let limit = BundleFile.maximumFrameSize
        for size in [0, 3, 100, 128, 4096, 100_000] {
            let bytes = (0..<size).map { UInt8(truncatingIfNeeded: $0 * 7 + $0 / 13) }
            #expect(try Deflate.decompress(try Deflate.compress(bytes), size: size, limit: limit) == bytes)
            // One stored block not marked final, the stream never ended: refused whatever the size,
            // as a reader that inflates to a larger buffer would otherwise accept some of them.
            let stored = bytes.prefix(65_535)
            let length = UInt16(stored.count)
            let block = [UInt8(truncatingIfNeeded: length), UInt8(length >> 8), ~UInt8(truncatingIfNeeded: length), ~UInt8(length >> 8)] + stored
            #expect(throws: LiaisonError.self, "unfinished, \(size)") { try Deflate.decompress([0] + block, size: stored.count, limit: limit) }
            #expect(try Deflate.decompress([1] + block, size: stored.count, limit: limit) == Array(stored))
            #expect(throws: LiaisonError.self, "a byte after the stream") { try Deflate.decompress([1] + block + [0], size: stored.count, limit: limit) }
        }
        // zlib's wrapper (RFC 1950) is not raw deflate.
        #expect(throws: LiaisonError.self) { try Deflate.decompress([0x78, 0x9c, 0x4b, 0x4c, 0x4a, 0x06, 0x00, 0x02, 0x4d, 0x01, 0x27], size: 3, limit: limit) }
    }

    /// A change over 1 MiB could not travel in a frame of version 1, and a held commit is kept as
    /// such a frame: in the compact form it is refused too, so it is never held and then unreadable.
    @Test func aCompactChangeOverOneMiBIsDamageLikeInAFrame() throws {
        let key = Curve25519.Signing.PrivateKey()
        let nodes = try Federation.nodes(keys: [key, Curve25519.Signing.PrivateKey()])
        let origin = nodes[0].node.id
        let big = Change(entity: .agency, recordID: agency, operation: .upsert([
            "address": ["address": .text(String(repeating: "x", count: 1_100_000)), "website": .null],
        ]))
        let time = HybridLogicalTime(rawValue: UInt64(Date().timeIntervalSince1970 * 1000 - 60_000) << 16)
        let first = try Commit.sign(
            changes: [Change(entity: .channel, recordID: channel, operation: .delete)], origin: origin, epoch: 1, sequence: 1,
            previousHash: CommitHeader.genesisHash, time: time, key: key)
        let second = try Commit.sign(
            changes: [big], origin: origin, epoch: 1, sequence: 2, previousHash: first.header.hash,
            time: HybridLogicalTime(rawValue: time.rawValue + 1), key: key)
        #expect(throws: LiaisonError.self) { try Commit(frame: second.frame) }
        let compact = CompactCommitEncoder.encodeChanges(of: second)
        let error = #expect(throws: LiaisonError.self) {
            try CompactCommitDecoder.decode(header: second.header, signature: second.signature, changes: compact)
        }
        #expect(error?.message.hasPrefix("change 0 has") == true)

        // In a bundle without its predecessor, the commit is named as damaged, not held.
        var writer = ByteWriter()
        writer.raw(BundleFile.magic)
        writer.u8(BundleFile.version)
        writer.raw(origin.bytes)
        writer.u64(0)
        writer.raw(VersionVector().encoded)
        writer.raw(VersionVector().encoded)
        writer.raw(try key.signature(for: BundleFile.signatureDomain + writer.bytes))
        var item: [UInt8] = []
        try BundleFile.writeItem(second, into: &item)
        writer.raw(item)
        writer.u8(BundleFile.Tag.end)
        writer.u64(1)
        let folder = Fixtures.temporaryFolder()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appending(path: "large.liaison-bundle")
        try Data(writer.bytes).write(to: file)
        let imported = try nodes[1].importBundle(from: file)
        #expect(imported.report.held.isEmpty)
        #expect(imported.report.refused.map(\.commit) == [second.header.label])
        // Its predecessor still applies: nothing unreadable waits for it.
        #expect(try nodes[1].receive([first]).applied == 1)
    }
}
