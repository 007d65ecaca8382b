import Foundation
import LiaisonCore

/// Reads a bundle, from a file or as it arrives over the network, frame by frame, holding one frame
/// in memory at a time.
struct BundleReader {
    /// Where the bytes come from.
    enum Source {
        case file(FileHandle)
        case stream(BundleStream)

        /// Up to about `count` bytes, or nothing at the end.
        func read(upToCount count: Int, path: String) throws(LiaisonError) -> [UInt8] {
            switch self {
            case .file(let handle):
                do {
                    return (try handle.read(upToCount: count)).map { [UInt8]($0) } ?? []
                } catch {
                    throw LiaisonError(.invalidFile, "cannot read the bundle: \(error.localizedDescription)", file: path)
                }
            case .stream(let stream):
                return try stream.read() ?? []
            }
        }
    }

    enum Item {
        /// A commit, with its changes already decoded when the frame's form gave them, and the
        /// compact form it came in, if it did.
        case commit(Commit, changes: [Change?]?, compact: [UInt8]?)
        /// A frame that did not parse as a commit, named by its header if that much is readable,
        /// else by its place in the file: it is skipped.
        case damaged(name: String, reason: String)
        case end
    }

    private let source: Source
    private let path: String
    private var buffer: [UInt8] = []
    private var bufferStart = 0
    private(set) var offset: Int64 = 0
    private var frames = 0
    private var version = BundleFile.version

    init(url: URL) throws(LiaisonError) {
        guard let handle = try? FileHandle(forReadingFrom: url) else {
            throw LiaisonError(.invalidFile, "cannot open the bundle", file: url.path)
        }
        source = .file(handle)
        path = url.path
    }

    init(stream: BundleStream) {
        source = .stream(stream)
        path = stream.name
        maximumVectorEntries = Self.maximumStreamedVectorEntries
    }

    /// The most entries a vector of a bundle sent over the network may have: far more than a
    /// federation's origins and epochs, far fewer than a file may hold, so that a peer cannot make
    /// a node read a header of a hundred megabytes.
    static let maximumStreamedVectorEntries = 65_536

    private var maximumVectorEntries = VersionVector.maximumEntries

    /// The header, the bytes its signature covers, and the signature.
    mutating func readHeader() throws(LiaisonError) -> (BundleFile.Header, signedBytes: [UInt8], signature: [UInt8]) {
        let start = try take(8 + 1 + 16 + 8)
        guard Array(start.prefix(8)) == BundleFile.magic else {
            throw LiaisonError(.invalidFile, "not a Liaison bundle", file: path, hint: "make one with `liaison bundle export`")
        }
        guard start[8] == BundleFile.version || start[8] == BundleFile.fullFrameVersion else {
            throw LiaisonError(
                .invalidFile, "bundle format version \(start[8]) is not supported (this node reads versions 1 and 2)", file: path,
                hint: "update Liaison on this node to read bundles of a newer release")
        }
        version = start[8]
        var fixed = ByteReader(Array(start[9...]))
        let exporter = try NodeID(bytes: Array(try fixed.take(16)))
        let created = try fixed.u64()
        var signed = start
        let assumes = try readVector(into: &signed)
        let brings = try readVector(into: &signed)
        let signature = try take(64)
        let header = BundleFile.Header(
            exporter: exporter, createdAt: Date(timeIntervalSince1970: Double(created) / 1000), assumes: assumes, brings: brings)
        return (header, signed, signature)
    }

    private mutating func readVector(into signed: inout [UInt8]) throws(LiaisonError) -> VersionVector {
        let countBytes = try take(4)
        var countReader = ByteReader(countBytes)
        let count = try countReader.u32()
        guard count <= maximumVectorEntries else {
            throw LiaisonError(.verification, "the bundle's header holds a vector of \(count) entries, more than \(maximumVectorEntries)", file: path)
        }
        let entries = try take(Int(count) * 60)
        signed += countBytes + entries
        var reader = ByteReader(countBytes + entries)
        return try VersionVector(reading: &reader)
    }

