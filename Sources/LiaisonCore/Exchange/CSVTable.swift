import Foundation

/// A CSV file whose layout has been checked: its column names and where each data row starts.
///
/// The whole text is read once, without copying its cells, for its header and its rows' places;
/// rows are then read a batch at a time (``records(_:)``). A file is read again from disk for each
/// batch, so a large import does not hold the file, let alone every cell of it.
struct CSVTable: Sendable {
    let columns: [String]
    let fileName: String
    private let source: Source
    /// Each data row's first byte in the text and its number as a spreadsheet shows it (the header
    /// is row 1).
    private let rows: [(start: Int, number: Int)]
    /// Where the text ends, so that the last batch knows its last byte.
    private let end: Int

    private enum Source: Sendable {
        /// Text in memory, from after its byte order mark, as contiguous UTF-8.
        case text(Substring)
        /// A file, whose bytes from `base` on are the text.
        case file(URL, base: Int)
    }

    /// The number of data rows.
    var count: Int { rows.count }

    /// A CSV text held in memory.
    init(text: String, fileName: String) throws(LiaisonError) {
        let text = Self.contiguous(text)
        try self.init(text: text, source: .text(text), fileName: fileName)
    }

    /// A CSV file whose bytes, `contents`, have just been read: they are checked now, and the rows
    /// are read from the file again when they are wanted.
    init(file: URL, contents: Data, fileName: String) throws(LiaisonError) {
        guard let decoded = String(data: contents, encoding: .utf8) else {
            throw LiaisonError(.invalidFile, "the file is not UTF-8 text", file: fileName, hint: "save it as CSV UTF-8")
        }
        let text = Self.contiguous(decoded)
        // Decoding drops a byte order mark, and so does the table; the text is otherwise the end of
        // the file's bytes. Should it not be, the text is kept.
        let isEndOfFile = contents.withUnsafeBytes { bytes in
            text.utf8.withContiguousStorageIfAvailable { text in bytes.count >= text.count && bytes.suffix(text.count).elementsEqual(text) }
        }
        let source = isEndOfFile == true ? Source.file(file, base: contents.count - text.utf8.count) : .text(text)
        try self.init(text: text, source: source, fileName: fileName)
    }

    /// The text without its byte order mark, as contiguous UTF-8.
    private static func contiguous(_ text: String) -> Substring {
        var text = text.hasPrefix("\u{FEFF}") ? text.dropFirst() : Substring(text)
        text.makeContiguousUTF8()
        return text
    }

    private init(text: Substring, source: Source, fileName: String) throws(LiaisonError) {
        var text = text
        let layout = try text.withUTF8 { bytes in Result { () throws(LiaisonError) in try Self.layout(bytes, fileName: fileName) } }.get()
        let columns = layout.header.cells.map { $0.trimmed.lowercased() }
        let headerRow = String(layout.header.number)
        var errors: [RowError] = []
        for column in columns where !CSVFormat.columns.contains(column) {
            errors.append(RowError(file: fileName, row: headerRow, field: column.isEmpty ? "(empty)" : column, reason: "unknown column; allowed: \(CSVFormat.columns.joined(separator: ", "))"))
        }
        for column in CSVFormat.requiredColumns.sorted() where !columns.contains(column) {
            errors.append(RowError(file: fileName, row: headerRow, field: column, reason: "required column is missing"))
        }
        for (index, column) in columns.enumerated() where columns[..<index].contains(column) {
            errors.append(RowError(file: fileName, row: headerRow, field: column, reason: "column appears twice"))
        }
        for (cellCount, number) in layout.otherCellCounts {
            errors.append(RowError(file: fileName, row: String(number), field: "row", reason: "has \(cellCount) cells, the header has \(columns.count) columns"))
        }
        guard errors.isEmpty else {
            throw LiaisonError(.invalidRows, "the file's layout is not valid; nothing was imported", file: fileName, rowErrors: errors)
        }
        self.columns = columns
        self.fileName = fileName
        self.source = source
        self.rows = layout.rows
        self.end = text.utf8.count
    }

