import Foundation
import Hummingbird

/// The page's words in each language, read from the plain `key = text` files of
/// `Web/Translations/` that translators edit; English fills a key a language lacks.
struct WebCatalog: Sendable {
    /// Language code → key → text.
    let languages: [String: [String: String]]

    static let shared = WebCatalog(files: EmbeddedResources.web.filter { $0.name.hasPrefix("Translations/") })

    /// Language code → every text as templates name it: made once, used by every page.
    private let templateLabels: [String: [String: String]]

    init(files: [(name: String, text: String)]) {
        var languages: [String: [String: String]] = [:]
        for file in files {
            let code = String(file.name.dropFirst("Translations/".count).split(separator: ".")[0])
            languages[code] = Self.parse(file.text).texts
        }
        self.languages = languages
        var labels: [String: [String: String]] = [:]
        for code in languages.keys {
            var forLanguage: [String: String] = [:]
            for (key, text) in languages["en"] ?? [:] { forLanguage[Self.templateKey(key)] = text }
            for (key, text) in languages[code] ?? [:] { forLanguage[Self.templateKey(key)] = text }
            labels[code] = forLanguage
        }
        templateLabels = labels
    }

    /// The messages of one file, and the numbers of lines that are neither a message, a comment
    /// nor blank.
    static func parse(_ text: String) -> (texts: [String: String], badLines: [Int]) {
        var texts: [String: String] = [:], bad: [Int] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = line.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let equals = line.range(of: " = ") else {
                bad.append(index + 1)
                continue
            }
            texts[String(line[..<equals.lowerBound])] = String(line[equals.upperBound...])
        }
        return (texts, bad)
    }

    /// The codes of the languages the page speaks, English first.
    var codes: [String] { languages.keys.sorted { $0 == "en" ? true : $1 == "en" ? false : $0 < $1 } }

    /// The language for a request: the one the officer chose on the page (a cookie), else the
    /// first of the browser's Accept-Language that the page speaks, else English.
    func language(for request: Request) -> String {
        if let chosen = request.cookies[Self.languageCookie]?.value, languages[chosen] != nil { return chosen }
        let accepted = (request.headers[.acceptLanguage] ?? "").split(separator: ",").compactMap { part -> (String, Double)? in
            let pieces = part.split(separator: ";")
            guard let tag = pieces.first?.trimmingCharacters(in: .whitespaces).lowercased(), !tag.isEmpty else { return nil }
            let quality = pieces.dropFirst().first { $0.trimmingCharacters(in: .whitespaces).hasPrefix("q=") }
                .flatMap { Double($0.trimmingCharacters(in: .whitespaces).dropFirst(2)) } ?? 1
            return (String(tag.split(separator: "-")[0]), quality)
        }
        return accepted.filter { $0.1 > 0 }.sorted { $0.1 > $1.1 }.first { languages[$0.0] != nil }?.0 ?? "en"
    }

    static let languageCookie = "liaison-language"

    /// The text of `key`, with `{name}` filled from `values`.
    func text(_ key: String, _ language: String, _ values: [String: String] = [:]) -> String {
        var text = languages[language]?[key] ?? languages["en"]?[key] ?? key
        for (name, value) in values { text = text.replacingOccurrences(of: "{\(name)}", with: value) }
        return text
    }

    /// Every text of a language for a template, keys written with `_` for `.` and `-`, since
    /// Mustache reads a dot as a step into a value: `search.title` is `{{t.search_title}}`.
    func labels(_ language: String) -> [String: String] {
        templateLabels[language] ?? templateLabels["en"] ?? [:]
    }

    static func templateKey(_ key: String) -> String {
        key.replacingOccurrences(of: ".", with: "_").replacingOccurrences(of: "-", with: "_")
    }
}
