import ArgumentParser
import Configuration
import Foundation
import LiaisonCore
import LiaisonServer
import LiaisonSync
import Logging
import NIOCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Liaison {
    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Serve this node to its peers over mutual-TLS HTTPS.",
            discussion: """
                Uses the TLS key and certificate that `liaison init` made. A client that presents a \
                certificate gets through the TLS handshake only if it is a roster peer's, recognised by the \
                pin in its card; officers' browsers and API tools present none, and sign in or send a token. \
                Peers reach this node at the address in its card: write it with `liaison node card --url https://HOST:PORT`.
                One `liaison serve` runs on a data folder at a time.
                Meanwhile it syncs with every peer whose card has an address: every --sync-every seconds, at once when this node's log grows, and after a failure with a growing wait (`liaison peer status` shows it).
                Stops cleanly on Ctrl-C or SIGTERM.
                """)

        @OptionGroup var data: DataOptions

        @Option(help: ArgumentHelp("The address and port to listen on, HOST:PORT (default 0.0.0.0:8443; a HOST alone listens on 8443).", valueName: "host:port"))
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
                try Self.holdServeLock(in: data.folder.url)
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
                    FileHandle.standardError.write(
                        Data(
                            "Serving \(name) on https://\(configuration.host):\(port) to roster peers over mutual TLS, and to signed-in officers and API tokens. Ctrl-C stops.\n"
                                .utf8))
                }
            } catch {
                FileHandle.standardError.write(Data("error: cannot serve on \(address): \(Self.reason(error))\n".utf8))
                throw ExitCode(1)
            }
        }

        /// A failure to listen in the administrator's words: the system's, without the call that failed.
        static func reason(_ error: any Error) -> String {
            guard let error = error as? IOError else { return "\(error)" }
            switch error.errnoCode {
            case EADDRINUSE: return "the address is in use: another program, perhaps another `liaison serve`, listens there"
            case EACCES: return "permission denied: ports below 1024 need the administrator's rights; choose a port from 1024 up"
            case EADDRNOTAVAIL: return "this machine has no such address; 0.0.0.0 listens on all of them"
            default: return String(cString: strerror(error.errnoCode))
            }
        }

        /// Takes the data folder's serve lock for as long as the process runs: two servers on one
        /// node would both sync it and answer for it. The lock ends with the process, however it ends.
        static func holdServeLock(in folder: URL) throws(LiaisonError) {
            let path = folder.appending(path: "serve.lock").path
            let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
            guard descriptor >= 0 else { throw LiaisonError(.nodeFolder, "cannot open \(path): \(String(cString: strerror(errno)))") }
            guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
                var buffer = [UInt8](repeating: 0, count: 32)
                let count = read(descriptor, &buffer, buffer.count)
                let holder = count > 0 ? String(decoding: buffer[..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) : "?"
                close(descriptor)
                throw LiaisonError(
                    .conflict, "another `liaison serve` already serves this node (process \(holder))",
                    hint: "stop it first, or serve another data folder with --data")
            }
            _ = ftruncate(descriptor, 0)
            let pid = Array("\(getpid())\n".utf8)
            _ = pid.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            // Kept open, and so locked, until the process ends.
        }
    }
}
