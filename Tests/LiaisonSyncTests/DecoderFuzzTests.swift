import Crypto
import Foundation
import GRDB
import LiaisonCore
import LiaisonSync
import LiaisonTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Mutated inputs for every decoder that reads what reaches a node from outside: bundle files,
/// commits, node cards and version vectors (docs/PROTOCOL.md, "Bundle file", "Node card",
/// "Version vector", "Change").
///
/// Each case must end in success or in a ``LiaisonError`` with a message: never a crash, a hang or
/// an allocation that the input's own size does not bound, and never an error of the database, which
/// would mean that unchecked input reached it. After each case the receiving node must still be
/// whole: its log verifies, its tables and search index match a replay of its log, the commits it
/// holds aside are whole commits of its roster, every refusal names a change of its log, and what
/// it holds passes on in a bundle to a copy of it, which ends with the same digest.
///
/// Mutations are blind (bits flipped, bytes cut, inserted or removed, lengths and counts set to
/// values such as 0xFFFFFFFF) and aware of the formats: frames dropped, repeated and reordered,
/// header fields and change bodies changed and then signed again with the author's key, so that
/// they get past the signature to the decoders and rules behind it.
///
/// Every case is made from its own seed, drawn in turn from the test's seed, so one case replays
/// alone: `LIAISON_SEED=<seed> LIAISON_FUZZ_CASE=<index> swift test --filter DecoderFuzzTests/<test>`.
/// `LIAISON_FUZZ_CASES` is the number of cases of the whole suite (default 3,000), shared among the
/// decoders by what a case costs; `LIAISON_FUZZ_CASES=1000000` for a long run. A crash ends the
/// process before the case can be named: run again with the printed seed, the same number of cases
/// and `LIAISON_FUZZ_TRACE=1`, which names each case as it starts.
@Suite struct DecoderFuzzTests {
    static let totalCases = ProcessInfo.processInfo.environment["LIAISON_FUZZ_CASES"].flatMap(Int.init) ?? 3_000
    static let onlyCase = ProcessInfo.processInfo.environment["LIAISON_FUZZ_CASE"].flatMap(Int.init)
    static let trace = ProcessInfo.processInfo.environment["LIAISON_FUZZ_TRACE"] != nil

    /// A test's cases: `share` sixteenths of the suite's. A case that imports into a node and checks
    /// it costs tens of times a card or a vector.
    static func cases(_ share: Int) -> Int { max(1, totalCases * share / 16) }

    /// Long enough for a million cases; a case that never returns stops the test here.
    static let timeLimit = TimeLimitTrait.Duration.minutes(max(10, totalCases / 2_000))

