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
        var command: any ParsableCommand
        do {
            command = try parseAsRoot()
        } catch {
            fail(error)
        }
        do {
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as ValidationError {
            // A mistake in the command's words found as it runs: its own usage, as parsing shows it.
            FileHandle.standardError.write(Data("error: \(error.message)\nUsage: \(usageString(for: type(of: command)))\n".utf8))
            Foundation.exit(ExitCode.validationFailure.rawValue)
        } catch {
            fail(error)
        }
    }

    /// Ends the process for `error` as ArgumentParser does, but with its messages beginning
    /// "error:", as the tool's own do, so that scripts look for one word.
    private static func fail(_ error: any Error) -> Never {
        let message = fullMessage(for: error)
        if exitCode(for: error) != .success, message.hasPrefix("Error: ") {
            FileHandle.standardError.write(Data("error: \(message.dropFirst("Error: ".count))\n".utf8))
            Foundation.exit(exitCode(for: error).rawValue)
        }
        exit(withError: error)
    }
}
