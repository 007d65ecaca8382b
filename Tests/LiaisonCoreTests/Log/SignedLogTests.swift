import Crypto
import Foundation
import GRDB
import LiaisonCore
import LiaisonSync
import LiaisonTestSupport
import Testing

@Suite struct SignedLogTests {
    @Test func everyWriteAppendsOneSignedCommitInOrder() throws {
        let directory = try Fixtures.emptyNode()
        let police = try Fixtures.moldovaPolice(directory)
        var renamed = police
        renamed.acronym = "CCTP-MD"
        let (_, commits) = try directory.write { [renamed] tx in try tx.save(renamed) }
        #expect(commits.count == 1 && commits[0].changeCount == 1 && commits[0].sequence == 2)
        let (_, none) = try directory.write { [renamed] tx in try tx.save(renamed) }
        #expect(none.isEmpty, "saving an unchanged record writes no commit")

        let entries = try directory.read { db in try LogStore.entries(in: db) }
        #expect(entries.map(\.commit.header.sequence) == [1, 2])
        #expect(entries[0].commit.header.previousHash == CommitHeader.genesisHash)
        #expect(entries[1].commit.header.previousHash == entries[0].commit.header.hash)
        #expect(entries[1].commit.header.time > entries[0].commit.header.time)
        for entry in entries { try entry.commit.verify(with: directory.node.publicKey) }
        let change = try Change(decoding: try #require(entries[1].commit.changeBodies[0]))
        guard case .upsert(let groups) = change.operation else {
            Issue.record("expected an upsert")
            return
        }
        #expect(groups.names == ["name"], "only the changed field group travels")
        #expect(try directory.read { db in try LogStore.verify(in: db) }.commits == 2)
    }

    @Test func bulkImportIsOneCommitPerBatch() throws {
        let directory = try Fixtures.demoNode()
        let stats = try directory.stats()
        let rows = DemoDirectory.csv.split(separator: "\n").count - 1
        #expect(stats.commits == (rows + Directory.importBatchSize - 1) / Directory.importBatchSize)
        #expect(stats.changes > rows)
    }

    @Test(arguments: ["header", "signature", "body", "hash", "order"])
    func tamperingIsFoundByVerify(part: String) throws {
        let directory = try Fixtures.emptyNode()
        for name in ["A", "B", "C"] {
            try directory.write { tx in try tx.save(Agency(name: "Agency \(name)", kind: .police, country: "MD")) }
        }
        try directory.database.write { db in
            switch part {
            case "header":
                var header = try #require(try Data.fetchOne(db, sql: "SELECT header FROM commit_log WHERE sequence = 2"))
                header[60] ^= 0xFF
                try db.execute(sql: "UPDATE commit_log SET header = ? WHERE sequence = 2", arguments: [header])
            case "signature":
                try db.execute(sql: "UPDATE commit_log SET signature = zeroblob(64) WHERE sequence = 2")
            case "body":
                try Self.rewriteCommit(at: 2, in: db) { commit in
                    var body = try #require(commit.changeBodies[0])
                    body[body.count - 1] ^= 0x01
                    commit.changeBodies[0] = body
                }
            case "hash":
                try Self.rewriteCommit(at: 2, in: db) { commit in
                    commit.changeHashes[0] = [UInt8](repeating: 0, count: 32)
                    commit.changeBodies[0] = nil
                }
            default:
                try db.execute(sql: "DELETE FROM commit_log WHERE sequence = 2")
            }
        }
        let error = #expect(throws: LiaisonError.self) { try directory.read { db in try LogStore.verify(in: db) } }
        #expect(error?.code == .verification)
        #expect(error?.record?.contains(part == "order" ? "/1/3" : "/1/2") == true, "names the first bad commit: \(String(describing: error))")
    }

    /// Changes a stored commit behind the log's back.
    static func rewriteCommit(at position: Int64, in db: Database, _ edit: (inout Commit) throws -> Void) throws {
        let row = try #require(try Row.fetchOne(db, sql: "SELECT \(LogStore.commitColumns) FROM commit_log WHERE position = ?", arguments: [position]))
        var commit = try LogStore.commit(row)
        try edit(&commit)
        try LogStore.replaceChanges(of: commit, at: position, in: db)
    }

    @Test func withheldChangesStillVerify() throws {
        let directory = try Fixtures.emptyNode()
        _ = try Fixtures.moldovaPolice(directory)
        try directory.database.write { db in
            for position in try Int64.fetchAll(db, sql: "SELECT position FROM commit_log") {
                try Self.rewriteCommit(at: position, in: db) { commit in commit.changeBodies = commit.changeBodies.map { _ in nil } }
            }
        }
        let report = try directory.read { db in try LogStore.verify(in: db) }
        #expect(report.withheldChanges == 1)
    }

    @Test func changeEncodingRoundTripsAndRejectsNonCanonicalBytes() throws {
        let change = Change(
            entity: .person, recordID: UUID(),
            operation: .upsert(["name": ["given_name": .text("Ион"), "family_name": .null], "languages": ["languages": .list(["ro", "ru"]), "time_zone": .null]]),
            distribution: .nodes([try NodeID(hex: String(repeating: "0f", count: 16))]))
        let bytes = change.encoded
        #expect(try Change(decoding: bytes) == change)
        #expect(throws: LiaisonError(.verification, "change bytes are not in canonical form")) { try Change(decoding: bytes + [0]) }
        let truncated = #expect(throws: LiaisonError.self) { try Change(decoding: Array(bytes.dropLast())) }
        #expect(truncated?.code == .verification && truncated?.message.hasPrefix("truncated data") == true, "\(String(describing: truncated))")
    }

    @Test func tableEditsBehindTheLogAreFound() throws {
        let directory = try Fixtures.demoNode()
        let clean = try directory.read { db in try LogStore.verifyState(in: db) }
        #expect(clean.records == (try directory.read { db in
            try Int.fetchOne(db, sql: "SELECT (SELECT count(*) FROM agency) + (SELECT count(*) FROM person) + (SELECT count(*) FROM channel) + (SELECT count(*) FROM designation)") ?? 0
        }))
        let edits = [
            "UPDATE channel SET value = '+37399999999' WHERE rowid = (SELECT min(rowid) FROM channel)",
            "DELETE FROM designation WHERE rowid = (SELECT max(rowid) FROM designation)",
            "UPDATE person SET deleted = 1 WHERE rowid = 1",
            "DELETE FROM search_index WHERE rowid = 2",
            "UPDATE search_index SET facets = facets || ' x24x7' WHERE rowid = 4",
        ]
        for edit in edits {
            let copy = try Fixtures.demoNode()
            try copy.database.write { db in try db.execute(sql: edit) }
            let error = #expect(throws: LiaisonError.self, "\(edit)") { try copy.read { db in try LogStore.verifyState(in: db) } }
            #expect(error?.code == .verification)
            #expect(error?.record != nil)
        }
    }
}