    @Test(.timeLimit(DecoderFuzzTests.timeLimit)) func bundleFiles() async throws {
        try await Self.run("bundleFiles", cases: Self.cases(3)) { world, random, label in
            var parts = world.bundle
            Self.mutate(&parts, world: world, &random)
            var bytes = parts.bytes
            if random.chance(0.5) { Self.mutateBytes(&bytes, &random) }
            let file = world.folder.appending(path: "case.liaison-bundle")
            try Data(bytes).write(to: file)
            let receiver = try world.freshReceiver(&random)
            do {
                let summary = try receiver.importBundle(from: file, anyExporter: random.chance(0.5))
                try Self.checkNotices(summary.report, label)
                if let damage = summary.damage { try #require(!damage.isEmpty, "\(label)") }
                world.count(summary.damage == nil ? "imported" : "imported up to damage")
                world.count(summary.report)
            } catch {
                try Self.check(error, label)
                world.count("refused whole")
            }
            try world.checkWhole(receiver, label)
        }
    }

    @Test(.timeLimit(DecoderFuzzTests.timeLimit)) func commitsGivenToReceive() async throws {
        try await Self.run("commitsGivenToReceive", cases: Self.cases(3)) { world, random, label in
            // Some of the author's commits, in any order, some twice; one to three of them changed.
            var commits = world.commits.filter { _ in random.chance(0.7) }
            if commits.isEmpty { commits = [random.pick(world.commits)] }
            if random.chance(0.5) { commits.shuffle(using: &random) }
            if random.chance(0.2) { commits.append(random.pick(commits)) }
            for _ in 0..<Int.random(in: 1...3, using: &random) {
                let index = Int.random(in: 0..<commits.count, using: &random)
                Self.mutate(&commits[index], world: world, &random)
            }
            if random.chance(0.3) { Self.relink(&commits, world: world, &random) }
            let receiver = try world.freshReceiver(&random)
            // In one batch or two; now and then with a clock far behind, so that commits are held.
            let split = random.chance(0.3) ? Int.random(in: 0...commits.count, using: &random) : commits.count
            for batch in [Array(commits[..<split]), Array(commits[split...])] where !batch.isEmpty {
                let now = random.chance(0.1) ? world.clock.now().addingTimeInterval(-3_600) : nil
                do {
                    let report = try receiver.receive(batch, now: now)
                    try Self.checkNotices(report, label)
                    world.count(report)
                } catch {
                    try Self.check(error, label)
                    world.count("batches refused whole")
                }
            }
            try world.checkWhole(receiver, label)
        }
    }

    @Test(.timeLimit(DecoderFuzzTests.timeLimit)) func nodeCards() async throws {
        try await Self.run("nodeCards", cases: Self.cases(6)) { world, random, label in
            let data = try Self.mutatedCard(world: world, &random)
            let card: NodeCard
            do {
                card = try NodeCard(json: data, fileName: "case.card")
            } catch {
                world.count("unreadable")
                return try Self.check(error, label)
            }
            let key: Curve25519.Signing.PublicKey
            do {
                key = try card.verified()
            } catch {
                world.count("refused")
                return try Self.check(error, label)
            }
            world.count("verified")
            // A card that verifies belongs to its key, reads back as itself, and joins a roster as written.
            try #require(NodeID(publicKey: key) == card.nodeID, "\(label)")
            let again = try NodeCard(json: card.json(), fileName: "again.card")
            try #require(again == card, "\(label)")
            try #require(try again.verified().rawRepresentation == key.rawRepresentation, "\(label)")
            let receiver = try world.freshReceiver(&random)
            let peer = try receiver.addPeer(card)
            try #require(peer.nodeID == card.nodeID.hex && peer.name == card.name && peer.agency == card.agency, "\(label)")
            try #require(peer.tlsPin == card.tlsPin && peer.url == card.url, "\(label)")
            // A new peer changes the roster only: the log, the records and what is held stay as they
            // were, and were found whole before any case.
            try #require(try world.state(of: receiver, roster: false) == world.untouchedState, "\(label)")
            _ = try receiver.read { db in try LogStore.verify(in: db) }
        }
    }

    @Test(.timeLimit(DecoderFuzzTests.timeLimit)) func versionVectors() async throws {
        try await Self.run("versionVectors", cases: Self.cases(4)) { world, random, label in
            let data = Self.mutatedVector(world: world, &random)
            let vector: VersionVector
            do {
                vector = try VersionVector(json: data, fileName: "case.vector")
            } catch {
                world.count("unreadable")
                return try Self.check(error, label)
            }
            world.count("read")
            // A vector that reads is in order, reads back as itself, and can say what a bundle assumes.
            try #require(vector.entries.allSatisfy { $0.headerHash.count == 32 }, "\(label)")
            try #require(try VersionVector(json: vector.json(), fileName: "again.vector") == vector, "\(label)")
            guard random.chance(0.25) else { return }
            let file = world.folder.appending(path: "since.liaison-bundle")
            _ = try world.author.exportBundle(to: file, assumes: vector)
            let receiver = try world.freshReceiver(&random)
            do {
                let summary = try receiver.importBundle(from: file)
                try #require(summary.header.assumes == vector, "\(label)")
                try Self.checkNotices(summary.report, label)
                world.count(summary.report)
            } catch {
                try Self.check(error, label)
            }
            try world.checkWhole(receiver, label)
        }
    }

    // MARK: Running cases

    /// A case, named so that it can be replayed alone.
    struct FuzzCase: CustomStringConvertible {
        var test: String
        var index: Int
        var seed: UInt64

        var description: String {
            "\(test) case \(index) (replay: LIAISON_SEED=\(seed) LIAISON_FUZZ_CASE=\(index) swift test --filter DecoderFuzzTests/\(test))"
        }
    }

    /// Runs a test's cases, each from its own seed, drawn in turn from the test's seed; stops at the
    /// first case that fails, naming it.
    private static func run(
        _ test: String, cases: Int, _ body: (World, inout SeededGenerator, FuzzCase) throws -> Void
    ) async throws {
        var seeds = SeededGenerator(name: "DecoderFuzzTests/\(test)")
        let world = try World(seed: seeds.next())
        defer { try? FileManager.default.removeItem(at: world.folder) }
        try world.checkWhole(world.receiver, "\(test): the receiver before any case")
        let started = ContinuousClock.now
        var ran = 0
        // A case asked for runs whatever the number of cases.
        for index in 0..<max(cases, (onlyCase ?? -1) + 1) {
            let seed = seeds.next()
            if let only = onlyCase, only != index { continue }
            let label = FuzzCase(test: test, index: index, seed: seeds.seed)
            // A crash ends the process before a failing case can be named.
            if trace { print("\(label) starts") }
            var random = SeededGenerator(seed: seed)
            let caseStarted = ContinuousClock.now
            do {
                try body(world, &random, label)
            } catch {
                Issue.record("\(label) failed: \(error)")
                return
            }
            let took = ContinuousClock.now - caseStarted
            // Far beyond what any case needs: a case this slow works on something its input does not hold.
            guard took < .seconds(30) else {
                Issue.record("\(label) took \(took)")
                return
            }
            // A decoder that believed a length or count of 0xFFFFFFFF would reach this.
            guard peakResidentBytes() < 3 << 30 else {
                Issue.record("\(label): the process has held \(peakResidentBytes() >> 20) MiB")
                return
            }
            ran += 1
            // Thousands of cases: the task threads are let go between them, for the servers of
            // the tests that run beside this one.
            await Task.yield()
        }
        let outcomes = world.outcomes.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        print("""
            DecoderFuzzTests/\(test): \(ran) cases in \(ContinuousClock.now - started); \(outcomes); \
            \(world.statesChecked) node states replayed; the process has held at most \(peakResidentBytes() >> 20) MiB
            """)
    }

    /// An error thrown by a decoder, or by the receiving behind it: a ``LiaisonError`` that says
    /// what, and not one of the database's.
    private static func check(_ error: any Error, _ label: FuzzCase) throws {
        let error = try #require(error as? LiaisonError, "\(label): \(error)")
        try #require(!error.message.isEmpty, "\(label): an error without a message")
        try #require(error.code != .storage, "\(label): input reached the database unchecked: \(error)")
    }

    /// Every commit or change a report names comes with its reason.
    private static func checkNotices(_ report: ReceiveReport, _ label: FuzzCase) throws {
        for notice in report.held + report.refused + report.refusedChanges + report.forks + report.stewardChanges {
            try #require(!notice.commit.isEmpty && !notice.reason.isEmpty, "\(label): \(notice)")
        }
    }

    private static func peakResidentBytes() -> Int {
        var usage = rusage()
        #if os(Linux)
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return usage.ru_maxrss * 1024
        #else
        getrusage(RUSAGE_SELF, &usage)
        return usage.ru_maxrss
        #endif
    }

    // MARK: The world every case starts from

    /// The nodes and inputs every case of a test starts from, made from the test's seed: an author
    /// whose log holds its own commits and those of another node, the bundle it exports of that
    /// log, and a receiver that trusts both, copied afresh for each case.
    final class World {
        let clock = TestClock()
        let folder = Fixtures.temporaryFolder()
        let author: Directory
        let other: Directory
        let receiverKey: Curve25519.Signing.PrivateKey
        var receiverID: NodeID { NodeID(publicKey: receiverKey.publicKey) }
        /// The receiver before any case.
        let receiver: Directory
        /// The signing keys of the three nodes, by key id, to sign changed commits again.
        let keys: [NodeID: Curve25519.Signing.PrivateKey]
        /// The author's log: both nodes' commits, in sequence order per chain.
        let commits: [Commit]
        let recordIDs: [UUID]
        let bundle: BundleParts
        /// The author's card, as JSON.
        let card: Data
        /// States of the receiver already found whole, by fingerprint: replaying a log is the
        /// costly check, and many cases end in a state met before.
        private var wholeStates: Set<[UInt8]> = []
        var statesChecked: Int { wholeStates.count }
        /// How the cases ended, to see that they reach past the first checks.
        private(set) var outcomes: [String: Int] = [:]
        /// The receiver's state before any case, but for its roster.
        private(set) lazy var untouchedState: [UInt8] = (try? state(of: receiver, roster: false)) ?? []

        /// Counts an outcome of a case.
        func count(_ outcome: String, _ times: Int = 1) { if times > 0 { outcomes[outcome, default: 0] += times } }

        /// Counts what a receive did.
        func count(_ report: ReceiveReport) {
            count("commits applied", report.applied)
            count("commits held", report.held.count)
            count("commits refused", report.refused.count)
            count("changes applied", report.changesApplied)
            count("changes refused", report.refusedChanges.count)
            count("forks", report.forks.count)
            count("new epochs", report.newEpoch == nil ? 0 : 1)
        }

        init(seed: UInt64) throws {
            var random = SeededGenerator(seed: seed)
            let authorKey = try random.signingKey(), otherKey = try random.signingKey()
            receiverKey = try random.signingKey()
            author = try Directory.inMemory(name: "Author", agency: "Police", signingKey: authorKey, clock: clock.now)
            other = try Directory.inMemory(name: "Other", agency: "Border Police", signingKey: otherKey, clock: clock.now)
            receiver = try Directory.inMemory(name: "Receiver", agency: "Prosecution", signingKey: receiverKey, clock: clock.now)
            for (node, peers) in [(author, [other]), (other, [author]), (receiver, [author, other])] {
                for peer in peers { _ = try node.addPeer(try peer.card(tlsPin: Federation.testPin, url: nil)) }
            }
            keys = Dictionary(uniqueKeysWithValues: [authorKey, otherKey, receiverKey].map { (NodeID(publicKey: $0.publicKey), $0) })

            // Every kind of record, an edit and a delete, over a few commits of each node. The last id
            // is no record's: changes are moved to it too.
            let ids = (0..<12).map { _ in random.uuid() }
            let police = Agency(
                id: ids[0], name: "Centre for Combating Trafficking in Persons", acronym: "CCTP", kind: .police, country: "MD",
                subdivision: "MD-CU", website: "https://police.md.example")
            let border = Agency(id: ids[1], name: "Poliția de Frontieră", kind: .border, country: "RO")
            let ion = Person(
                id: ids[2], agencyID: police.id, givenName: "Ion", familyName: "Popescu", nativeName: "Ион Попеску",
                position: "Inspector", languages: ["ro", "ru"], timeZone: "Europe/Chisinau")
            let phone = Channel(id: ids[3], personID: ion.id, kind: .phone, value: "+37322000101", is24x7: true)
            let role = Designation(id: ids[4], personID: ion.id, crimeArea: .traffickingInPersons, function: .contact24x7)
            let desk = Channel(id: ids[5], agencyID: border.id, kind: .email, value: "desk@border.ro.example")
            let ana = Person(id: ids[6], agencyID: border.id, givenName: "Ana", familyName: "Ionescu", languages: ["ro"])
            let unitRole = Designation(id: ids[7], agencyID: border.id, crimeArea: nil, function: .policy)
            _ = try author.write { tx in
                try tx.save(police)
                try tx.save(border)
            }
            clock.advance(by: 1)
            _ = try author.write { tx in
                try tx.save(ion)
                try tx.save(phone)
                try tx.save(role)
            }
            clock.advance(by: 1)
            _ = try author.write { tx in
                var renamed = police
                renamed.acronym = "CCTP-MD"
                try tx.save(renamed)
                try tx.save(desk)
                try tx.save(ana)
                try tx.save(unitRole)
            }
            clock.advance(by: 1)
            _ = try author.write { tx in try tx.removePerson(ana.id) }
            try Federation.sync(author, to: other)
            clock.advance(by: 1)
            let greek = Agency(id: ids[8], name: "Ελληνική Αστυνομία", kind: .police, country: "GR")
            let giorgos = Person(id: ids[9], agencyID: police.id, nativeName: "Γιώργος Παπαδόπουλος", languages: ["el", "en"])
            _ = try other.write { tx in
                try tx.save(greek)
                try tx.save(giorgos)
            }
            clock.advance(by: 1)
            _ = try other.write { tx in try tx.save(Channel(id: ids[10], agencyID: greek.id, kind: .fax, value: "+302100000000")) }
            try Federation.sync(other, to: author)
            clock.advance(by: 1)
            recordIDs = ids
            commits = try author.commits(beyond: VersionVector())

            let file = folder.appending(path: "author.liaison-bundle")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            _ = try author.exportBundle(to: file, assumes: VersionVector())
            bundle = try BundleParts([UInt8](try Data(contentsOf: file)))
            card = try author.card(tlsPin: Federation.testPin, url: "https://liaison.police.md.example:8443").json()
        }

        /// A copy of the receiver as it was before any case.
        func freshReceiver(_ random: inout SeededGenerator) throws -> Directory {
            let queue = try DatabaseQueue()
            try receiver.database.backup(to: queue)
            return try Directory(database: queue, signingKey: receiverKey, clock: clock.now, random: SharedGenerator(seed: random.next()).next)
        }

        /// Checks that `node` is whole after a case (see the suite's summary). Replaying its log is
        /// the costly check: a state met before is not checked again.
        func checkWhole(_ node: Directory, _ label: some CustomStringConvertible) throws {
            let fingerprint = try node.read { db -> [UInt8] in
                _ = try LogStore.verify(in: db)
                let keys = try LogStore.knownKeys(in: db)
                for row in try Row.fetchAll(db, sql: "SELECT header_hash, frame FROM held_commit") {
                    let commit = try Frames.commit([UInt8](row["frame"] as Data))
                    guard commit.header.hash == [UInt8](row["header_hash"] as Data), let signer = keys[commit.header.keyID] else {
                        throw LiaisonError(.verification, "a held commit is not the one it is held as, or its key is unknown")
                    }
                    try commit.verify(with: signer.key)
                    if try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM commit_log WHERE header_hash = ?)", arguments: [Data(commit.header.hash)]) == true {
                        throw LiaisonError(.verification, "a commit is held and in the log")
                    }
                }
                let strayRefusals = try Int.fetchOne(db, sql: """
                    SELECT count(*) FROM refusal r LEFT JOIN commit_log c ON c.position = r.commit_position
                    WHERE c.position IS NULL OR r.change_index >= c.change_count OR r.reason = ''
                    """)
                guard strayRefusals == 0 else { throw LiaisonError(.verification, "a refusal names no change of the log") }
                return try Self.fingerprint(db, roster: true)
            }
            _ = try node.forks()
            guard !wholeStates.contains(fingerprint) else { return }
            try node.read { db in _ = try LogStore.verifyState(in: db, scratchFolder: Self.scratchFolder) }
            // What the node holds passes on whole, in the order of its chains rather than of its
            // arrival: another copy of the receiver ends with the same commits and records. (A copy,
            // because a body addressed to the receiver alone may reach no other node.)
            let file = folder.appending(path: "pass-on.liaison-bundle")
            _ = try node.exportBundle(to: file, assumes: VersionVector(), for: receiverID)
            var random = SeededGenerator(seed: 1)
            let next = try freshReceiver(&random)
            let summary = try next.importBundle(from: file)
            try #require(summary.damage == nil && summary.report.refused.isEmpty && summary.report.forks.isEmpty, "\(label): \(summary.report)")
            try #require(try next.vector() == node.vector(), "\(label)")
            try #require(try next.digest() == node.digest(), "\(label): the node's records differ from what its log gives another node")
            wholeStates.insert(fingerprint)
        }

