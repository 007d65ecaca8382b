import LiaisonCore
/// A commit as it travels in bundles and waits in `held_commit` (docs/PROTOCOL.md, "Bundle file"):
/// the 121-byte header, the 64-byte signature, u32 change count, then per change its 32-byte hash,
/// u8 1 and the u32-length-prefixed body, or u8 0 when the body is withheld; flags 3 and 2 are
/// the same followed by the change's sealed copies.
extension Commit {

    var frame: [UInt8] {
        var writer = ByteWriter(capacity: 256 + changeBodies.reduce(0) { $0 + 37 + ($1?.count ?? 0) })
        writer.raw(header.encoded)
        writer.raw(signature)
        writer.u32(UInt32(changeHashes.count))
        for (index, (hash, body)) in zip(changeHashes, changeBodies).enumerated() {
            writer.raw(hash)
            let copies = sealedBodies[index] ?? []
            if let body {
                writer.u8(copies.isEmpty ? 1 : 3)
                writer.u32(UInt32(body.count))
                writer.raw(body)
            } else {
                writer.u8(copies.isEmpty ? 0 : 2)
            }
            guard !copies.isEmpty else { continue }
            writer.u32(UInt32(copies.count))
            for copy in copies {
                writer.raw(copy.recipient.bytes)
                writer.raw(copy.encapsulatedKey)
                writer.u32(UInt32(copy.ciphertext.count))
                writer.raw(copy.ciphertext)
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
        let sealedSize = sealedBodies.values.reduce(0) { total, copies in total + 4 + copies.reduce(0) { $0 + 52 + $1.ciphertext.count } }
        let size = CommitHeader.encodedSize + signature.count + 4 + changeBodies.reduce(0) { $0 + 33 + ($1.map { 4 + $0.count } ?? 0) } + sealedSize
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
        var sealed: [Int: [SealedBody]] = [:]
        hashes.reserveCapacity(Int(count))
        bodies.reserveCapacity(Int(count))
        for index in 0..<Int(count) {
            hashes.append(Array(try reader.take(32)))
            let flag = try reader.u8()
            switch flag {
            case 0, 2:
                bodies.append(nil)
            case 1, 3:
                let length = try reader.u32()
                guard length <= Self.maximumChangeSize else { throw LiaisonError(.verification, "a change of \(length) bytes") }
                bodies.append(Array(try reader.take(Int(length))))
            default:
                throw LiaisonError(.verification, "unknown change flag \(flag)")
            }
            if flag >= 2 { sealed[index] = try Self.sealedCopies(&reader) }
        }
        self.init(header: header, signature: signature, changeHashes: hashes, changeBodies: bodies, sealedBodies: sealed)
    }

    /// A u32 count of at least one, then per copy the recipient, the encapsulated key and the
    /// u32-length-prefixed ciphertext, recipients in increasing order.
    private static func sealedCopies(_ reader: inout ByteReader) throws(LiaisonError) -> [SealedBody] {
        let count = try reader.u32()
        guard count >= 1, Int(count) <= reader.remaining / (52 + SealedBody.overhead) else {
            throw LiaisonError(.verification, "a change with \(count) sealed copies")
        }
        var copies: [SealedBody] = []
        for _ in 0..<count {
            let recipient = try NodeID(bytes: Array(try reader.take(16)))
            guard copies.last.map({ $0.recipient < recipient }) ?? true else { throw LiaisonError(.verification, "sealed copies out of order") }
            let key = Array(try reader.take(32))
            let length = try reader.u32()
            guard length >= SealedBody.overhead, length <= UInt32(maximumChangeSize + SealedBody.overhead) else {
                throw LiaisonError(.verification, "a sealed copy of \(length) bytes")
            }
            copies.append(SealedBody(recipient: recipient, encapsulatedKey: key, ciphertext: Array(try reader.take(Int(length)))))
        }
        return copies
    }
}
