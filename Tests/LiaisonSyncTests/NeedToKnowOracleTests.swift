import Crypto
import Foundation
import GRDB
@testable import LiaisonCore
import LiaisonSync
import LiaisonTestSupport
import Testing

/// Random federations write notes under random distributions, change sharing groups, and pass
/// commits on by sync and by bundle file, through random topologies in which nodes relay for
/// others. Then every node's database file and WAL are scanned byte for byte: no note's or
/// evaluation's unique marker is found in clear at a node not entitled to it, and every entitled
/// node connected to its author, directly or through relays, holds it.
///
/// `LIAISON_NOTE_SEEDS` sets the number of runs (300); `LIAISON_SEED` the first seed, and
/// `LIAISON_SEED=<seed> LIAISON_NOTE_SEEDS=1` replays one run.
@Suite struct NeedToKnowOracleTests {
    @Test func everyNoteReachesExactlyTheNodesEntitledToIt() async throws {
        let environment = ProcessInfo.processInfo.environment
        let runs = environment["LIAISON_NOTE_SEEDS"].flatMap(Int.init) ?? 300
        let first = environment["LIAISON_SEED"].flatMap(UInt64.init) ?? .random(in: 0 ... .max >> 1)
        print("need-to-know oracle: \(runs) runs from seed \(first) (replay one with LIAISON_SEED=<seed> LIAISON_NOTE_SEEDS=1)")
        var totals = OracleRun.Totals()
        for run in 0..<runs {
            let seed = first &+ UInt64(run)
            let folder = FileManager.default.temporaryDirectory.appending(path: "liaison-oracle-\(seed)-\(UUID().uuidString.prefix(8))")
            defer { try? FileManager.default.removeItem(at: folder) }
            var oracle = try OracleRun(seed: seed, folder: folder)
            try oracle.play()
            let failures = try oracle.check()
            totals.add(oracle.totals)
            for failure in failures.prefix(5) { Issue.record("seed \(seed): \(failure)") }
            if !failures.isEmpty { break }
            // Minutes of work: the task threads are let go between runs, for the servers of the
            // tests that run beside this one.
            await Task.yield()
        }
        print("need-to-know oracle: \(totals)")
        #expect(totals.sealedDeliveries > 0 && totals.withheld > 0, "the runs exercised sealed relay and withholding")
    }
}

/// One random federation, what it wrote, and who is entitled to each marker.
struct OracleRun {
    struct Written {
        var marker: String
        var author: Int
        /// Nodes entitled to it; nil for every node.
        var entitled: Set<Int>?
        var isEvaluation: Bool
        var description: String
    }

    struct Totals: CustomStringConvertible {
        var runs = 0, nodes = 0, written = 0, checks = 0, withheld = 0, sealedDeliveries = 0
        mutating func add(_ other: Totals) {
            (runs, nodes, written, checks) = (runs + other.runs, nodes + other.nodes, written + other.written, checks + other.checks)
            (withheld, sealedDeliveries) = (withheld + other.withheld, sealedDeliveries + other.sealedDeliveries)
        }
        var description: String {
            "\(runs) runs, \(nodes) nodes, \(written) notes and evaluations; \(checks) node-marker checks, \(withheld) kept from a node, \(sealedDeliveries) delivered through a node that could not read them"
        }
    }

    let seed: UInt64
    let folder: URL
    var random: SeededGenerator
    var nodes: [Directory] = []
    var paths: [String] = []
    /// Undirected links, as pairs (low, high).
    var links: [(Int, Int)] = []
    var written: [Written] = []
    var totals = Totals()
    let prefix: String

    init(seed: UInt64, folder: URL) throws {
        self.seed = seed
        self.folder = folder
        random = SeededGenerator(seed: seed)
        prefix = "ORC\(String(seed, radix: 16))x"
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let count = Int.random(in: 4...8, using: &random)
        for index in 0..<count {
            let path = folder.appending(path: "node-\(index).sqlite").path
            nodes.append(try Directory.onDisk(path: path, name: "Node \(index)", agency: "Agency \(index)", signingKey: try random.signingKey()))
            paths.append(path)
        }
        for node in nodes {
            for other in nodes where other.node.id != node.node.id { _ = try node.addPeer(try other.card(tlsPin: Federation.testPin, url: nil)) }
        }
        // Sparse random links: hubs, chains, and now and then a node cut off.
        for low in 0..<count {
            for high in (low + 1)..<count where Double.random(in: 0..<1, using: &random) < 0.35 { links.append((low, high)) }
        }
        totals.runs = 1
        totals.nodes = count
    }

