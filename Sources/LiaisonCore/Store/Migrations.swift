public import GRDB

/// The schema migrations: the SQL files of `Schema/`, embedded at build time, applied in file order.
public enum Migrations {
    /// The migration ids, which are the file names without `.sql`.
    public static var identifiers: [String] { EmbeddedResources.migrations.map { identifier(for: $0.name) } }

    package static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        for migration in EmbeddedResources.migrations {
            let sql = migration.text
            migrator.registerMigration(identifier(for: migration.name)) { db in try db.execute(sql: sql) }
        }
        return migrator
    }

    /// Migrations whose ids are applied in `db`.
    public static func appliedIdentifiers(_ db: Database) throws -> [String] {
        try migrator.appliedIdentifiers(db).sorted()
    }

    private static func identifier(for fileName: String) -> String {
        fileName.hasSuffix(".sql") ? String(fileName.dropLast(4)) : fileName
    }
}
