public import GRDB
import Foundation

/// The schema migrations: the SQL files of `Schema/`, embedded at build time, applied in file order.
public enum Migrations {
    /// The migration ids, which are the file names without `.sql`.
    public static var identifiers: [String] { EmbeddedResources.migrations.map { identifier(for: $0.name) } }

    package static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        for migration in EmbeddedResources.migrations {
            let sql = migration.text
            let identifier = identifier(for: migration.name)
            let swiftStep = swiftSteps[identifier]
            migrator.registerMigration(identifier) { db in
                try db.execute(sql: sql)
                try swiftStep?(db)
            }
        }
        return migrator
    }

    /// What a migration does after its SQL, where SQL cannot: re-encoding stored bytes.
    private static let swiftSteps: [String: @Sendable (Database) throws -> Void] = [
        "0004-commit-changes": LogStore.moveChangesIntoCommits(in:),
        "0015-search-joined-spellings": { db in
            // Only names with a soft or hard sign are folded differently now.
            func ids(_ table: String, _ columns: [String]) throws -> Set<UUID> {
                let condition = columns.flatMap { column in ["ь", "Ь", "ъ", "Ъ"].map { "\(column) LIKE '%\($0)%'" } }.joined(separator: " OR ")
                return Set(try String.fetchAll(db, sql: "SELECT id FROM \(table) WHERE \(condition)").compactMap(UUID.init(uuidString:)))
            }
            let agencies = try ids("agency", ["name", "native_name"])
            try SearchIndex.reindex(
                persons: try ids("person", ["given_name", "family_name", "native_name"]), agencies: agencies, agenciesWithMembers: agencies, in: db)
        },
        "0016-purge": { db in
            // Where the intelligence changes already logged sit, for purges to find.
            let rows = try Row.fetchCursor(db, sql: "SELECT \(LogStore.commitColumns) FROM commit_log")
            while let row = try rows.next() {
                let (commit, changes) = try LogStore.decodedCommit(row)
                try NoteErasure.index(changes, position: row["position"], in: db)
                if LogStore.holdsIntelligence(commit) {
                    try db.execute(sql: "UPDATE commit_log SET holds_intelligence = 1 WHERE position = ?", arguments: [row["position"] as Int64])
                }
            }
        },
        "0013-note-search": { db in
            try NoteIndex.reindex(Set(try String.fetchAll(db, sql: "SELECT id FROM note").compactMap(UUID.init(uuidString:))), in: db)
        },
    ]

    /// Migrations whose ids are applied in `db`.
    public static func appliedIdentifiers(_ db: Database) throws -> [String] {
        try migrator.appliedIdentifiers(db).sorted()
    }

    private static func identifier(for fileName: String) -> String {
        fileName.hasSuffix(".sql") ? String(fileName.dropLast(4)) : fileName
    }
}
