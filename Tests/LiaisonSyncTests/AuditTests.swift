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
    /// A node in a folder, with `count` entries, each naming one record.
    static func node(entries count: Int) throws -> (Directory, NodeFolder) {
        let folder = NodeFolder(url: Fixtures.temporaryFolder())
        let node = try folder.initialize(name: "Audited desk", agency: "Border Police")
        for index in 1...count {
            try node.audit(.noteShow, actor: "user:officer\(index)", records: [UUID().lowercasedString], reason: index == 2 ? "case 2026/114" : nil)
        }
        return (node, folder)
    }

    /// Rewrites the node's audit log file behind its back, a line at a time.
    static func edit(_ folder: NodeFolder, _ change: (inout [String]) -> Void) throws {
        var lines = try String(contentsOf: folder.auditLogURL, encoding: .utf8).split(separator: "\n").map(String.init)
        change(&lines)
        try Data(lines.map { $0 + "\n" }.joined().utf8).write(to: folder.auditLogURL)
    }

    static func verificationFailure(_ node: Directory) -> String? {
        #expect(throws: LiaisonError.self) { try node.verifyAudit() }?.message
    }

    @Test func anUntouchedLogVerifiesAndReadsBack() throws {
        let (node, folder) = try Self.node(entries: 5)
        defer { try? FileManager.default.removeItem(at: folder.url) }
        let result = try node.verifyAudit()
        #expect(result.entries == 5 && result.head.hasPrefix("5:"))
        let entries = try node.auditEntries()
        #expect(entries.map(\.sequence) == [1, 2, 3, 4, 5])
        #expect(entries[1].reason == "case 2026/114" && entries[1].actor == "user:officer2" && entries[1].action == .noteShow)
        #expect(try node.auditEntries(limit: 2).map(\.sequence) == [4, 5])
        #expect(try node.auditEntries(record: entries[2].records[0]).map(\.sequence) == [3])
        #expect(try node.auditEntries(record: String(entries[3].records[0].suffix(8))).map(\.sequence) == [4])
        // A country page is recorded by its code, found in either case.
        try node.audit(.pageShow, actor: "user:officer", records: ["MD"])
        #expect(try node.auditEntries(record: "md").map(\.sequence) == [6])
        // Read back by another opening of the folder, as another process would.
        #expect(try folder.open().auditEntries().prefix(5) == entries[...])
        let mode = try FileManager.default.attributesOfItem(atPath: folder.auditLogURL.path)[.posixPermissions] as? NSNumber
        #expect(mode?.intValue == 0o600)
    }

    @Test func anEditedEntryBreaksTheChain() throws {
        let edits: [(String, (String) -> String)] = [
            ("actor", { $0.replacingOccurrences(of: "user:officer3", with: "user:someone-else") }),
            ("reason", { $0.replacingOccurrences(of: ",\"link\"", with: ",\"reason\":\"routine\",\"link\"") }),
            ("records", { $0.replacing(#/"records":\[[^\]]*\]/#, with: "\"records\":[]") }),
            ("at", { $0.replacing(#/"at":"[^"]*"/#, with: "\"at\":\"2020-01-01T00:00:00.000Z\"") }),
        ]
        for (field, change) in edits {
            let (node, folder) = try Self.node(entries: 4)
            defer { try? FileManager.default.removeItem(at: folder.url) }
            try Self.edit(folder) { lines in lines[2] = change(lines[2]) }
            #expect(Self.verificationFailure(node)?.hasPrefix("audit entry 3 does not fit the chain") == true, "editing \(field)")
        }
        // Written in any other form than Liaison's, even with the same values, a line is not an entry.
        let (spaced, spacedFolder) = try Self.node(entries: 4)
        defer { try? FileManager.default.removeItem(at: spacedFolder.url) }
        try Self.edit(spacedFolder) { lines in lines[1] = lines[1].replacingOccurrences(of: ",\"actor\"", with: ", \"actor\"") }
        #expect(Self.verificationFailure(spaced)?.hasPrefix("line 2 of the audit log is not an entry as Liaison writes them") == true)
        // Recomputing the links needs the node's key: a chain made with another key does not fit.
        let (node, folder) = try Self.node(entries: 3)
        defer { try? FileManager.default.removeItem(at: folder.url) }
        let otherKey = SymmetricKey(size: .bits256)
        try Self.edit(folder) { lines in
            var link = AuditLog.genesis
            lines = (1...3).map { sequence in
                let entry = AuditEntry(
                    sequence: Int64(sequence), at: "2026-12-01T10:00:00.000Z", actor: "user:forger", action: .noteShow, records: [], detail: [:], reason: nil)
                link = AuditLog.link(entry, after: link, key: otherKey)
                return String(decoding: AuditLog.line(entry, link: link), as: UTF8.self)
            }
        }
        #expect(Self.verificationFailure(node)?.hasPrefix("audit entry 1 does not fit the chain") == true)
    }

    @Test func aRemovedOrMovedEntryIsFound() throws {
        var folders: [NodeFolder] = []
        defer { for folder in folders { try? FileManager.default.removeItem(at: folder.url) } }
        func node(_ change: (inout [String]) -> Void) throws -> Directory {
            let (node, folder) = try Self.node(entries: 5)
            folders.append(folder)
            try Self.edit(folder, change)
            return node
        }
        #expect(Self.verificationFailure(try node { $0.removeSubrange(1...2) }) == "audit entries 2–3 were removed, or moved from here")
        #expect(Self.verificationFailure(try node { $0.swapAt(1, 3) }) == "audit entries 2–3 were removed, or moved from here")
        // Renumbered to hide the gap, or swapped with their numbers, the entries no longer fit.
        let renumbered = try node { lines in
            lines.remove(at: 1)
            for index in 1..<lines.count {
                lines[index] = lines[index].replacingOccurrences(of: "{\"sequence\":\(index + 2),", with: "{\"sequence\":\(index + 1),")
            }
        }
        #expect(Self.verificationFailure(renumbered)?.hasPrefix("audit entry 2 does not fit the chain") == true)
        let swapped = try node { lines in
            lines.swapAt(1, 3)
            lines[1] = lines[1].replacingOccurrences(of: "{\"sequence\":4,", with: "{\"sequence\":2,")
            lines[3] = lines[3].replacingOccurrences(of: "{\"sequence\":2,", with: "{\"sequence\":4,")
        }
        #expect(Self.verificationFailure(swapped)?.hasPrefix("audit entry 2 does not fit the chain") == true)
        // Entries cut off at the end leave a chain that fits: the head tells.
        let (cut, folder) = try Self.node(entries: 5)
        folders.append(folder)
        let head = try cut.verifyAudit().head
        try Self.edit(folder) { $0.removeLast() }
        #expect(try cut.verifyAudit().head != head)
    }

    @Test func writersInTwoOpeningsOfANodeChainOneLog() async throws {
        let (first, folder) = try Self.node(entries: 1)
        defer { try? FileManager.default.removeItem(at: folder.url) }
        let second = try folder.open()
        await withTaskGroup(of: Void.self) { group in
            for (index, node) in [first, second, first, second].enumerated() {
                group.addTask {
                    for entry in 0..<50 { try? node.audit(.noteList, actor: "user:writer\(index)", records: ["\(index)-\(entry)"]) }
                }
            }
        }
        #expect(try first.verifyAudit().entries == 201)
        #expect(try second.auditEntries().count == 201)
    }

    @Test func aWriteCutShortStaysVisibleAndTheLogGoesOn() throws {
        let (node, folder) = try Self.node(entries: 2)
        defer { try? FileManager.default.removeItem(at: folder.url) }
        let handle = try FileHandle(forWritingTo: folder.auditLogURL)
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("{\"sequence\":3,\"at\":\"2026-12".utf8))
        try handle.close()
        // Another opening, which has not seen the log's end, follows the last whole entry.
        try folder.open().audit(.noteShow, actor: "user:officer", records: ["a"])
        let entries = try node.auditEntries()
        #expect(entries.map(\.sequence) == [1, 2, 3] && entries.last?.actor == "user:officer")
        #expect(Self.verificationFailure(node)?.hasPrefix("line 3 of the audit log is not an entry") == true)
        // The entries after it are still checked.
        try Self.edit(folder) { lines in lines[3] = lines[3].replacingOccurrences(of: "user:officer", with: "user:nobody") }
        #expect(Self.verificationFailure(node)?.hasSuffix("; audit entry 3 does not fit the chain: it was edited, or entries were moved or removed before it") == true)
    }

    @Test func aLogRemovedWhileTheNodeIsOpenStopsConsultations() throws {
        let (node, folder) = try Self.node(entries: 1)
        defer { try? FileManager.default.removeItem(at: folder.url) }
        try FileManager.default.removeItem(at: folder.auditLogURL)
        let refused = #expect(throws: LiaisonError.self) { try node.audit(.noteShow, actor: "user:officer", records: ["a"]) }
        #expect(refused?.message.hasSuffix("was removed or replaced while the node was open; nothing more is shown until it is back") == true)
        #expect(#expect(throws: LiaisonError.self) { try folder.open() }?.message.hasPrefix("this node's audit log, audit.log, is missing") == true)
        #expect(!FileManager.default.fileExists(atPath: folder.auditLogURL.path))

        // A copy renamed over the log, as an editor saves a file, is refused alike.
        let (other, otherFolder) = try Self.node(entries: 1)
        defer { try? FileManager.default.removeItem(at: otherFolder.url) }
        let copy = otherFolder.url.appending(path: "audit.copy")
        try FileManager.default.copyItem(at: otherFolder.auditLogURL, to: copy)
        #expect(rename(copy.path, otherFolder.auditLogURL.path) == 0)
        let replaced = #expect(throws: LiaisonError.self) { try other.audit(.noteShow, actor: "user:officer", records: ["a"]) }
        #expect(replaced?.message.hasSuffix("was removed or replaced while the node was open; nothing more is shown until it is back") == true)
    }

    @Test func aLogKeptInADatabaseMovesToItsFile() throws {
        let (node, folder) = try Self.node(entries: 3)
        defer { try? FileManager.default.removeItem(at: folder.url) }
        let entries = try node.auditEntries()
        let lines = try String(contentsOf: folder.auditLogURL, encoding: .utf8)
        // The same entries as an earlier release kept them, in audit.sqlite.
        let database = try DatabaseQueue(path: folder.url.appending(path: "audit.sqlite").path)
        try database.write { db in
            try db.execute(sql: """
                CREATE TABLE audit_entry (sequence INTEGER PRIMARY KEY, at TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
                  records TEXT NOT NULL, detail TEXT NOT NULL, reason TEXT, chain BLOB NOT NULL) STRICT
                """)
            for line in lines.split(separator: "\n") {
                let (entry, link) = try #require(AuditLog.entry(line: Array(line.utf8)))
                try db.execute(
                    sql: "INSERT INTO audit_entry VALUES (?, ?, ?, ?, ?, '{}', ?, ?)",
                    arguments: [entry.sequence, entry.at, entry.actor, entry.action.rawValue, JSONStringArray.encode(entry.records), entry.reason, Data(link)])
            }
        }
        // A row that would not come out as it went in stops the move: the database stays.
        try database.write { db in try db.execute(sql: "UPDATE audit_entry SET action = 'note.peek' WHERE sequence = 2") }
        try FileManager.default.removeItem(at: folder.auditLogURL)
        #expect(#expect(throws: LiaisonError.self) { try folder.open() }?.message.hasPrefix("audit entry 2 of audit.sqlite is not as Liaison wrote it") == true)
        #expect(!FileManager.default.fileExists(atPath: folder.auditLogURL.path))
        try database.write { db in try db.execute(sql: "UPDATE audit_entry SET action = 'note.show' WHERE sequence = 2") }
        try database.close()
        let reopened = try folder.open()
        #expect(try reopened.auditEntries() == entries && reopened.verifyAudit().entries == 3)
        #expect(!FileManager.default.fileExists(atPath: folder.url.appending(path: "audit.sqlite").path))
        #expect(try String(contentsOf: folder.auditLogURL, encoding: .utf8) == lines)
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
            var text = ""
            try #require(node.auditRecorder).forEachLine { _, line in
                text += String(decoding: line, as: UTF8.self)
                return true
            }
            #expect(text.contains("\"note.purge\"") && !text.contains("Auditpurgemarker"))
        }
    }
}
