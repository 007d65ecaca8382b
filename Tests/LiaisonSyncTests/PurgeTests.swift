import Crypto
import Foundation
import GRDB
@testable import LiaisonCore
import LiaisonSync
import LiaisonTestSupport
import Testing

/// A purged note is erased from every file of every node that held it, through a relay that could
/// not read it, and never comes back; every log still verifies.
@Suite struct PurgeTests {
    /// Four nodes in database files: the author, a hub that links the others, a named reader
    /// behind the hub, and a reader of federation notes that gets bundles from the hub.
    struct Nodes {
        let folder = Fixtures.temporaryFolder()
        var author: Directory, hub: Directory, reader: Directory, bundleReader: Directory
        var all: [Directory] { [author, hub, reader, bundleReader] }
        var paths: [String] = []

        init() throws {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            var made: [Directory] = []
            for name in ["author", "hub", "reader", "bundle-reader"] {
                let path = folder.appending(path: "\(name).sqlite").path
                made.append(try Directory.onDisk(path: path, name: name, agency: "Agency \(name)", signingKey: .init()))
                paths.append(path)
            }
            (author, hub, reader, bundleReader) = (made[0], made[1], made[2], made[3])
            for node in made {
                for other in made where other !== node { _ = try node.addPeer(try other.card(tlsPin: Federation.testPin, url: nil)) }
            }
        }

        /// Moves everything along author – hub – reader by sync, and between hub and bundle reader by bundle.
        func settle() throws {
            for _ in 0..<2 {
                try Federation.sync(author, to: hub)
                try Federation.sync(reader, to: hub)
                try Federation.sync(hub, to: author)
                try Federation.sync(hub, to: reader)
                for (from, to) in [(hub, bundleReader), (bundleReader, hub)] {
                    let bundle = folder.appending(path: "hop.bundle")
                    _ = try from.exportBundle(to: bundle, assumes: try to.vector(), for: to.node.id)
                    _ = try to.importBundle(from: bundle)
                    try FileManager.default.removeItem(at: bundle)
                }
            }
        }

        /// The nodes whose database, WAL or shared-memory file hold `marker`: as written, or its
        /// last seven letters in lower case, which the search index keeps of a word however it
        /// shares its start with the word before.
        func holders(of marker: String) -> [String] {
            zip(["author", "hub", "reader", "bundle-reader"], paths).compactMap { name, path in
                let found = ["", "-wal", "-shm"].contains { suffix in
                    guard let data = FileManager.default.contents(atPath: path + suffix) else { return false }
                    return [marker, String(marker.lowercased().suffix(7))].contains { data.range(of: Data($0.utf8)) != nil }
                }
                return found ? name : nil
            }
        }
    }

    @Test func aPurgedNoteLeavesNothingInAnyFileOfAnyNode() throws {
        let nodes = try Nodes()
        defer { try? FileManager.default.removeItem(at: nodes.folder) }
        let named = try NoteTests.publish(nodes.author, "Purgednamedqzxv", to: .nodes([nodes.reader.node.id]))
        let open = try NoteTests.publish(nodes.author, "Purgedopenwkrj", to: .federation)
        let kept = try NoteTests.publish(nodes.author, "Keptopenplmn", to: .federation)
        try nodes.settle()
        try nodes.reader.write { tx in try tx.evaluate(named.id, reliability: .a, credibility: .one, comment: "Evaluationcommentxbtd") }
        try nodes.bundleReader.write { tx in try tx.link(open.id, .corroborates, kept.id, comment: "Linkcommentyhgf") }
        try nodes.settle()
        // Where each marker is before: the check below can fail.
        #expect(nodes.holders(of: "Purgednamedqzxv") == ["author", "reader"])
        #expect(nodes.holders(of: "Purgedopenwkrj") == ["author", "hub", "reader", "bundle-reader"])
        #expect(nodes.holders(of: "Evaluationcommentxbtd") == ["author", "reader"])
        #expect(nodes.holders(of: "Linkcommentyhgf") == ["author", "hub", "reader", "bundle-reader"])
        // The hub relays the named note sealed: its copy goes too.
        let sealedAtHub = try nodes.hub.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM commit_log WHERE travels_whole = 0") ?? 0 }
        #expect(sealedAtHub > 0)

        // A database made before pages were zeroed as they are freed is rewritten once.
        try nodes.author.database.write { db in try db.execute(sql: "UPDATE node SET free_space_erased = 0") }
        let first = try nodes.author.purge(note: named.id, reason: "source withdrew")
        #expect(try nodes.author.read { db in try Bool.fetchOne(db, sql: "SELECT free_space_erased FROM node") } == true)
        let second = try nodes.author.purge(note: open.id, reason: "retention")
        #expect(first.everywhere && second.everywhere)
        #expect(first.recordsErased == 2 && second.recordsErased == 2)
        try nodes.settle()

        for marker in ["Purgednamedqzxv", "Purgedopenwkrj", "Evaluationcommentxbtd", "Linkcommentyhgf"] {
            #expect(nodes.holders(of: marker).isEmpty, "\(marker) is still in \(nodes.holders(of: marker))")
        }
        #expect(nodes.holders(of: "Keptopenplmn") == ["author", "hub", "reader", "bundle-reader"])
        for node in nodes.all {
            #expect(try !node.isPurged(note: kept.id) && node.isPurged(note: open.id))
            #expect(try node.notes().map(\.id) == [kept.id])
            try node.read { db in
                _ = try LogStore.verify(in: db)
                _ = try LogStore.verifyState(in: db)
            }
        }
        // Every node holds every commit still, so nothing is asked for again.
        #expect(Set(try nodes.all.map { try $0.vector() }).count == 1)
    }

