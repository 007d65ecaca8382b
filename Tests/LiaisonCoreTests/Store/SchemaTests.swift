import Foundation
import GRDB
import LiaisonCore
import LiaisonTestSupport
import Testing

@Suite struct SchemaTests {
    @Test func appliedMigrationsEqualTheSchemaFiles() throws {
        let schemaFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appending(path: "Schema")
        let files = try FileManager.default.contentsOfDirectory(atPath: schemaFolder.path)
            .filter { $0.hasSuffix(".sql") }.map { String($0.dropLast(4)) }.sorted()
        #expect(files.count >= 2)
        let directory = try Fixtures.emptyNode()
        let applied = try directory.read { db in try Migrations.appliedIdentifiers(db) }
        #expect(applied == files)
        #expect(Migrations.identifiers == files)
    }

    @Test func seedsAll249Countries() throws {
        let directory = try Fixtures.emptyNode()
        let countries = try directory.countries()
        #expect(countries.count == 249)
        let moldova = try directory.country("md")
        #expect(moldova.alpha3 == "MDA")
        #expect(moldova.numeric == "498")
        #expect(moldova.unRegion == "Europe")
        #expect(moldova.callingCode == "373")
    }

    @Test(arguments: [
        ("a country that is not in the reference data", "'ZZ'", "'Nowhere Police'", ResultCode.SQLITE_CONSTRAINT_FOREIGNKEY),
        ("an empty name", "'MD'", "''", .SQLITE_CONSTRAINT_CHECK),
        ("no name", "'MD'", "NULL", .SQLITE_CONSTRAINT_NOTNULL),
    ])
    func foreignKeysAndConstraintsAreEnforcedBySQL(_ rule: String, _ country: String, _ name: String, _ code: ResultCode) throws {
        let directory = try Fixtures.emptyNode()
        let error = #expect(throws: DatabaseError.self, "\(rule)") {
            try directory.database.write { db in
                try db.execute(sql: """
                    INSERT INTO agency (id, steward, created_at, modified_at, stamps, name, kind, country)
                    VALUES ('00000000-0000-0000-0000-000000000001', 'x', 'now', 'now', '{}', \(name), 'police', \(country))
                    """)
            }
        }
        #expect(error?.resultCode == .SQLITE_CONSTRAINT, "\(rule)")
        #expect(error?.extendedResultCode == code, "\(rule): \(String(describing: error))")
        #expect(try directory.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM agency") } == 0, "\(rule)")
    }

    @Test func aRecordIdIsUniqueInSQL() throws {
        let directory = try Fixtures.emptyNode()
        let insert = """
            INSERT INTO agency (id, steward, created_at, modified_at, stamps, name, kind, country)
            VALUES ('00000000-0000-0000-0000-000000000001', 'x', 'now', 'now', '{}', 'Nowhere Police', 'police', 'MD')
            """
        let error = #expect(throws: DatabaseError.self) {
            try directory.database.write { db in
                try db.execute(sql: insert)
                try db.execute(sql: insert)
            }
        }
        #expect(error?.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE)
        #expect(try directory.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM agency") } == 0, "the transaction was undone whole")
    }

    @Test func fileDatabaseUsesWAL() throws {
        let folder = NodeFolder(url: Fixtures.temporaryFolder())
        defer { try? FileManager.default.removeItem(at: folder.url) }
        let directory = try folder.initialize(name: "WAL check", agency: "Test")
        let mode = try directory.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
        #expect(mode == "wal")
    }
}
