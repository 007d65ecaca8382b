import Foundation
import GRDB
import LiaisonCore
import LiaisonSync

/// The cost of accountability on a node holding many notes: searches with and without their
/// audit entry, in the same run; purging one note on that node; and the time until a purge has
/// erased a note on a reader behind a relay that cannot read it.
func benchmarkAccountability() throws {
    let count = option("--notes").flatMap(Int.init) ?? 100_000
    func fresh(_ name: String) throws -> (NodeFolder, Directory) {
        let folder = NodeFolder(url: workFolder.appending(path: name))
        return (folder, try folder.initialize(name: name, agency: "Bench"))
    }
    let (authorFolder, author) = try fresh("purge-author")
    let (_, relay) = try fresh("purge-relay")
    let (_, reader) = try fresh("purge-reader")
    for node in [author, relay, reader] {
        for other in [author, relay, reader] where other !== node { _ = try node.addPeer(try other.card(tlsPin: String(repeating: "ab", count: 32), url: nil)) }
    }
    // Half of the notes are for the federation, the other half for the reader alone: the relay
    // carries those sealed.
    let written = try writeNotes(count, into: author) { index in index % 2 == 0 ? .federation : .nodes([reader.node.id]) }
    print("accountability: wrote \(count) notes in \(String(format: "%.1f", written)) s, half of them sealed to one reader")

    try benchmarkAuditCost(author)

    let relayed = try seconds {
        _ = try relay.receive(try author.commits(beyond: try relay.vector(), for: relay.node.id))
        _ = try reader.receive(try relay.commits(beyond: try reader.vector(), for: reader.node.id))
    }
    print("  the relay and the reader received the \(count) notes in \(String(format: "%.1f", relayed)) s")

    // Notes from the middle of the log, one for the federation and one sealed to the reader.
    let notes = try author.notes()
    let targets = [("a federation note", notes[notes.count / 2].id), ("a note sealed to the reader", notes[notes.count / 2 + 1].id)]
    print("  purging one note of \(count) (time until it is erased everywhere):")
    for (label, id) in targets {
        var here = 0.0, atRelay = 0.0, atReader = 0.0
        here = try seconds { try author.purge(note: id, reason: "bench", actor: "user:bench") }
        atRelay = try seconds { _ = try relay.receive(try author.commits(beyond: try relay.vector(), for: relay.node.id)) }
        atReader = try seconds { _ = try reader.receive(try relay.commits(beyond: try reader.vector(), for: reader.node.id)) }
        let gone = try !reader.read { db in try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM note WHERE id = ?)", arguments: [id.lowercasedString]) ?? true }
        print("    \(label.padding(toLength: 28, withPad: " ", startingAt: 0)) on the author \(milliseconds(here)), then at the relay \(milliseconds(atRelay)), then at the reader \(milliseconds(atReader)): \(milliseconds(here + atRelay + atReader)) in all; erased at the reader: \(gone)")
    }
    // Where a purge's time goes on the author: its transaction (erasing the rows and bodies,
    // merging the search index), then clearing the files (the checkpoint that empties the log).
    let id = notes[notes.count / 2 + 2].id
    let transaction = try seconds { _ = try author.write { tx in try tx.purge(id, reason: "bench") } }
    let clearing = try seconds { try author.clearErasedPages() }
    let pool = try DatabasePool(path: authorFolder.databaseURL.path)
    let optimize = try seconds { try pool.write { db in try db.execute(sql: "INSERT INTO note_search(note_search) VALUES ('optimize')") } }
    let pages = try pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM note_search_data") ?? 0 }
    let ten = notes[(notes.count / 2 + 10)..<(notes.count / 2 + 20)].map(\.id)
    let batch = try seconds {
        _ = try author.write { tx in for id in ten { _ = try tx.purge(id, reason: "bench") } }
        try author.clearErasedPages()
    }
    print("    ten notes purged in one transaction, as the retention sweep does: \(milliseconds(batch))")
    print("    parts of a purge: its transaction \(milliseconds(transaction)), clearing the files \(milliseconds(clearing)); merging the search index (\(pages) blocks) again on its own, plain SQLite: \(milliseconds(optimize))")
}

/// Searches over the author's notes without and with the audit entry that the CLI and the server
/// write before they show a search's hits, in blocks that alternate within one run. `floors` are
/// other steps to time after the same searches, in the same blocks, as the entry's parts or the
/// raw operations it compares to.
func benchmarkAuditCost(_ node: Directory, floors: [(String, ([String]) throws -> Void)] = []) throws {
    let blocks = 10, perBlock = 30
    let queries = [("one word", NoteQuery("recruitment")), ("prefix", NoteQuery("trans")), ("filtered", NoteQuery("passports", country: "MD", reliability: .b))]
    print("  searches without and with their audit entry, \(blocks * perBlock) runs each in alternating blocks of \(perBlock), p50 / p99:")
    let steps: [(String, ([String]) throws -> Void)] =
        [("with", { found in try node.audit(.noteSearch, actor: "user:bench", records: found) })] + floors
    for (label, query) in queries {
        var plain: [Double] = []
        var timed = Array(repeating: (total: [Double](), step: [Double]()), count: steps.count)
        for _ in 0..<20 { _ = try node.searchNotes(query) }
        for _ in 0..<blocks {
            for _ in 0..<perBlock { plain.append(try seconds { _ = try node.searchNotes(query) }) }
            for (index, (_, step)) in steps.enumerated() {
                for _ in 0..<perBlock {
                    var within = 0.0
                    timed[index].total.append(try seconds {
                        let found = try node.searchNotes(query)
                        within = try seconds { try step(found.map(\.id.lowercasedString)) }
                    })
                    timed[index].step.append(within)
                }
            }
        }
        let (p50, p99) = (percentile(plain, 0.5), percentile(plain, 0.99))
        print("    \(label.padding(toLength: 10, withPad: " ", startingAt: 0)) without \(milliseconds(p50)) / \(milliseconds(p99))")
        for (index, (name, _)) in steps.enumerated() {
            let (a50, a99) = (percentile(timed[index].total, 0.5), percentile(timed[index].total, 0.99))
            print("      \(name.padding(toLength: 34, withPad: " ", startingAt: 0)) \(milliseconds(a50)) / \(milliseconds(a99))   ratio \(String(format: "%.2f", a50 / p50))× / \(String(format: "%.2f", a99 / p99))×; the step within: \(milliseconds(percentile(timed[index].step, 0.5)))")
        }
    }
    let appends = try seconds { for _ in 0..<1_000 { try node.audit(.noteShow, actor: "user:bench", records: [UUID().lowercasedString]) } }
    print("    an audit entry alone: \(milliseconds(appends / 1_000)) each, over 1,000")
    let verified = try seconds { _ = try node.verifyAudit() }
    print("    verifying the \(try node.auditEntries(limit: 1).first?.sequence ?? 0) entries: \(milliseconds(verified))")
}
