import ArgumentParser
import LiaisonCore

extension Liaison {
    struct DesignationCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "designation", abstract: "Name agencies and contacts as focal points for a crime area and function.",
            subcommands: [Add.self, Remove.self])

        struct Add: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Add a focal-point role to an agency or a contact.")

            @OptionGroup var data: DataOptions
            @Option(help: "The agency or unit holding the role: id, acronym or name.") var agency: String?
            @Option(help: "The contact holding the role: id or its first few digits.") var contact: String?
            @Option(name: .customLong("crime-area"), help: ArgumentHelp("The crime area; omit for a role across all crime areas.", valueName: "area"))
            var crimeArea: CrimeArea?
            @Option(help: ArgumentHelp("The focal-point function.", valueName: "function"))
            var function: FocalFunction
            @Option(help: "First day, YYYY-MM-DD.") var from: String?
            @Option(help: "Last day, YYYY-MM-DD.") var to: String?
            @Option(help: "Legal basis, e.g. the law or agreement.") var basis: String?

            func validate() throws {
                guard (agency == nil) != (contact == nil) else { throw ValidationError("give exactly one of --agency and --contact") }
            }

            func run() throws {
                try reportingErrors {
                    let directory = try data.open()
                    let designation = Designation(
                        agencyID: try agency.map { value throws(LiaisonError) in try directory.agency(matching: value).id },
                        personID: try contact.map { value throws(LiaisonError) in try directory.person(matching: value).id },
                        crimeArea: crimeArea, function: function, validFrom: from, validTo: to, legalBasis: basis)
                    let (saved, _) = try directory.write { tx in try tx.save(designation) }
                    say("Added \(saved.crimeArea?.rawValue ?? "all crime areas") — \(saved.function.rawValue) \(saved.id.lowercasedString)")
                }
            }
        }

        struct Remove: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Remove a focal-point role.")

            @OptionGroup var data: DataOptions
            @Argument(help: "The designation's id or its first few digits, as `agency show` and `contact show` list them.") var designation: String

            func run() throws {
                try reportingErrors {
                    let directory = try data.open()
                    let record = try directory.designation(matching: designation)
                    try directory.write { tx in try tx.removeDesignation(record.id) }
                    say("Removed \(record.crimeArea?.rawValue ?? "all crime areas") — \(record.function.rawValue)")
                }
            }
        }
    }
}
