extension StringProtocol {
    /// The text without leading and trailing white space (including line breaks and no-break spaces).
    ///
    /// Foundation's `trimmingCharacters(in:)` bridges through `NSString` on Linux; this stays in Swift,
    /// which matters on bulk imports.
    public var trimmed: String {
        // Most cells start and end with a printable ASCII character: nothing to trim.
        let whole = String(self)
        if let first = whole.utf8.first, let last = whole.utf8.last, (0x21..<0x7F).contains(first), (0x21..<0x7F).contains(last) {
            return whole
        }
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
            let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return "" }
        var result = String.UnicodeScalarView()
        result.append(contentsOf: scalars[first...last])
        return String(result)
    }
}
