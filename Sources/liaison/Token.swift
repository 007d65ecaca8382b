import ArgumentParser
import Foundation
import LiaisonCore

extension Liaison {
    struct TokenCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "token", abstract: "Make, list and revoke tokens for the JSON API that `liaison serve` offers to local tools.",
            subcommands: [Create.self, List.self, Revoke.self])

        struct Create: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Make a token and show it, the one time it is shown: only its hash is kept.",
                discussion: "A tool sends it as `Authorization: Bearer TOKEN` to https://HOST:PORT/api/v1/... (docs/openapi.yaml).")

            @OptionGroup var data: DataOptions
            @OptionGroup var output: OutputOptions
            @Option(help: "Who or what uses it, e.g. \"desk laptop\".") var name: String
            @Option(help: ArgumentHelp("The last day it works, YYYY-MM-DD (UTC).", valueName: "date")) var expires: String?
            @Flag(name: .customLong("directory-only"), help: "Read the directory only: no intelligence notes, evaluations or links.")
            var directoryOnly = false

            struct Created: Encodable {
                var name: String
                var token: String
                var expiresAt: String?
                var directoryOnly: Bool
            }

            func run() throws {
                try reportingErrors {
                    let directory = try data.open()
                    let (token, record) = try directory.createToken(name: name, expires: expires, directoryOnly: directoryOnly)
                    if output.json {
                        return try printJSON(Created(name: record.name, token: token, expiresAt: record.expiresAt, directoryOnly: record.directoryOnly))
                    }
                    say("""
                        Token for \(record.name)\(record.expiresAt.map { ", until \($0)" } ?? "")\(record.directoryOnly ? ", directory reads only" : ""):
                        \(token)
                        Keep it like a password: it is not shown again. Revoke it with `liaison token revoke "\(record.name)"`.
                        """)
                }
            }
        }

        struct List: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List the tokens (never the tokens themselves).")

            @OptionGroup var data: DataOptions
            @OptionGroup var output: OutputOptions

            func run() throws {
                try reportingErrors {
                    let tokens = try data.openForReading().tokens()
                    if output.json { return try printJSON(tokens) }
                    guard !tokens.isEmpty else { return say("No tokens. Make one with `liaison token create --name NAME`.") }
                    var table = Table("Name", "Reads", "Created", "Expires", "Revoked")
                    for token in tokens {
                        table.add(token.name, token.directoryOnly ? "directory" : "all", token.createdAt, token.expiresAt ?? "never", token.revokedAt ?? "")
                    }
                    say(table.render())
                }
            }
        }

        struct Revoke: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Revoke a token: it stops working at once.")

            @OptionGroup var data: DataOptions
            @Argument(help: "The token's name.") var name: String

            func run() throws {
                try reportingErrors {
                    try data.open().revokeToken(name: name)
                    say("Revoked the token \(name).")
                }
            }
        }
    }
}
