import Foundation
import GRDB
import LiaisonCore
import LiaisonSync
import LiaisonTestSupport
import Testing

/// A node made before replication opens with the current schema, and its tables still match its log.
@Suite struct MigrationTests {
    @Test func aPreReplicationNodeMigratesAndStillMatchesItsLog() throws {
        let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appending(path: "Fixtures/pre-replication-node")
        let folder = NodeFolder(url: Fixtures.temporaryFolder())
        try FileManager.default.createDirectory(at: folder.url, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(at: folder.url) }
        try FileManager.default.copyItem(at: fixture.appending(path: "liaison-0002.db"), to: folder.databaseURL)
        try FileManager.default.copyItem(at: fixture.appending(path: "signing.key"), to: folder.signingKeyURL)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: folder.signingKeyURL.path)

        let directory = try folder.open()
        #expect(try directory.read { db in try Migrations.appliedIdentifiers(db) } == Migrations.identifiers)
        // Each commit holds its changes; the table of one row a change is gone.
        #expect(try directory.read { db in try db.tableExists("change_log") } == false)
        // Stamps equal to the claim are left out of the store, and the digest still spells them.
        let stamps = try directory.read { db in try String.fetchAll(db, sql: "SELECT stamps FROM agency ORDER BY local_id") }
        #expect(stamps.count == 2 && stamps[0].hasPrefix("{\"name\":") && stamps[1] == "{}", "one agency was renamed, one never edited")
        #expect(try directory.digest() == "1700f91c9fe10d797613f9c76dbfac72a17b9b450921cacc02ed9b4a3c6d7fa3", "as every release computed it")
        let report = try directory.read { db in try LogStore.verify(in: db) }
        #expect(report.commits == 9)
        // Claims come from each record's creation, stamps carry the epoch: as a replay makes them.
        let state = try directory.read { db in try LogStore.verifyState(in: db, scratchFolder: folder.url) }
        #expect(state.records == 9)
        let claims = try directory.read { db in try String.fetchAll(db, sql: "SELECT claim FROM channel ORDER BY id") }
        #expect(claims.allSatisfy { $0.hasSuffix("-00000001") })

        // The node goes on writing in its chain.
        _ = try directory.write { tx in try tx.save(Agency(name: "Prosecution Office", kind: .prosecution, country: "MD")) }
        #expect(try directory.read { db in try LogStore.verify(in: db) }.commits == 10)
        #expect(try directory.read { db in try LogStore.verifyState(in: db, scratchFolder: folder.url) }.records == 10)
    }
}
