import LiaisonCore

extension NodeServer.SearchAnswer {
    /// The answer as `JSONOutput.encode(_:pretty: false)` writes it, byte for byte, written by
    /// hand: the API's busiest answer, for which Foundation's encoder took a tenth of the
    /// server's time. Keys are sorted, a missing value is left out, ids are in lower case.
    var json: [UInt8] {
        var out = JSONBytes()
        out.raw("{\"countries\":[")
        for (index, country) in countries.enumerated() {
            if index > 0 { out.raw(",") }
            out.raw("{\"code\":")
            out.string(country.code)
            out.raw(",\"name\":")
            out.string(country.name)
            out.raw("}")
        }
        out.raw("],\"hits\":[")
        for (index, hit) in hits.enumerated() {
            if index > 0 { out.raw(",") }
            out.raw("{")
            var first = true
            func field(_ key: String, _ write: (inout JSONBytes) -> Void) {
                out.raw(first ? "\"" : ",\"")
                first = false
                out.raw(key)
                out.raw("\":")
                write(&out)
            }
            func text(_ key: String, _ value: String?) {
                guard let value else { return }
                field(key) { $0.string(value) }
            }
            text("agency", hit.agency)
            text("country", hit.country)
            text("email", hit.email)
            text("entity", hit.entity.rawValue)
            text("id", hit.id.lowercasedString)
            field("is24x7") { $0.raw(hit.is24x7 ? "true" : "false") }
            text("match", hit.match.rawValue)
            text("name", hit.name)
            text("native_name", hit.nativeName)
            text("phone", hit.phone)
            text("position", hit.position)
            text("secure_channel", hit.secureChannel)
            out.raw("}")
        }
        out.raw("]}")
        return out.bytes
    }
}

/// JSON text as Foundation's encoder writes it without escaping slashes.
struct JSONBytes {
    var bytes: [UInt8] = []
    private static let hexDigits = Array("0123456789abcdef".utf8)

    mutating func raw(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    mutating func raw(_ text: String) {
        bytes.append(contentsOf: text.utf8)
    }

    mutating func string(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): raw("\\\"")
            case UInt8(ascii: "\\"): raw("\\\\")
            case 0x08: raw("\\b")
            case 0x0C: raw("\\f")
            case 0x0A: raw("\\n")
            case 0x0D: raw("\\r")
            case 0x09: raw("\\t")
            case 0x00..<0x20:
                raw("\\u00")
                bytes.append(Self.hexDigits[Int(byte >> 4)])
                bytes.append(Self.hexDigits[Int(byte & 0x0F)])
            default:
                bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