        /// Where replays write their scratch database: a memory file system where there is one,
        /// since a replay writes and syncs a database for every new state.
        private static let scratchFolder = FileManager.default.fileExists(atPath: "/dev/shm")
            ? URL(fileURLWithPath: "/dev/shm") : FileManager.default.temporaryDirectory

        /// A hash of the state of `node`, as ``fingerprint(_:roster:)`` takes it.
        func state(of node: Directory, roster: Bool) throws -> [UInt8] {
            try node.read { db in try Self.fingerprint(db, roster: roster) }
        }

        /// A hash of everything that replaying a node's log depends on and compares: roster (unless
        /// left out), log, records, search index, held commits, refusals and forks. Times of arrival
        /// are left out.
        private static func fingerprint(_ db: Database, roster: Bool) throws -> [UInt8] {
            var hasher = SHA256()
            let rosterQueries = roster ? ["SELECT key_id, node_id, public_key, revoked_at IS NULL FROM node_key ORDER BY key_id"] : []
            for sql in ["SELECT id, epoch FROM node"] + rosterQueries + [
                "SELECT position, origin, epoch, sequence, hlc, header, header_hash, signature, change_count, changes FROM commit_log ORDER BY position",
                "SELECT * FROM agency ORDER BY local_id", "SELECT * FROM person ORDER BY local_id",
                "SELECT * FROM channel ORDER BY local_id", "SELECT * FROM designation ORDER BY local_id",
                "SELECT rowid, * FROM search_index ORDER BY rowid",
                "SELECT header_hash, frame, reason FROM held_commit ORDER BY header_hash",
                "SELECT * FROM refusal ORDER BY commit_position, change_index",
                "SELECT origin, epoch, sequence, held_header, held_signature, other_header, other_signature FROM fork ORDER BY 1, 2, 3, 6",
            ] {
                hasher.update(data: Array(sql.utf8))
                let rows = try Row.fetchCursor(db, sql: sql)
                while let row = try rows.next() {
                    for value in row.databaseValues {
                        switch value.storage {
                        case .null: hasher.update(data: [0])
                        case .int64(let number): hasher.update(data: [1] + withUnsafeBytes(of: number.bigEndian, Array.init))
                        case .double(let number): hasher.update(data: [2] + withUnsafeBytes(of: number.bitPattern.bigEndian, Array.init))
                        case .string(let text): hasher.update(data: [3] + withUnsafeBytes(of: UInt64(text.utf8.count).bigEndian, Array.init) + Array(text.utf8))
                        case .blob(let data): hasher.update(data: [4] + withUnsafeBytes(of: UInt64(data.count).bigEndian, Array.init) + [UInt8](data))
                        }
                    }
                }
            }
            return Array(hasher.finalize())
        }
    }

    // MARK: Bundle files

    /// A bundle file in its parts (docs/PROTOCOL.md, "Bundle file"), read by this test's own reader.
    struct BundleParts {
        /// Magic, version, exporter and creation time.
        var fixed: [UInt8]
        var assumes: [UInt8]
        var brings: [UInt8]
        var signature: [UInt8]
        /// Each frame as it is written: `u8 1`, `u32` length, the frame.
        var frames: [[UInt8]]
        /// `u8 0` and the `u64` number of frames.
        var end: [UInt8]

        var signed: [UInt8] { fixed + assumes + brings }
        var bytes: [UInt8] { signed + signature + frames.joined() + end }

        init(_ bytes: [UInt8]) throws {
            var offset = 8 + 1 + 16 + 8
            fixed = Array(bytes[..<offset])
            func vector() throws -> [UInt8] {
                let count = Int(try Frames.u32(bytes, at: offset))
                defer { offset += 4 + count * 60 }
                return Array(bytes[offset..<(offset + 4 + count * 60)])
            }
            assumes = try vector()
            brings = try vector()
            signature = Array(bytes[offset..<(offset + 64)])
            offset += 64
            frames = []
            while bytes[offset] == 1 {
                let length = Int(try Frames.u32(bytes, at: offset + 1))
                frames.append(Array(bytes[offset..<(offset + 5 + length)]))
                offset += 5 + length
            }
            end = Array(bytes[offset...])
        }
    }

    /// Changes a bundle's structure: frames dropped, repeated, reordered, changed and signed
    /// again; lengths, counts and tags set to values to be wary of; vectors changed and the header
    /// signed again.
    private static func mutate(_ parts: inout BundleParts, world: World, _ random: inout SeededGenerator) {
        for _ in 0..<Int.random(in: 1...3, using: &random) {
            let index = parts.frames.isEmpty ? 0 : Int.random(in: 0..<parts.frames.count, using: &random)
            switch Int.random(in: 0..<12, using: &random) {
            case 0 where !parts.frames.isEmpty:
                parts.frames.remove(at: index)
            case 1 where !parts.frames.isEmpty:
                parts.frames.insert(parts.frames[index], at: Int.random(in: 0...parts.frames.count, using: &random))
            case 2 where !parts.frames.isEmpty:
                parts.frames.swapAt(index, Int.random(in: 0..<parts.frames.count, using: &random))
            case 3 where !parts.frames.isEmpty:
                Frames.put(random.pick(interesting32), into: &parts.frames[index], at: 1)
            case 4 where !parts.frames.isEmpty:
                parts.frames[index][0] = random.pick([0, 2, 0x7F, 0xFF])
            case 5:
                parts.end = [0] + withUnsafeBytes(of: random.pick(interesting64).bigEndian, Array.init)
            case 6:
                parts.end = random.chance(0.5) ? [] : parts.end + randomBytes(Int.random(in: 1...16, using: &random), &random)
            case 7:
                // A vector's count that the entries do not bear out, unsigned.
                if random.chance(0.5) { Frames.put(random.pick(interesting32), into: &parts.assumes, at: 0) } else { Frames.put(random.pick(interesting32), into: &parts.brings, at: 0) }
            case 8:
                // Vectors with entries changed, repeated or added, signed again by the exporter.
                if random.chance(0.5) { mutateVector(&parts.assumes, world: world, &random) } else { mutateVector(&parts.brings, world: world, &random) }
                signHeader(&parts, world: world)
            case 9:
                // Another exporter, a version byte or a creation time, signed again when a key is at hand.
                switch Int.random(in: 0..<3, using: &random) {
                case 0: parts.fixed.replaceSubrange(9..<25, with: random.pick([world.receiverID.bytes, world.other.node.id.bytes, randomBytes(16, &random)]))
                case 1: parts.fixed[8] = random.pick([0, 2, 0xFF])
                default: parts.fixed.replaceSubrange(25..<33, with: withUnsafeBytes(of: random.pick(interesting64).bigEndian, Array.init))
                }
                signHeader(&parts, world: world)
            default:
                // A commit changed and, mostly, signed again by its author's key.
                guard !parts.frames.isEmpty, var commit = try? Frames.commit(Array(parts.frames[index].dropFirst(5))) else { continue }
                mutate(&commit, world: world, &random)
                let frame = Frames.frame(commit)
                parts.frames[index] = [1] + withUnsafeBytes(of: UInt32(frame.count).bigEndian, Array.init) + frame
            }
        }
    }

    /// Signs a bundle's header again with its exporter's key, when the test holds it.
    private static func signHeader(_ parts: inout BundleParts, world: World) {
        guard let exporter = try? NodeID(bytes: Array(parts.fixed[9..<25])), let key = world.keys[exporter],
            let signature = try? key.signature(for: Array("liaison/bundle/v1".utf8) + [0] + parts.signed)
        else { return }
        parts.signature = Array(signature)
    }

    /// Changes a vector's bytes: entries changed, repeated, removed or added, the count kept true.
    private static func mutateVector(_ bytes: inout [UInt8], world: World, _ random: inout SeededGenerator) {
        var entries = stride(from: 4, to: bytes.count, by: 60).map { Array(bytes[$0..<min($0 + 60, bytes.count)]) }
        for _ in 0..<Int.random(in: 1...3, using: &random) {
            switch Int.random(in: 0..<5, using: &random) {
            case 0 where !entries.isEmpty: entries.remove(at: Int.random(in: 0..<entries.count, using: &random))
            case 1 where !entries.isEmpty: entries.append(random.pick(entries))
            case 2 where !entries.isEmpty:
                let index = Int.random(in: 0..<entries.count, using: &random)
                guard entries[index].count == 60 else { continue }
                Frames.put(random.pick(interesting32), into: &entries[index], at: 16)
                entries[index].replaceSubrange(20..<28, with: withUnsafeBytes(of: random.pick(interesting64).bigEndian, Array.init))
            case 3:
                let origin = random.pick([world.author.node.id.bytes, world.other.node.id.bytes, world.receiverID.bytes, randomBytes(16, &random)])
                entries.append(origin + [0, 0, 0, 1] + withUnsafeBytes(of: random.pick(interesting64).bigEndian, Array.init) + randomBytes(32, &random))
            default:
                entries += (0..<Int.random(in: 0...200, using: &random)).map { _ in randomBytes(60, &random) }
            }
        }
        bytes = withUnsafeBytes(of: UInt32(entries.count).bigEndian, Array.init) + entries.joined()
    }

    /// Blind changes: bits flipped, bytes set, the file cut short, runs of bytes inserted or
    /// removed, a four-byte field set to a length to be wary of.
    private static func mutateBytes(_ bytes: inout [UInt8], _ random: inout SeededGenerator) {
        for _ in 0..<Int.random(in: 1...3, using: &random) where !bytes.isEmpty {
            let offset = Int.random(in: 0..<bytes.count, using: &random)
            switch Int.random(in: 0..<6, using: &random) {
            case 0: bytes[offset] ^= 1 << UInt8.random(in: 0...7, using: &random)
            case 1: bytes[offset] = random.pick([0, 1, 0x7F, 0x80, 0xFF])
            case 2: bytes.removeSubrange(offset...)
            case 3: bytes.insert(contentsOf: randomBytes(Int.random(in: 1...64, using: &random), &random), at: offset)
            case 4: bytes.removeSubrange(offset..<min(bytes.count, offset + Int.random(in: 1...64, using: &random)))
            default: if offset + 4 <= bytes.count { Frames.put(random.pick(interesting32), into: &bytes, at: offset) }
            }
        }
    }

    // MARK: Commits

    /// Changes a commit: a header field, the signature, a change hash or body, counts. Then, mostly,
    /// the hashes and digest are made to match the bodies and the header is signed again with the
    /// key it names, so that the change gets past the signature to what lies behind it.
    private static func mutate(_ commit: inout Commit, world: World, _ random: inout SeededGenerator) {
        let nodes = [world.author.node.id, world.other.node.id, world.receiverID]
        for _ in 0..<Int.random(in: 1...2, using: &random) {
            switch Int.random(in: 0..<20, using: &random) {
            case 0:
                // Another origin, signed by its own key: a node's own commits from a copy of it among them.
                let origin = random.pick(nodes)
                commit.header.origin = origin
                commit.header.keyID = origin
            case 1:
                if random.chance(0.5) {
                    commit.header.origin = random.chance(0.5) ? random.pick(nodes) : randomNode(&random)
                } else {
                    commit.header.keyID = random.chance(0.5) ? random.pick(nodes) : randomNode(&random)
                }
            case 2: commit.header.epoch = random.pick(interesting32)
            case 3: commit.header.sequence = random.chance(0.5) ? random.pick(interesting64) : commit.header.sequence &+ random.pick([1, 2, .max])
            case 4:
                commit.header.previousHash = random.pick([
                    CommitHeader.genesisHash, randomBytes(32, &random), random.pick(world.commits).header.hash, randomBytes(Int.random(in: 0...40, using: &random), &random),
                ])
            case 5:
                let now = HybridLogicalTime(milliseconds: UInt64(world.clock.now().timeIntervalSince1970 * 1000))
                commit.header.time = HybridLogicalTime(rawValue: random.chance(0.5) ? random.pick(interesting64) : random.pick([
                    commit.header.time.rawValue &- 1, now.rawValue &+ (11 * 60_000) << 16, now.rawValue &+ (9 * 60_000) << 16, 0,
                ]))
            case 6:
                if random.chance(0.5) {
                    commit.header.changeCount = random.chance(0.5) ? random.pick(interesting32) : commit.header.changeCount &+ random.pick([1, .max])
                } else {
                    commit.header.changesDigest = randomBytes(random.chance(0.8) ? 32 : Int.random(in: 0...40, using: &random), &random)
                }
            case 7:
                switch Int.random(in: 0..<3, using: &random) {
                case 0 where !commit.signature.isEmpty: commit.signature[Int.random(in: 0..<commit.signature.count, using: &random)] ^= 0x01
                case 1: commit.signature = Array(commit.signature.prefix(Int.random(in: 0..<64, using: &random)))
                default: commit.signature += randomBytes(Int.random(in: 1...8, using: &random), &random)
                }
            case 8:
                // Hashes and bodies that do not pair up.
                switch Int.random(in: 0..<4, using: &random) {
                case 0 where !commit.changeHashes.isEmpty: commit.changeHashes.removeLast()
                case 1: commit.changeBodies.append(random.chance(0.5) ? nil : randomBytes(Int.random(in: 0...64, using: &random), &random))
                case 2:
                    commit.changeHashes.append(randomBytes(32, &random))
                    commit.changeBodies.append(nil)
                default:
                    guard !commit.changeHashes.isEmpty else { continue }
                    commit.changeHashes[Int.random(in: 0..<commit.changeHashes.count, using: &random)] = randomBytes(random.pick([0, 16, 31, 32, 33]), &random)
                }
            case 9:
                // Bodies withheld, as a relay may send them.
                commit.changeBodies = commit.changeBodies.map { random.chance(0.5) ? nil : $0 }
            case 10:
                // A change of another commit added, repeated or put in another's place.
                let extra = random.pick(world.commits.flatMap(\.changeBodies).compactMap { $0 })
                let index = Int.random(in: 0...min(commit.changeBodies.count, commit.changeHashes.count), using: &random)
                commit.changeBodies.insert(extra, at: index)
                commit.changeHashes.insert(Change.hash(of: extra), at: index)
            default:
                // A change body changed in its structure and encoded again, or in its bytes.
                guard !commit.changeBodies.isEmpty else { continue }
                let index = Int.random(in: 0..<commit.changeBodies.count, using: &random)
                guard var body = commit.changeBodies[index] else { continue }
                if random.chance(0.8), var change = try? Change(decoding: body) {
                    mutate(&change, world: world, &random)
                    body = change.encoded
                } else {
                    mutateBytes(&body, &random)
                }
                commit.changeBodies[index] = body
            }
        }
        if random.chance(0.75) { signAgain(&commit, world: world, &random) }
    }

    /// Makes a commit's hashes, count and digest match its bodies, mostly, and signs its header
    /// with the key it names, as a node that wrote it so would.
    private static func signAgain(_ commit: inout Commit, world: World, _ random: inout SeededGenerator) {
        if random.chance(0.8) {
            for (index, body) in commit.changeBodies.enumerated() where index < commit.changeHashes.count {
                if let body { commit.changeHashes[index] = Change.hash(of: body) }
            }
            if random.chance(0.9) { commit.header.changeCount = UInt32(truncatingIfNeeded: commit.changeHashes.count) }
            if random.chance(0.9) { commit.header.changesDigest = CommitHeader.changesDigest(of: commit.changeHashes) }
        }
        let key = world.keys[commit.header.keyID] ?? world.keys[commit.header.origin]
        if let key, let signature = try? key.signature(for: commit.header.signingInput) { commit.signature = Array(signature) }
    }

    /// Makes one commit of a batch follow another: the next of its chain, or the first of a later
    /// epoch of its origin, and signs it again. Chains of changed commits reach the rules on
    /// sequences, epochs and clocks, and a node's own commits from a copy of it.
    private static func relink(_ commits: inout [Commit], world: World, _ random: inout SeededGenerator) {
        guard commits.count >= 2 else { return }
        let first = Int.random(in: 0..<commits.count, using: &random)
        var second = Int.random(in: 0..<(commits.count - 1), using: &random)
        if second >= first { second += 1 }
        let before = commits[first].header
        var commit = commits[second]
        commit.header.origin = before.origin
        commit.header.keyID = before.keyID
        commit.header.previousHash = before.hash
        if random.chance(0.5) {
            commit.header.epoch = before.epoch
            commit.header.sequence = before.sequence &+ 1
        } else {
            commit.header.epoch = random.chance(0.5) ? before.epoch &+ 1 : max(before.epoch, random.pick(interesting32))
            commit.header.sequence = 1
        }
        commit.header.time = HybridLogicalTime(rawValue: before.time.rawValue &+ random.pick([0, 1, 1 << 16]))
        signAgain(&commit, world: world, &random)
        commits[second] = commit
    }

    /// Changes one change: its kind, record, distribution, operation, groups, fields and values.
    private static func mutate(_ change: inout Change, world: World, _ random: inout SeededGenerator) {
        for _ in 0..<Int.random(in: 1...3, using: &random) {
            switch Int.random(in: 0..<8, using: &random) {
            case 0: change.entity = random.pick(Entity.allCases)
            case 1: change.recordID = random.chance(0.7) ? random.pick(world.recordIDs) : random.uuid()
            case 2:
                change.distribution = random.pick([
                    .federation, .nodeOnly, .nodes([world.receiverID]), .nodes([world.other.node.id]), .nodes([]),
                    .nodes([world.receiverID, world.author.node.id, world.other.node.id]), .group("desk", recipients: [world.receiverID]),
                ])
            case 3: change.operation = random.chance(0.5) ? .delete : .upsert([:])
            default:
                // A group or a field removed or added, or a value of any type.
                var groups: [String: [String: FieldValue]] = [:]
                if case .upsert(let carried) = change.operation { groups = carried.dictionary }
                let names = groups.keys.sorted()
                let group = names.isEmpty || random.chance(0.2) ? random.pick(["name", "placement", "channel", "role", "~deleted", "", "x"]) : random.pick(names)
                var fields = groups[group] ?? [:]
                let fieldNames = fields.keys.sorted()
                switch Int.random(in: 0..<4, using: &random) {
                case 0:
                    fields = [:]
                    groups[group] = nil
                case 1: fields[random.pick(["name", "extra", "", "is_24x7", "languages", "country"])] = randomValue(&random)
                case 2: if !fieldNames.isEmpty { fields[random.pick(fieldNames)] = nil }
                default: fields[fieldNames.isEmpty ? "value" : random.pick(fieldNames)] = randomValue(&random)
                }
                if !fields.isEmpty || groups[group] != nil { groups[group] = fields }
                change.operation = .upsert(FieldGroups(groups))
            }
        }
    }

    private static func randomValue(_ random: inout SeededGenerator) -> FieldValue {
        switch Int.random(in: 0..<6, using: &random) {
        case 0: .null
        case 1: .integer(Int64(bitPattern: random.pick(interesting64)))
        case 2: .bool(random.chance(0.5))
        case 3: .list((0..<Int.random(in: 0...(random.chance(0.9) ? 4 : 2_000), using: &random)).map { _ in randomText(&random, long: false) })
        default: .text(randomText(&random))
        }
    }

    /// Text to be wary of: empty, NUL, codes the reference data holds or not, quotes and SQL,
    /// scripts, invisible characters, and, if `long`, long runs, now and then above the 1 MiB that
    /// a change body may hold.
    private static func randomText(_ random: inout SeededGenerator, long: Bool = true) -> String {
        switch Int.random(in: long ? 0..<4 : 0..<3, using: &random) {
        case 0:
            return random.pick([
                "", "\u{0}", "a\u{0}b", "MD", "md", "ZZ", "MD-CU", "RO-B", "XX-99", "police", "PHONE", "TLP:RED", "24x7-contact", "'; DROP TABLE agency; --",
                "\"", "\\", "\u{202E}evil", "\u{FEFF}", "Иван", "أحمد", "🇲🇩", "+37322000101", "e\u{301}",
            ])
        case 3:
            let count = random.chance(0.02) ? 300_000 : Int.random(in: 1_000...20_000, using: &random)
            return String(repeating: random.pick(["a", "é", "Ж", "\u{0}", "🧭"]), count: count)
        default:
            let scalars = (0..<Int.random(in: 0...24, using: &random)).compactMap { _ in
                Unicode.Scalar(random.chance(0.7) ? UInt32.random(in: 0...0x7F, using: &random) : UInt32.random(in: 0...0x10FFFF, using: &random))
            }
            return String(String.UnicodeScalarView(scalars))
        }
    }

    // MARK: Node cards

    /// A node card changed in its JSON text, or in its values and then mostly signed again: by
    /// the author's key, or by a new key whose node id it then carries, so that whole, valid cards
    /// of other nodes come out too.
    private static func mutatedCard(world: World, _ random: inout SeededGenerator) throws -> Data {
        if random.chance(0.2) {
            var bytes = [UInt8](world.card)
            mutateBytes(&bytes, &random)
            if random.chance(0.3) {
                let text = random.pick(["\"", "{", "}", "[", "\\u0000", "\\ud800", ",", ":", "null", "\"url\":null,"])
                bytes.insert(contentsOf: Array(text.utf8), at: Int.random(in: 0...bytes.count, using: &random))
            }
            return Data(bytes)
        }
        var object = try #require(try JSONSerialization.jsonObject(with: world.card) as? [String: Any])
        var key = try world.author.requireSigningKey()
        let texts = ["node_id", "name", "agency", "signing_key", "tls_pin", "url", "signature"]
        for _ in 0..<Int.random(in: 1...2, using: &random) {
            switch Int.random(in: 0..<12, using: &random) {
            case 0: object[random.pick(texts + ["format", "version"])] = nil
            case 1: object[random.pick(texts + ["format", "version"])] = random.pick([NSNull(), 1, -1, 1.5, true, [1, 2], ["a": 1], String(repeating: "9", count: 400)] as [Any])
            case 2: object[random.pick(["extra", "fingerprint", "Name", ""])] = "0000"
            case 3, 4: object[random.pick(["name", "agency", "name", "agency", "url", "tls_pin"])] = randomText(&random)
            case 5:
                let field = random.pick(texts)
                object[field] = (object[field] as? String).map { random.chance(0.5) ? $0.uppercased() : $0.replacingOccurrences(of: "=", with: "") }
            case 6:
                object["url"] = random.pick([
                    "https://liaison.example", "http://liaison.example", "https://", "https://:8443", "https://[::1]:8443", "https://host:99999",
                    "https://a b", "ftp://x", "https://x.example/\u{0}", "liaison.example", "https://user@host.example", "", "https://%00",
                ])
            case 7, 8:
                // A key of its own, and the node id that goes with it: a card of another node.
                key = try random.signingKey()
                object["signing_key"] = key.publicKey.rawRepresentation.base64EncodedString()
                object["node_id"] = NodeID(publicKey: key.publicKey).hex
            case 9:
                // Keys that must not join a roster: small order, not canonical, not 32 bytes.
                object["signing_key"] = Data(random.pick([
                    [UInt8](repeating: 0, count: 32), [1] + [UInt8](repeating: 0, count: 31), [UInt8](repeating: 0xFF, count: 32),
                    [0xEC] + [UInt8](repeating: 0xFF, count: 30) + [0x7F], randomBytes(32, &random), randomBytes(31, &random), randomBytes(33, &random),
                ])).base64EncodedString()
            case 10: object["tls_pin"] = random.pick([randomBytes(32, &random).hexString, randomBytes(31, &random).hexString, "", String(repeating: "g", count: 64)])
            default: object[random.pick(["format", "version"])] = random.pick([0, 2, 1, "1", "liaison-node-card", "liaison-vector"] as [Any])
            }
        }
        if random.chance(0.85) {
            var signed = Array("liaison/node-card/v1".utf8) + [0]
            for field in ["node_id", "name", "agency", "signing_key", "tls_pin", "url"] {
                let text = Array((object[field] as? String ?? "").utf8)
                signed += withUnsafeBytes(of: UInt32(text.count).bigEndian, Array.init) + text
            }
            object["signature"] = try key.signature(for: signed).base64EncodedString()
        }
        return try JSONSerialization.data(withJSONObject: object)
    }

    // MARK: Version vectors

    /// A version vector file: mostly one that reads, with values at the ends of their ranges, hex in
    /// either case, entries repeated or many; else one with a value that does not read, a file of
    /// another kind, changed bytes, or nesting deeper than any parser allows.
    private static func mutatedVector(world: World, _ random: inout SeededGenerator) -> Data {
        let nodes = [world.author.node.id, world.other.node.id, world.receiverID]
        let bases = world.commits.map { commit in
            ["origin": commit.header.origin.hex, "epoch": Int(commit.header.epoch), "sequence": Int(commit.header.sequence), "header_hash": commit.header.hash.hexString] as [String: Any]
        }
        var entries: [[String: Any]] = bases.filter { _ in random.chance(0.5) }
        for _ in 0..<Int.random(in: 0...2, using: &random) {
            var entry = random.pick(bases)
            switch Int.random(in: 0..<6, using: &random) {
            case 0: entry["epoch"] = random.pick([0, 1, 2, 0x7FFF_FFFF, UInt32.max] as [Any])
            case 1: entry["sequence"] = random.pick([0, 1, 6, Int64.max, UInt64(Int64.max) + 1, UInt64.max] as [Any])
            case 2: entry["origin"] = random.chance(0.5) ? random.pick(nodes).hex : random.pick(nodes).hex.uppercased()
            case 3: entry["header_hash"] = random.chance(0.5) ? randomBytes(32, &random).hexString : (entry["header_hash"] as? String ?? "").uppercased()
            case 4: entries += Array(repeating: entry, count: Int.random(in: 1...3, using: &random))
            default: entries += (0..<Int.random(in: 0...2_000, using: &random)).map { _ in random.pick(bases) }
            }
            entries.append(entry)
        }
        var file: [String: Any] = ["format": "liaison-vector", "version": 1, "entries": entries]
        switch Int.random(in: 0..<10, using: &random) {
        case 0, 1:
            // A value that does not read.
            var entry = random.pick(bases)
            let field = random.pick(["origin", "epoch", "sequence", "header_hash", "extra"])
            switch Int.random(in: 0..<4, using: &random) {
            case 0: entry[field] = nil
            case 1: entry[field] = random.pick([-1, 1.5, Double(UInt64.max) * 2, UInt64(UInt32.max) + 1, "1", NSNull(), true, [1]] as [Any])
            case 2: entry[field] = (entry[field] as? String).map { random.pick([String($0.dropLast()), $0 + "00", "zz" + $0.dropFirst(2), ""]) }
            default: entry[field] = randomText(&random)
            }
            file["entries"] = entries + [entry]
        case 2:
            file[random.pick(["format", "version", "entries"])] = random.pick(["liaison-node-card", 2, 0, "1", NSNull(), [] as [Any], ["a": 1]] as [Any])
        default:
            break
        }
        var bytes = [UInt8]((try? JSONSerialization.data(withJSONObject: file)) ?? Data())
        switch Int.random(in: 0..<10, using: &random) {
        case 0, 1: mutateBytes(&bytes, &random)
        case 2:
            let depth = Int.random(in: 1...100_000, using: &random)
            bytes = Array(String(repeating: random.pick(["[", "{\"entries\":"]), count: depth).utf8) + (random.chance(0.5) ? Array(String(repeating: "]", count: depth).utf8) : [])
        default: break
        }
        return Data(bytes)
    }

    // MARK: Values to be wary of

    static let interesting32: [UInt32] = [
        0, 1, 2, 0x7F, 0x80, 0xFF, 0x100, 0xFFFF, 0x1_0000, 1_000_000, 1_000_001, 1 << 20, (1 << 20) + 1, 64 << 20, (64 << 20) + 1,
        0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFE, 0xFFFF_FFFF,
    ]
    static let interesting64: [UInt64] = [
        0, 1, 2, 0xFFFF_FFFF, 0x1_0000_0000, 1 << 48, 0x7FFF_FFFF_FFFF_FFFE, 0x7FFF_FFFF_FFFF_FFFF, 0x8000_0000_0000_0000, 0xFFFF_FFFF_FFFF_FFFE, .max,
    ]

    private static func randomBytes(_ count: Int, _ random: inout SeededGenerator) -> [UInt8] {
        (0..<count).map { _ in UInt8.random(in: 0...255, using: &random) }
    }

    private static func randomNode(_ random: inout SeededGenerator) -> NodeID {
        (try? NodeID(bytes: randomBytes(16, &random))) ?? NodeID(publicKey: Curve25519.Signing.PrivateKey().publicKey)
    }
}