    mutating func play() throws {
        for _ in 0..<Int.random(in: 15...30, using: &random) {
            switch Int.random(in: 0..<10, using: &random) {
            case 0...2: try publish()
            case 3: try evaluate()
            case 4: try changeGroup()
            case 5...7: try pass(byBundle: false)
            default: try pass(byBundle: true)
            }
        }
        // Everything moves along every link until nothing more does.
        for _ in 0..<nodes.count {
            for (low, high) in links {
                try Federation.sync(nodes[low], to: nodes[high])
                try Federation.sync(nodes[high], to: nodes[low])
            }
        }
    }

    private mutating func nextMarker() -> String {
        "\(prefix)\(written.count)Z"
    }

    private mutating func publish() throws {
        let author = Int.random(in: 0..<nodes.count, using: &random)
        let node = nodes[author]
        let marker = nextMarker()
        var note = Note(title: "Route \(written.count)", language: "en", body: "Observed: \(marker)", countries: ["MD"])
        let others = (0..<nodes.count).filter { $0 != author }
        let groups = try node.sharingGroups()
        var expectedRecipients: Set<NodeID>?
        switch Int.random(in: 0..<6, using: &random) {
        case 0:
            break
        case 1:
            note.distribution = .nodeOnly
        case 2:
            note.distribution = .federation
        case 3 where !groups.isEmpty:
            let group = groups[Int.random(in: 0..<groups.count, using: &random)]
            note.distribution = .group(group.id.lowercasedString, recipients: [])
            expectedRecipients = Set(group.members)
        default:
            let named = others.filter { _ in Bool.random(using: &random) }
            note.distribution = .nodes((named.isEmpty ? [others[0]] : named).map { nodes[$0].node.id })
        }
        if case .draft = Int.random(in: 0..<6, using: &random) == 0 ? NoteStatus.draft : .published {
            note.status = .draft
        } else {
            note.status = .published
            (note.reliability, note.credibility) = (.b, .two)
            let isNamed = if case .nodes = note.distribution { true } else { false }
            note.marking = isNamed && Bool.random(using: &random) ? .red : .amber
        }
        let toSave = note
        let saved = try node.write { tx in try tx.save(toSave) }.value
        if let expectedRecipients, case .group(_, let recipients) = saved.distribution, Set(recipients) != expectedRecipients {
            Issue.record("seed \(seed): a note to a group went to \(recipients.count) nodes, not the \(expectedRecipients.count) members its author holds")
        }
        written.append(Written(
            marker: marker, author: author, entitled: entitled(saved.distribution, author: author), isEvaluation: false,
            description: "\(saved.status.rawValue) note by node \(author) to \(saved.distribution.text.prefix(60))"))
    }

    private mutating func evaluate() throws {
        let evaluator = Int.random(in: 0..<nodes.count, using: &random)
        let node = nodes[evaluator]
        let held = try node.notes(drafts: false)
        guard !held.isEmpty else { return }
        let summary = held[Int.random(in: 0..<held.count, using: &random)]
        let note = try node.note(matching: summary.id.lowercasedString)
        let marker = nextMarker()
        try node.write { tx in try tx.evaluate(note.id, reliability: .c, credibility: .three, comment: "Seen too: \(marker)") }
        let author = try #require(nodes.firstIndex { $0.node.id.hex == note.metadata?.steward })
        // The note's distribution, its author among the recipients; for a group, the note's
        // recipients that are members still as the evaluator holds the group: a member added
        // since cannot read the note, and gets nothing of it.
        var entitled: Set<Int>?
        switch note.distribution {
        case .federation: entitled = nil
        case .nodeOnly: entitled = [author]
        case .nodes(let named): entitled = self.entitled(.nodes(named), author: author)?.union([author])
        case .group(let id, let recipients):
            let members = Set(try node.sharingGroups().first { $0.id.lowercasedString == id }?.members ?? recipients)
            entitled = self.entitled(.nodes(recipients.filter(members.contains)), author: author)?.union([author])
        }
        written.append(Written(
            marker: marker, author: evaluator, entitled: entitled.map { $0.union([evaluator]) }, isEvaluation: true,
            description: "evaluation by node \(evaluator) of a note by node \(author) to \(note.distribution.text.prefix(60))"))
    }

