import ArgumentParser
import Foundation
import LiaisonCore
import LiaisonSync

extension Liaison {
    struct Digest: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a hash of the replicated directory: equal on nodes that hold the same commits.")

        @OptionGroup var data: DataOptions
        @OptionGroup var output: OutputOptions

        struct Result: Encodable {
            var digest: String
            var vector: VersionVector
        }

        func run() throws {
            try reportingErrors {
                let directory = try data.openForReading()
                let digest = try directory.digest()
                if output.json { return try printJSON(Result(digest: digest, vector: try directory.vector())) }
                print(digest)
            }
        }
    }
}