/// Commit frames as docs/PROTOCOL.md ("Bundle file") writes them, by this test's own writer and
/// reader, so that the test does not lean on the code it tests.
private enum Frames {
    struct Unreadable: Error {}

    static func frame(_ commit: Commit) -> [UInt8] {
        var bytes = commit.header.encoded + commit.signature + withUnsafeBytes(of: UInt32(truncatingIfNeeded: commit.changeHashes.count).bigEndian, Array.init)
        for (index, hash) in commit.changeHashes.enumerated() {
            bytes += hash
            if index < commit.changeBodies.count, let body = commit.changeBodies[index] {
                bytes += [1] + withUnsafeBytes(of: UInt32(body.count).bigEndian, Array.init) + body
            } else {
                bytes += [0]
            }
        }
        return bytes
    }

    static func commit(_ frame: [UInt8]) throws -> Commit {
        guard frame.count >= 121 + 64 + 4 else { throw Unreadable() }
        let header = try CommitHeader(decoding: Array(frame[..<121]))
        let count = Int(try u32(frame, at: 185))
        var offset = 189
        var hashes: [[UInt8]] = [], bodies: [[UInt8]?] = []
        for _ in 0..<count {
            guard offset + 33 <= frame.count else { throw Unreadable() }
            hashes.append(Array(frame[offset..<(offset + 32)]))
            offset += 33
            switch frame[offset - 1] {
            case 0:
                bodies.append(nil)
            case 1:
                let length = Int(try u32(frame, at: offset))
                guard offset + 4 + length <= frame.count else { throw Unreadable() }
                bodies.append(Array(frame[(offset + 4)..<(offset + 4 + length)]))
                offset += 4 + length
            default:
                throw Unreadable()
            }
        }
        guard offset == frame.count else { throw Unreadable() }
        return Commit(header: header, signature: Array(frame[121..<185]), changeHashes: hashes, changeBodies: bodies)
    }

