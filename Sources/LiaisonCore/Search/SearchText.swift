public import Foundation

/// Folds text for search: any script to Latin, then to lower-case ASCII.
///
/// "Иванов" becomes "ivanov", "José Muñoz" becomes "jose munoz", "Đặng Văn" becomes "dang van", so a
/// Latin query finds names written in Cyrillic, Greek or Arabic, and any query finds them whatever
/// the case and accents.
public enum SearchText {
    public static func fold(_ text: String) -> String {
        if text.utf8.allSatisfy({ $0 < 0x80 }) { return text.lowercased() }
        let latin = text.applyingTransform(transform, reverse: false) ?? text
        return latin.lowercased()
    }

    /// The folded words of a text: letters and digits, split on everything else.
    public static func tokens(_ text: String) -> [String] {
        fold(text).split { !($0.isLetter || $0.isNumber) }.map(String.init)
    }

    private static let transform = StringTransform("Any-Latin; Latin-ASCII; Lower")
}