    private mutating func changeGroup() throws {
        let steward = Int.random(in: 0..<nodes.count, using: &random)
        let node = nodes[steward]
        let mine = try node.sharingGroups().filter { $0.metadata?.steward == node.node.id.hex }
        if mine.isEmpty || Int.random(in: 0..<3, using: &random) == 0 {
            let members = (0..<nodes.count).filter { _ in Bool.random(using: &random) }.map { nodes[$0].node.id }
            let group = SharingGroup(name: "Group \(written.count)", members: members)
            try node.write { tx in try tx.save(group) }
        } else {
            var group = mine[Int.random(in: 0..<mine.count, using: &random)]
            let member = nodes[Int.random(in: 0..<nodes.count, using: &random)].node.id
            if group.members.contains(member) { group.members.removeAll { $0 == member } } else { group.members = (group.members + [member]).sorted() }
            let changed = group
            try node.write { tx in try tx.save(changed) }
        }
    }

    private mutating func pass(byBundle: Bool) throws {
        guard !links.isEmpty else { return }
        let link = links[Int.random(in: 0..<links.count, using: &random)]
        let (from, to) = Bool.random(using: &random) ? (link.0, link.1) : (link.1, link.0)
        guard byBundle else {
            try Federation.sync(nodes[from], to: nodes[to])
            return
        }
        // A bundle for the receiver, or one for anybody, carried by hand.
        let url = folder.appending(path: "hop-\(written.count)-\(from)-\(to).bundle")
        let named = Bool.random(using: &random)
        _ = try nodes[from].exportBundle(to: url, assumes: named ? try nodes[to].vector() : VersionVector(), for: named ? nodes[to].node.id : nil)
        _ = try nodes[to].importBundle(from: url)
        try FileManager.default.removeItem(at: url)
    }

    /// The node indexes a distribution lets `author` reach; nil for all.
    private func entitled(_ distribution: Distribution, author: Int) -> Set<Int>? {
        guard let reach = distribution.reach(author: nodes[author].node.id) else { return nil }
        return Set(nodes.indices.filter { reach.contains(nodes[$0].node.id) })
    }

    /// The nodes linked, directly or through others (only `within`, when given), to `start`.
    private func component(of start: Int, within: Set<Int>? = nil) -> Set<Int> {
        var seen: Set<Int> = [start]
        var queue = [start]
        while let next = queue.popLast() {
            for (low, high) in links where low == next || high == next {
                let other = low == next ? high : low
                if within?.contains(other) ?? true, seen.insert(other).inserted { queue.append(other) }
            }
        }
        return seen
    }

    /// What the scan and the tables found against what each node is entitled to.
    mutating func check() throws -> [String] {
        var failures: [String] = []
        totals.written = written.count
        for (index, node) in nodes.enumerated() {
            let inFiles = try markers(inFilesOf: index)
            let held = try node.read { db in
                try String.fetchAll(db, sql: "SELECT body FROM note UNION ALL SELECT coalesce(comment, '') FROM note_evaluation")
            }.joined(separator: "\n")
            for item in written {
                totals.checks += 1
                let isEntitled = item.entitled?.contains(index) ?? true
                if !isEntitled {
                    totals.withheld += 1
                    if inFiles.contains(item.marker) { failures.append("\(item.marker) (\(item.description)) is in clear in node \(index)'s files") }
                    continue
                }
                guard component(of: item.author).contains(index) else { continue }
                if !held.contains(item.marker) {
                    failures.append("node \(index), entitled and linked to node \(item.author), does not hold \(item.marker) (\(item.description))")
                } else if let readers = item.entitled, !component(of: item.author, within: readers).contains(index) {
                    // No path of nodes that may read it joins the two: it came through one that could not.
                    totals.sealedDeliveries += 1
                }
            }
        }
        return failures
    }

    /// The markers of this run found in clear in a node's database file and WAL, byte for byte.
    private func markers(inFilesOf index: Int) throws -> Set<String> {
        var found: Set<String> = []
        let needle = Data(prefix.utf8)
        for suffix in ["", "-wal"] {
            guard let data = FileManager.default.contents(atPath: paths[index] + suffix) else { continue }
            var start = data.startIndex
            while let hit = data.range(of: needle, in: start..<data.endIndex) {
                var end = hit.upperBound
                while end < data.endIndex, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(data[end]) { end += 1 }
                if end < data.endIndex, data[end] == UInt8(ascii: "Z") { found.insert(String(decoding: data[hit.lowerBound...end], as: UTF8.self)) }
                start = hit.lowerBound + 1
            }
        }
        return found
    }
}
