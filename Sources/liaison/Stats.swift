import ArgumentParser
import LiaisonCore

extension Liaison {
    struct Stats: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Count what this node holds.")

        @OptionGroup var data: DataOptions
        @OptionGroup var output: OutputOptions

        func run() throws {
            try reportingErrors {
                let directory = try data.openForReading()
                let stats = try directory.stats()
                if output.json { return try printJSON(stats) }
                say("""
                    Node:          \(directory.node.name) (\(directory.node.id))
                    Countries:     \(stats.countries)
                    Agencies:      \(stats.agencies) (+ \(counted(stats.units, "unit")))
                    Contacts:      \(stats.contacts)
                    Channels:      \(stats.channels)
                    Designations:  \(stats.designations)
                    Log:           \(counted(stats.commits, "commit")), \(counted(stats.changes, "change"))
                    Database:      \(stats.databaseBytes / 1024) KiB
                    """)
            }
        }
    }
}