    @Test func aStaleCopyDoesNotBringAPurgedNoteBack() throws {
        let nodes = try Nodes()
        defer { try? FileManager.default.removeItem(at: nodes.folder) }
        let note = try NoteTests.publish(nodes.author, "Stalecopyvvqa", to: .federation)
        try nodes.settle()
        try nodes.reader.write { tx in try tx.evaluate(note.id, reliability: .c, credibility: .three, comment: "Lateevaluationjjkm") }
        // The reader's copy of everything, before it hears of the purge.
        let stale = try nodes.reader.commits(beyond: VersionVector())
        try nodes.author.purge(note: note.id, reason: "wrong case")
        try nodes.settle()
        #expect(nodes.holders(of: "Stalecopyvvqa").isEmpty && nodes.holders(of: "Lateevaluationjjkm").isEmpty)
        // Offered again, whole, to nodes that purged it: nothing of it is kept.
        for node in [nodes.author, nodes.hub, nodes.bundleReader] {
            let report = try node.receive(stale)
            #expect(report.changesFilledIn == 0)
        }
        #expect(nodes.holders(of: "Stalecopyvvqa").isEmpty && nodes.holders(of: "Lateevaluationjjkm").isEmpty)
        for node in nodes.all { #expect(try node.notes().isEmpty) }
    }

    @Test func onlyTheAuthorPurgesEverywhere() throws {
        let nodes = try Federation.nodes(3)
        let note = try NoteTests.publish(nodes[0], "Authoronlymarker", to: .federation)
        try Federation.syncAll(nodes)
        // Another node erases its own copy only.
        let local = try nodes[1].purge(note: note.id, reason: "not needed here")
        #expect(!local.everywhere && !local.authoredHere)
        try Federation.syncAll(nodes)
        #expect(try nodes[0].notes().count == 1 && nodes[2].notes().count == 1 && nodes[1].notes().isEmpty)
        // A purge of another node's note that claims to go everywhere is refused by its holders.
        try nodes[2].write { tx in
            _ = try tx.record(NotePurge(noteID: note.id, reason: "forged", changes: []), existing: nil, distribution: .federation)
        }
        let report = try Federation.sync(nodes[2], to: nodes[0])
        #expect(report.refusedChanges.map(\.reason).contains { $0.hasSuffix("only the author of a note purges it on other nodes") })
        #expect(try nodes[0].notes().count == 1)
        let again = #expect(throws: LiaisonError.self) { try nodes[1].purge(note: note.id, reason: "twice") }
        #expect(again?.code == .conflict)
    }

    @Test func aPurgeByAnotherNodeCannotEraseANoteOrItsCopiesAnywhere() throws {
        // Node 0 writes; node 3 relays to node 1; node 2 forges purges.
        let nodes = try Federation.nodes(4)
        let open = try NoteTests.publish(nodes[0], "Forgedopenmarker", to: .federation)
        let named = try NoteTests.publish(nodes[0], "Forgednamedmarker", to: .nodes([nodes[1].node.id]))
        try Federation.sync(nodes[0], to: nodes[3])
        let coordinates = try nodes[0].read { db in try NoteErasure.coordinates(of: [named.id.lowercasedString], in: db) }
        #expect(coordinates.count == 1)
        let held = try nodes[3].commits(beyond: VersionVector()).flatMap { commit in commit.sealedBodies.values.flatMap { $0 } }.count
        #expect(held == 1)
        // A purge of each note by a node that did not write it, listing where the sealed copy sits,
        // reaches the relay and the reader before the notes do.
        try nodes[2].write { tx in
            for note in [open, named] {
                _ = try tx.record(NotePurge(noteID: note.id, reason: "forged", changes: coordinates), existing: nil, distribution: .federation)
            }
        }
        try Federation.sync(nodes[2], to: nodes[3])
        try Federation.sync(nodes[2], to: nodes[1])
        let kept = try nodes[3].commits(beyond: VersionVector()).flatMap { commit in commit.sealedBodies.values.flatMap { $0 } }.count
        #expect(kept == 1, "the relay kept the sealed copy of another node's note")
        try Federation.sync(nodes[3], to: nodes[1])
        #expect(try Set(nodes[1].notes().map(\.id)) == [open.id, named.id])
        // Nor does it come back as a refusal tried again once the author purges for real.
        try nodes[0].purge(note: open.id, reason: "wrong case", actor: "user:officer")
        try Federation.syncAll(nodes)
        #expect(try nodes[1].notes().map(\.id) == [named.id])
    }

    @Test func aPurgeIsWrittenOnceAndCannotBeTakenBack() throws {
        let nodes = try Federation.nodes(2)
        let note = try NoteTests.publish(nodes[0], "Takenbackmarker", to: .federation)
        try Federation.syncAll(nodes)
        let summary = try nodes[0].purge(note: note.id, reason: "wrong case", actor: "user:officer")
        try Federation.syncAll(nodes)
        try nodes[0].write { tx in try tx.tombstone(NotePurge.self, summary.purgeID, distribution: .federation) }
        let report = try Federation.sync(nodes[0], to: nodes[1])
        #expect(report.refusedChanges.contains { $0.reason.hasSuffix("a note_purge is written once and never changed") })
        #expect(try nodes[1].isPurged(note: note.id))
        // The note's body, offered again, is still dropped.
        #expect(try nodes[1].receive(try nodes[1].commits(beyond: VersionVector())).changesFilledIn == 0)
        #expect(try !NoteTests.anyTrace(of: "Takenbackmarker", in: nodes[1]))
    }

    @Test func aNoteWhoseRetentionEndedIsPurgedByItsAuthor() throws {
        let nodes = try Federation.nodes(2)
        var note = Note(
            title: "Expiring", language: "en", body: "Retentionmarker", countries: ["MD"], status: .published, reliability: .b,
            credibility: .two, marking: .green, distribution: .federation)
        note.retainUntil = "2026-01-31"
        note.reviewOn = "2026-01-15"
        try NoteTests.save(note, on: nodes[0])
        try Federation.syncAll(nodes)
        let january = ISO8601DateFormatter().date(from: "2026-01-20T12:00:00Z")!  // safe: a fixed, valid date
        #expect(try nodes[0].notesDue(now: january).map(\.reasons) == [[.review]])
        #expect(try nodes[1].notesDue(within: 30, now: january).map(\.reasons) == [[.review, .retention]])
        #expect(try nodes[0].purgeExpiredNotes(now: january).isEmpty)
        let february = ISO8601DateFormatter().date(from: "2026-02-01T08:00:00Z")!  // safe: a fixed, valid date
        // Until its author purges it, the other node flags it.
        #expect(try nodes[1].notesDue(now: february).map(\.reasons) == [[.review, .overdue]])
        #expect(try nodes[1].purgeExpiredNotes(now: february).isEmpty)
        let purged = try nodes[0].purgeExpiredNotes(now: february)
        #expect(purged.map(\.noteID) == [note.id] && purged[0].everywhere)
        try Federation.syncAll(nodes)
        #expect(try nodes[1].notes().isEmpty && nodes[1].notesDue(now: february).isEmpty)
        #expect(try !NoteTests.anyTrace(of: "Retentionmarker", in: nodes[1]) && !NoteTests.anyTrace(of: "Retentionmarker", in: nodes[0]))
    }
}