    /// What one reading of the whole text finds.
    private struct Layout {
        var header: (cells: [String], number: Int)
        var rows: [(start: Int, number: Int)]
        /// Data rows whose number of cells is not the header's.
        var otherCellCounts: [(count: Int, number: Int)]
    }

    private static func layout(_ bytes: UnsafeBufferPointer<UInt8>, fileName: String) throws(LiaisonError) -> Layout {
        var header: (cells: [String], number: Int)?
        var rows: [(start: Int, number: Int)] = []
        var otherCellCounts: [(count: Int, number: Int)] = []
        var start = 0, number = 1
        while let record = try CSVText.record(in: bytes, at: start, row: number, fileName: fileName, buildingCells: false) {
            defer { (start, number) = (record.next, record.nextRow) }
            if record.cellCount <= 1 || header == nil {
                let cells = try CSVText.record(in: bytes, at: start, row: number, fileName: fileName)?.cells ?? []
                // Blank lines carry no data; the first other line is the header.
                if record.cellCount <= 1, cells.allSatisfy({ $0.trimmed.isEmpty }) { continue }
                if header == nil {
                    header = (cells, number)
                    continue
                }
            }
            rows.append((start, number))
            if record.cellCount != header?.cells.count { otherCellCounts.append((record.cellCount, number)) }
        }
        guard let header else {
            throw LiaisonError(
                .invalidFile, "the file is empty: it needs a header row", file: fileName, row: 1,
                hint: "the first line names the columns: \(CSVFormat.columns.joined(separator: ","))")
        }
        return Layout(header: header, rows: rows, otherCellCounts: otherCellCounts)
    }

    /// Reads the data rows in `range` (positions among the data rows, not row numbers).
    func records(_ range: Range<Int>) throws(LiaisonError) -> [CSVText.Record] {
        guard !range.isEmpty else { return [] }
        let first = rows[range.lowerBound].start
        let last = range.upperBound < rows.count ? rows[range.upperBound].start : end
        switch source {
        case .text(var text):
            return try text.withUTF8 { bytes in Result { () throws(LiaisonError) in try read(range, in: bytes, from: 0) } }.get()
        case .file(let url, let base):
            let data: Data
            do {
                let file = try FileHandle(forReadingFrom: url)
                defer { try? file.close() }
                try file.seek(toOffset: UInt64(base + first))
                data = try file.read(upToCount: last - first) ?? Data()
            } catch {
                throw LiaisonError(.invalidFile, "cannot read the file: \(error.localizedDescription)", file: fileName)
            }
            guard data.count == last - first else { throw changed() }
            return try data.withUnsafeBytes { raw in
                Result { () throws(LiaisonError) in try read(range, in: raw.bindMemory(to: UInt8.self), from: first) }
            }.get()
        }
    }

    /// The records in `range`, read from `bytes`, which begin at byte `offset` of the text.
    private func read(_ range: Range<Int>, in bytes: UnsafeBufferPointer<UInt8>, from offset: Int) throws(LiaisonError) -> [CSVText.Record] {
        try rows[range].map { row throws(LiaisonError) in
            guard let record = try CSVText.record(in: bytes, at: row.start - offset, row: row.number, fileName: fileName),
                record.cells.count == columns.count
            else { throw changed() }
            return CSVText.Record(row: row.number, cells: record.cells)
        }
    }

    /// A file whose rows are not where its first reading found them.
    private func changed() -> LiaisonError {
        LiaisonError(.invalidFile, "the file changed while it was being imported; nothing was imported", file: fileName, hint: "import it again")
    }

    /// A row's cells by column name, with spreadsheet formulas' escapes removed.
    func cells(_ record: CSVText.Record) -> [String: String] {
        var cells: [String: String] = [:]
        for (index, column) in columns.enumerated() { cells[column] = CSVFormat.unescapeFormula(record.cells[index]) }
        return cells
    }
}
