import ArgumentParser
import Foundation
import LiaisonCore
import LiaisonSync

extension Liaison {
    struct Digest: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a hash of the replicated directory: equal on nodes that hold the same commits.",
            discussion: """
                With --content, a hash of the records' fields only, without ids, stewards or times: equal on nodes \
                that hold the same directory however it got there, e.g. before and after a CSV round trip.
                """)

        @OptionGroup var data: DataOptions
        @OptionGroup var output: OutputOptions
        @Flag(help: "Hash the records' content only: no ids, stewards or times (docs/PROTOCOL.md, \"Content digest\").")
        var content = false

        struct Result: Encodable {
            var digest: String
            var vector: VersionVector
        }

        struct ContentResult: Encodable {
            var contentDigest: String
        }

        func run() throws {
            try reportingErrors {
                let directory = try data.openForReading()
                if content {
                    let digest = try directory.contentDigest()
                    if output.json { return try printJSON(ContentResult(contentDigest: digest)) }
                    return print(digest)
                }
                let digest = try directory.digest()
                if output.json { return try printJSON(Result(digest: digest, vector: try directory.vector())) }
                print(digest)
            }
        }
    }
}
