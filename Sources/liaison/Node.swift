import Foundation
import ArgumentParser
import LiaisonCore
import LiaisonSync

extension Liaison {
    struct NodeCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "node", abstract: "Show this node's identity, or write its card for other nodes.", subcommands: [Show.self, Card.self])

        struct Show: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Print the node id, name, agency and key fingerprints.")

            @OptionGroup var data: DataOptions
            @OptionGroup var output: OutputOptions

            struct Identity: Encodable {
                var id: String
                var name: String
                var agency: String
                var epoch: UInt32
                var signingKeyFingerprint: String
                var tlsPin: String
                var folder: String
            }

            func run() throws {
                try reportingErrors {
                    let directory = try data.openForReading()
                    if output.json {
                        let node = directory.node
                        try printJSON(Identity(
                            id: node.id.hex, name: node.name, agency: node.agency, epoch: node.epoch,
                            signingKeyFingerprint: node.signingKeyFingerprint, tlsPin: try data.folder.tlsPin(), folder: data.folder.url.path))
                    } else {
                        try Self.printIdentity(directory, folder: data.folder)
                    }
                }
            }

            static func printIdentity(_ directory: Directory, folder: NodeFolder) throws {
                let node = directory.node
                say("""
                    Node id:           \(node.id)
                    Name:              \(node.name)
                    Agency:            \(node.agency)
                    Epoch:             \(node.epoch)
                    Signing key:       Ed25519 SHA-256 \(stride(from: 0, to: node.signingKeyFingerprint.count, by: 4).map { node.signingKeyFingerprint.dropFirst($0).prefix(4) }.joined(separator: " "))
                    TLS key pin:       P-256 SPKI SHA-256 \(try folder.tlsPin())
                    Data folder:       \(folder.url.path)
                    """)
            }
        }

        struct Card: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Write this node's signed identity card, for other nodes to trust with `liaison peer add`.",
                discussion: "The card holds no secret: the node id, name, agency, public signing key, TLS pin and address.")

            @OptionGroup var data: DataOptions
            @Option(help: ArgumentHelp("The card file to write.", valueName: "file")) var out: String
            @Option(help: ArgumentHelp("This node's HTTPS address, if it serves sync.", valueName: "url")) var url: String?

            func run() throws {
                try reportingErrors {
                    let directory = try data.open()
                    let card = try directory.card(tlsPin: try data.folder.tlsPin(), url: url)
                    do {
                        try card.json().write(to: URL(fileURLWithPath: out), options: .atomic)
                    } catch {
                        throw LiaisonError(.invalidFile, "cannot write the card: \(error.localizedDescription)", file: out)
                    }
                    say("Wrote \(out). Fingerprint, to read to the other node's officer: \(card.fingerprint)")
                }
            }
        }
    }
}
