import Foundation
import GRDB

/// The seeded ISO tables, held in memory for validation.
package struct ReferenceData: Sendable {
    var countries: [String: Country]
    var subdivisions: [String: String]  // code -> country
    var languages: Set<String>
    /// E.164 country calling codes, with the international ones (freephone, satellite).
    var callingCodes: Set<String>

    init(_ db: Database) throws {
        countries = Dictionary(uniqueKeysWithValues: try Country.fetchAll(db).map { ($0.code, $0) })
        subdivisions = Dictionary(
            uniqueKeysWithValues: try Row.fetchAll(db, sql: "SELECT code, country FROM subdivision").map { ($0[0], $0[1]) })
        languages = Set(try String.fetchAll(db, sql: "SELECT code FROM language"))
        callingCodes = Set(countries.values.compactMap(\.callingCode)).union(["800", "808", "870", "878", "881", "882", "883", "888", "979"])
    }

    /// The country for an alpha-2 code in any case.
    func country(_ code: String, field: String = "country") throws(LiaisonError) -> Country {
        let key = code.trimmed.uppercased()
        guard let country = countries[key] else {
            throw LiaisonError.invalid(field, code, "unknown country \"\(code)\"", hint: "use an ISO 3166-1 alpha-2 code such as MD, GR, VN")
        }
        return country
    }

    func subdivision(_ code: String, country: String, field: String = "subdivision") throws(LiaisonError) -> String {
        let key = code.trimmed.uppercased()
        guard let owner = subdivisions[key] else {
            throw LiaisonError.invalid(field, code, "unknown ISO 3166-2 subdivision \"\(code)\"", hint: "e.g. MD-CU for Chișinău")
        }
        guard owner == country else {
            throw LiaisonError.invalid(field, code, "subdivision \(key) is in \(owner), not in \(country)")
        }
        return key
    }

    func languageTag(_ text: String, field: String = "languages") throws(LiaisonError) -> String {
        try LanguageTag.normalise(text, field: field) { languages.contains($0) }
    }

    func timeZone(_ text: String, field: String = "timezone") throws(LiaisonError) -> String {
        let identifier = text.trimmed
        if let match = Self.timeZones[identifier.lowercased()] { return match }
        // Links such as Asia/Kolkata (for Asia/Calcutta) are valid but not always listed.
        guard identifier.contains("/"), TimeZone(identifier: identifier) != nil else {
            throw LiaisonError.invalid(field, text, "unknown IANA time zone \"\(text)\"", hint: "e.g. Europe/Chisinau, Asia/Bangkok")
        }
        return identifier
    }

    private static let timeZones: [String: String] = Dictionary(
        TimeZone.knownTimeZoneIdentifiers.map { ($0.lowercased(), $0) }, uniquingKeysWith: { first, _ in first })
}
