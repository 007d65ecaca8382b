/// Appends the big-endian, length-prefixed primitives of the signed formats (docs/PROTOCOL.md).
package struct ByteWriter {
    package private(set) var bytes: [UInt8] = []

    package init(capacity: Int = 128) { bytes.reserveCapacity(capacity) }

    package mutating func u8(_ value: UInt8) { bytes.append(value) }
    package mutating func u16(_ value: UInt16) { integer(value) }
    package mutating func u32(_ value: UInt32) { integer(value) }
    package mutating func u64(_ value: UInt64) { integer(value) }
    package mutating func raw(_ value: some Sequence<UInt8>) { bytes.append(contentsOf: value) }

    /// A string as u32 byte length then its UTF-8 bytes.
    package mutating func text(_ value: String) {
        var value = value
        value.withUTF8 { utf8 in
            u32(UInt32(utf8.count))
            bytes.append(contentsOf: utf8)
        }
    }

    /// An unsigned LEB128 integer: seven bits a byte, least significant first, the high bit set
    /// on every byte but the last. Used by the compact transport encoding, never by signed bytes.
    package mutating func varint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    private mutating func integer<T: FixedWidthInteger>(_ value: T) {
        var big = value.bigEndian
        withUnsafeBytes(of: &big) { bytes.append(contentsOf: $0) }
    }
}

/// Reads what ``ByteWriter`` wrote, throwing on truncated or malformed input.
package struct ByteReader {
    private let bytes: [UInt8]
    package private(set) var offset = 0

    package init(_ bytes: [UInt8]) { self.bytes = bytes }

    package var isAtEnd: Bool { offset == bytes.count }
    package var remaining: Int { bytes.count - offset }

    package mutating func u8() throws(LiaisonError) -> UInt8 {
        let slice = try take(1)
        return slice[slice.startIndex]
    }
    package mutating func u16() throws(LiaisonError) -> UInt16 { try integer() }
    package mutating func u32() throws(LiaisonError) -> UInt32 { try integer() }
    package mutating func u64() throws(LiaisonError) -> UInt64 { try integer() }

    package mutating func take(_ count: Int) throws(LiaisonError) -> ArraySlice<UInt8> {
        guard count >= 0, bytes.count - offset >= count else {
            throw LiaisonError(.verification, "truncated data: wanted \(count) bytes at offset \(offset)")
        }
        defer { offset += count }
        return bytes[offset..<offset + count]
    }

    package mutating func text() throws(LiaisonError) -> String {
        let length = try u32()
        let slice = try take(Int(length))
        guard let text = String(validating: slice, as: UTF8.self) else {
            throw LiaisonError(.verification, "invalid UTF-8 at offset \(offset - Int(length))")
        }
        return text
    }

    /// An unsigned LEB128 integer in its shortest form: at most ten bytes, no trailing zero byte.
    package mutating func varint() throws(LiaisonError) -> UInt64 {
        var value: UInt64 = 0
        for index in 0..<10 {
            let byte = try u8()
            let bits = UInt64(byte & 0x7F)
            guard index < 9 || bits <= 1 else { throw LiaisonError(.verification, "an integer above 2^64 at offset \(offset - 1)") }
            value |= bits << UInt64(7 * index)
            guard byte & 0x80 != 0 else {
                guard byte != 0 || index == 0 else { throw LiaisonError(.verification, "an integer not in its shortest form at offset \(offset - 1)") }
                return value
            }
        }
        throw LiaisonError(.verification, "an integer longer than ten bytes at offset \(offset)")
    }

    /// A varint count or length that must fit in what remains, each item taking at least
    /// `minimumSize` bytes: a larger one is a lie, refused before anything is allocated for it.
    package mutating func count(minimumSize: Int = 1) throws(LiaisonError) -> Int {
        let value = try varint()
        guard value <= UInt64(remaining / max(1, minimumSize)) else {
            throw LiaisonError(.verification, "a count of \(value) at offset \(offset) exceeds the \(remaining) bytes left")
        }
        return Int(value)
    }

    private mutating func integer<T: FixedWidthInteger>(_: T.Type = T.self) throws(LiaisonError) -> T {
        let slice = try take(MemoryLayout<T>.size)
        return slice.reduce(T.zero) { $0 << 8 | T($1) }
    }
}
