import Foundation
import Ink

/// A note's Markdown body as HTML for the page. Nothing in a body runs or loads: raw HTML is
/// shown as text, a link goes only to `https:`, `http:`, `mailto:` or `tel:`, and an image
/// becomes its description, since the page loads nothing from another host.
enum WebMarkdown {
    static func html(_ markdown: String) -> String {
        var parser = MarkdownParser()
        parser.addModifier(Modifier(target: .html) { _, markdown in escaped(String(markdown)) })
        parser.addModifier(Modifier(target: .inlineCode) { html, _ in html })
        parser.addModifier(Modifier(target: .images) { _, markdown in
            let description = markdown.firstIndex(of: "]").map { markdown[markdown.index(markdown.startIndex, offsetBy: 2)..<$0] } ?? ""
            return escaped(String(description))
        })
        parser.addModifier(Modifier(target: .links) { html, markdown in
            // A link elsewhere becomes its text.
            let text = markdown.firstIndex(of: "]").map { markdown[markdown.index(after: markdown.startIndex)..<$0] } ?? markdown
            guard let start = html.range(of: "href=\""), let end = html[start.upperBound...].firstIndex(of: "\"") else { return escaped(String(text)) }
            let target = html[start.upperBound..<end].lowercased()
            guard ["https:", "http:", "mailto:", "tel:"].contains(where: { target.hasPrefix($0) }) else { return escaped(String(text)) }
            return html.replacingOccurrences(of: "<a href=", with: "<a rel=\"noopener noreferrer\" href=")
        })
        // A leading newline: Ink would read a body that starts with "---" as metadata, and drop it.
        return parser.html(from: "\n" + markdown)
    }

    static func escaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
            .replacingOccurrences(of: "\"", with: "&quot;")
    }
}
