import Foundation
import Ink

/// A note's Markdown body as HTML for the page. Nothing in a body runs or loads: raw HTML is
/// shown as text, a link goes only to `https:`, `http:`, `mailto:` or `tel:`, and an image
/// becomes its description, since the page loads nothing from another host. Links and code are
/// written here from the Markdown, with every character escaped, rather than taken from the
/// parser's HTML, which writes addresses and code languages into attributes as they are typed.
enum WebMarkdown {
    static func html(_ markdown: String) -> String {
        var parser = MarkdownParser()
        parser.addModifier(Modifier(target: .html) { _, markdown in escaped(String(markdown)) })
        parser.addModifier(Modifier(target: .images) { _, markdown in escaped(linkText(markdown)) })
        parser.addModifier(Modifier(target: .links) { _, markdown in link(markdown) })
        parser.addModifier(Modifier(target: .inlineCode) { _, markdown in
            "<code>" + escaped(String(markdown.trimmingCharacters(in: CharacterSet(charactersIn: "`")))) + "</code>"
        })
        parser.addModifier(Modifier(target: .codeBlocks) { _, markdown in
            // The fences and the language name go; the lines between them are the code.
            var lines = markdown.split(separator: "\n", omittingEmptySubsequences: false)
            if lines.first?.trimmingCharacters(in: .whitespaces).hasPrefix("```") == true { lines.removeFirst() }
            while let last = lines.last, last.trimmingCharacters(in: .whitespaces).isEmpty || last.trimmingCharacters(in: .whitespaces).hasPrefix("```") {
                lines.removeLast()
            }
            return "<pre><code>" + escaped(lines.joined(separator: "\n")) + "</code></pre>"
        })
        // A leading newline: Ink would read a body that starts with "---" as metadata, and drop it.
        return parser.html(from: "\n" + markdown)
    }

    /// `[text](address)` as a link when the address is the web, mail or a phone, else its text;
    /// a reference link (`[text][name]`) as its text.
    static func link(_ markdown: Substring) -> String {
        let text = linkText(markdown)
        guard let open = markdown.range(of: "]("), markdown.hasSuffix(")") else { return escaped(text) }
        var target = String(markdown[open.upperBound..<markdown.index(before: markdown.endIndex)]).trimmingCharacters(in: .whitespaces)
        // A title after the address ("[t](https://a "title")") is left out.
        if let space = target.firstIndex(where: \.isWhitespace) { target = String(target[..<space]) }
        let lowered = target.lowercased()
        guard ["https://", "http://", "mailto:", "tel:"].contains(where: { lowered.hasPrefix($0) }),
            !target.contains(where: { $0.isWhitespace || $0 == "\"" || $0 == "<" || $0 == ">" || $0 == "`" })
        else { return escaped(text) }
        return "<a rel=\"noopener noreferrer\" href=\"\(escaped(target))\">\(escaped(text))</a>"
    }

    /// The text between a link's or an image's first brackets.
    static func linkText(_ markdown: Substring) -> String {
        guard let open = markdown.firstIndex(of: "["), let close = markdown[open...].firstIndex(of: "]") else { return String(markdown) }
        return String(markdown[markdown.index(after: open)..<close])
    }

    static func escaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
            .replacingOccurrences(of: "\"", with: "&quot;")
    }
}
