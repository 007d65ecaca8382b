import Crypto
import Foundation
import GRDB
import LiaisonCore
import LiaisonSync

/// Generated notes: titles and bodies from a word list in several scripts, one or two countries and
/// crime areas, a day in 2025–2026, a grading and a marking.
struct NoteGenerator {
    var random = SystemRandomNumberGenerator()
    let words = [
        "recruitment", "transport", "debt", "bondage", "passports", "confiscated", "seasonal", "farm", "work", "agency", "visa", "forged",
        "minibus", "border", "crossing", "night", "shift", "factory", "apartment", "cash", "transfer", "hawala", "advert", "social", "media",
        "escort", "club", "construction", "site", "fishing", "vessel", "domestic", "worker", "interpreter", "broker", "driver", "ferry",
        "Chisinau", "Odesa", "Bari", "Tirana", "Athens", "Bucharest", "Sofia", "Istanbul", "Milano", "Napoli", "Varna", "Constanța",
        "Тирасполь", "Кишинёв", "вербовка", "паспорт", "Θεσσαλονίκη", "λιμάνι", "Giurgiulești", "Leușeni", "Palanca", "Otopeni",
    ]
    let titles = ["Recruitment through", "Transport via", "Debt bondage in", "Forged visas at", "Cash transfers from", "Adverts for"]
    let countries = ["MD", "UA", "RO", "BG", "AL", "GR", "IT", "TR", "DE", "ES"]

    mutating func word() -> String { words[Int.random(in: 0..<words.count, using: &random)] }

    mutating func note(distribution: Distribution) -> Note {
        let title = "\(titles[Int.random(in: 0..<titles.count, using: &random)]) \(word()) \(word())"
        let body = (0..<Int.random(in: 40...110, using: &random)).map { _ in word() }.joined(separator: " ")
        let country = countries[Int.random(in: 0..<countries.count, using: &random)]
        return Note(
            title: title, language: "en", body: body, countries: Bool.random(using: &random) ? [country] : [country, "IT"],
            crimeAreas: [CrimeArea.allCases[Int.random(in: 0..<5, using: &random)]],
            refersTo: String(format: "202%d-%02d-%02d", Int.random(in: 5...6, using: &random), Int.random(in: 1...12, using: &random), Int.random(in: 1...28, using: &random)),
            status: .published, reliability: SourceReliability.allCases[Int.random(in: 0..<6, using: &random)],
            credibility: InformationCredibility.allCases[Int.random(in: 0..<6, using: &random)],
            marking: Bool.random(using: &random) ? .amber : .green, distribution: distribution)
    }
}

/// Writes `count` notes in batches of 1,000 a transaction; returns the seconds it took.
func writeNotes(_ count: Int, into node: Directory, distribution: (Int) -> Distribution) throws -> Double {
    var generator = NoteGenerator()
    return try seconds {
        for start in stride(from: 0, to: count, by: 1_000) {
            let notes = (start..<min(count, start + 1_000)).map { generator.note(distribution: distribution($0)) }
            try node.write { tx in for note in notes { try tx.save(note) } }
        }
    }
}

