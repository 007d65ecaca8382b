import ArgumentParser
import Foundation
import LiaisonCore

extension Liaison {
    struct AuditCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "audit",
            abstract: "Show the audit log: who consulted intelligence here, and which bodies went to which peer or bundle file.",
            discussion: """
                The audit log is kept on this node only and never synced. Each entry says who, when, what (record ids, never content) and the reason given with --reason. Entries are chained with a key derived from the node's signing key: `liaison audit verify` finds an entry edited, removed or moved.
                """,
            subcommands: [List.self, Verify.self], defaultSubcommand: List.self)

        struct List: ParsableCommand {
            static let configuration = CommandConfiguration(commandName: "list", abstract: "List audit entries, oldest first.")

            @OptionGroup var data: DataOptions
            @OptionGroup var output: OutputOptions
            @Option(help: "Only entries on or after this day (YYYY-MM-DD) or time (ISO 8601).") var since: String?
            @Option(help: "Only entries that name this record: its id or short id.") var record: String?
            @Option(help: "At most this many, the latest (default: 50 without --since, all with it).") var limit: Int?

            func validate() throws {
                if let since, Self.date(since) == nil { throw ValidationError("--since takes a day YYYY-MM-DD or an ISO 8601 time, not \"\(since)\"") }
                if let limit, limit < 1 { throw ValidationError("--limit takes a number of entries, 1 or more") }
            }

            static func date(_ text: String) -> Date? {
                if let time = ISO8601DateFormatter().date(from: text) { return time }
                let day = ISO8601DateFormatter()
                day.formatOptions = [.withFullDate]
                return text.count == 10 ? day.date(from: text) : nil
            }

            func run() throws {
                try reportingErrors {
                    let directory = try data.open()
                    let entries = try directory.auditEntries(
                        since: since.flatMap(Self.date), record: record?.trimmed.lowercased(), limit: limit ?? (since == nil ? 50 : nil))
                    if output.json { return try printJSON(entries) }
                    guard !entries.isEmpty else { return say("No audit entries\(since.map { " since \($0)" } ?? "").") }
                    var table = Table("#", "At", "Actor", "Action", "Records", "Detail", "Reason")
                    for entry in entries {
                        let records = entry.records.count > 3
                            ? entry.records.prefix(3).map(shortened).joined(separator: " ") + " +\(entry.records.count - 3)"
                            : entry.records.map(shortened).joined(separator: " ")
                        let detail = entry.detail.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
                        table.add(String(entry.sequence), entry.at, entry.actor, entry.action.rawValue, records, detail, entry.reason ?? "")
                    }
                    say(table.render(maxWidth: 48))
                }
            }

            /// A record id's short form; other names (a country code) as they are.
            private func shortened(_ record: String) -> String {
                UUID(uuidString: record).map(\.shortID) ?? record
            }
        }

        struct Verify: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Check that no audit entry was edited, removed or moved.",
                discussion: """
                    Prints the head (the last entry's number and link). Entries cut off at the end leave a chain that still fits: write the head down, and compare it with a later check.
                    """)

            @OptionGroup var data: DataOptions
            @OptionGroup var output: OutputOptions

            func run() throws {
                try reportingErrors {
                    let result = try data.open().verifyAudit()
                    if output.json { return try printJSON(result) }
                    say("The audit log holds \(counted(result.entries, "entry", plural: "entries")), each chained to the one before. Head: \(result.head)")
                }
            }
        }
    }
}