    static func u32(_ bytes: [UInt8], at offset: Int) throws -> UInt32 {
        guard offset >= 0, offset + 4 <= bytes.count else { throw Unreadable() }
        return bytes[offset..<(offset + 4)].reduce(0) { $0 << 8 | UInt32($1) }
    }

    static func put(_ value: UInt32, into bytes: inout [UInt8], at offset: Int) {
        guard offset >= 0, offset + 4 <= bytes.count else { return }
        bytes.replaceSubrange(offset..<(offset + 4), with: withUnsafeBytes(of: value.bigEndian, Array.init))
    }
}

extension SeededGenerator {
    fileprivate mutating func pick<T>(_ items: [T]) -> T { items[Int.random(in: 0..<items.count, using: &self)] }
    fileprivate mutating func chance(_ probability: Double) -> Bool { Double.random(in: 0..<1, using: &self) < probability }
}

/// What fuzzing the decoders found, each kept as the plain case that shows it.
@Suite struct DecoderFuzzFindingTests {
    /// A node of `key` that has signed three commits, and a node that trusts it.
    private func authorAndReceiver(_ key: Curve25519.Signing.PrivateKey) throws -> (author: Directory, receiver: Directory) {
        let clock = TestClock()
        let author = try Directory.inMemory(name: "Author", signingKey: key, clock: clock.now)
        for name in ["One", "Two", "Three"] {
            _ = try author.write { tx in try tx.save(Agency(name: name, kind: .police, country: "MD")) }
            clock.advance(by: 1)
        }
        let receiver = try Directory.inMemory(name: "Receiver", clock: clock.now)
        _ = try receiver.addPeer(try author.card(tlsPin: Federation.testPin, url: nil))
        return (author, receiver)
    }

