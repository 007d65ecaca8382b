import ArgumentParser
import Foundation
import LiaisonCore
import LiaisonSync

extension Liaison {
    struct Sync: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sync with peers over mutual-TLS HTTPS: receive what this node lacks, send what they lack.",
            discussion: """
                Reaches each peer at the address in its card (`liaison node card --url https://HOST:PORT` on its node, then `liaison peer add` here). What arrives is verified exactly as a bundle file is; what a peer may not see is never sent. Ends with the same summary as `liaison bundle import`, and exits 2 when something needs an officer's attention.
                """)

        @OptionGroup var data: DataOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "The peer: its name or the first digits of its node id.") var peer: String?
        @Flag(help: "Every peer on the roster that has an address and is not revoked.") var all = false

        func validate() throws {
            guard (peer != nil) != all else { throw ValidationError("name one peer, or give --all") }
        }

        struct Result: Encodable {
            var peer: String
            var url: String?
            var received: ReceiveReport?
            var commitsSent: Int
            var changesSent: Int
            var peerReport: ReceiveReport?
            var error: String?
        }

        func run() async throws {
            let directory: Directory, tls: NodeTLS, roster: [Peer], peers: [Peer]
            do throws(LiaisonError) {
                directory = try data.open()
                tls = try NodeTLS(folder: data.folder)
                roster = try directory.peers()
                peers = try all ? roster.filter { $0.revokedAt == nil && $0.url != nil } : [directory.peer(peer ?? "")]
                if all, peers.isEmpty {
                    throw LiaisonError(
                        .notFound, "no peer on the roster has an address",
                        hint: "add the card of a node that serves, written with `liaison node card --url https://HOST:PORT`")
                }
            } catch {
                fail(error)
                throw ExitCode(1)
            }
            var results: [Result] = []
            var needsAttention = false
            var failed = false
            let interactive = isatty(STDERR_FILENO) != 0 && !output.json
            try await stoppingOnInterrupt { interruption in
                for peer in peers {
                    let started = Date()
                    let outcome = await Self.sync(directory, with: peer, tls: tls, interruption: interruption) { commits, expected in
                        // Transfers that take more than a second show how far they are.
                        if interactive, Date().timeIntervalSince(started) > 1 {
                            FileHandle.standardError.write(Data("\rreceiving from \(peer.name): \(commits) of \(counted(Int(expected), "commit"))".utf8))
                        }
                    }
                    if interactive { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
                    switch outcome {
                    case .success(let summary):
                        let received = summary.received
                        // What the peer refused of this node's push needs attention as much as what this node refused.
                        needsAttention = needsAttention || received.needsAttention || summary.damage != nil || summary.peerReport?.needsAttention == true
                        results.append(Result(
                            peer: peer.name, url: peer.url, received: received, commitsSent: summary.pushed.commits,
                            changesSent: summary.pushed.changes, peerReport: summary.peerReport))
                        if !output.json { report(summary, roster: roster) }
                    case .failure(let error) where error.code == .interrupted:
                        throw error
                    case .failure(let error):
                        // One peer out of reach does not keep the others from syncing.
                        failed = true
                        results.append(Result(peer: peer.name, url: peer.url, commitsSent: 0, changesSent: 0, error: error.message))
                        if !output.json { fail(error, about: peer.name) }
                    }
                }
            }
            if output.json { try printJSON(results) }
            if failed { throw ExitCode(1) }
            if needsAttention { throw ExitCode(2) }
        }

        private static func sync(
            _ directory: Directory, with peer: Peer, tls: NodeTLS, interruption: Interruption, progress: @escaping @Sendable (Int, Int64) -> Void
        ) async -> Swift.Result<SyncSummary, LiaisonError> {
            do {
                let transport = try HTTPSSyncTransport(peer: peer, tls: tls)
                return .success(try await directory.sync(with: transport, interruption: interruption, actor: Directory.localUser) { commits, _, expected in progress(commits, expected) })
            } catch {
                return .failure(error)
            }
        }

        private func report(_ summary: SyncSummary, roster: [Peer]) {
            let peer = summary.peer
            printReceiveReport(summary.received, source: "\(peer.name) at \(peer.url ?? "")", read: summary.commitsRead, roster: roster)
            if let damage = summary.damage { say("INCOMPLETE: \(damage). What arrived before was checked and applied; the next sync goes on from there.") }
            let sent = "  sent:             \(counted(summary.pushed.commits, "commit")), \(counted(summary.pushed.changes, "change"))"
            if let report = summary.peerReport {
                say(sent + "; \(peer.name) applied \(counted(report.applied, "commit")), refused \(report.refused.count)")
            } else {
                say(sent)
            }
        }

        private func fail(_ error: LiaisonError, about peer: String? = nil) {
            let text = "error: \(peer.map { "\($0): " } ?? "")\(error.message)\n" + (error.hint.map { "hint: \($0)\n" } ?? "")
            FileHandle.standardError.write(Data(text.terminalSafe.utf8))
        }
    }
}

