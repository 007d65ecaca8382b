import ArgumentParser
import Foundation
import LiaisonCore
import LiaisonSync

extension Liaison {
    struct GroupCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "group", abstract: "Keep sharing groups: named sets of nodes that notes can be shared with.",
            discussion: """
                A group reaches every node, so that any node can share a note with it; only the node that made it changes its members. A note shared with a group goes to the members the group has, as the writing node knows it, when the note is written: a member removed later gets no later note, evaluation or link, and keeps what it already holds.
                """,
            subcommands: [Add.self, Show.self, List.self, AddMember.self, RemoveMember.self])

        struct Add: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Make a sharing group.")

            @OptionGroup var data: DataOptions
            @Argument(help: "The group's name, e.g. \"Black Sea desk\".") var name: String
            @Option(help: "What the group is for.") var purpose: String?
            @Option(name: .customLong("member"), help: ArgumentHelp("A member: a peer's name or node id; repeat for more.", valueName: "node"))
            var members: [String] = []
            @Flag(name: .customLong("without-this-node"), help: "Leave this node out of the group's members.") var withoutThisNode = false

            func run() throws {
                try reportingErrors {
                    let directory = try data.open()
                    var nodes = try members.map { try memberID($0, in: directory) }
                    if !withoutThisNode { nodes.append(directory.node.id) }
                    let group = SharingGroup(name: name, purpose: purpose, members: nodes)
                    let saved = try directory.write { tx in try tx.save(group) }.value
                    say("Made group \(saved.name) \(saved.id.lowercasedString) with \(counted(saved.members.count, "member")).")
                }
            }
        }

        struct Show: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Show a sharing group and its members.")

            @OptionGroup var data: DataOptions
            @OptionGroup var output: OutputOptions
            @Argument(help: "The group's name or id.") var group: String

            func run() throws {
                try reportingErrors {
                    let directory = try data.openForReading()
                    let group = try directory.sharingGroup(matching: self.group)
                    if output.json { return try printJSON(group) }
                    say("\(group.name)  (\(group.id.lowercasedString))")
                    if let purpose = group.purpose { say(purpose) }
                    say("Kept by \(try nodeName(group.metadata?.steward ?? "", in: directory))")
                    say(group.members.isEmpty ? "No members." : "Members:")
                    for member in group.members { say("  \(try nodeName(member.hex, in: directory))  \(member.hex)") }
                }
            }
        }

        struct List: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List the sharing groups.")

            @OptionGroup var data: DataOptions
            @OptionGroup var output: OutputOptions

            func run() throws {
                try reportingErrors {
                    let directory = try data.openForReading()
                    let groups = try directory.sharingGroups()
                    if output.json { return try printJSON(groups) }
                    guard !groups.isEmpty else { return say("No sharing groups. Make one with `liaison group add NAME --member NODE`.") }
                    var table = Table("Id", "Name", "Members", "Kept by")
                    for group in groups {
                        table.add(short(group.id), group.name, String(group.members.count), try nodeName(group.metadata?.steward ?? "", in: directory))
                    }
                    say(table.render())
                }
            }
        }

        struct AddMember: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "add-member", abstract: "Add a node to a group this node keeps; it receives the notes written to the group from now on.")

            @OptionGroup var membership: MembershipArguments

            func run() throws { try membership.change(adding: true) }
        }

        struct RemoveMember: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "remove-member",
                abstract: "Remove a node from a group this node keeps; it gets no note written to the group after this, and keeps what it holds.")

            @OptionGroup var membership: MembershipArguments

            func run() throws { try membership.change(adding: false) }
        }
    }
}

/// The group and the node that `group add-member` and `group remove-member` take.
struct MembershipArguments: ParsableArguments {
    @OptionGroup var data: DataOptions
    @Argument(help: "The group's name or id.") var group: String
    @Argument(help: "The node: a peer's name or node id.") var node: String

    /// Adds the node to the group, or removes it, and says how many members the group has now.
    func change(adding: Bool) throws {
        try reportingErrors {
            let directory = try data.open()
            var group = try directory.sharingGroup(matching: self.group)
            let member = try memberID(node, in: directory)
            let name = try nodeName(member.hex, in: directory)
            guard group.members.contains(member) != adding else {
                if adding { return say("\(name) is already a member of \(group.name).") }
                throw LiaisonError(.notFound, "\(name) is not a member of \(group.name)")
            }
            if adding { group.members = (group.members + [member]).sorted() } else { group.members.removeAll { $0 == member } }
            let changed = group
            let saved = try directory.write { tx in try tx.save(changed) }.value
            let members = counted(saved.members.count, "member")
            say(adding ? "Added \(name) to \(saved.name): \(members)." : "Removed \(name) from \(saved.name): \(members) left.")
        }
    }
}

/// A node named on the command line: this node's own id, or a peer's name or id.
private func memberID(_ reference: String, in directory: Directory) throws -> NodeID {
    if reference.lowercased() == directory.node.id.hex || (reference.count >= 4 && directory.node.id.hex.hasPrefix(reference.lowercased())) {
        return directory.node.id
    }
    return try NodeID(hex: directory.peer(reference).nodeID)
}

/// "this node", a peer's "Name (Agency)", or "node 1a2b3c4d".
private func nodeName(_ hex: String, in directory: Directory) throws -> String {
    if hex == directory.node.id.hex { return "this node" }
    return try directory.peers().first { $0.nodeID == hex }.map { "\($0.name) (\($0.agency))" } ?? "node \(hex.prefix(8))"
}
