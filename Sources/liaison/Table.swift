/// A plain text table for terminals: a header, a rule, and left-aligned columns sized to their
/// widest cell (East Asian wide characters count as two).
struct Table {
    var headers: [String]
    var rows: [[String]] = []

    init(_ headers: String...) { self.headers = headers }
    init(headers: [String]) { self.headers = headers }

    mutating func add(_ cells: String...) { rows.append(cells) }
    mutating func add(_ cells: [String]) { rows.append(cells) }

    func render(maxWidth: Int = 48) -> String {
        let clipped = rows.map { $0.map { Self.clip($0.terminalSafe, to: maxWidth) } }
        var widths = headers.map(Self.width)
        for row in clipped {
            for (index, cell) in row.enumerated() where index < widths.count { widths[index] = max(widths[index], Self.width(cell)) }
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { index, cell in
                index == cells.count - 1 ? cell : cell + String(repeating: " ", count: max(0, widths[index] - Self.width(cell)))
            }.joined(separator: "  ")
        }
        var lines = [line(headers), widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")]
        lines += clipped.map(line)
        return lines.joined(separator: "\n")
    }

    static func width(_ text: String) -> Int {
        text.unicodeScalars.reduce(0) { total, scalar in
            switch scalar.value {
            case 0x0300...0x036F, 0x200B...0x200F: total
            case 0x1100...0x115F, 0x2E80...0xA4CF, 0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60, 0xFFE0...0xFFE6: total + 2
            default: total + 1
            }
        }
    }

    static func clip(_ text: String, to limit: Int) -> String {
        guard width(text) > limit else { return text }
        var result = ""
        for character in text {
            if width(result + String(character)) > limit - 1 { break }
            result.append(character)
        }
        return result + "…"
    }
}

extension String {
    /// The text with control characters other than line breaks and tabs shown as `?`, so that stored
    /// text cannot move the cursor or retitle the terminal it is printed on.
    var terminalSafe: String {
        func isUnsafe(_ scalar: Unicode.Scalar) -> Bool {
            scalar.properties.generalCategory == .control && scalar != "\n" && scalar != "\t"
        }
        guard unicodeScalars.contains(where: isUnsafe) else { return self }
        return String(String.UnicodeScalarView(unicodeScalars.map { isUnsafe($0) ? "?" : $0 }))
    }
}

/// Prints text for a terminal: control characters in stored data are shown as `?`.
func say(_ text: String) {
    print(text.terminalSafe)
}
