import ArgumentParser
import Foundation
import LiaisonCore

extension Liaison {
    struct DuplicatesCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "duplicates", abstract: "Find contacts and agencies that two nodes added twice, and decide on them.",
            discussion: """
                A likely pair has the same name in one agency (an agency: in one country), a name that reads alike once transliterated, or a shared phone, e-mail or secure mailbox. Decide each pair: `same` retires one record into the other, `distinct` stops listing the pair. Decisions reach every node like any other change.
                """,
            subcommands: [List.self, Same.self, Distinct.self], defaultSubcommand: List.self)

        struct List: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List likely duplicates, with the reasons and both stewards.")

            @OptionGroup var data: DataOptions
            @OptionGroup var output: OutputOptions

            func run() throws {
                try reportingErrors {
                    let directory = try data.openForReading()
                    let pairs = try directory.likelyDuplicates()
                    if output.json { return try printJSON(pairs) }
                    guard !pairs.isEmpty else { return say("No likely duplicates.") }
                    for pair in pairs {
                        let noun = pair.kind == .person ? "Contacts" : "Agencies"
                        say("\(noun) alike: \(pair.reasons.map(\.rawValue).joined(separator: ", "))")
                        for side in [pair.first, pair.second] {
                            say("  \(side.id.shortID)  \(side.name) — \(side.context); kept by \(side.stewardName)")
                        }
                        for proposal in pair.proposals {
                            say("  proposed: \(proposal.recordID.shortID) is the same as \(proposal.otherID.shortID), waiting for its steward")
                        }
                    }
                    say("""

                        \(counted(pairs.count, "likely pair")). Decide with `liaison duplicates same RETIRED SURVIVOR` or `liaison duplicates distinct ID ID`.
                        """)
                }
            }
        }

        struct Same: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Decide that two contacts or two agencies are one: the first is retired into the second.",
                discussion: """
                    If this node keeps the first record, it is retired at once: searches and pages show the second, and this node's channels and roles of the first move to the second (for an agency, also its contacts and units). If another node keeps it, the decision reaches that node as a proposal and takes effect when it decides the same.
                    """)

            @OptionGroup var data: DataOptions
            @Argument(help: "The record to retire: a contact's id, or an agency's id, acronym or name.") var retired: String
            @Argument(help: "The record that stays.") var survivor: String
            @Option(help: "Why, for the other nodes' officers.") var note: String?

            func run() throws {
                try reportingErrors {
                    let directory = try data.open()
                    let (kind, record, other) = try resolvePair(retired, survivor, in: directory)
                    let outcome = try directory.write { tx in
                        try tx.decideDuplicate(kind, record: record.id, other: other.id, verdict: .same, note: note)
                    }.value
                    switch outcome {
                    case .retired(let moved, let keptByOthers):
                        say("\(record.name) (\(record.id.shortID)) is now shown as \(other.name) (\(other.id.shortID)).")
                        if moved > 0 { say("Moved \(counted(moved, "channel, role or contact", plural: "channels, roles or contacts")) of it to \(other.name), with every detail.") }
                        if keptByOthers > 0 {
                            say("\(keptByOthers) of its channels, roles or contacts \(keptByOthers == 1 ? "is" : "are") kept by other nodes or held by \(other.name) already: \(keptByOthers == 1 ? "it is" : "they are") shown with \(other.name).")
                        }
                    case .proposed(_, let stewardName):
                        say("""
                            \(record.name) (\(record.id.shortID)) is kept by \(stewardName), so only they can retire it.
                            Your decision was recorded as a proposal and reaches them with your next bundle or sync; it takes effect when they run the same command.
                            """)
                    case .distinct:
                        break
                    }
                }
            }
        }

        struct Distinct: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Decide that two contacts or two agencies are not the same, so the pair is not listed again.")

            @OptionGroup var data: DataOptions
            @Argument(help: "A contact's id, or an agency's id, acronym or name.") var first: String
            @Argument(help: "The other record.") var second: String
            @Option(help: "Why, for the other nodes' officers.") var note: String?

            func run() throws {
                try reportingErrors {
                    let directory = try data.open()
                    let (kind, record, other) = try resolvePair(first, second, in: directory)
                    try directory.write { tx in try tx.decideDuplicate(kind, record: record.id, other: other.id, verdict: .distinct, note: note) }
                    say("\(record.name) (\(record.id.shortID)) and \(other.name) (\(other.id.shortID)) will not be listed as duplicates again.")
                }
            }
        }
    }
}

/// A record named on the command line.
private struct NamedRecord {
    var kind: Entity
    var id: UUID
    var name: String
}

/// Two contacts, or two agencies, named by the user.
private func resolvePair(_ first: String, _ second: String, in directory: Directory) throws(LiaisonError) -> (Entity, NamedRecord, NamedRecord) {
    let one = try resolve(first, in: directory)
    let other = try resolve(second, in: directory)
    guard one.kind == other.kind else {
        throw LiaisonError(.invalidValue, "\(first) is \(one.kind == .person ? "a contact" : "an agency") and \(second) is not: only two contacts or two agencies can be the same")
    }
    return (one.kind, one, other)
}

private func resolve(_ reference: String, in directory: Directory) throws(LiaisonError) -> NamedRecord {
    let key = reference.trimmed
    if key.count >= 4, key.allSatisfy({ $0.isHexDigit || $0 == "-" }), let person = try? directory.person(matching: key) {
        return NamedRecord(kind: .person, id: person.id, name: person.displayName)
    }
    let agency = try directory.agency(matching: key)
    return NamedRecord(kind: .agency, id: agency.id, name: agency.name)
}
