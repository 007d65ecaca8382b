import Foundation
import ArgumentParser
import LiaisonCore

extension Liaison {
    struct Init: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create this node: its data folder, signing key, TLS key and certificate, and database.")

        @OptionGroup var data: DataOptions

        @Option(help: "A name for this node, e.g. \"Chisinau liaison desk\".")
        var name: String

        @Option(help: "The agency that runs this node.")
        var agency: String

        func run() throws {
            try reportingErrors {
                let folder = data.folder
                let directory = try folder.initialize(name: name, agency: agency)
                print("Created node \(directory.node.id) in \(folder.url.path)")
                try NodeCommand.Show.printIdentity(directory, folder: folder)
            }
        }
    }
}
