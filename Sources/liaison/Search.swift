import ArgumentParser
import LiaisonCore

extension Liaison {
    struct Search: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Find contacts and agencies by name (any script), acronym, position or crime area.",
            discussion: """
                Case, accents and script do not matter: "ivanov" finds Иванов, "jose munoz" finds José Muñoz.
                Each word may be the start of a word. A word that names a country ("mold", "Moldova", "MD") also finds its agencies and contacts, after the name matches, and the country page is offered first.
                Each result shows the number to call, the e-mail and secure channel, and whether it is staffed 24/7.
                """)

        @OptionGroup var data: DataOptions
        @OptionGroup var output: OutputOptions
        @OptionGroup var audit: AuditOptions
        @Argument(help: "Words to find; every word must match.") var query: [String] = []
        @Option(help: "Only this country (ISO alpha-2).") var country: String?
        @Option(help: ArgumentHelp("Only agencies of this kind (and their contacts).", valueName: "kind")) var kind: AgencyKind?
        @Option(name: .customLong("crime-area"), help: ArgumentHelp("Only focal points for this crime area (or for all crime areas).", valueName: "area")) var crimeArea: CrimeArea?
        @Option(help: ArgumentHelp("Only focal points with this function; with --crime-area, in the same role.", valueName: "function")) var function: FocalFunction?
        @Option(name: .customLong("language"), help: ArgumentHelp("Only contacts who speak this language (BCP 47); repeat for any of several.", valueName: "tag"))
        var languages: [String] = []
        @Flag(name: .customLong("24x7"), help: "Only contacts and agencies reachable around the clock.") var only24x7 = false
        @Option(help: "At most this many results.") var limit = 20
        @Flag(help: "Search the intelligence notes held here instead: title, body, and the countries, agencies, contacts and crime areas they concern.")
        var notes = false
        @Option(help: ArgumentHelp("With --notes: source reliability this good or better (A–F).", valueName: "grade")) var reliability: SourceReliability?
        @Option(help: ArgumentHelp("With --notes: information credibility this good or better (1–6).", valueName: "grade"))
        var credibility: InformationCredibility?
        @Option(help: ArgumentHelp("With --notes: only this TLP marking.", valueName: "marking")) var marking: Marking?
        @Option(help: ArgumentHelp("With --notes: information from this day on.", valueName: "YYYY-MM-DD")) var from: String?
        @Option(help: ArgumentHelp("With --notes: information up to this day.", valueName: "YYYY-MM-DD")) var to: String?

        func validate() throws {
            guard (1...1000).contains(limit) else { throw ValidationError("--limit must be 1 to 1000") }
            if notes {
                guard kind == nil, function == nil, languages.isEmpty, !only24x7 else {
                    throw ValidationError("--kind, --function, --language and --24x7 filter contacts, not notes")
                }
                guard !query.isEmpty || country != nil || crimeArea != nil || reliability != nil || credibility != nil || marking != nil
                    || from != nil || to != nil
                else { throw ValidationError("give words to search for, or at least one filter") }
                return
            }
            guard reliability == nil, credibility == nil, marking == nil, from == nil, to == nil else {
                throw ValidationError("--reliability, --credibility, --marking, --from and --to filter notes: add --notes")
            }
            guard !query.isEmpty || country != nil || kind != nil || crimeArea != nil || function != nil || !languages.isEmpty || only24x7 else {
                throw ValidationError("give words to search for, or at least one filter")
            }
        }

        func run() throws {
            try reportingErrors {
                if notes {
                    let directory = try data.open()
                    let found = try directory.searchNotes(NoteQuery(
                        query.joined(separator: " "), country: country, crimeArea: crimeArea, reliability: reliability, credibility: credibility,
                        marking: marking, from: from, to: to, limit: limit))
                    try directory.audit(.noteSearch, actor: Directory.localUser, records: found.map(\.id.lowercasedString), reason: audit.reason)
                    if output.json { return try printJSON(found) }
                    guard !found.isEmpty else { return say("No matching notes.") }
                    printNotes(found, heading: nil)
                    if found.count == limit { say("(the first \(limit) matches; --limit shows more)") }
                    return
                }
                let directory = try data.openForReading()
                let (hits, countries) = try directory.searchNamingCountries(SearchQuery(
                    query.joined(separator: " "), country: country?.uppercased(), kind: kind, crimeArea: crimeArea, function: function,
                    languages: languages.flatMap { $0.split(separator: ";").map(String.init) }, only24x7: only24x7, limit: limit))
                if output.json { return try printJSON(hits) }
                for named in countries {
                    say("\(named.name) (\(named.code)): its country page is `liaison country show \(named.code)`")
                }
                printHits(hits)
                if hits.count == limit { say("(the first \(limit) matches; --limit shows more)") }
            }
        }
    }
}

func printHits(_ hits: [SearchHit]) {
    guard !hits.isEmpty else {
        say("No matches.")
        return
    }
    // The number to call comes right after the name; columns that no hit fills are left out.
    var columns: [(header: String, cell: (SearchHit) -> String)] = [
        ("Id", { short($0.id) }), ("CC", \.country), ("Name", \.name), ("Phone", { $0.phone ?? "" }),
        ("24/7", { $0.is24x7 ? "24/7" : "" }), ("E-mail", { $0.email ?? "" }), ("Secure channel", { $0.secureChannel ?? "" }),
        ("Native name", { $0.nativeName ?? "" }),
        ("Position / unit of", { hit in hit.entity == .person ? hit.position ?? "" : hit.agency.map { "unit of \($0)" } ?? "(agency)" }),
        ("Agency", { hit in hit.entity == .person ? hit.agency ?? "" : "" }),
    ]
    columns.removeAll { column in !["Id", "CC", "Name"].contains(column.header) && hits.allSatisfy { column.cell($0).isEmpty } }
    var table = Table(headers: columns.map(\.header))
    for hit in hits { table.add(columns.map { $0.cell(hit) }) }
    say(table.render(maxWidth: 32))
}

/// Notes as a table: id, day, grading, marking, title.
func printNotes(_ notes: [NoteSummary], heading: String? = "Notes") {
    guard !notes.isEmpty else { return }
    var table = Table("Id", "Refers to", "Grade", "Marking", "Title")
    for note in notes {
        table.add(short(note.id), note.refersTo ?? "", note.status == .draft ? "draft" : note.grading ?? "", note.marking?.rawValue ?? "", note.title)
    }
    let rendered = table.render(maxWidth: 60)
    if let heading {
        say("\n\(heading)\n" + rendered.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
    } else {
        say(rendered)
    }
}
