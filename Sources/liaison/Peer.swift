import ArgumentParser
import Foundation
import LiaisonCore
import LiaisonSync

extension Liaison {
    struct PeerCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "peer", abstract: "Manage the roster of trusted nodes whose commits this node accepts.",
            subcommands: [Add.self, List.self, Status.self, Remove.self, Revoke.self])

        struct Status: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Show, per peer, its address, the last sync that reached it, the last error, and the commits still to send each way.")

            @OptionGroup var data: DataOptions
            @OptionGroup var output: OutputOptions

            func run() throws {
                try reportingErrors {
                    let directory = try data.openForReading()
                    let statuses = try directory.peerStatuses()
                    if output.json { return try printJSON(statuses) }
                    guard !statuses.isEmpty else { return say("No peers yet: add one with `liaison peer add CARD`.") }
                    var table = Table("Peer", "Address", "Last success", "Last error", "To send", "To receive")
                    for status in statuses {
                        let peer = status.peer
                        let error = status.lastError.map { error in
                            "\(status.lastErrorAt.map { "\($0): " } ?? "")\(error)"
                                + (status.failures > 1 ? " (\(status.failures) failures)" : "")
                                + (status.nextAttemptAt.map { "; next try \($0)" } ?? "")
                        }
                        table.add(
                            peer.name + (peer.revokedAt == nil ? "" : " (revoked)"), peer.url ?? "bundles only", status.lastSuccessAt ?? "never",
                            status.lastSuccessAt != nil && status.failures == 0 ? "" : error ?? "", (status.peerVectorKnown || status.commitsToSend == 0 ? "" : "up to ") + counted(status.commitsToSend, "commit"),
                            status.commitsToReceive.map { counted($0, "commit") } ?? "unknown yet")
                    }
                    say(table.render(maxWidth: 60))
                }
            }
        }

        struct Add: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Trust the node of a card made with `liaison node card`.",
                discussion: """
                    Shows the card's fingerprint and asks before trusting it: compare the fingerprint with the other node's officer by phone or in person, not by the channel the card came through.
                    """)

            @OptionGroup var data: DataOptions
            @Argument(help: "The node card file.", completion: .file(extensions: ["json"])) var file: String
            @Flag(help: "Trust without asking (for scripts that checked the fingerprint otherwise).") var yes = false

            func run() throws {
                try reportingErrors {
                    let directory = try data.open()
                    let url = URL(fileURLWithPath: file)
                    guard let bytes = try? Data(contentsOf: url) else { throw LiaisonError(.invalidFile, "cannot read the card", file: file) }
                    let card = try NodeCard(json: bytes, fileName: url.lastPathComponent)
                    _ = try card.verified()
                    if card.nodeID == directory.node.id { throw LiaisonError(.conflict, "this is this node's own card") }
                    let known = try directory.peers().first { $0.nodeID == card.nodeID.hex }
                    if known?.revokedAt != nil {
                        throw LiaisonError(.conflict, "\(card.name) (\(card.nodeID.hex.prefix(8))) was revoked; a revoked node is not trusted again")
                    }
                    say("""
                        Node:         \(card.name) (\(card.agency))
                        Node id:      \(card.nodeID)
                        Fingerprint:  \(card.fingerprint)
                        TLS pin:      \(card.tlsPin)
                        Address:      \(card.url ?? "none (bundle files only)")
                        """)
                    if !yes {
                        guard isatty(STDIN_FILENO) != 0 else {
                            throw LiaisonError(.conflict, "not trusted: confirm with --yes when not at a terminal")
                        }
                        print("Trust this node's commits? [y/N] ", terminator: "")
                        guard ["y", "yes"].contains(readLine()?.trimmed.lowercased() ?? "") else {
                            throw LiaisonError(.conflict, "not trusted; nothing was changed")
                        }
                    }
                    let peer = try directory.addPeer(card)
                    say(known == nil ? "Trusted \(peer.name) (\(peer.nodeID.prefix(8)))." : "\(peer.name) (\(peer.nodeID.prefix(8))) was already trusted; its card details are updated.")
                }
            }
        }

        struct List: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List the trusted nodes.")

            @OptionGroup var data: DataOptions
            @OptionGroup var output: OutputOptions

            func run() throws {
                try reportingErrors {
                    let peers = try data.openForReading().peers()
                    if output.json { return try printJSON(peers) }
                    guard !peers.isEmpty else { return print("No peers yet: add one with `liaison peer add CARD`.") }
                    var table = Table("Node", "Name", "Agency", "Address", "Status")
                    for peer in peers {
                        table.add(String(peer.nodeID.prefix(8)), peer.name, peer.agency, peer.url ?? "-", peer.revokedAt.map { "revoked \($0.prefix(10))" } ?? "trusted")
                    }
                    print(table.render())
                }
            }
        }

        struct Remove: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Remove a node from the roster; its later commits are refused. What it wrote before stays.")

            @OptionGroup var data: DataOptions
            @Argument(help: "The peer's name or the first digits of its node id.") var peer: String

            func run() throws {
                try changePeer(peer, in: data) { directory, found in
                    try directory.removePeer(found.nodeID)
                    return "Removed \(found.name) (\(found.nodeID.prefix(8))) from the roster."
                }
            }
        }

        struct Revoke: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Revoke a node's key: commits it signed that this node does not already hold are refused.")

            @OptionGroup var data: DataOptions
            @Argument(help: "The peer's name or the first digits of its node id.") var peer: String

            func run() throws {
                try changePeer(peer, in: data) { directory, found in
                    try directory.revokePeer(found.nodeID)
                    return "Revoked \(found.name) (\(found.nodeID.prefix(8))): its key is no longer trusted."
                }
            }
        }
    }
}

/// Finds a peer, changes it and says what was done.
private func changePeer(_ name: String, in data: DataOptions, _ change: (Directory, Peer) throws -> String) throws {
    try reportingErrors {
        let directory = try data.open()
        say(try change(directory, try directory.peer(name)))
    }
}
