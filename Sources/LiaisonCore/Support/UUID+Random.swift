public import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

extension UUID {
    /// A random (version 4) UUID.
    ///
    /// `UUID()` asks the kernel for 16 random bytes each time; an import creates four ids a contact,
    /// so this draws them from a buffer that one call to the system's random source fills for 256 ids.
    public static func random() -> UUID {
        var bytes = RandomBytes.shared.withLock { $0.next16() }
        bytes.6 = (bytes.6 & 0x0F) | 0x40
        bytes.8 = (bytes.8 & 0x3F) | 0x80
        return UUID(uuid: bytes)
    }
}

private struct RandomBytes: ~Copyable {
    static let shared = Mutex(RandomBytes())

    private var buffer = [UInt8](repeating: 0, count: 4096)
    private var offset = 4096

    mutating func next16() -> uuid_t {
        if offset + 16 > buffer.count {
            refill()
            offset = 0
        }
        defer { offset += 16 }
        return buffer.withUnsafeBytes { raw in raw.loadUnaligned(fromByteOffset: offset, as: uuid_t.self) }
    }

    private mutating func refill() {
        #if canImport(Glibc)
        buffer.withUnsafeMutableBytes { raw in
            if let base = raw.baseAddress { arc4random_buf(base, raw.count) }
        }
        #else
        var generator = SystemRandomNumberGenerator()
        for index in buffer.indices { buffer[index] = UInt8.random(in: .min ... .max, using: &generator) }
        #endif
    }
}