    /// `commit` changed, its digest made to match its hashes, and signed again by `key`, as a
    /// trusted node may send it.
    private func signedAgain(_ commit: Commit, key: Curve25519.Signing.PrivateKey, _ change: (inout Commit) -> Void) throws -> Commit {
        var commit = commit
        change(&commit)
        commit.header.changesDigest = CommitHeader.changesDigest(of: commit.changeHashes)
        commit.signature = Array(try key.signature(for: commit.header.signingInput))
        return commit
    }

    @Test func aCommitWhoseHeaderIsNotOf121BytesIsRefusedNotHeld() throws {
        let key = Curve25519.Signing.PrivateKey()
        let (author, receiver) = try authorAndReceiver(key)
        let commits = try author.commits(beyond: VersionVector())
        // A previous-header hash of 7 bytes makes a header of 96. Held for its missing predecessors,
        // it was kept as a frame that no reader can read, and every later receive failed on it.
        let short = try signedAgain(commits[2], key: key) { $0.header.previousHash.removeLast(25) }
        let early = try receiver.receive([short])
        #expect(early.held.isEmpty)
        #expect(early.refused.map(\.commit) == [commits[2].header.label])
        #expect(early.refused.first?.reason.contains("121-byte header") == true)
        let report = try receiver.receive(commits)
        #expect(report.applied == 3)
        #expect(try receiver.digest() == author.digest())
    }

