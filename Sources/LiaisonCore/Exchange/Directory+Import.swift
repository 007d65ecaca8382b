public import Foundation
import GRDB

/// What an import did, or would do with `dryRun`.
public struct ImportSummary: Sendable, Hashable, Codable {
    public var file: String
    public var rows = 0
    public var agenciesCreated = 0
    public var agenciesUpdated = 0
    public var contactsCreated = 0
    public var contactsUpdated = 0
    public var channelsCreated = 0
    public var channelsUpdated = 0
    public var designationsCreated = 0
    public var designationsUpdated = 0
    public var commits = 0
    public var dryRun = false
}

extension ImportSummary {
    fileprivate func completed(commits: Int, dryRun: Bool) -> ImportSummary {
        var summary = self
        summary.commits = commits
        summary.dryRun = dryRun
        return summary
    }
}

extension Directory {
    /// `contacts[3].agency_id`.
    static func jsonPath(_ keys: [any CodingKey]) -> String {
        keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().drop { $0 == "." }.description
    }

    /// A JSON decoding error in a sentence: what is missing or wrong, and where.
    package static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, let context):
            return "\(jsonPath(context.codingPath + [key])) is missing"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            return "\(jsonPath(context.codingPath)) has the wrong type"
        case DecodingError.dataCorrupted(let context):
            let path = jsonPath(context.codingPath)
            return path.isEmpty ? "not valid JSON" : "\(path): \(context.debugDescription)"
        default:
            return "\(error)"
        }
    }

    /// Rows per signed commit during an import.
    public static let importBatchSize = 500

    /// Imports a CSV or JSON file (chosen by its extension, else by its first character).
    ///
    /// Every row is checked first; if any row is invalid nothing is written and the error lists every
    /// bad row as `FILE:ROW: field: reason`. Records are matched so that importing a file twice adds
    /// nothing the second time: see ``importCSV(_:fileName:dryRun:progress:)``.
    ///
    /// An `interruption` requested while the file is imported stops it between batches: nothing is
    /// written, and the error (``LiaisonError/Code/interrupted``) says so.
    public func importFile(
        _ url: URL, dryRun: Bool = false, interruption: Interruption? = nil, progress: @escaping @Sendable (Int, Int) -> Void = { _, _ in }
    ) throws(LiaisonError) -> ImportSummary {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder) else {
            throw LiaisonError(.invalidFile, "no such file", file: url.path)
        }
        guard !isFolder.boolValue else {
            throw LiaisonError(.invalidFile, "is a folder, not a file", file: url.path)
        }
        let name = url.lastPathComponent
        let table: CSVTable
        do {
            let data: Data
            do {
                data = try Data(contentsOf: url)
            } catch {
                throw LiaisonError(.invalidFile, "cannot read the file: \(error.localizedDescription)", file: url.path)
            }
            let isJSON = url.pathExtension.lowercased() == "json" || (url.pathExtension.lowercased() != "csv" && data.first(where: { !($0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09) }) == UInt8(ascii: "{"))
            if isJSON { return try importJSON(data, fileName: name, dryRun: dryRun, interruption: interruption, progress: progress) }
            // The file is read whole once for its layout, then a batch at a time while it is imported.
            table = try CSVTable(file: url, contents: data, fileName: name)
        }
        return try importCSV(table, dryRun: dryRun, interruption: interruption, progress: progress)
    }

    /// Imports the CSV format of ``CSVFormat``.
    ///
    /// Matching keys: an agency by country and name (case, accents and script folded); a unit by its
    /// agency and name; a contact by agency or unit and given plus family name (else native name); a
    /// channel by owner, kind and value; a designation by holder, crime area and function. A matched
    /// record is updated from the row's non-empty cells; channels and designations not in the file are
    /// kept.
    public func importCSV(_ text: String, fileName: String, dryRun: Bool = false, progress: @escaping @Sendable (Int, Int) -> Void = { _, _ in }) throws(LiaisonError) -> ImportSummary {
        try importCSV(try CSVTable(text: text, fileName: fileName), dryRun: dryRun, interruption: nil, progress: progress)
    }

    private func importCSV(
        _ table: CSVTable, dryRun: Bool, interruption: Interruption?, progress: @escaping @Sendable (Int, Int) -> Void
    ) throws(LiaisonError) -> ImportSummary {
        let fileName = table.fileName
        let total = table.count
        let reference = try referenceData()
        let (summary, commits) = try write(commit: !dryRun) { tx in
            // A row that changes a record another node keeps is refused, not proposed.
            tx.proposesEdits = false
            let session = try ImportSession(tx: tx, fileName: fileName, contacts: total)
            // Rows are read and checked a batch ahead on another thread while this one writes.
            let batches = stride(from: 0, to: total, by: Self.importBatchSize).map { $0..<min($0 + Self.importBatchSize, total) }
            func prepare(_ index: Int) -> Background<Result<[ImportSession.PreparedRow], LiaisonError>>? {
                guard batches.indices.contains(index) else { return nil }
                let range = batches[index]
                return Background {
                    Result { () throws(LiaisonError) in
                        try table.records(range).map { ImportSession.prepare(table.cells($0), number: $0.row, fileName: fileName, reference: reference) }
                    }
                }
            }
            var next = prepare(0)
            for index in batches.indices {
                try Self.stopIfInterrupted(interruption, fileName: fileName)
                let prepared = try next?.value.get() ?? []
                next = prepare(index + 1)
                for row in prepared { try session.importRow(row) }
                try session.commitBatch()
                progress(session.summary.rows, total)
            }
            try session.finish()
            if batches.isEmpty { progress(0, 0) }
            return session.summary
        }
        return summary.completed(commits: commits.count, dryRun: dryRun)
    }

    /// Imports the JSON format of ``DirectoryDocument``, matching records by id, or like CSV where a
    /// record has no id.
    public func importJSON(
        _ data: Data, fileName: String, dryRun: Bool = false, interruption: Interruption? = nil,
        progress: @escaping @Sendable (Int, Int) -> Void = { _, _ in }
    ) throws(LiaisonError) -> ImportSummary {
        let document: DirectoryDocument
        do {
            document = try JSONDecoder().decode(DirectoryDocument.self, from: data)
        } catch let DecodingError.keyNotFound(key, context) {
            let path = Self.jsonPath(context.codingPath + [key])
            throw LiaisonError(
                .invalidFile, "\(path) is missing", file: fileName,
                hint: "a Liaison JSON file comes from `liaison export --format json`; see the README")
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            throw LiaisonError(.invalidFile, "\(Self.jsonPath(context.codingPath)) has the wrong type: \(context.debugDescription)", file: fileName)
        } catch let DecodingError.dataCorrupted(context) {
            let path = Self.jsonPath(context.codingPath)
            throw LiaisonError(.invalidFile, "\(path.isEmpty ? "not valid JSON" : "\(path): \(context.debugDescription)")", file: fileName)
        } catch {
            throw LiaisonError(.invalidFile, "not a Liaison JSON directory: \(error)", file: fileName)
        }
        guard document.format == DirectoryDocument.formatName, document.version == 1 else {
            throw LiaisonError(.invalidFile, "format \"\(document.format)\" version \(document.version) is not \(DirectoryDocument.formatName) version 1", file: fileName)
        }
        let total = document.agencies.count + document.contacts.count
        let (summary, commits) = try write(commit: !dryRun) { tx in
            tx.proposesEdits = false
            let session = try ImportSession(tx: tx, fileName: fileName, contacts: document.contacts.count)
            try session.importDocument(document) { done in
                if done % Self.importBatchSize == 0 {
                    try Self.stopIfInterrupted(interruption, fileName: fileName)
                    try session.commitBatch()
                    progress(done, total)
                }
            }
            try session.finish()
            try session.commitBatch()
            progress(total, total)
            return session.summary
        }
        return summary.completed(commits: commits.count, dryRun: dryRun)
    }

    /// Throwing inside the write transaction rolls back every batch of the import.
    private static func stopIfInterrupted(_ interruption: Interruption?, fileName: String) throws(LiaisonError) {
        guard interruption?.isRequested == true else { return }
        throw LiaisonError(.interrupted, "Interrupted: nothing was imported from \(fileName); run the import again.")
    }
}
