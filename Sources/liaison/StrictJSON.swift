/// A JSON value read by the letter of RFC 8259: no trailing commas, no comments, no key twice in one
/// object. Foundation's readers accept the first two and disagree on which of two equal keys wins, so a
/// settings file is checked by this reader before it is loaded.
enum StrictJSON: Equatable {
    case null
    case bool(Bool)
    /// The number as written, so that `3.0`, `1e3` and `30` stay apart.
    case number(String)
    case string(String)
    case array([StrictJSON])
    case object([(key: String, value: StrictJSON)])

    static func == (lhs: StrictJSON, rhs: StrictJSON) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): true
        case let (.bool(a), .bool(b)): a == b
        case let (.number(a), .number(b)), let (.string(a), .string(b)): a == b
        case let (.array(a), .array(b)): a == b
        case let (.object(a), .object(b)): a.map(\.key) == b.map(\.key) && a.map(\.value) == b.map(\.value)
        default: false
        }
    }

    /// Why a text is not JSON, with the line and column where reading stopped.
    struct SyntaxError: Error, CustomStringConvertible {
        var line: Int
        var column: Int
        var reason: String
        var description: String { "line \(line), column \(column): \(reason)" }
    }

    static func parse(_ bytes: some Collection<UInt8>) throws(SyntaxError) -> StrictJSON {
        var reader = Reader(bytes: Array(bytes))
        // RFC 8259 lets a reader ignore a byte-order mark, which some editors write.
        if reader.bytes.starts(with: [0xEF, 0xBB, 0xBF]) { reader.index = 3 }
        reader.skipSpace()
        let value = try reader.value(depth: 0)
        reader.skipSpace()
        guard reader.index == reader.bytes.count else { throw reader.error("unexpected text after the value") }
        return value
    }

    private struct Reader {
        let bytes: [UInt8]
        var index = 0

        func error(_ reason: String) -> SyntaxError {
            let before = bytes[..<min(index, bytes.count)]
            let line = before.count(where: { $0 == UInt8(ascii: "\n") }) + 1
            let column = before.count - (before.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? 0) + 1
            return SyntaxError(line: line, column: column, reason: reason)
        }

        var next: UInt8? { index < bytes.count ? bytes[index] : nil }

        mutating func skipSpace() {
            while let byte = next, byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { index += 1 }
        }

        mutating func expect(_ byte: UInt8, _ what: String) throws(SyntaxError) {
            guard next == byte else { throw error("expected \(what)") }
            index += 1
        }

        mutating func value(depth: Int) throws(SyntaxError) -> StrictJSON {
            guard depth < 64 else { throw error("nested too deeply") }
            guard let byte = next else { throw error("the text ends where a value should be") }
            switch byte {
            case UInt8(ascii: "{"): return try object(depth: depth)
            case UInt8(ascii: "["): return try array(depth: depth)
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"): try word("true"); return .bool(true)
            case UInt8(ascii: "f"): try word("false"); return .bool(false)
            case UInt8(ascii: "n"): try word("null"); return .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
            default: throw error("expected a value")
            }
        }

        mutating func word(_ text: String) throws(SyntaxError) {
            for byte in text.utf8 { try expect(byte, "\"\(text)\"") }
        }

        mutating func object(depth: Int) throws(SyntaxError) -> StrictJSON {
            index += 1
            var members: [(key: String, value: StrictJSON)] = []
            var seen: Set<String> = []
            skipSpace()
            if next == UInt8(ascii: "}") { index += 1; return .object([]) }
            while true {
                skipSpace()
                guard next == UInt8(ascii: "\"") else { throw error(members.isEmpty ? "expected a key in quotes" : "expected a key in quotes (no comma before a closing brace)") }
                let keyStart = index
                let key = try string()
                guard seen.insert(key).inserted else { index = keyStart; throw error("the key \"\(key)\" appears twice in this object") }
                skipSpace()
                try expect(UInt8(ascii: ":"), "':' after the key")
                skipSpace()
                members.append((key, try value(depth: depth + 1)))
                skipSpace()
                if next == UInt8(ascii: ",") { index += 1; continue }
                try expect(UInt8(ascii: "}"), "',' or '}'")
                return .object(members)
            }
        }

        mutating func array(depth: Int) throws(SyntaxError) -> StrictJSON {
            index += 1
            var items: [StrictJSON] = []
            skipSpace()
            if next == UInt8(ascii: "]") { index += 1; return .array([]) }
            while true {
                skipSpace()
                if next == UInt8(ascii: "]") { throw error("expected a value (no comma before a closing bracket)") }
                items.append(try value(depth: depth + 1))
                skipSpace()
                if next == UInt8(ascii: ",") { index += 1; continue }
                try expect(UInt8(ascii: "]"), "',' or ']'")
                return .array(items)
            }
        }

        mutating func number() throws(SyntaxError) -> String {
            let start = index
            if next == UInt8(ascii: "-") { index += 1 }
            if next == UInt8(ascii: "0") {
                index += 1
            } else {
                guard try digits() > 0 else { throw error("expected a digit") }
            }
            if next == UInt8(ascii: ".") {
                index += 1
                guard try digits() > 0 else { throw error("expected a digit after the decimal point") }
            }
            if next == UInt8(ascii: "e") || next == UInt8(ascii: "E") {
                index += 1
                if next == UInt8(ascii: "+") || next == UInt8(ascii: "-") { index += 1 }
                guard try digits() > 0 else { throw error("expected a digit in the exponent") }
            }
            return String(decoding: bytes[start..<index], as: UTF8.self)
        }

        mutating func digits() throws(SyntaxError) -> Int {
            let start = index
            while let byte = next, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) { index += 1 }
            return index - start
        }

        mutating func string() throws(SyntaxError) -> String {
            index += 1
            var scalars = String.UnicodeScalarView()
            var runStart = index
            func flush(_ reader: Reader, upTo end: Int) throws(SyntaxError) {
                guard let run = String(validating: reader.bytes[runStart..<end], as: UTF8.self) else { throw reader.error("text that is not UTF-8") }
                scalars.append(contentsOf: run.unicodeScalars)
            }
            while true {
                guard let byte = next else { throw error("the text ends inside a string") }
                switch byte {
                case UInt8(ascii: "\""):
                    try flush(self, upTo: index)
                    index += 1
                    return String(scalars)
                case UInt8(ascii: "\\"):
                    try flush(self, upTo: index)
                    index += 1
                    scalars.append(try escape())
                    runStart = index
                case 0x00..<0x20:
                    throw error("a control character inside a string must be escaped")
                default:
                    index += 1
                }
            }
        }

        mutating func escape() throws(SyntaxError) -> Unicode.Scalar {
            guard let byte = next else { throw error("the text ends inside an escape") }
            index += 1
            switch byte {
            case UInt8(ascii: "\""): return "\""
            case UInt8(ascii: "\\"): return "\\"
            case UInt8(ascii: "/"): return "/"
            case UInt8(ascii: "b"): return "\u{8}"
            case UInt8(ascii: "f"): return "\u{C}"
            case UInt8(ascii: "n"): return "\n"
            case UInt8(ascii: "r"): return "\r"
            case UInt8(ascii: "t"): return "\t"
            case UInt8(ascii: "u"):
                let unit = try hexUnit()
                if UTF16.isLeadSurrogate(unit) {
                    guard next == UInt8(ascii: "\\") else { throw error("a lone surrogate in \\u escapes") }
                    index += 1
                    try expect(UInt8(ascii: "u"), "a second \\u escape")
                    let trail = try hexUnit()
                    guard UTF16.isTrailSurrogate(trail) else { throw error("a lone surrogate in \\u escapes") }
                    return Unicode.Scalar(0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(trail) - 0xDC00))!
                }
                guard let scalar = Unicode.Scalar(unit) else { throw error("a lone surrogate in \\u escapes") }
                return scalar
            default:
                index -= 1
                throw error("an unknown escape")
            }
        }

        mutating func hexUnit() throws(SyntaxError) -> UInt16 {
            guard index + 4 <= bytes.count, bytes[index..<index + 4].allSatisfy({ Character(Unicode.Scalar($0)).isHexDigit }),
                let unit = UInt16(String(decoding: bytes[index..<index + 4], as: UTF8.self), radix: 16)
            else {
                throw error("expected four hex digits")
            }
            index += 4
            return unit
        }
    }
}
