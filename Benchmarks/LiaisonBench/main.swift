import Foundation
import GRDB
import LiaisonCore
import LiaisonSync

// Benchmarks, run on demand:
//   swift run -c release LiaisonBench [import|search|cli|bundle|sync|notes|accountability|audit|csv|all] [--contacts N] [--cli PATH]
//   csv: writes the generated directory of --contacts N rows to --out FILE, for Benchmarks/web-bench.sh.
//   notes: search over --notes N notes (100,000) beside raw FTS5; `liaison sync` of --synced-notes N
//   notes (10,000) to a peer entitled to half of them, one entitled to all and one to none; sealing
//   and opening a note beside plain HPKE.
//   accountability: searches with and without their audit entry over --notes N notes (100,000);
//   purging a note there, and through a relay. audit: the audit entry's cost alone, step by step,
//   and within searches over --notes N notes (20,000).
//   sync: `liaison sync` of the generated directory over mutual TLS on loopback into an empty node,
//   beside a `liaison bundle import` of the same commits, then syncs with nothing new.
//   bundle: imports a bundle of the generated contacts into a second node, beside the git peer (one
//   signed commit of one JSON file per contact, cloned from a git bundle); with --memory-changes N it
//   also times `liaison bundle import` of a bundle of about N changes as a process and reports its
//   peak memory.
//   --import-memory: also times `liaison import` of the generated CSV (--contacts rows) into a new
//   node as a process and reports its peak memory.
// Each figure is printed with the same-run raw SQLite figure it compares to.

func option(_ name: String) -> String? {
    let arguments = CommandLine.arguments
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return nil }
    return arguments[index + 1]
}
let contactCount = option("--contacts").flatMap(Int.init) ?? 100_000
let cliPath = option("--cli") ?? ".build/release/liaison"
let memoryChanges = option("--memory-changes").flatMap(Int.init)
let importMemory = CommandLine.arguments.contains("--import-memory")
let mode = ["import", "search", "cli", "bundle", "sync", "notes", "accountability", "audit", "csv", "all"].first { CommandLine.arguments.dropFirst().contains($0) } ?? "all"

let workFolder = FileManager.default.temporaryDirectory.appending(path: "liaison-bench")
try? FileManager.default.removeItem(at: workFolder)
try FileManager.default.createDirectory(at: workFolder, withIntermediateDirectories: true)

// MARK: Data

