import ArgumentParser
import Foundation
import LiaisonCore
import LiaisonSync

extension Liaison {
    struct BundleCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "bundle", abstract: "Carry commits between nodes as a file (USB stick, e-mail attachment).",
            subcommands: [Export.self, Import.self])

        struct Export: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Write the commits another node lacks to a bundle file.",
                discussion: """
                    --for PEER sends what that peer lacks according to the vector of its last bundle; --since FILE sends what lies beyond a vector written by `liaison log vector --json` on the receiving node. With neither, the bundle carries every commit. Changes the receiver may not see travel as their hash only.
                    """)

            @OptionGroup var data: DataOptions
            @Option(help: ArgumentHelp("The bundle file to write.", valueName: "file")) var out: String
            @Option(name: .customLong("for"), help: ArgumentHelp("The receiving peer: name or node id digits.", valueName: "peer")) var receiver: String?
            @Option(help: ArgumentHelp("A vector file from the receiving node.", valueName: "vector-file")) var since: String?

            func validate() throws {
                if receiver != nil, since != nil { throw ValidationError("give --for or --since, not both") }
            }

            func run() throws {
                try reportingErrors {
                    let directory = try data.open()
                    var assumes = VersionVector()
                    var receiverID: NodeID?
                    if let receiver {
                        let peer = try directory.peer(receiver)
                        receiverID = try NodeID(hex: peer.nodeID)
                        assumes = peer.knownVector ?? VersionVector()
                    } else if let since {
                        guard let bytes = try? Data(contentsOf: URL(fileURLWithPath: since)) else {
                            throw LiaisonError(.invalidFile, "cannot read the vector file", file: since)
                        }
                        assumes = try VersionVector(json: bytes, fileName: since)
                    }
                    let interactive = isatty(STDERR_FILENO) != 0
                    let summary = try directory.exportBundle(to: URL(fileURLWithPath: out), assumes: assumes, for: receiverID) { done, total in
                        if interactive, total >= 1000 { FileHandle.standardError.write(Data("\rexporting: \(done)/\(counted(total, "commit"))".utf8)) }
                    }
                    if interactive { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
                    try? FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: out)
                    // A receiver that holds more of a chain than this node, or another commit at
                    // one of its positions, has met another copy of that node or a fork.
                    for claimed in summary.assumes.entries {
                        guard let held = summary.brings.entries.first(where: { $0.origin == claimed.origin && $0.epoch == claimed.epoch }) else { continue }
                        if claimed.sequence > held.sequence {
                            say("WARNING: the receiver's vector holds \(claimed.origin.hex.prefix(8))/\(claimed.epoch) up to \(claimed.sequence), this node only up to \(held.sequence): it has met another copy of that node, or the vector is not the receiver's.")
                        } else if claimed.sequence == held.sequence, claimed.headerHash != held.headerHash {
                            say("WARNING: the receiver holds a different commit at \(claimed.origin.hex.prefix(8))/\(claimed.epoch)/\(claimed.sequence) than this node: a fork.")
                        }
                    }
                    say("""
                        Wrote \(out): \(counted(summary.commits, "commit")), \(counted(summary.changes, "change")) (\(summary.withheldChanges) as hash only), \(summary.bytes) bytes
                          assumes: \(summary.assumes)
                          brings:  \(summary.brings)
                        """)
                }
            }
        }

        struct Import: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Verify and apply the commits of a bundle file.",
                discussion: """
                    Every commit is verified against its author's key in the roster, whoever exported the bundle. A commit that fails is refused, named, and nothing of it is applied; the others still are.

                    A bundle exported by a node that is not on this node's roster is refused, since nothing vouches for its header; --any-exporter applies its commits anyway.

                    Exits 2 if a commit or a change was refused, a commit still waits for one that is not here, a record changed steward, a fork was met, or the file is damaged.
                    """)

            @OptionGroup var data: DataOptions
            @OptionGroup var output: OutputOptions
            @Argument(help: "The bundle file.", completion: .file()) var file: String
            @Flag(
                name: .customLong("any-exporter"),
                help: "Apply the commits of a bundle whose exporter is not on the roster; each is still verified against its author's key.")
            var anyExporter = false

            struct Summary: Encodable {
                var exporter: String
                var exporterVerified: Bool
                var assumes: VersionVector
                var brings: VersionVector
                var commitsRead: Int
                var report: ReceiveReport
                /// Every fork this node holds evidence of, not only those this bundle met.
                var knownForks: [ForkRecord]
                var damage: String?
            }

            func run() throws {
                try stoppingOnInterrupt { interruption in
                    try reportingErrors {
                        let directory = try data.open()
                        let url = URL(fileURLWithPath: file)
                        let size = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? NSNumber)?.int64Value ?? 0
                        let interactive = isatty(STDERR_FILENO) != 0 && !output.json
                        let summary = try directory.importBundle(from: url, anyExporter: anyExporter, interruption: interruption) { commits, offset in
                            if interactive, size > 1 << 20 {
                                FileHandle.standardError.write(Data("\rimporting: \(counted(commits, "commit")), \(offset * 100 / max(size, 1))%".utf8))
                            }
                        }
                        if interactive { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
                        let report = summary.report
                        let forks = try directory.forks()
                        if output.json {
                            try printJSON(Summary(
                                exporter: summary.header.exporter.hex, exporterVerified: summary.exporterVerified, assumes: summary.header.assumes,
                                brings: summary.header.brings, commitsRead: summary.commitsRead, report: report, knownForks: forks, damage: summary.damage))
                        } else {
                            let exporter = "node \(summary.header.exporter.hex.prefix(8))\(summary.exporterVerified ? "" : " (not on the roster: its header and vectors are not used; each commit was verified against its author's key)")"
                            printReceiveReport(report, source: "\(file), exported by \(exporter)", read: summary.commitsRead, roster: try directory.peers())
                            if let damage = summary.damage { say("DAMAGED FILE: \(damage). The commits read before that point were checked and applied as above.") }
                            if !forks.isEmpty {
                                let origins = Set(forks.map { String($0.origin.prefix(8)) }).sorted().joined(separator: ", ")
                                say("WARNING: this node holds evidence of \(counted(forks.count, "fork")); nothing more is applied from \(origins). See `liaison log forks`.")
                            }
                        }
                        if report.needsAttention || summary.damage != nil { throw ExitCode(2) }
                    }
                }
            }
        }
    }
}

