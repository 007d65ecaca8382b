import ArgumentParser
import LiaisonCore

extension Liaison {
    struct CountryCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "country", abstract: "List countries and show a country's page.", subcommands: [List.self, Show.self])

        struct List: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List countries that have entries (all 249 with --all).")

            @OptionGroup var data: DataOptions
            @OptionGroup var output: OutputOptions
            @Flag(help: "Include countries with no agencies yet.") var all = false

            func run() throws {
                try reportingErrors {
                    let countries = try data.openForReading().countries().filter { all || $0.agencyCount > 0 }
                    if output.json { return try printJSON(countries) }
                    var table = Table("Code", "Country", "UN region", "Agencies", "Contacts")
                    for entry in countries {
                        table.add(entry.country.code, entry.country.name, entry.country.unSubregion ?? "", String(entry.agencyCount), String(entry.contactCount))
                    }
                    say(table.render())
                    say(counted(countries.count, "country", plural: "countries"))
                }
            }
        }

        struct Show: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "The country page: agencies and units, 24/7 contacts, focal points by crime area.")

            @OptionGroup var data: DataOptions
            @OptionGroup var output: OutputOptions
            @OptionGroup var audit: AuditOptions
            @Argument(help: "ISO 3166-1 alpha-2 code, e.g. MD.") var country: String

            func run() throws {
                try reportingErrors {
                    let (directory, audited) = try data.openForConsulting()
                    var page = try directory.countryPage(country)
                    page.notes = try consulted(page.notes, on: page.country.code, in: directory, audited: audited, reason: audit.reason)
                    if output.json { return try printJSON(page) }
                    printCountryPage(page)
                }
            }
        }
    }
}

func printCountryPage(_ page: CountryPage) {
    let c = page.country
    say("\(c.name) (\(c.code) / \(c.alpha3))\(c.unSubregion.map { " — \($0)" } ?? "")\(c.callingCode.map { ", calling code +\($0)" } ?? "")")
    if page.agencies.isEmpty {
        say("\nNo agencies yet.")
        printNotes(page.notes)
        return
    }
    say("\nAgencies")
    for entry in page.agencies {
        let a = entry.agency
        say("  \(a.name)\(a.acronym.map { " (\($0))" } ?? "") — \(a.kind.rawValue), \(entry.contactCount) contact\(entry.contactCount == 1 ? "" : "s")  \(short(a.id))")
        for unit in entry.units { say("    └ \(unit.name)  \(short(unit.id))") }
    }
    if !page.contacts24x7.isEmpty {
        say("\n24/7 contacts")
        var table = Table("Who", "Agency", "Channel", "Value")
        for contact in page.contacts24x7 {
            table.add(contact.holder, contact.agency, contact.channel.label ?? contact.channel.kind.rawValue, contact.channel.value)
        }
        say(table.render(maxWidth: 40).split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
    }
    if !page.focalPoints.isEmpty {
        say("\nFocal points by crime area")
        var table = Table("Crime area", "Function", "Who", "Reach")
        var previous: (area: String, function: String)?
        for point in page.focalPoints {
            let area = point.crimeArea?.rawValue ?? "(all areas)"
            let function = point.function.rawValue
            let who = point.agency.isEmpty || point.agency == point.holder ? point.holder : "\(point.holder) (\(point.agency))"
            table.add(previous?.area == area ? "" : area, previous?.area == area && previous?.function == function ? "" : function, who, point.channel?.value ?? "")
            previous = (area, function)
        }
        say(table.render(maxWidth: 44).split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
    }
    printNotes(page.notes)
}
