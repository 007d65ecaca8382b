public import Foundation
import Synchronization

/// Folds text for search: any script to Latin, then to lower-case ASCII.
///
/// "Иванов" becomes "ivanov", "José Muñoz" becomes "jose munoz", "Đặng Văn" becomes "dang van", so a
/// Latin query finds names written in Cyrillic, Greek or Arabic, and any query finds them whatever
/// the case and accents.
public enum SearchText {
    public static func fold(_ text: String) -> String {
        if text.utf8.allSatisfy({ $0 < 0x80 }) { return text.lowercased() }
        return text.split(separator: " ", omittingEmptySubsequences: true).map { word in
            word.utf8.allSatisfy({ $0 < 0x80 }) ? word.lowercased() : transliterate(String(word))
        }.joined(separator: " ")
    }

    /// Transliterates one word, remembering recent words: an ICU transform costs tens of
    /// microseconds, and names repeat.
    private static func transliterate(_ word: String) -> String {
        if let known = cache.withLock({ $0[word] }) { return known }
        let latin = (word.applyingTransform(transform, reverse: false) ?? word).lowercased()
        cache.withLock { cache in
            if cache.count >= 50_000 { cache.removeAll(keepingCapacity: true) }
            cache[word] = latin
        }
        return latin
    }

    private static let cache = Mutex<[String: String]>([:])

    /// The folded words of a text: letters and digits, split on everything else.
    public static func tokens(_ text: String) -> [String] {
        fold(text).split { !($0.isLetter || $0.isNumber) }.map(String.init)
    }

    private static let transform = StringTransform("Any-Latin; Latin-ASCII; Lower")
}
