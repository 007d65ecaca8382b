import Foundation
import Synchronization

/// Folds text for search: any script to Latin, then to lower-case ASCII.
///
/// "Иванов" becomes "ivanov", "José Muñoz" becomes "jose munoz", "Đặng Văn" becomes "dang van", so a
/// Latin query finds names written in Cyrillic, Greek or Arabic, and any query finds them whatever
/// the case and accents.
public enum SearchText {
    public static func fold(_ text: String) -> String {
        if text.utf8.allSatisfy({ $0 < 0x80 && $0 != UInt8(ascii: "'") && $0 != UInt8(ascii: "`") }) { return text.lowercased() }
        var text = text
        // "O'Brien" is also found as "obrien".
        let apostrophes: Set<Character> = ["'", "’", "`"]
        let joined = text.split(separator: " ").filter { $0.contains(where: apostrophes.contains) }.map { $0.filter { !apostrophes.contains($0) } }
        if !joined.isEmpty { text += " " + joined.joined(separator: " ") }
        if text.utf8.allSatisfy({ $0 < 0x80 }) { return text.lowercased() }
        return text.split(separator: " ", omittingEmptySubsequences: true).map { word in
            word.utf8.allSatisfy({ $0 < 0x80 }) ? word.lowercased() : transliterate(String(word))
        }.joined(separator: " ")
    }

    /// Transliterates one word into its Latin spellings, remembering recent words: an ICU transform
    /// costs tens of microseconds, and names repeat.
    ///
    /// A word can have more than one common spelling, and all are indexed: "Жуков" as "zukov" (ISO 9)
    /// and "zhukov" (BGN/PCGN), "Đorđević" as "dordevic" and "djordjevic", "Müller" as "muller" and
    /// "mueller", an Arabic name with and without its article "al".
    private static func transliterate(_ word: String) -> String {
        if let known = cache.withLock({ $0[word] }) { return known }
        var spellings: [String] = []
        func add(_ text: String?) {
            guard let text = text?.lowercased(), !text.isEmpty, !spellings.contains(text) else { return }
            spellings.append(text)
            // A soft sign becomes an apostrophe ("koval'chuk" for Ковальчук): the word is also
            // found written without it.
            let joined = text.filter { $0 != "'" && $0 != "ʹ" && $0 != "ʼ" }
            if joined != text, !joined.isEmpty, !spellings.contains(joined) { spellings.append(joined) }
        }
        let latin = word.applyingTransform(anyLatin, reverse: false) ?? word
        add(latin.applyingTransform(latinASCII, reverse: false))
        add(digraphs(latin).applyingTransform(latinASCII, reverse: false))
        let scalars = word.unicodeScalars
        if scalars.contains(where: { (0x0400...0x04FF).contains($0.value) }) {
            add(word.applyingTransform(russianBGN, reverse: false)?.applyingTransform(latinASCII, reverse: false))
            add(word.applyingTransform(ukrainianBGN, reverse: false)?.applyingTransform(latinASCII, reverse: false))
        }
        if scalars.contains(where: { (0x0370...0x03FF).contains($0.value) || (0x1F00...0x1FFF).contains($0.value) }) {
            add(word.applyingTransform(greekUNGEGN, reverse: false)?.applyingTransform(latinASCII, reverse: false))
        }
        if word.hasPrefix("ال"), word.count > 3 {
            add(transliterate(String(word.dropFirst(2))))
        }
        let result = spellings.joined(separator: " ")
        cache.withLock { cache in
            if cache.count >= 50_000 { cache.removeAll(keepingCapacity: true) }
            cache[word] = result
        }
        return result
    }

    /// Letters whose usual English spelling is two letters, where Latin-ASCII would keep one.
    private static func digraphs(_ latin: String) -> String {
        var result = ""
        for character in latin {
            switch character {
            case "š", "ś", "Š", "Ś": result += "sh"
            case "ž", "Ž": result += "zh"
            case "č", "ć", "Č", "Ć": result += "ch"
            case "ŝ", "Ŝ": result += "shch"
            case "đ", "Đ": result += "dj"
            case "ø", "Ø", "ö", "Ö": result += "oe"
            case "ä", "Ä": result += "ae"
            case "ü", "Ü": result += "ue"
            case "û", "Û": result += "yu"
            case "â", "Â": result += "ya"
            default: result.append(character)
            }
        }
        return result
    }

    private static let anyLatin = StringTransform("Any-Latin")
    private static let latinASCII = StringTransform("Latin-ASCII")
    private static let russianBGN = StringTransform("Russian-Latin/BGN")
    private static let ukrainianBGN = StringTransform("Ukrainian-Latin/BGN")
    private static let greekUNGEGN = StringTransform("Greek-Latin/UNGEGN")
    private static let cache = Mutex<[String: String]>([:])

    /// The words of a query, each with its Latin spellings: every word must match, in any of its
    /// spellings ("Жуков" is "zukov" or "zhukov"). A spelling of several tokens is a phrase.
    public static func queryWords(_ text: String) -> [[String]] {
        var words: [[String]] = []
        for word in text.split(whereSeparator: \.isWhitespace) {
            if word.utf8.allSatisfy({ $0 < 0x80 }) {
                words += tokens(String(word)).map { [$0] }
                continue
            }
            var spellings: [String] = []
            // Each spelling is folded already: folding it again would add, for a spelling with an
            // apostrophe ("igor'" for Игорь), its joined form to the phrase, which nothing matches.
            for spelling in fold(String(word)).split(separator: " ") {
                let phrase = Self.words(ofFolded: String(spelling)).joined(separator: " ")
                if !phrase.isEmpty, !spellings.contains(phrase) { spellings.append(phrase) }
            }
            if !spellings.isEmpty { words.append(spellings) }
        }
        return words
    }

    /// The folded words of a text: letters and digits, split on everything else.
    public static func tokens(_ text: String) -> [String] {
        words(ofFolded: fold(text))
    }

    /// The words of text that is already folded: letters and digits, split on everything else.
    static func words(ofFolded folded: String) -> [String] {
        guard folded.utf8.allSatisfy({ $0 < 0x80 }) else { return folded.split { !($0.isLetter || $0.isNumber) }.map(String.init) }
        // Folded text is mostly ASCII: split its bytes without building Characters.
        return folded.utf8.split { !isASCIILetterOrDigit($0) }.map { String(decoding: $0, as: UTF8.self) }
    }

    static func isASCIILetterOrDigit(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
    }

}
