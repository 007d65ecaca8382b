import ArgumentParser
import Configuration
import Foundation
import LiaisonCore
import LiaisonServer
import LiaisonSync
import Logging

extension Liaison {
    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Serve this node to its peers over mutual-TLS HTTPS.",
            discussion: """
                Uses the TLS key and certificate that `liaison init` made. Only nodes on the roster get \
                through the TLS handshake, each recognised by the pin in its card. Peers reach this node \
                at the address in its card: write it with `liaison node card --url https://HOST:PORT`.
                Meanwhile it syncs with every peer whose card has an address: every --sync-every seconds, at once when this node's log grows, and after a failure with a growing wait (`liaison peer status` shows it).
                Stops cleanly on Ctrl-C or SIGTERM.
                """)

        @OptionGroup var data: DataOptions

        @Option(help: ArgumentHelp("The address and port to listen on, HOST:PORT (default 0.0.0.0:8443).", valueName: "host:port"))
        var listen: String?

        @Option(help: ArgumentHelp("Seconds between background syncs with peers; 0 turns background sync off (default 60).", valueName: "seconds"))
        var syncEvery: Int?

        @Option(help: ArgumentHelp(
            "A JSON settings file (default: $LIAISON_CONFIG, else liaison.json in the data folder if there is one); LIAISON_* variables and flags win over it. Config/liaison.example.json lists every key.",
            valueName: "file"))
        var config: String?

        func run() async throws {
            let settings: ServeSettings
            let configuration: NodeServerConfiguration
            let directory: Directory
            let tls: NodeTLS
            do {
                let environment = ProcessInfo.processInfo.environment
                let inFolder = data.folder.url.appending(path: "liaison.json").path
                let file = config ?? environment["LIAISON_CONFIG"] ?? (FileManager.default.fileExists(atPath: inFolder) ? inFolder : nil)
                var flags: [String: ConfigContent] = [:]
                if let listen { flags["server.listen"] = .string(listen) }
                if let syncEvery { flags["sync.every_seconds"] = .int(syncEvery) }
                settings = try await ServeSettings.load(file: file, environment: environment, flags: flags) { warning in note(warning) }
                var listening = try NodeServerConfiguration(listen: settings.listen)
                listening.idleTimeout = .seconds(settings.idleTimeoutSeconds)
                listening.strangerRequestTimeout = .seconds(settings.requestSeconds)
                listening.maximumConnections = settings.maximumConnections
                listening.maximumPushBytes = settings.pushLimitBytes
                listening.maximumConnectionsPerClient = settings.connectionsPerClient
                listening.maximumTransfersPerPeer = settings.transfersPerPeer
                configuration = listening
                directory = try data.open()
                tls = try NodeTLS(folder: data.folder)
            } catch {
                printError(error)
                throw ExitCode(1)
            }
            let address = "\(configuration.host):\(configuration.port)"
            let name = directory.node.name
            do {
                var logger = Logger(label: "liaison.server")
                logger.logLevel = Logger.Level(rawValue: settings.logLevel) ?? .warning
                try await NodeServer.run(
                    directory: directory, tls: tls, configuration: configuration,
                    syncPeriod: settings.syncEverySeconds > 0 ? .seconds(settings.syncEverySeconds) : nil,
                    backoff: SyncBackoff(base: .seconds(settings.backoffBaseSeconds), cap: .seconds(settings.backoffCapSeconds)), logger: logger
                ) { port in
                    FileHandle.standardError.write(Data("Serving \(name) on https://\(configuration.host):\(port) (mutual TLS, roster peers only). Ctrl-C stops.\n".utf8))
                }
            } catch {
                FileHandle.standardError.write(Data("error: cannot serve on \(address): \(error)\n".utf8))
                throw ExitCode(1)
            }
        }
    }
}
