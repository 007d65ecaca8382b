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

    /// Inflates `bytes`, which must be one whole raw deflate stream, ending with its final block,
    /// that gives exactly `size` bytes: the size is checked against its limit before anything is
    /// allocated, and inflating stops at it.
    static func decompress(_ bytes: [UInt8], size: Int, limit: Int) throws(LiaisonError) -> [UInt8] {
        guard size <= limit else { throw LiaisonError(.verification, "a frame of \(size) bytes, above the limit of \(limit)") }
        var input = ByteBuffer(bytes: bytes)
        var output = ByteBufferAllocator().buffer(capacity: size)
        let decompressor = CompressionAlgorithm.deflate().decompressor
        do {
            try decompressor.startStream()
            defer { try? decompressor.finishStream() }
            try decompressor.streamInflate(from: &input, to: &output)
            // A stream cut short before its final block stops when its input runs out, with room
            // left in the output (the buffer may be larger than `size`). Asked to go on with no more
            // input, a finished stream says it has ended; a cut one fails.
            var nothing = ByteBuffer()
            var more = ByteBufferAllocator().buffer(capacity: 1)
            try decompressor.streamInflate(from: &nothing, to: &more)
            guard more.readableBytes == 0 else { throw CompressNIOError.bufferOverflow }
        } catch {
            throw LiaisonError(.verification, "a compressed frame is not one whole deflate stream of its \(size) bytes: \(error)")
        }
        guard output.readableBytes == size else {
            throw LiaisonError(.verification, "a compressed frame inflates to \(output.readableBytes) bytes, not the \(size) it declares")
        }
        guard input.readableBytes == 0 else {
            throw LiaisonError(.verification, "\(input.readableBytes) bytes follow the end of a compressed frame's deflate stream")
        }
        return output.readBytes(length: size) ?? []
    }
}
