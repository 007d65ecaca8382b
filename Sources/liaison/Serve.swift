import ArgumentParser
import Foundation
import LiaisonCore
import LiaisonServer
import LiaisonSync

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

        @Option(help: "The address and port to listen on, HOST:PORT.")
        var listen = "0.0.0.0:8443"

        @Option(help: ArgumentHelp("Seconds between background syncs with peers; 0 turns background sync off.", valueName: "seconds"))
        var syncEvery = 60

        func validate() throws {
            guard (0...86_400).contains(syncEvery) else { throw ValidationError("--sync-every must be 0 to 86400 seconds") }
        }

        func run() async throws {
            let configuration: NodeServerConfiguration
            let directory: Directory
            let tls: NodeTLS
            do {
                configuration = try NodeServerConfiguration(listen: listen)
                directory = try data.open()
                tls = try NodeTLS(folder: data.folder)
            } catch {
                FileHandle.standardError.write(Data("error: \(error)\n".utf8))
                throw ExitCode(1)
            }
            let address = "\(configuration.host):\(configuration.port)"
            let name = directory.node.name
            do {
                try await NodeServer.run(
                    directory: directory, tls: tls, configuration: configuration, syncPeriod: syncEvery > 0 ? .seconds(syncEvery) : nil
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
