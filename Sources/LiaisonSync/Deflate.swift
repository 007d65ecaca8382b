import CompressNIO
import LiaisonCore
import NIOCore

/// Raw deflate (RFC 1951) of bundle frames: each frame alone, so that one frame is in memory at a
/// time and a damaged one spoils no other.
enum Deflate {
    static func compress(_ bytes: [UInt8]) throws(LiaisonError) -> [UInt8] {
        var input = ByteBuffer(bytes: bytes)
        do {
            var output = try input.compress(with: .deflate(configuration: .init(compressionLevel: .bestCompression)))
            return output.readBytes(length: output.readableBytes) ?? []
        } catch {
            throw LiaisonError(.storage, "cannot compress a frame: \(error)")
        }
    }

    /// Inflates `bytes`, which must give exactly `size` bytes: the size is checked against its
    /// limit before anything is allocated, and inflating stops at it.
    static func decompress(_ bytes: [UInt8], size: Int, limit: Int) throws(LiaisonError) -> [UInt8] {
        guard size <= limit else { throw LiaisonError(.verification, "a frame of \(size) bytes, above the limit of \(limit)") }
        var input = ByteBuffer(bytes: bytes)
        var output = ByteBufferAllocator().buffer(capacity: size)
        do {
            try input.decompress(to: &output, with: .deflate())
        } catch {
            throw LiaisonError(.verification, "a compressed frame does not inflate to its \(size) bytes: \(error)")
        }
        guard output.readableBytes == size, input.readableBytes == 0 else {
            throw LiaisonError(.verification, "a compressed frame inflates to \(output.readableBytes) bytes, not the \(size) it declares")
        }
        return output.readBytes(length: size) ?? []
    }
}
