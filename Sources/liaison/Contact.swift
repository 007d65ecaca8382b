import ArgumentParser
import Foundation
import LiaisonCore
import LiaisonSync

extension Liaison {
    struct ContactCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "contact", abstract: "Add, edit, show, list and remove contact persons.",
            subcommands: [Add.self, Edit.self, Show.self, List.self, Remove.self])

        struct Fields: ParsableArguments {
            @Option(name: .customLong("given"), help: "Given name, in Latin script.") var givenName: String?
            @Option(name: .customLong("family"), help: "Family name, in Latin script.") var familyName: String?
            @Option(name: .customLong("native-name"), help: "Full name in the person's own script, e.g. \"Иван Иванов\".") var nativeName: String?
            @Option(help: "Position or job title.") var position: String?
            @Option(help: "Rank.") var rank: String?
            @Option(name: .customLong("language"), help: ArgumentHelp("BCP 47 language tag, in order of preference; repeat, or separate with ;.", valueName: "tag"))
            var languages: [String] = []
            @Option(help: "IANA time zone, e.g. Europe/Chisinau.") var timezone: String?
            @Option(name: .customLong("verified-by"), help: "Who checked these details; records today as the verification date.") var verifiedBy: String?

            var languageList: [String] { languages.flatMap { $0.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) } } }
        }

        struct Add: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Add a contact person to an agency or unit.")

            @OptionGroup var data: DataOptions
            @Option(help: "The agency or unit: id (or its first few digits), acronym or name.") var agency: String
            @OptionGroup var fields: Fields
            @OptionGroup var channels: ChannelOptions
            @Flag(name: .customLong("allow-same-name"), help: "Add the contact even if the agency has a contact of the same name.")
            var allowSameName = false

            func validate() throws {
                guard fields.givenName != nil || fields.familyName != nil || fields.nativeName != nil else {
                    throw ValidationError("give at least one of --given, --family, --native-name")
                }
            }

            func run() throws {
                try reportingErrors {
                    let directory = try data.open()
                    let agencyID = try directory.agency(matching: agency).id
                    let person = Person(
                        agencyID: agencyID, givenName: fields.givenName, familyName: fields.familyName, nativeName: fields.nativeName,
                        position: fields.position, rank: fields.rank, languages: fields.languageList, timeZone: fields.timezone,
                        verifiedAt: fields.verifiedBy.map { _ in today() }, verifiedBy: fields.verifiedBy)
                    let (channels, allowSameName) = (self.channels, self.allowSameName)
                    let (saved, _) = try directory.write { tx in
                        let saved = try tx.save(person, allowingSameName: allowSameName)
                        try channels.save(in: tx, agencyID: nil, personID: saved.id)
                        return saved
                    }
                    say("Added \(saved.displayName) \(saved.id.lowercasedString)")
                }
            }
        }

        struct Edit: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Change a contact's fields; channel options replace the contact's channels of that kind.")

            @OptionGroup var data: DataOptions
            @Argument(help: "The contact's id or its first few digits.") var contact: String
            @Option(help: "Move to another agency or unit.") var agency: String?
            @OptionGroup var fields: Fields
            @OptionGroup var channels: ChannelOptions
            @OptionGroup var proposing: ProposalOptions

            func run() throws {
                try reportingErrors {
                    let directory = try data.open()
                    var person = try directory.person(matching: contact)
                    if let value = agency { person.agencyID = try directory.agency(matching: value).id }
                    if let value = fields.givenName { person.givenName = value }
                    if let value = fields.familyName { person.familyName = value }
                    if let value = fields.nativeName { person.nativeName = value }
                    if let value = fields.position { person.position = value }
                    if let value = fields.rank { person.rank = value }
                    if !fields.languages.isEmpty { person.languages = fields.languageList }
                    if let value = fields.timezone { person.timeZone = value }
                    if let value = fields.verifiedBy {
                        person.verifiedBy = value
                        person.verifiedAt = today()
                    }
                    let (proposals, commits) = try directory.write { [person, channels, proposing] tx in
                        tx.proposalComment = proposing.comment
                        try tx.save(person)
                        try channels.save(in: tx, agencyID: nil, personID: person.id)
                        return tx.proposals
                    }
                    if !proposals.isEmpty { return try sayProposed(proposals, of: person.displayName, in: directory) }
                    say(commits.isEmpty ? "No change to \(person.displayName)" : "Updated \(person.displayName) \(person.id.lowercasedString)")
                }
            }
        }

        struct Show: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Show a contact with channels and roles.")

            @OptionGroup var data: DataOptions
            @OptionGroup var output: OutputOptions
            @OptionGroup var audit: AuditOptions
            @Argument(help: "The contact's id or its first few digits.") var contact: String

            func run() throws {
                try reportingErrors {
                    let (directory, audited) = try data.openForConsulting()
                    var card = try directory.contactCard(try directory.person(matching: contact).id)
                    card.notes = try consulted(card.notes, on: card.person.id.lowercasedString, in: directory, audited: audited, reason: audit.reason)
                    if output.json { return try printJSON(card) }
                    let p = card.person
                    say(p.displayName + (p.nativeName.map { p.displayName == $0 ? "" : "  (\($0))" } ?? ""))
                    if let position = p.position { say(position + (p.rank.map { ", \($0)" } ?? "")) }
                    say(([card.parentAgency?.name, card.agency.name].compactMap { $0 }).joined(separator: " / ") + " — \(card.agency.country)")
                    if !p.languages.isEmpty { say("Languages: \(p.languages.joined(separator: ", "))") }
                    if let zone = p.timeZone { say("Time zone: \(zone)") }
                    if let at = p.verifiedAt { say("Verified: \(at)\(p.verifiedBy.map { " by \($0)" } ?? "")") }
                    say("Id: \(p.id.lowercasedString)")
                    if !card.sameAs.isEmpty { say("Same as: \(card.sameAs.map(\.shortID).joined(separator: ", ")) (decided duplicates, shown here)") }
                    printChannels(card.channels)
                    printDesignations(card.designations)
                    printNotes(card.notes)
                }
            }
        }

        struct List: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List contacts.")

            @OptionGroup var data: DataOptions
            @OptionGroup var output: OutputOptions
            @Option(help: "Only this country (ISO alpha-2).") var country: String?
            @Option(help: "Only this agency or unit.") var agency: String?
            @Option(help: "At most this many.") var limit: Int = 500

            struct Entry: Encodable {
                var person: Person
                var agency: Agency
            }

            func run() throws {
                try reportingErrors {
                    let directory = try data.openForReading()
                    let agencyID = try agency.map { value throws(LiaisonError) in try directory.agency(matching: value).id }
                    let code = try country.map { value throws(LiaisonError) in try directory.country(value).code }
                    let contacts = try directory.contacts(country: code, agency: agencyID, limit: limit)
                    if output.json { return try printJSON(contacts.map { Entry(person: $0.person, agency: $0.agency) }) }
                    var table = Table("Id", "Country", "Name", "Native name", "Position", "Agency")
                    for (person, agency) in contacts {
                        table.add(short(person.id), agency.country, person.displayName, person.nativeName ?? "", person.position ?? "", agency.acronym ?? agency.name)
                    }
                    say(table.render(maxWidth: 36))
                    say(contacts.count == limit ? "the first \(limit) contacts; --limit shows more" : counted(contacts.count, "contact"))
                }
            }
        }

        struct Remove: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Remove a contact with their channels and roles.")

            @OptionGroup var data: DataOptions
            @Argument(help: "The contact's id or its first few digits.") var contact: String

            func run() throws {
                try reportingErrors {
                    let directory = try data.open()
                    let person = try directory.person(matching: contact)
                    try directory.write { tx in try tx.removePerson(person.id) }
                    say("Removed \(person.displayName)")
                }
            }
        }
    }
}

/// Today's date as YYYY-MM-DD in UTC.
func today() -> String {
    String(ISO8601DateFormatter().string(from: Date()).prefix(10))
}
