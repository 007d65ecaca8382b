import LiaisonCore
/// A commit as it travels in bundles and waits in `held_commit` (docs/PROTOCOL.md, "Bundle file"):
/// the 121-byte header, the 64-byte signature, u32 change count, then per change its 32-byte hash,
/// u8 1 and the u32-length-prefixed body, or u8 0 when the body is withheld.
extension Commit {

    var frame: [UInt8] {
        var writer = ByteWriter(capacity: 256 + changeBodies.reduce(0) { $0 + 37 + ($1?.count ?? 0) })
        writer.raw(header.encoded)
        writer.raw(signature)
        writer.u32(UInt32(changeHashes.count))
        for (hash, body) in zip(changeHashes, changeBodies) {
            writer.raw(hash)
            if let body {
                writer.u8(1)
                writer.u32(UInt32(body.count))
                writer.raw(body)
            } else {
                writer.u8(0)
            }
        }
        return writer.bytes
    }

    /// Why the commit could not travel as a frame, or nil: a change body or a frame above what
    /// every reader takes. Commits that come as values rather than frames must fit too, since a
    /// node passes on what it holds.
    var frameLimitRefusal: String? {
        if let body = changeBodies.lazy.compactMap({ $0 }).first(where: { $0.count > Self.maximumChangeSize }) {
            return "a change of \(body.count) bytes: a frame carries at most \(Self.maximumChangeSize)"
        }
        let size = CommitHeader.encodedSize + signature.count + 4 + changeBodies.reduce(0) { $0 + 33 + ($1.map { 4 + $0.count } ?? 0) }
        guard size <= BundleFile.maximumFrameSize else {
            return "a frame of \(size) bytes: a bundle carries at most \(BundleFile.maximumFrameSize)"
        }
        return nil
    }

    init(frame: [UInt8]) throws(LiaisonError) {
        var reader = ByteReader(frame)
        try self.init(reading: &reader)
        guard reader.isAtEnd else { throw LiaisonError(.verification, "bytes after the commit's last change") }
    }

    init(reading reader: inout ByteReader) throws(LiaisonError) {
        let header = try CommitHeader(decoding: Array(try reader.take(CommitHeader.encodedSize)))
        let signature = Array(try reader.take(64))
        let count = try reader.u32()
        guard count == header.changeCount else {
            throw LiaisonError(.verification, "the header counts \(header.changeCount) changes, the frame \(count)")
        }
        // Each change takes at least 33 bytes: a count beyond what the frame holds is a lie.
        guard Int(count) <= reader.remaining / 33 else {
            throw LiaisonError(.verification, "the frame is too short for \(count) changes")
        }
        var hashes: [[UInt8]] = []
        var bodies: [[UInt8]?] = []
        hashes.reserveCapacity(Int(count))
        bodies.reserveCapacity(Int(count))
        for _ in 0..<count {
            hashes.append(Array(try reader.take(32)))
            switch try reader.u8() {
            case 0:
                bodies.append(nil)
            case 1:
                let length = try reader.u32()
                guard length <= Self.maximumChangeSize else { throw LiaisonError(.verification, "a change of \(length) bytes") }
                bodies.append(Array(try reader.take(Int(length))))
            case let flag:
                throw LiaisonError(.verification, "unknown change flag \(flag)")
            }
        }
        self.init(header: header, signature: signature, changeHashes: hashes, changeBodies: bodies)
    }
}