/// Search over many notes, beside the same FTS5 query on its own; a sync of notes to a peer
/// entitled to half of them and to one entitled to all; sealing and opening beside plain HPKE.
func benchmarkNotes() throws {
    let count = option("--notes").flatMap(Int.init) ?? 100_000
    let folder = NodeFolder(url: workFolder.appending(path: "notes"))
    let node = try folder.initialize(name: "Notes", agency: "Bench")
    let written = try writeNotes(count, into: node) { _ in .federation }
    print("notes: wrote \(count) notes in \(String(format: "%.1f", written)) s (\(Int(Double(count) / written)) notes/s)")

    // The raw query is one FTS5 MATCH of every word as a prefix in any column, and the filters,
    // newest first and cut at 20: the notes search as one plain SQLite query; the same ranked by
    // BM25 is printed beside it.
    let queries: [(String, NoteQuery, String)] = [
        ("one word", NoteQuery("recruitment"), "{title body links} : (\"recruitment\"*)"),
        ("two words", NoteQuery("debt bari"), "{title body links} : (\"debt\"* AND \"bari\"*)"),
        ("rare word", NoteQuery("thessaloniki"), "{title body links} : (\"thessaloniki\"*)"),
        ("prefix", NoteQuery("trans"), "{title body links} : (\"trans\"*)"),
        ("cyrillic", NoteQuery("Тирасполь"), "{title body links} : (\"tiraspol\"*)"),
        ("filtered", NoteQuery("passports", country: "MD", reliability: .b), "{title body links} : (\"passports\"*) AND facets : (\"xccmd\" AND \"xrelb\")"),
        ("date range", NoteQuery("ferry", from: "2026-03-01", to: "2026-06-30"), "{title body links} : (\"ferry\"*)"),
    ]
    let pool = try DatabasePool(path: folder.databaseURL.path)
    let rounds = 300
    print("search over \(count) notes, \(rounds) runs each (p50 / p99):")
    for (label, query, raw) in queries {
        var ours: [Double] = []
        var plain: [Double] = []
        var ranked: [Double] = []
        var joined: [Double] = []
        var hits = 0
        for _ in 0..<20 { _ = try node.searchNotes(query) }
        for round in 0..<rounds {
            ours.append(try seconds { hits = try node.searchNotes(query).count })
            // The date range's plain query filters the days too, which only the note table holds.
            let days = query.from == nil ? "" : " AND n.refers_to >= '\(query.from ?? "")' AND n.refers_to <= '\(query.to ?? "")'"
            let plainSQL = query.from == nil
                ? "SELECT rowid FROM note_search WHERE note_search MATCH ? ORDER BY rowid DESC LIMIT 20"
                : "SELECT s.rowid FROM note_search s JOIN note n ON n.local_id = s.rowid WHERE note_search MATCH ?\(days) ORDER BY s.rowid DESC LIMIT 20"
            plain.append(try seconds {
                _ = try pool.read { db in try Int64.fetchAll(db, sql: plainSQL, arguments: [raw]) }
            })
            joined.append(try seconds {
                _ = try pool.read { db in
                    try Row.fetchAll(db, sql: """
                        SELECT n.id, n.title, n.status, n.reliability, n.credibility, n.marking, n.distribution, n.refers_to, n.modified_at, n.steward
                        FROM note_search s JOIN note n ON n.local_id = s.rowid WHERE note_search MATCH ?\(days) ORDER BY s.rowid DESC LIMIT 20
                        """, arguments: [raw])
                }
            })
            if round < 30 {
                ranked.append(try seconds {
                    _ = try pool.read { db in try Int64.fetchAll(db, sql: "SELECT rowid FROM note_search WHERE note_search MATCH ? ORDER BY rank LIMIT 20", arguments: [raw]) }
                })
            }
        }
        let p50 = percentile(ours, 0.5), p99 = percentile(ours, 0.99)
        let rawP50 = percentile(plain, 0.5), rawP99 = percentile(plain, 0.99)
        print("  \(label.padding(toLength: 11, withPad: " ", startingAt: 0)) liaison \(milliseconds(p50)) / \(milliseconds(p99))   raw FTS5 \(milliseconds(rawP50)) / \(milliseconds(rawP99))   ratio p99 \(String(format: "%.2f", p99 / rawP99))×   \(hits) hits   (raw with the rows shown: p99 \(milliseconds(percentile(joined, 0.99))), ratio \(String(format: "%.2f", p99 / percentile(joined, 0.99)))×; ranked by BM25: p50 \(milliseconds(percentile(ranked, 0.5))))")
    }
    try benchmarkSearchParts(node: node, pool: pool)
    try benchmarkNoteSync(count: option("--synced-notes").flatMap(Int.init) ?? 10_000)
    try benchmarkSealing()
}

/// A writer with `count` notes, half addressed to one peer and the other, and all of them to a
/// second peer; each peer syncs with `liaison sync` over mutual TLS on loopback.
func benchmarkNoteSync(count: Int) throws {
    guard FileManager.default.isExecutableFile(atPath: cliPath) else {
        print("note sync: skipped, no \(cliPath) (build it with `swift build -c release --product liaison`)")
        return
    }
    func fresh(_ name: String) throws -> (NodeFolder, Directory) {
        let folder = NodeFolder(url: workFolder.appending(path: name))
        return (folder, try folder.initialize(name: name, agency: "Bench"))
    }
    let port = 18_000 + Int.random(in: 0..<2_000)
    let (writerFolder, writer) = try fresh("note-writer")
    let (halfFolder, half) = try fresh("note-half")
    let (allFolder, all) = try fresh("note-all")
    let (clearFolder, clear) = try fresh("note-clear")
    for (folder, peer) in [(halfFolder, half), (allFolder, all), (clearFolder, clear)] {
        _ = try peer.addPeer(try writer.card(tlsPin: try writerFolder.tlsPin(), url: "https://127.0.0.1:\(port)"))
        _ = try writer.addPeer(try peer.card(tlsPin: try folder.tlsPin(), url: nil))
    }
    // Every note names the peer entitled to all; every other one also the peer entitled to half.
    let sealedWrite = try writeNotes(count, into: writer) { index in
        .nodes(index % 2 == 0 ? [half.node.id, all.node.id] : [all.node.id])
    }
    let (plainFolder, plain) = try fresh("note-plain")
    let plainWrite = try writeNotes(count, into: plain) { _ in .federation }
    print("note sync: writing \(count) notes sealed to 1 or 2 peers took \(String(format: "%.2f", sealedWrite)) s; the same notes for the federation, unsealed, \(String(format: "%.2f", plainWrite)) s")
    _ = plainFolder

    let server = try serving(writerFolder, port: port)
    defer { server.terminate(); server.waitUntilExit() }
    let peer = String(writer.node.id.hex.prefix(8))
    var results: [(String, Double, Int, Int)] = []
    for (label, folder) in [("entitled to half", halfFolder), ("entitled to all", allFolder), ("entitled to none", clearFolder)] {
        sync()
        let before = loopbackBytes()
        let run = peakMemory(["sync", peer, "--data", folder.url.path])
        let bytes = loopbackBytes() - before
        let held = try folder.open().notes().count
        results.append((label, run.seconds, bytes, held))
        print("  \(label.padding(toLength: 17, withPad: " ", startingAt: 0)) \(String(format: "%.2f", run.seconds)) s, \(String(format: "%.2f", Double(bytes) / 1_000_000)) MB on the wire, holds \(held) notes, peak \(run.bytes / 1_000_000) MB, exit \(run.status)")
    }
    if results.count == 3, results[1].2 > 0 {
        print("  bytes to the peer entitled to half / to all: \(String(format: "%.2f", Double(results[0].2) / Double(results[1].2)))")
    }
}