    mutating func next() throws(LiaisonError) -> Item {
        let tag = try take(1)[0]
        switch tag {
        case BundleFile.Tag.end:
            var reader = ByteReader(try take(8))
            let count = try reader.u64()
            guard count == UInt64(frames) else {
                throw LiaisonError(
                    .verification, "the end marker at byte \(offset - 9) does not match the \(counted(frames, "commit")) read: the file is damaged from there on",
                    file: path)
            }
            return .end
        case BundleFile.Tag.frame where version == BundleFile.fullFrameVersion:
            frames += 1
            var lengthReader = ByteReader(try take(4))
            let length = try lengthReader.u32()
            guard length <= BundleFile.maximumFrameSize else {
                throw LiaisonError(.verification, "commit \(frames) of the file claims \(length) bytes: the file is damaged from byte \(offset - 4) on", file: path)
            }
            let frame = try take(Int(length))
            do {
                return .commit(try Commit(frame: frame), changes: nil, compact: nil)
            } catch {
                return .damaged(name: name(ofFrame: frame), reason: "unreadable commit: \(error.message)")
            }
        case BundleFile.Tag.compactFrame where version == BundleFile.version:
            frames += 1
            let signed = try take(CommitHeader.encodedSize + 64)
            var lengths = ByteReader(try take(8))
            let deflated = try lengths.u32()
            let inflated = try lengths.u32()
            guard deflated <= BundleFile.maximumFrameSize, inflated <= BundleFile.maximumFrameSize else {
                throw LiaisonError(
                    .verification, "commit \(frames) of the file claims \(max(deflated, inflated)) bytes: the file is damaged from byte \(offset - 8) on",
                    file: path)
            }
            let bytes = try take(Int(deflated))
            let name = name(ofFrame: signed)
            do {
                let header = try CommitHeader(decoding: Array(signed.prefix(CommitHeader.encodedSize)))
                let changes = try Deflate.decompress(bytes, size: Int(inflated), limit: BundleFile.maximumFrameSize)
                let decoded = try CompactCommitDecoder.decode(header: header, signature: Array(signed.suffix(64)), changes: changes)
                return .commit(decoded.commit, changes: decoded.changes, compact: changes)
            } catch {
                return .damaged(name: name, reason: "unreadable commit: \(error.message)")
            }
        default:
            throw LiaisonError(.verification, "unexpected byte \(tag) at byte \(offset - 1): the file is damaged from there on", file: path)
        }
    }

    /// A frame named by its header if that much is readable, else by its place in the file.
    private func name(ofFrame frame: [UInt8]) -> String {
        (try? CommitHeader(decoding: Array(frame.prefix(CommitHeader.encodedSize)))).map(\.label) ?? "commit \(frames) of the file"
    }

    /// How many bytes follow the end marker, if any.
    mutating func bytesAfterEnd() -> Int? {
        var extra = buffer.count - bufferStart
        while let chunk = try? source.read(upToCount: 1 << 20, path: path), !chunk.isEmpty { extra += chunk.count }
        return extra > 0 ? extra : nil
    }

    private mutating func take(_ count: Int) throws(LiaisonError) -> [UInt8] {
        while buffer.count - bufferStart < count {
            let chunk = try source.read(upToCount: max(1 << 20, count), path: path)
            guard !chunk.isEmpty else {
                throw LiaisonError(.verification, "the bundle ends early, at byte \(offset + Int64(buffer.count - bufferStart)): it is truncated", file: path)
            }
            buffer.removeFirst(bufferStart)
            bufferStart = 0
            buffer += chunk
        }
        defer {
            bufferStart += count
            offset += Int64(count)
        }
        return Array(buffer[bufferStart..<bufferStart + count])
    }
}
