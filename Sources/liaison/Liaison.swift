import ArgumentParser
import Foundation
import LiaisonCore
import Logging

@main
struct Liaison: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "liaison",
        abstract: "An offline directory of counter-trafficking contacts, country by country, kept in a signed log.",
        discussion: """
            Every command works on one node's data folder: --data DIR, else $LIAISON_HOME, else ~/.liaison.
            Start with `liaison demo` to see a sample directory, or `liaison init` to create your node.
            """,
        version: "0.2.1",
        subcommands: [
            Init.self, Demo.self, NodeCommand.self, AgencyCommand.self, ContactCommand.self, DesignationCommand.self,
            CountryCommand.self, Search.self, Stats.self, Import.self, Export.self, LogCommand.self, PeerCommand.self,
            BundleCommand.self, Digest.self, DuplicatesCommand.self, NoteCommand.self, GroupCommand.self, AuditCommand.self, ProposalCommand.self, Serve.self,
            Sync.self,
            TokenCommand.self, UserCommand.self,
        ]
    )

    /// Logs go to standard error at the level in `LIAISON_LOG_LEVEL` (trace, debug, info, notice,
    /// warning, error, critical), warnings and worse by default; they never carry contact data.
    static func main() async {
        let level = ProcessInfo.processInfo.environment["LIAISON_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .warning
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            // ArgumentParser begins its messages with "Error:"; the tool's own say "error:", as
            // these do too, so that scripts look for one word.
            let message = fullMessage(for: error)
            if exitCode(for: error) != .success, message.hasPrefix("Error: ") {
                FileHandle.standardError.write(Data("error: \(message.dropFirst("Error: ".count))\n".utf8))
                Foundation.exit(exitCode(for: error).rawValue)
            }
            exit(withError: error)
        }
    }
}
