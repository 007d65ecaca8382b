import ArgumentParser
import Foundation
import LiaisonCore
import LiaisonSync

extension Liaison {
    struct AgencyCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "agency", abstract: "Add, edit, show, list and remove agencies and units.",
            subcommands: [Add.self, Edit.self, Show.self, List.self, Remove.self])

        /// Fields of an agency, for add and edit.
        struct Fields: ParsableArguments {
            @Option(help: "English name.") var name: String?
            @Option(name: .customLong("native-name"), help: "Name in the agency's own language and script.") var nativeName: String?
            @Option(help: "Acronym, e.g. CCTP.") var acronym: String?
            @Option(help: ArgumentHelp("The kind of agency.", valueName: "kind")) var kind: AgencyKind?
            @Option(help: "The agency this is a unit of: id, acronym or name.") var parent: String?
            @Option(help: "ISO 3166-2 subdivision, e.g. MD-CU.") var subdivision: String?
            @Option(help: "Postal address.") var address: String?
            @Option(help: "Web site, e.g. https://police.example.") var website: String?
        }

        struct Add: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Add an agency or, with --parent, a unit.")

            @OptionGroup var data: DataOptions
            @Option(help: "ISO 3166-1 alpha-2 country code, e.g. MD.") var country: String
            @OptionGroup var fields: Fields
            @OptionGroup var channels: ChannelOptions

            func validate() throws {
                guard fields.name?.isEmpty == false else { throw ValidationError("--name is required") }
                guard fields.kind != nil else { throw ValidationError("--kind is required: one of \(AgencyKind.allCases.map(\.rawValue).joined(separator: ", "))") }
            }

            func run() throws {
                try reportingErrors {
                    let directory = try data.open()
                    let parentID = try fields.parent.map { reference throws(LiaisonError) in try directory.agency(matching: reference, country: country).id }
                    let agency = Agency(
                        name: fields.name ?? "", nativeName: fields.nativeName, acronym: fields.acronym, kind: fields.kind ?? .other,
                        country: country, parentID: parentID, subdivision: fields.subdivision, address: fields.address, website: fields.website)
                    let channels = self.channels
                    let (saved, _) = try directory.write { tx in
                        let saved = try tx.save(agency)
                        try channels.save(in: tx, agencyID: saved.id, personID: nil)
                        return saved
                    }
                    say("Added \(saved.parentID == nil ? "agency" : "unit") \(saved.name) (\(saved.country)) \(saved.id.lowercasedString)")
                }
            }
        }

        struct Edit: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Change an agency's fields; channel options replace the agency's channels of that kind.")

            @OptionGroup var data: DataOptions
            @Argument(help: "The agency: id (or its first few digits), acronym or name.") var agency: String
            @Option(help: "Move to another country (ISO alpha-2).") var country: String?
            @OptionGroup var fields: Fields
            @OptionGroup var channels: ChannelOptions
            @OptionGroup var proposing: ProposalOptions

            func run() throws {
                try reportingErrors {
                    let directory = try data.open()
                    var record = try directory.agency(matching: agency)
                    if let value = fields.name { record.name = value }
                    if let value = fields.nativeName { record.nativeName = value }
                    if let value = fields.acronym { record.acronym = value }
                    if let value = fields.kind { record.kind = value }
                    if let value = country { record.country = value }
                    if let value = fields.parent { record.parentID = value.isEmpty ? nil : try directory.agency(matching: value).id }
                    if let value = fields.subdivision { record.subdivision = value }
                    if let value = fields.address { record.address = value }
                    if let value = fields.website { record.website = value }
                    let (proposals, commits) = try directory.write { [record, channels, proposing] tx in
                        tx.proposalComment = proposing.comment
                        try tx.save(record)
                        try channels.save(in: tx, agencyID: record.id, personID: nil)
                        return tx.proposals
                    }
                    if !proposals.isEmpty { return try sayProposed(proposals, of: record.name, in: directory) }
                    say(commits.isEmpty ? "No change to \(record.name)" : "Updated \(record.name) \(record.id.lowercasedString)")
                }
            }
        }

        struct Show: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Show an agency with its units, channels, roles and contacts.")

            @OptionGroup var data: DataOptions
            @OptionGroup var output: OutputOptions
            @OptionGroup var audit: AuditOptions
            @Argument(help: "The agency: id (or its first few digits), acronym or name.") var agency: String

            func run() throws {
                try reportingErrors {
                    let (directory, audited) = try data.openForConsulting()
                    var card = try directory.agencyCard(try directory.agency(matching: agency).id)
                    card.notes = try consulted(card.notes, on: card.agency.id.lowercasedString, in: directory, audited: audited, reason: audit.reason)
                    if output.json { return try printJSON(card) }
                    let a = card.agency
                    say("\(a.name)\(a.acronym.map { " (\($0))" } ?? "")")
                    if let native = a.nativeName { say(native) }
                    say("Kind: \(a.kind.rawValue)    Country: \(a.country)\(a.subdivision.map { " / \($0)" } ?? "")    Id: \(a.id.lowercasedString)")
                    if !card.sameAs.isEmpty { say("Same as: \(card.sameAs.map(\.shortID).joined(separator: ", ")) (decided duplicates, shown here)") }
                    if let parent = card.parent { say("Unit of: \(parent.name)") }
                    if let address = a.address { say("Address: \(address)") }
                    if let website = a.website { say("Web: \(website)") }
                    printChannels(card.channels)
                    printDesignations(card.designations)
                    if !card.units.isEmpty {
                        say("\nUnits:")
                        for unit in card.units { say("  \(unit.name)  \(short(unit.id))") }
                    }
                    if !card.contacts.isEmpty {
                        var table = Table("Id", "Name", "Position", "Languages")
                        for person in card.contacts {
                            table.add(short(person.id), person.displayName, person.position ?? "", person.languages.joined(separator: ","))
                        }
                        say("\nContacts:\n" + table.render())
                    }
                    printNotes(card.notes)
                }
            }
        }

        struct List: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List agencies and units.")

            @OptionGroup var data: DataOptions
            @OptionGroup var output: OutputOptions
            @Option(help: "Only this country (ISO alpha-2).") var country: String?

            func run() throws {
                try reportingErrors {
                    let directory = try data.openForReading()
                    let agencies = try directory.agencies(country: try country.map { code throws(LiaisonError) in try directory.country(code).code })
                    if output.json { return try printJSON(agencies) }
                    let names = Dictionary(uniqueKeysWithValues: agencies.map { ($0.id, $0.name) })
                    var table = Table("Id", "Country", "Kind", "Name", "Unit of")
                    for agency in agencies {
                        table.add(short(agency.id), agency.country, agency.kind.rawValue,
                                  agency.name + (agency.acronym.map { " (\($0))" } ?? ""), agency.parentID.flatMap { names[$0] } ?? "")
                    }
                    say(table.render())
                    say(counted(agencies.count, "agency or unit", plural: "agencies and units"))
                }
            }
        }

        struct Remove: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Remove an agency with its channels and roles.")

            @OptionGroup var data: DataOptions
            @Argument(help: "The agency: id (or its first few digits), acronym or name.") var agency: String
            @Flag(help: "Also remove its units and contacts.") var cascade = false

            func run() throws {
                try reportingErrors {
                    let directory = try data.open()
                    let record = try directory.agency(matching: agency)
                    let (_, commits) = try directory.write { [cascade] tx in try tx.removeAgency(record.id, cascade: cascade) }
                    say("Removed \(record.name) (\(counted(commits.first?.changeCount ?? 0, "change")))")
                }
            }
        }
    }
}

func printChannels(_ channels: [Channel]) {
    guard !channels.isEmpty else { return }
    say("\nChannels:")
    for channel in channels {
        let label = channel.label.map { "\($0): " } ?? ""
        say("  \(channel.kind.rawValue.padding(toLength: 14, withPad: " ", startingAt: 0)) \(label)\(channel.value)\(channel.is24x7 ? "  [24/7]" : "")\(channel.hours.map { "  \($0)" } ?? "")")
    }
}

func printDesignations(_ designations: [Designation]) {
    guard !designations.isEmpty else { return }
    say("\nFocal point for:")
    for designation in designations {
        var line = "  \(designation.crimeArea?.rawValue ?? "all crime areas") — \(designation.function.rawValue)"
        if let from = designation.validFrom { line += " from \(from)" }
        if let to = designation.validTo { line += " to \(to)" }
        if !designation.isCurrent(on: today()) {
            line += (designation.validTo.map { $0 < today() } ?? false) ? "  [ENDED]" : "  [NOT YET]"
        }
        say(line + "  (\(short(designation.id)))")
    }
}