/// A CSV directory of `count` generated contacts in 40 countries, a fifth of them with names in
/// Cyrillic, Greek, Arabic or Chinese script.
/// `count` generated contacts. With `richChannels`, about four in five also get a mobile number
/// and a secure mailbox: 3.6 channels a contact, as in a realistic global directory.
func generatedCSV(count: Int, richChannels: Bool = false) -> String {
    var generator = SystemRandomNumberGenerator()
    let countries: [(code: String, calling: String, zone: String, language: String)] = [
        ("MD", "373", "Europe/Chisinau", "ro"), ("UA", "380", "Europe/Kyiv", "uk"), ("RO", "40", "Europe/Bucharest", "ro"),
        ("BG", "359", "Europe/Sofia", "bg"), ("RS", "381", "Europe/Belgrade", "sr"), ("AL", "355", "Europe/Tirane", "sq"),
        ("GR", "30", "Europe/Athens", "el"), ("IT", "39", "Europe/Rome", "it"), ("ES", "34", "Europe/Madrid", "es"),
        ("DE", "49", "Europe/Berlin", "de"), ("NL", "31", "Europe/Amsterdam", "nl"), ("GB", "44", "Europe/London", "en"),
        ("FR", "33", "Europe/Paris", "fr"), ("PL", "48", "Europe/Warsaw", "pl"), ("TR", "90", "Europe/Istanbul", "tr"),
        ("GE", "995", "Asia/Tbilisi", "ka"), ("AM", "374", "Asia/Yerevan", "hy"), ("NG", "234", "Africa/Lagos", "en"),
        ("MA", "212", "Africa/Casablanca", "ar"), ("EG", "20", "Africa/Cairo", "ar"), ("TN", "216", "Africa/Tunis", "ar"),
        ("TH", "66", "Asia/Bangkok", "th"), ("VN", "84", "Asia/Ho_Chi_Minh", "vi"), ("PH", "63", "Asia/Manila", "fil"),
        ("CN", "86", "Asia/Shanghai", "zh"), ("JP", "81", "Asia/Tokyo", "ja"), ("KR", "82", "Asia/Seoul", "ko"),
        ("NP", "977", "Asia/Kathmandu", "ne"), ("IN", "91", "Asia/Kolkata", "hi"), ("MX", "52", "America/Mexico_City", "es"),
        ("GT", "502", "America/Guatemala", "es"), ("BR", "55", "America/Sao_Paulo", "pt"), ("CO", "57", "America/Bogota", "es"),
        ("US", "1", "America/New_York", "en"), ("CA", "1", "America/Toronto", "en"), ("AE", "971", "Asia/Dubai", "ar"),
        ("QA", "974", "Asia/Qatar", "ar"), ("JO", "962", "Asia/Amman", "ar"), ("AU", "61", "Australia/Sydney", "en"),
        ("ZA", "27", "Africa/Johannesburg", "en"),
    ]
    let given = ["Ion", "Maria", "José", "Ana", "Łukasz", "Mette", "Mehmet", "Nikos", "Olena", "Petr", "Aylin", "Văn Hùng", "Chidi", "Fatima", "Sipho", "Liam", "Sofía", "Giorgi", "Arman", "Priya"]
    // About 700 family names, so that a common name matches a few hundred contacts, as in a real directory.
    let stems = ["Ivan", "Pop", "Petr", "Kovalen", "Papad", "Mun", "Wrob", "Sah", "Dvor", "Okaf", "Hadd", "Dlam", "Garc", "Berid", "Petros", "Sharm", "Nguy", "Ross", "Mel", "Tcac", "Ciob", "Rus", "Gros", "Mor", "Botn", "Unger", "Cojoc", "Sarb", "Turc", "Caram", "Bej", "Lup", "Strat", "Vasil", "Georg", "Dimitr", "Nikol", "Hass", "Khal", "Yus", "Tanak", "Kim", "Wang", "Li", "Zhan", "Sing", "Pat", "Silv", "Sant", "Rodr"]
    let endings = ["ov", "escu", "enko", "opoulos", "oz", "el", "ak", "or", "ian", "idze", "a", "en", "ic", "uk"]
    let family = ["Ivanov", "Popescu", "Muñoz", "Wróbel", "Ørsted", "Şahin", "Dvořák", "Đặng"] + stems.flatMap { stem in endings.map { stem + $0 } }
    let nativeGiven = ["Иван", "Олена", "Сергей", "Наталья", "Γιώργος", "Νίκος", "Ελένη", "أحمد", "فاطمة", "محمد", "王", "李", "张"]
    let cyrillicStems = ["Иван", "Петр", "Сидор", "Ковал", "Мельн", "Шевч", "Бондар", "Ткач", "Кравч", "Олейн", "Морар", "Попеск"]
    let greekStems = ["Παπαδ", "Γεωργ", "Κωνσταντ", "Νικολ", "Δημητρ"]
    let cyrillic: [String] = cyrillicStems.flatMap { stem in ["ов", "енко", "ук", "ич", "ский"].map { stem + $0 } }
    let greek: [String] = greekStems.flatMap { stem in ["όπουλος", "ίου", "ίδης", "άκης"].map { stem + $0 } }
    let arabic = ["حسن", "حداد", "خليل", "يوسف", "سعيد", "عمر", "منصور", "ناصر", "سالم", "عيسى"]
    let chinese = ["伟", "娜", "强", "敏", "静", "磊", "洋", "艳", "勇", "军"]
    let nativeFamily = cyrillic + greek + arabic + chinese
    let positions = ["Inspector", "Senior Investigator", "Prosecutor", "Liaison Officer", "Analyst", "Head of Unit", "Duty Officer", "Labour Inspector", "Case Manager", "Deputy Director"]
    let kinds = ["police", "border", "prosecution", "labour-inspectorate", "central-authority", "victim-services", "immigration", "customs"]
    let areas = ["trafficking-in-persons", "smuggling-of-migrants", "forced-labour", "child-exploitation", "money-laundering"]
    let functions = ["operational-contact", "24x7-contact", "liaison-officer", "central-authority"]
    var lines = ["country,agency,agency_kind,unit,given_name,family_name,native_name,position,languages,timezone,phone,mobile,email,secure_channel,is_24x7,crime_areas,functions"]
    lines.reserveCapacity(count + 1)
    for index in 0..<count {
        let country = countries[index % countries.count]
        let agencyNumber = (index / countries.count) % 25
        let kind = kinds[agencyNumber % kinds.count]
        let agency = "\(country.code) \(kind.capitalized) Directorate \(agencyNumber)"
        let unit = index % 3 == 0 ? "Unit \(index % 7)" : ""
        let scriptName = Int.random(in: 0..<5, using: &generator) == 0
        let nativeName = scriptName ? "\(nativeGiven.randomElement(using: &generator) ?? "") \(nativeFamily.randomElement(using: &generator) ?? "")" : ""
        let givenName = scriptName ? "" : given.randomElement(using: &generator) ?? ""
        let familyName = scriptName ? "" : family.randomElement(using: &generator) ?? ""
        let phone = "+\(country.calling) \(String(format: "%09d", 100_000_000 + index))"
        let email = "c\(index)@\(country.code.lowercased()).\(kind).example"
        let mobile = richChannels && Int.random(in: 0..<5, using: &generator) > 0 ? "+\(country.calling) \(String(format: "%09d", 600_000_000 + index))" : ""
        let secure = richChannels && Int.random(in: 0..<5, using: &generator) > 0 ? "SIENA: u\(index)@siena.example" : ""
        let is24x7 = index % 10 == 0
        let area = areas[index % areas.count]
        let function = is24x7 ? "24x7-contact" : functions[index % functions.count]
        lines.append([
            country.code, agency, kind, unit, givenName, familyName, nativeName, positions[index % positions.count],
            "\(country.language);en", country.zone, phone, mobile, email, secure, is24x7 ? "true" : "false", area, function,
        ].joined(separator: ","))
    }
    return lines.joined(separator: "\n") + "\n"
}

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

