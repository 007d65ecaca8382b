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

    /// How tables and messages name a record: the id's last 8 hex digits, from its random part.
    /// The first digits of a time-ordered id are its time, which records made together share.
    public var shortID: String { String(lowercasedString.suffix(8)) }

    /// A new record's id: a time-ordered (version 7, RFC 9562) UUID of 48 bits of Unix
    /// milliseconds, a 12-bit counter that keeps ids made in one millisecond in order, and 62
    /// random bits.
    ///
    /// Records created together get neighbouring ids, so the id indexes of the tables grow at one
    /// end instead of everywhere: a node receiving a directory writes each index page about once,
    /// not once per batch. The id reveals no more than the record's creation stamp, which travels
    /// with it.
    public static func timeOrdered(now: Date = Date()) -> UUID {
        let milliseconds = UInt64(max(0, now.timeIntervalSince1970 * 1000))
        var (bytes, time) = RandomBytes.shared.withLock { random in (random.next16(), random.nextTime(milliseconds)) }
        bytes.0 = UInt8(truncatingIfNeeded: time.milliseconds >> 40)
        bytes.1 = UInt8(truncatingIfNeeded: time.milliseconds >> 32)
        bytes.2 = UInt8(truncatingIfNeeded: time.milliseconds >> 24)
        bytes.3 = UInt8(truncatingIfNeeded: time.milliseconds >> 16)
        bytes.4 = UInt8(truncatingIfNeeded: time.milliseconds >> 8)
        bytes.5 = UInt8(truncatingIfNeeded: time.milliseconds)
        bytes.6 = 0x70 | UInt8(time.counter >> 8)
        bytes.7 = UInt8(truncatingIfNeeded: time.counter)
        bytes.8 = (bytes.8 & 0x3F) | 0x80
        return UUID(uuid: bytes)
    }
}

private struct RandomBytes: ~Copyable {
    static let shared = Mutex(RandomBytes())

    private var buffer = [UInt8](repeating: 0, count: 4096)
    private var offset = 4096
    private var lastMilliseconds: UInt64 = 0
    private var counter: UInt16 = 0

    /// The time part of the next time-ordered id: never before the last one, even when the clock
    /// steps back; the counter carries into the milliseconds when 4,096 ids share one.
    mutating func nextTime(_ milliseconds: UInt64) -> (milliseconds: UInt64, counter: UInt16) {
        if milliseconds > lastMilliseconds {
            lastMilliseconds = milliseconds
            counter = 0
        } else if counter < 0xFFF {
            counter += 1
        } else {
            lastMilliseconds += 1
            counter = 0
        }
        return (lastMilliseconds, counter)
    }

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