/// `roster` names nodes by id, so that a refusal says "Chisinau desk (CCTP)" rather than a hex id.
func printReceiveReport(_ report: ReceiveReport, source: String, read: Int, roster: [Peer] = []) {
    let naming = NodeNaming(roster)
    say("""
        Read \(counted(read, "commit")) from \(source)
          applied:          \(counted(report.applied, "commit")), \(counted(report.changesApplied, "change"))
          already held:     \(counted(report.alreadyHeld, "commit"))
          held back:        \(counted(report.held.count, "commit"))
          refused:          \(counted(report.refused.count, "commit"))
          changes refused:  \(report.refusedChanges.count)
        """)
    if report.changesWithheld > 0 {
        say("  as hash only:     \(counted(report.changesWithheld, "change")) (withheld from this node, or by a relay)")
    }
    if report.newLikelyDuplicates > 0 {
        say("  likely duplicates: \(counted(report.newLikelyDuplicates, "new pair")) of contacts or agencies; see `liaison duplicates`")
    }
    if report.changesFilledIn > 0 { say("  filled in:        \(counted(report.changesFilledIn, "change")) held before as hash only") }
    for fork in report.forks { say("FORK at \(fork.commit): \(naming.named(fork.reason))") }
    for notice in report.refused { say("refused \(notice.commit): \(naming.named(notice.reason))") }
    for notice in report.held.prefix(20) { say("held \(notice.commit): \(naming.named(notice.reason))") }
    if report.held.count > 20 { say("… and \(report.held.count - 20) more held; `--json` lists them all") }
    if !report.held.isEmpty {
        say("Held commits are applied as soon as what they wait for arrives: import a bundle that carries it, or sync with a node that holds it.")
    }
    for notice in report.refusedChanges.prefix(20) { say("change refused in \(notice.commit): \(naming.named(notice.reason))") }
    if report.refusedChanges.count > 20 { say("… and \(report.refusedChanges.count - 20) more refused changes; `--json` lists them all") }
    for notice in report.stewardChanges { say("steward changed by \(notice.commit): \(naming.named(notice.reason))") }
    if report.ownCommitsFromOtherCopies > 0 {
        say("WARNING: \(counted(report.ownCommitsFromOtherCopies, "commit")) of this node's own id came from another copy of this node; keep only one copy in use.")
    }
    if let epoch = report.newEpoch {
        say("This node met commits of its own that it did not sign here (a copy or a restore): its commits now continue in epoch \(epoch).")
    }
}

/// Names node ids in messages as the roster knows them.
struct NodeNaming {
    private var names: [String: String] = [:]

    init(_ roster: [Peer]) {
        for peer in roster { names[peer.nodeID] = "\(peer.name) (\(peer.agency))" }
    }

    /// The text with each peer's node id, full or as its first 8 hex digits, shortened and followed
    /// by its name where it names the node.
    func named(_ text: String) -> String {
        var result = text
        for (id, name) in names where result.contains(id.prefix(8)) {
            let short = String(id.prefix(8))
            // "node 1a2b3c4d" and "(1a2b3c4d is)", not commit labels such as "1a2b3c4d/1/2".
            result = result.replacingOccurrences(of: id, with: short)
                .replacingOccurrences(of: "node \(short)", with: "node \(short) [\(name)]")
                .replacingOccurrences(of: "(\(short) is)", with: "(\(short) [\(name)] is)")
        }
        return result
    }
}
