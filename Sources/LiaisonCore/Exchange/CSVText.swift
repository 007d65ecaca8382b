import Foundation

/// Strict RFC 4180 reading and writing.
///
/// Strict because a bulk import must not guess: an unclosed quote, or a quote in the middle of an
/// unquoted cell, is an error naming the row, rather than a cell that swallows the rest of the file.
///
/// Records are read one at a time from the text's UTF-8 bytes, so that a large file can be checked
/// whole and then read a batch at a time, without holding every cell of it at once. Quotes, commas
/// and line breaks are ASCII, and no byte of a multi-byte UTF-8 character is, so cells are cut
/// between bytes without decoding the characters in them.
enum CSVText {
    /// One record and the spreadsheet row number it starts on (the first line is row 1).
    struct Record {
        var row: Int
        var cells: [String]
    }

    /// A record as read: its cells (when asked for), how many there are, and where the next record
    /// starts, with its row number.
    struct Scanned {
        var cells: [String]
        var cellCount: Int
        var next: Int
        var nextRow: Int
    }

    /// Reads the record that starts at byte `start` of `bytes`, on spreadsheet row `row`; nil at the
    /// end of the text. Accepts LF and CRLF line endings. With `buildingCells` false it only counts
    /// the cells, for checking a file's layout without copying it.
    static func record(
        in bytes: UnsafeBufferPointer<UInt8>, at start: Int, row: Int, fileName: String, buildingCells: Bool = true
    ) throws(LiaisonError) -> Scanned? {
        guard start < bytes.count else { return nil }
        var cells: [String] = []
        var cellCount = 0
        var line = row
        var position = start
        /// Where the text of the unquoted cell being read starts.
        var cellStart = start

        func addCell(_ text: @autoclosure () -> String) {
            cellCount += 1
            if buildingCells { cells.append(text()) }
        }
        func text(_ range: Range<Int>) -> String {
            String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
        }
        /// The end of a record at the line break at `position`.
        func endRecord() -> Scanned {
            let crlf = bytes[position] == .carriageReturn && position + 1 < bytes.count && bytes[position + 1] == .lineFeed
            return Scanned(cells: cells, cellCount: cellCount, next: position + (crlf ? 2 : 1), nextRow: line + 1)
        }

        while position < bytes.count {
            switch bytes[position] {
            case .comma:
                addCell(text(cellStart..<position))
                position += 1
                cellStart = position
            case .lineFeed, .carriageReturn:
                addCell(text(cellStart..<position))
                return endRecord()
            case .quote where position == cellStart:
                // A quoted cell runs to the next quote that is not doubled; a doubled quote is one
                // quote of its text.
                var runStart = position + 1
                var doubled: [UInt8] = []
                position += 1
                while true {
                    guard position < bytes.count else {
                        throw LiaisonError(
                            .invalidFile, "a quoted cell is never closed: it runs to the end of the file", file: fileName, row: row,
                            hint: "add the closing quote")
                    }
                    let byte = bytes[position]
                    if byte == .quote {
                        guard position + 1 < bytes.count, bytes[position + 1] == .quote else { break }
                        if buildingCells { doubled += bytes[runStart...position] }
                        position += 2
                        runStart = position
                        continue
                    }
                    if byte == .lineFeed { line += 1 }
                    position += 1
                }
                let runEnd = position
                addCell(doubled.isEmpty ? text(runStart..<runEnd) : String(decoding: doubled + bytes[runStart..<runEnd], as: UTF8.self))
                // After the closing quote, only the end of the cell may follow.
                position += 1
                guard position < bytes.count else {
                    return Scanned(cells: cells, cellCount: cellCount, next: position, nextRow: line + 1)
                }
                switch bytes[position] {
                case .comma:
                    position += 1
                    cellStart = position
                case .lineFeed, .carriageReturn:
                    return endRecord()
                default:
                    throw LiaisonError(
                        .invalidFile, "text after the closing quote of a cell", file: fileName, row: line,
                        hint: "a quoted cell ends at its closing quote; put a comma after it")
                }
            case .quote:
                throw LiaisonError(
                    .invalidFile, "a quote inside a cell that does not start with a quote", file: fileName, row: line,
                    hint: "quote the whole cell and double the quote inside it: \"a \"\"quoted\"\" word\"")
            default:
                position += 1
            }
        }
        // The end of the text ends the last record when it has no line break of its own.
        addCell(text(cellStart..<position))
        return Scanned(cells: cells, cellCount: cellCount, next: position, nextRow: line + 1)
    }

    /// One CSV line (without its line ending), quoting cells that need it.
    static func line(_ cells: [String]) -> String {
        cells.map { cell in
            let needsQuotes = cell.unicodeScalars.contains { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }
                || cell.first?.isWhitespace == true || cell.last?.isWhitespace == true
            return needsQuotes ? "\"" + cell.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : cell
        }.joined(separator: ",")
    }
}

extension UInt8 {
    fileprivate static let quote = UInt8(ascii: "\""), comma = UInt8(ascii: ","), lineFeed = UInt8(ascii: "\n"), carriageReturn = UInt8(ascii: "\r")
}