func percentile(_ values: [Double], _ p: Double) -> Double {
    let sorted = values.sorted()
    return sorted[min(sorted.count - 1, Int(Double(sorted.count - 1) * p))]
}

func milliseconds(_ value: Double) -> String { String(format: "%.3f ms", value * 1000) }

// MARK: Import

/// Imports the generated CSV into a new node and, in the same run, inserts the same rows into a
/// plain table with one prepared GRDB statement in one transaction.
func benchmarkImport(csv: String) throws -> NodeFolder {
    let folder = NodeFolder(url: workFolder.appending(path: "node"))
    let directory = try folder.initialize(name: "Bench", agency: "Bench")
    var summary: ImportSummary?
    let importTime = try seconds { summary = try directory.importCSV(csv, fileName: "bench.csv") }

    let plainPool = try DatabasePool(path: workFolder.appending(path: "plain.sqlite").path)
    let rows = csv.split(separator: "\n").dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
    let plainTime = try seconds {
        try plainPool.write { db in
            try db.execute(sql: """
                CREATE TABLE contact (id INTEGER PRIMARY KEY, country TEXT, agency TEXT, agency_kind TEXT, unit TEXT, given_name TEXT,
                  family_name TEXT, native_name TEXT, position TEXT, languages TEXT, timezone TEXT, phone TEXT, mobile TEXT, email TEXT,
                  secure_channel TEXT, is_24x7 TEXT, crime_areas TEXT, functions TEXT)
                """)
            let statement = try db.makeStatement(sql: "INSERT INTO contact VALUES (NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
            for row in rows { try statement.execute(arguments: StatementArguments(row)) }
        }
    }
    // The same contacts as the records Liaison keeps (a person, two channels, a designation each),
    // inserted plainly into tables of the same shape and indexes: no validation, log or search index.
    let recordsPool = try DatabasePool(path: workFolder.appending(path: "records.sqlite").path)
    let recordsTime = try seconds {
        try recordsPool.write { db in
            try db.execute(sql: """
                CREATE TABLE person (local_id INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, steward TEXT, created_at TEXT, modified_at TEXT,
                  deleted INTEGER, stamps TEXT, given_name TEXT, family_name TEXT, native_name TEXT, agency_id TEXT, position TEXT,
                  rank TEXT, languages TEXT, time_zone TEXT, verified_at TEXT, verified_by TEXT);
                CREATE INDEX person_agency ON person(agency_id);
                CREATE TABLE channel (local_id INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, steward TEXT, created_at TEXT, modified_at TEXT,
                  deleted INTEGER, stamps TEXT, agency_id TEXT, person_id TEXT, kind TEXT, value TEXT, label TEXT, preference INTEGER,
                  is_24x7 INTEGER, hours TEXT, marking TEXT);
                CREATE INDEX channel_agency ON channel(agency_id);
                CREATE INDEX channel_person ON channel(person_id);
                CREATE TABLE designation (local_id INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, steward TEXT, created_at TEXT,
                  modified_at TEXT, deleted INTEGER, stamps TEXT, agency_id TEXT, person_id TEXT, crime_area TEXT, function TEXT,
                  valid_from TEXT, valid_to TEXT, legal_basis TEXT);
                CREATE INDEX designation_agency ON designation(agency_id);
                CREATE INDEX designation_person ON designation(person_id);
                """)
            let person = try db.makeStatement(sql: "INSERT INTO person (id, steward, created_at, modified_at, deleted, stamps, given_name, family_name, native_name, agency_id, position, languages, time_zone) VALUES (?, 'x', 'now', 'now', 0, '{}', ?, ?, ?, ?, ?, ?, ?)")
            let channel = try db.makeStatement(sql: "INSERT INTO channel (id, steward, created_at, modified_at, deleted, stamps, person_id, kind, value, preference, is_24x7, marking) VALUES (?, 'x', 'now', 'now', 0, '{}', ?, ?, ?, 1, ?, 'TLP:GREEN')")
            let designation = try db.makeStatement(sql: "INSERT INTO designation (id, steward, created_at, modified_at, deleted, stamps, person_id, crime_area, function) VALUES (?, 'x', 'now', 'now', 0, '{}', ?, ?, ?)")
            for row in rows {
                let personID = UUID().uuidString.lowercased()
                try person.execute(arguments: [personID, row[4], row[5], row[6], row[1], row[7], row[8], row[9]])
                try channel.execute(arguments: [UUID().uuidString.lowercased(), personID, "phone", row[10], row[14]])
                try channel.execute(arguments: [UUID().uuidString.lowercased(), personID, "email", row[12], row[14]])
                try designation.execute(arguments: [UUID().uuidString.lowercased(), personID, row[15], row[16]])
            }
        }
    }
    let sameRowsTime = try plainInsertOfSameRows(from: folder)
    let rate = Double(contactCount) / importTime
    let plainRate = Double(contactCount) / plainTime
    let recordsRate = Double(contactCount) / recordsTime
    let sameRowsRate = Double(contactCount) / sameRowsTime
    print("""
        import of \(contactCount) contacts (validated, logged, signed, indexed):
          liaison import:   \(String(format: "%.2f", importTime)) s, \(Int(rate)) contacts/s, \(summary?.commits ?? 0) commits
          plain insert:     \(String(format: "%.2f", plainTime)) s, \(Int(plainRate)) rows/s (one row per CSV line)
          ratio:            \(String(format: "%.3f", rate / plainRate)) of the one-row insert rate
          plain records:    \(String(format: "%.2f", recordsTime)) s, \(Int(recordsRate)) contacts/s (person, 2 channels, designation)
          ratio:            \(String(format: "%.3f", rate / recordsRate)) of the plain record insert rate
          plain same rows:  \(String(format: "%.2f", sameRowsTime)) s, \(Int(sameRowsRate)) contacts/s (every row the import wrote, same schema)
          ratio:            \(String(format: "%.3f", rate / sameRowsRate)) of the plain insert rate of the same rows (goal ≥ 0.5)
        """)
    return folder
}

/// Reads every row the import wrote (records, log, search index) and inserts the same rows, with
/// prepared statements in one transaction, into a new node's empty tables of the same schema.
func plainInsertOfSameRows(from folder: NodeFolder, into name: String = "same-rows") throws -> Double {
    let source = try DatabaseQueue(path: folder.databaseURL.path)
    let tables = ["agency", "person", "channel", "designation", "commit_log", "search_index"]
    var contents: [(sql: String, rows: [[DatabaseValue]])] = []
    try source.read { db in
        for table in tables {
            let columns = table == "search_index" ? ["rowid", "name", "other", "facets"] : try db.columns(in: table).map(\.name)
            let rows = try Row.fetchAll(db, sql: "SELECT \(columns.joined(separator: ", ")) FROM \(table)").map { Array($0.databaseValues) }
            let placeholders = Array(repeating: "?", count: columns.count).joined(separator: ", ")
            contents.append(("INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES (\(placeholders))", rows))
        }
    }
    try source.close()
    let target = NodeFolder(url: workFolder.appending(path: name))
    let database = try target.initialize(name: "Plain", agency: "Plain").database
    var perTable: [String] = []
    let total = try seconds {
        try database.write { db in
            for ((sql, rows), table) in zip(contents, tables) {
                let statement = try db.makeStatement(sql: sql)
                // Bound straight to SQLite, as the store binds its own inserts.
                let time = try seconds { for row in rows { try statement.run(row) } }
                perTable.append("\(table) \(rows.count) rows \(String(format: "%.2f", time)) s")
            }
        }
    }
    print("  plain same rows by table: " + perTable.joined(separator: ", "))
    return total
}

// MARK: Search

func benchmarkSearch(folder: NodeFolder) throws {
    let directory = try folder.open()
    // The raw query is one FTS5 MATCH of every word as a prefix in any column (and the filters),
    // ranked by BM25: what the search would cost as a single plain SQLite query.
    let queries: [(String, SearchQuery, String)] = [
        ("one term", SearchQuery("ivanov"), "{name other} : (\"ivanov\"*)"),
        ("two terms", SearchQuery("maria popescu"), "{name other} : (\"maria\"* AND \"popescu\"*)"),
        ("prefix", SearchQuery("papad"), "{name other} : (\"papad\"*)"),
        ("type-ahead 4", SearchQuery("mold"), "{name other} : (\"mold\"*)"),
        ("other field", SearchQuery("inspector"), "{name other} : (\"inspector\"*)"),
        ("filtered", SearchQuery("inspector", country: "MD", crimeArea: .traffickingInPersons), "{name other} : (\"inspector\"*) AND facets : (\"xccmd\" AND \"xareatraffickinginpersons\")"),
        ("cyrillic", SearchQuery("Иванов"), "{name other} : (\"ivanov\"*)"),
    ]
    let pool = try DatabasePool(path: folder.databaseURL.path)
    let rounds = 300
    print("search over \(contactCount) contacts, \(rounds) runs each (p50 / p99):")
    for (label, query, raw) in queries {
        var ours: [Double] = []
        var plain: [Double] = []
        var hits = 0
        for _ in 0..<20 { _ = try directory.search(query) }
        for _ in 0..<rounds {
            ours.append(try seconds { hits = try directory.search(query).count })
            plain.append(try seconds {
                _ = try pool.read { db in try Int64.fetchAll(db, sql: "SELECT rowid FROM search_index WHERE search_index MATCH ? ORDER BY rank LIMIT 20", arguments: [raw]) }
            })
        }
        let p50 = percentile(ours, 0.5), p99 = percentile(ours, 0.99)
        let rawP50 = percentile(plain, 0.5), rawP99 = percentile(plain, 0.99)
        print("  \(label.padding(toLength: 13, withPad: " ", startingAt: 0)) liaison \(milliseconds(p50)) / \(milliseconds(p99))   raw FTS5 \(milliseconds(rawP50)) / \(milliseconds(rawP99))   ratio p99 \(String(format: "%.2f", p99 / rawP99))×   \(hits) hits")
    }
}

// MARK: Whole process

func benchmarkCLI(folder: NodeFolder) throws {
    guard FileManager.default.isExecutableFile(atPath: cliPath) else {
        print("liaison search as a process: skipped, build it first (swift build -c release) or pass --cli PATH")
        return
    }
    var times: [Double] = []
    for index in 0..<41 {
        let time = seconds { runQuietly(["search", index.isMultiple(of: 2) ? "ivanov" : "mold", "--data", folder.url.path]) }
        if index > 0 { times.append(time) }
    }
    print("liaison search as a whole process, 40 runs: median \(milliseconds(percentile(times, 0.5))), p90 \(milliseconds(percentile(times, 0.9))) (goal ≤ 40 ms)")
}

// MARK: Bundle

/// Exports everything the imported node holds as a bundle, imports it into a new node that trusts the
/// first, and in the same run inserts the rows that import wrote plainly into a third, empty node.
func benchmarkBundle(from folder: NodeFolder) throws {
    let source = try folder.open()
    let bundle = workFolder.appending(path: "all.liaison-bundle")
    let exportTime = try seconds { _ = try source.exportBundle(to: bundle, assumes: VersionVector()) }
    let receiverFolder = NodeFolder(url: workFolder.appending(path: "receiver"))
    let receiver = try receiverFolder.initialize(name: "Receiver", agency: "Bench")
    _ = try receiver.addPeer(try source.card(tlsPin: try folder.tlsPin(), url: nil))
    var changes = 0
    sync()
    // As an officer receives, and as the git peer is timed: a process that opens the node, imports
    // and closes it, with no other connection open (the last to close checkpoints the log). Without
    // the built tool, in this process.
    let asProcess = FileManager.default.isExecutableFile(atPath: cliPath)
    if asProcess { try receiver.database.close() }
    let importTime = try seconds {
        if asProcess {
            let output = try runCapturing(["bundle", "import", "--json", "--data", receiverFolder.url.path, bundle.path])
            let summary = try JSONSerialization.jsonObject(with: output) as? [String: Any]
            changes = (summary?["report"] as? [String: Any])?["changes_applied"] as? Int ?? 0
        } else {
            changes = try receiver.importBundle(from: bundle).report.changesApplied
        }
    }
    let received = asProcess ? try receiverFolder.open() : receiver
    let sameRowsTime = try plainInsertOfSameRows(from: receiverFolder, into: "bundle-same-rows")
    let size = (try FileManager.default.attributesOfItem(atPath: bundle.path)[.size] as? NSNumber)?.intValue ?? 0
    let rate = Double(changes) / importTime
    let plainRate = Double(changes) / sameRowsTime
    let git = try gitPeer(of: source, in: workFolder.appending(path: "git-peer"))
    print("""
        bundle of \(contactCount) contacts: \(changes) changes, \(size / 1_000_000) MB, exported in \(String(format: "%.2f", exportTime)) s
          bundle import:    \(String(format: "%.2f", importTime)) s, \(Int(rate)) changes/s (verify, merge, index\(asProcess ? "; \(cliPath) as a process, built \(builtAt(cliPath))" : ""); goal ≥ 30,000)
          plain same rows:  \(String(format: "%.2f", sameRowsTime)) s, \(Int(plainRate)) changes/s (every row the import wrote, same schema)
          ratio:            \(String(format: "%.3f", rate / plainRate)) of the plain insert rate (goal ≥ 0.4)
          digests equal:    \(try source.digest() == received.digest())
          git peer:         \(String(format: "%.2f", git.seconds)) s to clone its bundle and verify its signed commit (best of 3), \(git.bytes / 1_000_000) MB
          against git:      \(String(format: "%.2f", importTime / git.seconds))× its time (goal ≤ 1), \(String(format: "%.2f", Double(size) / Double(git.bytes)))× its bundle
        """)
}

/// Runs the tool as a separate process and reads its peak resident memory from the kernel while it
/// runs. Returns the exit status, the time and the peak in bytes.
func peakMemory(_ arguments: [String]) -> (status: Int32, seconds: Double, bytes: Int) {
    // The kernel's ru_maxrss of a spawned child counts the parent's memory at the spawn, so the
    // child's own high-water mark (VmHWM, reset by exec) is read while it runs.
    var peakKilobytes = 0
    var status: Int32 = 0
    let time = seconds {
        status = runQuietly(arguments) { pid in
            let report = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
            if let line = report.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
                let kilobytes = line.split(separator: " ").dropFirst().first.flatMap({ Int($0) })
            {
                peakKilobytes = max(peakKilobytes, kilobytes)
            }
        }
    }
    return (status, time, peakKilobytes * 1024)
}

/// Times `liaison bundle import` of a bundle of about `changes` changes as a separate process, and
/// reads its peak resident memory from the kernel.
func benchmarkBundleMemory(changes: Int) throws {
    guard FileManager.default.isExecutableFile(atPath: cliPath) else {
        print("bundle import memory: skipped, build the tool first (swift build -c release) or pass --cli PATH")
        return
    }
    // A generated contact makes about 4.4 changes.
    let contacts = max(1, changes * 10 / 44)
    let folder = NodeFolder(url: workFolder.appending(path: "memory-source"))
    let source = try folder.initialize(name: "Memory source", agency: "Bench")
    _ = try source.importCSV(generatedCSV(count: contacts), fileName: "memory.csv")
    let bundle = workFolder.appending(path: "memory.liaison-bundle")
    let exported = try source.exportBundle(to: bundle, assumes: VersionVector())
    let receiverFolder = NodeFolder(url: workFolder.appending(path: "memory-receiver"))
    let receiver = try receiverFolder.initialize(name: "Memory receiver", agency: "Bench")
    _ = try receiver.addPeer(try source.card(tlsPin: try folder.tlsPin(), url: nil))
    let run = peakMemory(["bundle", "import", bundle.path, "--data", receiverFolder.url.path])
    print("""
        bundle import as a process: \(exported.changes) changes in \(String(format: "%.1f", run.seconds)) s, exit \(run.status),
          peak memory \(run.bytes / 1_048_576) MB (goal ≤ 150 MB)
        """)
}

/// Times `liaison import` of the generated CSV into a new node as a separate process, and reads its
/// peak resident memory from the kernel.
func benchmarkImportMemory(csv: String) throws {
    guard FileManager.default.isExecutableFile(atPath: cliPath) else {
        print("CSV import memory: skipped, build the tool first (swift build -c release) or pass --cli PATH")
        return
    }
    let file = workFolder.appending(path: "import-memory.csv")
    try Data(csv.utf8).write(to: file)
    let folder = NodeFolder(url: workFolder.appending(path: "import-memory"))
    _ = try folder.initialize(name: "Import memory", agency: "Bench")
    let run = peakMemory(["import", file.path, "--data", folder.url.path])
    let contacts = try folder.open().stats().contacts
    print("""
        CSV import as a process: \(contactCount) rows in \(String(format: "%.1f", run.seconds)) s, exit \(run.status), \(contacts) contacts,
          peak memory \(run.bytes / 1_048_576) MB (goal ≤ 150 MB)
        """)
}

/// The bundle of a directory the size of the realistic global one: 25,000 contacts with about
/// 90,000 channels, which a new field office receives over a 64 kbit/s link (goal ≤ 5 MB).
func benchmarkGlobalDirectoryBundle() throws {
    let folder = NodeFolder(url: workFolder.appending(path: "global"))
    let node = try folder.initialize(name: "Global", agency: "Bench")
    _ = try node.importCSV(generatedCSV(count: 25_000, richChannels: true), fileName: "global.csv")
    let bundle = workFolder.appending(path: "global.liaison-bundle")
    _ = try node.exportBundle(to: bundle, assumes: VersionVector())
    let stats = try node.stats()
    let size = (try FileManager.default.attributesOfItem(atPath: bundle.path)[.size] as? NSNumber)?.intValue ?? 0
    print("""
        bundle of the global directory: \(stats.contacts) contacts, \(stats.channels) channels, \(stats.designations) roles,
          \(stats.agencies + stats.units) agencies and units: \(String(format: "%.2f", Double(size) / 1_000_000)) MB (goal ≤ 5 MB), \(String(format: "%.1f", Double(size) * 8 / 64_000 / 60)) minutes at 64 kbit/s
        """)
}

if mode == "notes" {
    try benchmarkNotes()
    exit(0)
}

if mode == "audit" {
    try benchmarkAudit()
    exit(0)
}

if mode == "accountability" {
    try benchmarkAccountability()
    exit(0)
}

// The generated directory as a CSV file, for benchmarks that run `liaison` itself (Benchmarks/web-bench.sh).
if mode == "csv" {
    try Data(generatedCSV(count: contactCount).utf8).write(to: URL(fileURLWithPath: option("--out") ?? "contacts.csv"))
    exit(0)
}
let csv = generatedCSV(count: contactCount)
let folder = try benchmarkImport(csv: csv)
if mode == "all" || mode == "search" { try benchmarkSearch(folder: folder) }
if mode == "all" || mode == "cli" { try benchmarkCLI(folder: folder) }
if mode == "all" || mode == "bundle" {
    try benchmarkBundle(from: folder)
    try benchmarkGlobalDirectoryBundle()
}
if mode == "all" || mode == "sync" { try benchmarkSync(from: folder) }
if mode == "all" { try benchmarkNotes() }
if let memoryChanges { try benchmarkBundleMemory(changes: memoryChanges) }
if importMemory { try benchmarkImportMemory(csv: csv) }
