import Crypto
import Foundation
import GRDB
@testable import LiaisonCore
import LiaisonSync
import LiaisonTestSupport
import Testing

/// The audit log records consultations and disclosures by record id, and `verifyAudit` finds an
/// entry edited, removed or moved behind the node's back.
@Suite struct AuditTests {
    /// A node with `count` entries, each naming one record.
    static func node(entries count: Int) throws -> Directory {
        let node = try Directory.inMemory()
        for index in 1...count {
            try node.audit(.noteShow, actor: "user:officer\(index)", records: [UUID().lowercasedString], reason: index == 2 ? "case 2026/114" : nil)
        }
        return node
    }

    /// The node's audit database, to edit behind its back.
    static func auditDatabase(_ node: Directory) throws -> any DatabaseWriter {
        try #require(node.auditRecorder).database
    }

    static func verificationFailure(_ node: Directory) -> String? {
        #expect(throws: LiaisonError.self) { try node.verifyAudit() }?.message
    }

    @Test func anUntouchedLogVerifiesAndReadsBack() throws {
        let node = try Self.node(entries: 5)
        let result = try node.verifyAudit()
        #expect(result.entries == 5 && result.head.hasPrefix("5:"))
        let entries = try node.auditEntries()
        #expect(entries.map(\.sequence) == [1, 2, 3, 4, 5])
        #expect(entries[1].reason == "case 2026/114" && entries[1].actor == "user:officer2" && entries[1].action == .noteShow)
        #expect(try node.auditEntries(limit: 2).map(\.sequence) == [4, 5])
        #expect(try node.auditEntries(record: entries[2].records[0]).map(\.sequence) == [3])
    }

    @Test func anEditedEntryBreaksTheChain() throws {
        for (column, value) in [("actor", "'user:someone-else'"), ("reason", "'routine'"), ("records", "'[]'"), ("at", "'2020-01-01T00:00:00.000Z'")] {
            let node = try Self.node(entries: 4)
            try Self.auditDatabase(node).write { db in try db.execute(sql: "UPDATE audit_entry SET \(column) = \(value) WHERE sequence = 3") }
            #expect(Self.verificationFailure(node)?.hasPrefix("audit entry 3 does not fit the chain") == true, "editing \(column)")
        }
        // Recomputing the links needs the node's key: a chain made with another key does not fit.
        let node = try Self.node(entries: 3)
        try Self.auditDatabase(node).write { db in
            try db.execute(sql: "DELETE FROM audit_entry")
            for _ in 1...3 {
                try AuditLog.append(.noteShow, actor: "user:forger", records: [], at: "2026-12-01T10:00:00.000Z", key: .init(size: .bits256), in: db)
            }
        }
        #expect(Self.verificationFailure(node)?.hasPrefix("audit entry 1 does not fit the chain") == true)
    }

    @Test func aRemovedOrMovedEntryIsFound() throws {
        let removed = try Self.node(entries: 5)
        try Self.auditDatabase(removed).write { db in try db.execute(sql: "DELETE FROM audit_entry WHERE sequence IN (2, 3)") }
        #expect(Self.verificationFailure(removed) == "audit entries 2–3 were removed")
        // Renumbered to hide the gap, the entry after it no longer fits.
        let renumbered = try Self.node(entries: 5)
        try Self.auditDatabase(renumbered).write { db in
            try db.execute(sql: "DELETE FROM audit_entry WHERE sequence = 2")
            try db.execute(sql: "UPDATE audit_entry SET sequence = sequence - 1 WHERE sequence > 2")
        }
        #expect(Self.verificationFailure(renumbered)?.hasPrefix("audit entry 2 does not fit the chain") == true)
        // Two entries swapped, with their links.
        let swapped = try Self.node(entries: 5)
        try Self.auditDatabase(swapped).write { db in
            try db.execute(sql: "UPDATE audit_entry SET sequence = 100 WHERE sequence = 2")
            try db.execute(sql: "UPDATE audit_entry SET sequence = 2 WHERE sequence = 4")
            try db.execute(sql: "UPDATE audit_entry SET sequence = 4 WHERE sequence = 100")
        }
        #expect(Self.verificationFailure(swapped)?.hasPrefix("audit entry 2 does not fit the chain") == true)
        // Entries cut off at the end leave a chain that fits: the head tells.
        let cut = try Self.node(entries: 5)
        let head = try cut.verifyAudit().head
        try Self.auditDatabase(cut).write { db in try db.execute(sql: "DELETE FROM audit_entry WHERE sequence = 5") }
        #expect(try cut.verifyAudit().head != head)
    }

    @Test func disclosuresNameTheNotesThatLeftAndWhere() throws {
        let nodes = try Federation.nodes(3)
        let named = try NoteTests.publish(nodes[0], "Namedaudit", to: .nodes([nodes[1].node.id]))
        let open = try NoteTests.publish(nodes[0], "Openaudit", to: .federation)
        let folder = Fixtures.temporaryFolder()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appending(path: "to-2.bundle")
        _ = try nodes[0].exportBundle(to: file, assumes: VersionVector(), for: nodes[2].node.id, actor: "user:officer")
        let disclosure = try #require(try nodes[0].auditEntries().last)
        #expect(disclosure.action == .disclosedByBundle && disclosure.actor == "user:officer")
        #expect(disclosure.detail["file"] == file.path && disclosure.detail["receiver"] == nodes[2].node.id.hex)
        // The federation note went in clear, the named one sealed to its reader.
        #expect(Set(disclosure.records) == [named.id.lowercasedString, open.id.lowercasedString])
        #expect(disclosure.detail["sealed_copies"] == "1")
        // A bundle of the directory only discloses nothing to account for.
        let directoryOnly = try Directory.inMemory()
        _ = try directoryOnly.write { tx in try tx.save(Agency(name: "Border Police", kind: .border, country: "MD")) }
        _ = try directoryOnly.exportBundle(to: folder.appending(path: "directory.bundle"), assumes: VersionVector())
        #expect(try directoryOnly.auditEntries().isEmpty)
    }

    @Test func purgesAreRecordedByIdOnly() throws {
        let nodes = try Federation.nodes(2)
        let note = try NoteTests.publish(nodes[0], "Auditpurgemarker", to: .federation)
        try Federation.syncAll(nodes)
        try nodes[0].purge(note: note.id, reason: "held too long", actor: "user:officer")
        try Federation.syncAll(nodes)
        let here = try #require(try nodes[0].auditEntries().last)
        #expect(here.action == .notePurge && here.records == [note.id.lowercasedString] && here.reason == "held too long")
        let there = try #require(try nodes[1].auditEntries().last)
        #expect(there.action == .notePurge && there.actor == "node" && there.detail["purged_by"] == nodes[0].node.id.hex)
        for node in nodes {
            _ = try node.verifyAudit()
            let text = try Self.auditDatabase(node).read { db in
                try String.fetchAll(db, sql: "SELECT actor || action || records || detail || coalesce(reason, '') FROM audit_entry")
            }
            #expect(!text.joined().contains("Auditpurgemarker"))
        }
    }
}
