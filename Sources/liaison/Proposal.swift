import ArgumentParser
import Foundation
import LiaisonCore
import LiaisonSync

/// `--comment` for edits that may become proposals.
struct ProposalOptions: ParsableArguments {
    @Option(help: "When another node keeps the record: why the change is right, for its steward to read.")
    var comment: String?
}

/// Says that an edit went to the record's steward as a proposal, and what follows.
func sayProposed(_ proposals: [Proposal], of name: String, in directory: Directory) throws {
    let peers = try directory.peerNames()
    for proposal in proposals {
        let summary = try directory.proposal(matching: proposal.id.lowercasedString)
        let fields = summary.changes.map(\.field).joined(separator: ", ")
        say(
            "Proposed to \(summary.steward.flatMap { peers[$0] } ?? "the node that keeps it"), which keeps \(summary.recordName ?? name): \(fields). Proposal \(proposal.id.lowercasedString)")
    }
    say("The record changes when they accept it, for every node. It travels with your next sync or bundle; `liaison proposal list` follows it.")
}

extension Liaison {
    struct ProposalCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "proposal",
            abstract: "Proposals: edits of records another node keeps, sent to that node to accept or reject.",
            discussion: """
                Editing an agency, a contact, a channel or a role that another node keeps (`agency edit`, `contact edit`) sends the change to that node, sealed to it alone, as a proposal. Its steward accepts it, which makes it its own change and sends it to every node, or rejects it with a reason, which goes back to the node that proposed it.
                """,
            subcommands: [List.self, Show.self, Accept.self, Reject.self])

        struct List: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List proposals made to this node and by it, open ones first.")

            @OptionGroup var data: DataOptions
            @OptionGroup var output: OutputOptions
            @Flag(help: "Only those not decided yet.") var open = false

            func run() throws {
                try reportingErrors {
                    let directory = try data.openForReading()
                    let proposals = try directory.proposals(openOnly: open)
                    if output.json { return try printJSON(proposals) }
                    guard !proposals.isEmpty else { return say(open ? "No open proposals." : "No proposals.") }
                    let peers = Dictionary(try directory.peers().map { ($0.nodeID, $0.name) }, uniquingKeysWith: { first, _ in first })
                    var table = Table("Id", "Status", "Way", "Record", "Fields", "From / to")
                    for proposal in proposals {
                        let other = proposal.incoming ? proposal.proposer : proposal.steward ?? ""
                        table.add(
                            short(proposal.id), proposal.status.rawValue, proposal.incoming ? "to us" : "by us",
                            "\(proposal.entity.rawValue) \(proposal.recordName ?? proposal.recordID.shortID)", proposal.changes.map(\.field).joined(separator: ", "),
                            peers[other] ?? "node \(other.prefix(8))")
                    }
                    say(table.render(maxWidth: 40))
                }
            }
        }

        struct Show: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Show a proposal: each field as it is and as proposed, and the decision.")

            @OptionGroup var data: DataOptions
            @OptionGroup var output: OutputOptions
            @Argument(help: "The proposal's id or its short form.") var proposal: String

            func run() throws {
                try reportingErrors {
                    let directory = try data.openForReading()
                    let found = try directory.proposal(matching: proposal)
                    if output.json { return try printJSON(found) }
                    let peers = try directory.peerNames()
                    func named(_ node: String?) -> String { node == directory.node.id.hex ? "this node" : node.flatMap { peers[$0] } ?? "node \(node?.prefix(8) ?? "?")" }
                    say("Proposal \(found.id.lowercasedString) — \(found.status.rawValue)")
                    say("Edits \(found.entity.rawValue) \(found.recordName ?? "(not held here)") \(found.recordID.lowercasedString)")
                    say("Proposed by \(named(found.proposer)) at \(found.proposedAt), to \(named(found.steward))")
                    if let comment = found.comment { say("Why: \(comment)") }
                    var table = Table("Field", "Now", "Proposed")
                    for change in found.changes { table.add(change.field, change.current ?? "-", change.proposed ?? "-") }
                    say(found.changes.isEmpty ? "The record already holds what it proposes." : table.render(maxWidth: 48))
                    if let decided = found.decidedAt { say("\(found.status == .accepted ? "Accepted" : "Rejected") at \(decided)\(found.reason.map { ": \($0)" } ?? "")") }
                }
            }
        }

        struct Accept: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Accept a proposal to a record this node keeps: it becomes this node's change, for every node.")

            @OptionGroup var data: DataOptions
            @Argument(help: "The proposal's id or its short form.") var proposal: String
            @Option(help: "A word for the node that proposed it.") var comment: String?

            func run() throws {
                try reportingErrors {
                    let directory = try data.open()
                    let found = try directory.proposal(matching: proposal)
                    try directory.write { [comment] tx in try tx.accept(found.id, comment: comment) }
                    say("Accepted: \(found.entity.rawValue) \(found.recordName ?? found.recordID.shortID) now holds \(found.changes.map(\.field).joined(separator: ", ")) as proposed. The change and the answer travel with the next sync or bundle.")
                }
            }
        }

        struct Reject: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Turn a proposal down; the reason goes to the node that proposed it.")

            @OptionGroup var data: DataOptions
            @Argument(help: "The proposal's id or its short form.") var proposal: String
            @Option(help: "Why; the node that proposed it reads it.") var reason: String

            func run() throws {
                try reportingErrors {
                    let directory = try data.open()
                    let found = try directory.proposal(matching: proposal)
                    try directory.write { [reason] tx in try tx.reject(found.id, reason: reason) }
                    say("Rejected. The reason travels to the node that proposed it with the next sync or bundle.")
                }
            }
        }
    }
}
