import ArgumentParser
import LiaisonCore

@main
struct Liaison: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "liaison",
        abstract: "An offline directory of counter-trafficking contacts, country by country, kept in a signed log.",
        discussion: """
            Every command works on one node's data folder: --data DIR, else $LIAISON_HOME, else ~/.liaison.
            Start with `liaison demo` to see a sample directory, or `liaison init` to create your node.
            """,
        version: "0.1.0",
        subcommands: [
            Init.self, Demo.self, NodeCommand.self, AgencyCommand.self, ContactCommand.self, DesignationCommand.self,
            CountryCommand.self, Search.self, Stats.self, Import.self, Export.self, LogCommand.self,
        ]
    )
}
