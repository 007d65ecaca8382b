public import Foundation
public import LiaisonCore

/// A bundle file: signed commits carried by hand between nodes (docs/PROTOCOL.md, "Bundle file").
///
/// ```
/// magic "LIAISONB", u8 version, exporter node id (16), u64 creation time (ms),
/// assumed vector, brought vector, Ed25519 signature (64) by the exporter over
/// "liaison/bundle/v1" 0x00 and every byte before the signature;
/// version 2, per commit: u8 2, header (121), signature (64), u32 deflated length, u32 inflated
/// length, the commit's changes in the compact form, deflated;
/// version 1, per commit: u8 1, u32 frame length, frame;
/// at the end: u8 0, u64 commit count.
/// ```
public enum BundleFile {
    static let magic = Array("LIAISONB".utf8)
    /// What export writes: compact commits, each deflated.
    static let version: UInt8 = 2
    /// Full frames, as the first release wrote: still read.
    static let fullFrameVersion: UInt8 = 1
    static let signatureDomain = Array("liaison/bundle/v1".utf8) + [0]
    /// The largest commit frame a bundle may hold, inflated: far above the largest import commit.
    public static let maximumFrameSize = 64 << 20

    /// Item tags.
    enum Tag {
        static let end: UInt8 = 0
        static let frame: UInt8 = 1
        static let compactFrame: UInt8 = 2
    }

    /// Appends a commit as a version 2 item: its header and signature as they are, then its
    /// changes in the compact form, deflated.
    static func writeItem(_ commit: Commit, into bytes: inout [UInt8]) throws(LiaisonError) {
        try writeItem(header: commit.header.encoded, signature: commit.signature, compactChanges: CompactCommitEncoder.encodeChanges(of: commit), into: &bytes)
    }

    /// A commit item from a commit's header, signature and changes in the compact form.
    static func writeItem(header: [UInt8], signature: [UInt8], compactChanges changes: [UInt8], into bytes: inout [UInt8]) throws(LiaisonError) {
        let deflated = try Deflate.compress(changes)
        var writer = ByteWriter(capacity: deflated.count + 200)
        writer.u8(Tag.compactFrame)
        writer.raw(header)
        writer.raw(signature)
        writer.u32(UInt32(deflated.count))
        writer.u32(UInt32(changes.count))
        writer.raw(deflated)
        bytes += writer.bytes
    }

    /// The header of a bundle: who made it, and the vectors it assumes and brings.
    public struct Header: Sendable, Hashable {
        public var exporter: NodeID
        public var createdAt: Date
        /// What the exporter believed the receiver holds: the bundle carries what lies beyond it.
        public var assumes: VersionVector
        /// What the exporter held when it wrote the bundle.
        public var brings: VersionVector
    }
}

/// What `bundle export` wrote.
public struct BundleExportSummary: Sendable, Hashable {
    public var commits = 0
    public var changes = 0
    public var withheldChanges = 0
    public var bytes: Int64 = 0
    public var assumes = VersionVector()
    public var brings = VersionVector()
    /// False when a limit stopped the bundle before every commit beyond `assumes`.
    public var complete = true
    /// The notes, evaluations and links whose bodies the bundle carries, in clear or sealed, by
    /// id, and the sealed copies it carries: what the audit log records as disclosed.
    public var disclosedRecords: [String] = []
    public var sealedCopies = 0
}

/// What `bundle import` did.
public struct BundleImportSummary: Sendable {
    public var header: BundleFile.Header
    /// Whether the header's signature was checked against a known key of its exporter.
    public var exporterVerified: Bool
    public var commitsRead = 0
    public var report = ReceiveReport()
    /// Set when the file is damaged after its header: reading stopped there, and what was read
    /// before was applied.
    public var damage: String?
}
