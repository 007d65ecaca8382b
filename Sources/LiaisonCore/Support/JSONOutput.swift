public import Foundation

/// JSON as Liaison writes it for people and scripts: pretty, keys sorted and in snake case like the
/// database columns and the import formats, dates in ISO 8601, and record ids in lower case, as the
/// database, the command line and the tables show them.
public enum JSONOutput {
    /// `pretty` for people; without it, one line, for programs (the JSON API).
    public static func encode(_ value: some Encodable, pretty: Bool = true) throws(LiaisonError) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        encoder.keyEncodingStrategy = .convertToSnakeCase
        let data: Data
        do {
            data = try encoder.encode(value)
        } catch {
            throw LiaisonError(.storage, "cannot encode JSON: \(error)")
        }
        // Foundation writes UUIDs in upper case and has no option for it; ids are the only strings
        // of this exact shape, and a UUID's case carries no meaning.
        var bytes = [UInt8](data)
        var index = 0
        while index + 38 <= bytes.count {
            if bytes[index] == UInt8(ascii: "\""), bytes[index + 37] == UInt8(ascii: "\""), isUUID(bytes[(index + 1)..<(index + 37)]) {
                for position in (index + 1)..<(index + 37) where (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(bytes[position]) {
                    bytes[position] += 32
                }
                index += 38
            } else {
                index += 1
            }
        }
        if pretty { bytes.append(UInt8(ascii: "\n")) }
        return Data(bytes)
    }

    /// Reads JSON that ``encode(_:)`` wrote.
    public static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(type, from: data)
    }

    private static func isUUID(_ bytes: ArraySlice<UInt8>) -> Bool {
        for (offset, byte) in bytes.enumerated() {
            if [8, 13, 18, 23].contains(offset) {
                guard byte == UInt8(ascii: "-") else { return false }
            } else {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(byte) else { return false }
            }
        }
        return true
    }
}