/// A change has exactly one encoding, so it has exactly one hash.
@Suite struct CanonicalChangeTests {
    private func bytes(groups: [String], bool: UInt8? = nil) -> [UInt8] {
        func u32(_ value: Int) -> [UInt8] { withUnsafeBytes(of: UInt32(value).bigEndian) { Array($0) } }
        func text(_ value: String) -> [UInt8] { u32(value.utf8.count) + Array(value.utf8) }
        var out: [UInt8] = [1] + text("agency") + Array(repeating: 7, count: 16) + [0, 1] + u32(groups.count)
        for group in groups {
            out += text(group)
            if let bool { out += u32(1) + text("flag") + [3, bool] } else { out += u32(0) }
        }
        return out
    }

    @Test func orderedNamesDecodeAndReencodeToTheSameBytes() throws {
        let encoded = bytes(groups: ["a", "b"])
        #expect(try Change(decoding: encoded).encoded == encoded)
    }

    @Test func anyOtherEncodingIsRefused() {
        let notCanonical = LiaisonError(.verification, "change bytes are not in canonical form")
        #expect(throws: notCanonical, "out of order") { try Change(decoding: bytes(groups: ["b", "a"])) }
        #expect(throws: notCanonical, "repeated") { try Change(decoding: bytes(groups: ["a", "a"])) }
        #expect(throws: notCanonical, "a bool of 2") { try Change(decoding: bytes(groups: ["a"], bool: 2)) }
        #expect(throws: notCanonical, "a byte after the end") { try Change(decoding: bytes(groups: ["a"]) + [0]) }
    }
}
