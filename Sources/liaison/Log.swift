import ArgumentParser
import Foundation
import LiaisonCore
import LiaisonSync

extension Liaison {
    struct LogCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "log", abstract: "Show and verify the signed log of commits.", subcommands: [Show.self, Verify.self, Vector.self, Forks.self])

        struct Show: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List the latest commits, newest first.")

            @OptionGroup var data: DataOptions
            @OptionGroup var output: OutputOptions
            @Option(help: "How many commits.") var limit = 20

            struct Entry: Encodable {
                var position: Int64
                var origin: String
                var epoch: UInt32
                var sequence: UInt64
                var time: String
                var hlc: UInt64
                var changes: Int
                var withheld: Int
                var headerHash: String
                var keyID: String
            }

            func run() throws {
                try reportingErrors {
                    let directory = try data.openForReading()
                    let entries = try directory.read { db in try LogStore.latest(limit: limit, in: db) }.map { entry in
                        let header = entry.commit.header
                        return Entry(
                            position: entry.position, origin: header.origin.hex, epoch: header.epoch, sequence: header.sequence,
                            time: header.time.description, hlc: header.time.rawValue, changes: entry.commit.changeHashes.count,
                            withheld: entry.commit.changeBodies.filter { $0 == nil }.count, headerHash: entry.storedHeaderHash.hexString,
                            keyID: header.keyID.hex)
                    }
                    if output.json { return try printJSON(entries) }
                    var table = Table("Origin", "Epoch/seq", "Time", "Changes", "Header hash")
                    for entry in entries {
                        table.add(String(entry.origin.prefix(8)), "\(entry.epoch)/\(entry.sequence)", entry.time, String(entry.changes), String(entry.headerHash.prefix(16)))
                    }
                    print(table.render())
                }
            }
        }

        struct Verify: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Re-verify the log and the directory against it; exit 2 naming the first bad commit or record.",
                discussion: """
                    Checks every commit's signature, change hashes and chain, then replays the log and compares the directory tables with the result, so that a record changed without a signed commit is found.
                    """)

            @OptionGroup var data: DataOptions
            @Flag(name: .customLong("chain-only"), help: "Check the commits only, not the tables (faster on large nodes).")
            var chainOnly = false

            func run() throws {
                try reportingErrors {
                    let directory = try data.openForReading()
                    let report = try directory.read { db in try LogStore.verify(in: db) }
                    print("Log: \(counted(report.commits, "commit")) and \(counted(report.changes, "change")) verified (\(report.withheldChanges) withheld)")
                    guard !chainOnly else { return }
                    // The replay goes beside the database, unless the folder is read-only.
                    let folder = access(data.folder.url.path, W_OK) == 0 ? data.folder.url : FileManager.default.temporaryDirectory
                    let state = try directory.read { db in try LogStore.verifyState(in: db, scratchFolder: folder) }
                    if state.withheldChanges > 0 {
                        print("Tables: not compared, \(counted(state.withheldChanges, "change")) withheld or purged")
                    } else {
                        print("Tables: \(counted(state.records, "record")) match the log")
                    }
                }
            }
        }

        struct Vector: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Print what this node holds: per origin and epoch, the highest sequence and its header hash.",
                discussion: "`--json` writes the file that `liaison bundle export --since` reads on another node.")

            @OptionGroup var data: DataOptions
            @OptionGroup var output: OutputOptions

            func run() throws {
                try reportingErrors {
                    let vector = try data.openForReading().vector()
                    if output.json {
                        FileHandle.standardOutput.write(vector.json() + Data("\n".utf8))
                        return
                    }
                    var table = Table("Origin", "Epoch", "Sequence", "Header hash")
                    for entry in vector.entries {
                        table.add(entry.origin.hex, String(entry.epoch), String(entry.sequence), String(entry.headerHash.hexString.prefix(16)))
                    }
                    print(table.render())
                }
            }
        }

        struct Forks: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "List forks met: two different signed commits at one origin, epoch and sequence. Their origins are frozen.")

            @OptionGroup var data: DataOptions
            @OptionGroup var output: OutputOptions

            func run() throws {
                try reportingErrors {
                    let forks = try data.openForReading().forks()
                    if output.json { return try printJSON(forks) }
                    guard !forks.isEmpty else { return print("No forks.") }
                    var table = Table("Origin", "Epoch/seq", "Held header", "Other header", "Detected")
                    for fork in forks {
                        table.add(String(fork.origin.prefix(8)), "\(fork.epoch)/\(fork.sequence)", String(fork.heldHeaderHash.prefix(16)), String(fork.otherHeaderHash.prefix(16)), fork.detectedAt)
                    }
                    print(table.render())
                }
            }
        }
    }
}