/// Sealing and opening one note's body with Liaison's envelope, beside HPKE's own seal and open
/// of the same bytes with the same suite, in the same run.
func benchmarkSealing() throws {
    var generator = NoteGenerator()
    let note = generator.note(distribution: .nodes([]))
    let body = Change(entity: .note, recordID: note.id, operation: .upsert(FieldGroups(note.fieldGroups)), distribution: .federation).encoded
    let hash = Change.hash(of: body)
    let key = Curve25519.KeyAgreement.PrivateKey()
    let recipient = NodeID(publicKey: Curve25519.Signing.PrivateKey().publicKey)
    let rounds = 3_000
    var sealed: [SealedBody] = []
    let ourSeal = try seconds { for _ in 0..<rounds { sealed.append(try Sealing.seal(body, hash: hash, to: recipient, key: key.publicKey)) } }
    var opened = 0
    let ourOpen = seconds { for copy in sealed where Sealing.open(copy, hash: hash, key: key) != nil { opened += 1 } }
    let suite = HPKE.Ciphersuite.Curve25519_SHA256_ChachaPoly
    var raw: [(Data, Data)] = []
    let rawSeal = try seconds {
        for _ in 0..<rounds {
            var sender = try HPKE.Sender(recipientKey: key.publicKey, ciphersuite: suite, info: Data())
            raw.append((sender.encapsulatedKey, try sender.seal(body)))
        }
    }
    let rawOpen = try seconds {
        for (encapsulated, ciphertext) in raw {
            var receiver = try HPKE.Recipient(privateKey: key, ciphersuite: suite, info: Data(), encapsulatedKey: encapsulated)
            _ = try receiver.open(ciphertext)
        }
    }
    func perNote(_ total: Double) -> String { String(format: "%.1f µs", total / Double(rounds) * 1e6) }
    print("""
        sealing a note of \(body.count) bytes, \(rounds) times (\(opened) opened):
          seal  \(perNote(ourSeal))   plain HPKE \(perNote(rawSeal))   ratio \(String(format: "%.2f", ourSeal / rawSeal))×
          open  \(perNote(ourOpen))   plain HPKE \(perNote(rawOpen))   ratio \(String(format: "%.2f", ourOpen / rawOpen))× (includes checking the change hash)
        """)
}

/// Where a search's own time goes, beside the plain query: for a word's start, medians of 2,000 runs.
func benchmarkSearchParts(node: Directory, pool: DatabasePool) throws {
    let rounds = 2_000
    func median(_ body: () throws -> Void) rethrows -> String {
        var times: [Double] = []
        for _ in 0..<rounds { times.append(try seconds(body)) }
        return milliseconds(percentile(times, 0.5))
    }
    let expression = "{title body links} : (\"trans\"*)"
    let sql = "SELECT \(["n.id", "n.title", "n.status", "n.reliability", "n.credibility", "n.marking", "n.distribution", "n.refers_to", "n.modified_at", "n.steward"].joined(separator: ", ")) FROM note_search s JOIN note n ON n.local_id = s.rowid WHERE note_search MATCH ? AND n.deleted = 0 ORDER BY s.rowid DESC LIMIT ?"
    print("  parts of a search for a word's start (p50):")
    print("    empty read of the node: \(try median { _ = try node.read { _ in 0 } })   of a plain pool: \(try median { _ = try pool.read { _ in 0 } })")
    print("    query words: \(median { _ = SearchText.queryWords("trans") })")
    print("    the search's query, rows read, in the node: \(try median { _ = try node.read { db in try Row.fetchAll(db.cachedStatement(sql: sql), arguments: [expression, 20]).count } })")
    print("    the same in a plain pool: \(try median { _ = try pool.read { db in try Row.fetchAll(db.cachedStatement(sql: sql), arguments: [expression, 20]).count } })")
    print("    the whole search: \(try median { _ = try node.searchNotes(NoteQuery("trans")) })")
}