    @Test func aCommitThatCouldNotTravelInAFrameIsRefused() throws {
        let key = Curve25519.Signing.PrivateKey()
        let (author, receiver) = try authorAndReceiver(key)
        let commits = try author.commits(beyond: VersionVector())
        // An address of 2 MiB: a body above the 1 MiB a frame may carry. Applied, the commit could
        // be passed on to no node; held for its clock, it was kept as a frame that no reader takes,
        // and every later receive failed on it.
        let agency = Agency(name: "Far Away Police", kind: .police, country: "MD")
        var groups = agency.fieldGroups
        groups["address"]?["address"] = .text(String(repeating: "a", count: 2 << 20))
        let body = Change(entity: .agency, recordID: agency.id, operation: .upsert(FieldGroups(groups))).encoded
        let large = try signedAgain(commits[0], key: key) { commit in
            commit.changeBodies = [body]
            commit.changeHashes = [Change.hash(of: body)]
            commit.header.changeCount = 1
        }
        let ahead = try signedAgain(large, key: key) { $0.header.time = HybridLogicalTime(rawValue: $0.header.time.rawValue + (11 * 60_000) << 16) }
        for commit in [ahead, large] {
            let report = try receiver.receive([commit])
            #expect(report.applied == 0 && report.held.isEmpty)
            #expect(report.refused.first?.reason.contains("a frame carries at most 1048576") == true)
        }
        #expect(try receiver.receive(commits).applied == 3)
        #expect(try receiver.digest() == author.digest())
    }

    @Test func aWithheldChangeWhoseHashIsNotOf32BytesRefusesItsCommitOnly() throws {
        let key = Curve25519.Signing.PrivateKey()
        let (author, receiver) = try authorAndReceiver(key)
        let commits = try author.commits(beyond: VersionVector())
        // The hash of a withheld change is checked against no body: one of 31 bytes verified, and
        // the database refused to store it, failing the whole batch.
        let short = try signedAgain(commits[2], key: key) { commit in
            commit.changeBodies[0] = nil
            commit.changeHashes[0].removeLast()
        }
        let report = try receiver.receive([commits[0], commits[1], short])
        #expect(report.applied == 2)
        #expect(report.refused.map(\.commit) == [commits[2].header.label])
        #expect(report.refused.first?.reason.contains("32-byte") == true)
        #expect(try receiver.receive([commits[2]]).applied == 1)
        #expect(try receiver.digest() == author.digest())
    }
}
