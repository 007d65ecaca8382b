import Foundation

/// Checks BCP 47 language tags (RFC 5646) and writes them in their conventional case.
enum LanguageTag {
    /// Returns the tag in canonical case (`pt-BR`, `zh-Hans-CN`, `sr-Latn`), or throws.
    ///
    /// The tag must be well-formed, and its primary language subtag must be an ISO 639 code known to
    /// `isKnownLanguage`.
    static func normalise(_ text: String, field: String = "languages", isKnownLanguage: (String) -> Bool) throws(LiaisonError) -> String {
        let subtags = String(text.trimmed.map { $0 == "_" ? "-" : $0 })
            .split(separator: "-", omittingEmptySubsequences: false).map { $0.lowercased() }
        func fail(_ reason: String) -> LiaisonError {
            LiaisonError.invalid(field, text, "not a language code such as en, ro or pt-BR (BCP 47): \(reason)", hint: "e.g. en, ro, pt-BR, zh-Hans")
        }
        guard let language = subtags.first, !language.isEmpty else { throw fail("empty") }
        guard subtags.allSatisfy({ !$0.isEmpty && $0.count <= 8 && $0.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) } }) else {
            throw fail("subtags are 1 to 8 letters or digits, separated by -")
        }
        guard (2...3).contains(language.count), language.allSatisfy(\.isLetter) else {
            throw fail("the language subtag \"\(language)\" must be 2 or 3 letters")
        }
        guard isKnownLanguage(language) else { throw fail("\"\(language)\" is not an ISO 639 language code") }
        var result = [language]
        var stage = 0  // 0: extlang/script/region allowed, 1: after script, 2: after region, 3: variants and extensions
        for subtag in subtags.dropFirst() {
            let letters = subtag.allSatisfy(\.isLetter)
            let digits = subtag.allSatisfy(\.isNumber)
            if stage < 1, subtag.count == 4, letters {
                result.append(subtag.prefix(1).uppercased() + subtag.dropFirst())
                stage = 1
            } else if stage < 2, (subtag.count == 2 && letters) || (subtag.count == 3 && digits) {
                result.append(subtag.uppercased())
                stage = 2
            } else if stage == 0, subtag.count == 3, letters {
                result.append(subtag)  // extended language subtag
            } else if subtag.count >= 5 || (subtag.count == 4 && subtag.first?.isNumber == true) || stage == 3 {
                result.append(subtag)
                stage = 3
            } else if subtag.count == 1 {
                result.append(subtag)
                stage = 3
            } else {
                throw fail("unexpected subtag \"\(subtag)\"")
            }
        }
        return result.joined(separator: "-")
    }
}
