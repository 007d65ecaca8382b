/// Strict RFC 4180 reading and writing.
///
/// Strict because a bulk import must not guess: an unclosed quote, or a quote in the middle of an
/// unquoted cell, is an error naming the row, rather than a cell that swallows the rest of the file.
enum CSVText {
    /// One record and the spreadsheet row number it starts on (the first line is row 1).
    struct Record {
        var row: Int
        var cells: [String]
    }

    /// Splits CSV text into records. Accepts LF and CRLF line endings.
    static func records(_ text: String, fileName: String) throws(LiaisonError) -> [Record] {
        var records: [Record] = []
        var cells: [String] = []
        var cell = String.UnicodeScalarView()
        var row = 1
        var recordRow = 1
        var inQuotes = false
        var quotedCell = false
        var afterClosingQuote = false
        var scalars = text.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar? = scalars.next()

        func endCell() {
            cells.append(String(cell))
            cell = String.UnicodeScalarView()
            quotedCell = false
            afterClosingQuote = false
        }
        func endRecord() {
            endCell()
            records.append(Record(row: recordRow, cells: cells))
            cells = []
        }

        while let scalar = pending {
            pending = scalars.next()
            if inQuotes {
                if scalar == "\"" {
                    if pending == "\"" {
                        cell.append("\"")
                        pending = scalars.next()
                    } else {
                        inQuotes = false
                        afterClosingQuote = true
                    }
                } else {
                    if scalar == "\n" { row += 1 }
                    cell.append(scalar)
                }
                continue
            }
            switch scalar {
            case ",":
                endCell()
            case "\r" where pending == "\n":
                continue
            case "\n", "\r":
                endRecord()
                row += 1
                recordRow = row
            case "\"" where cell.isEmpty && !quotedCell:
                inQuotes = true
                quotedCell = true
            case "\"":
                throw LiaisonError(
                    .invalidFile, "a quote inside a cell that does not start with a quote", file: fileName, row: row,
                    hint: "quote the whole cell and double the quote inside it: \"a \"\"quoted\"\" word\"")
            default:
                if afterClosingQuote {
                    throw LiaisonError(
                        .invalidFile, "text after the closing quote of a cell", file: fileName, row: row,
                        hint: "a quoted cell ends at its closing quote; put a comma after it")
                }
                cell.append(scalar)
            }
        }
        if inQuotes {
            throw LiaisonError(
                .invalidFile, "a quoted cell is never closed: it runs to the end of the file", file: fileName, row: recordRow,
                hint: "add the closing quote")
        }
        if !cell.isEmpty || !cells.isEmpty || quotedCell { endRecord() }
        return records
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

import Foundation
