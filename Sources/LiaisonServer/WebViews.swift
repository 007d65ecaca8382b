import Foundation
import Hummingbird
import LiaisonCore

/// The search form's fields, as the page's query string carries them: the CLI's filters.
struct WebSearch: Sendable {
    var text: String
    var country: String
    var kind: AgencyKind?
    var crimeArea: CrimeArea?
    var function: FocalFunction?
    var speaks: String
    var only24x7: Bool

    init(_ parameters: Parameters) throws(LiaisonError) {
        func value(_ name: String) -> String { parameters[Substring(name)].map { String($0).trimmed } ?? "" }
        text = String(value("q").prefix(200))
        country = String(value("country").prefix(2)).uppercased()
        speaks = String(value("speaks").prefix(8)).lowercased()
        only24x7 = !value("only24x7").isEmpty
        kind = value("kind").isEmpty ? nil : try AgencyKind.parse(value("kind"))
        crimeArea = value("crime").isEmpty ? nil : try CrimeArea.parse(value("crime"))
        function = value("function").isEmpty ? nil : try FocalFunction.parse(value("function"))
    }

    /// Nothing typed and nothing chosen: the page shows the form alone.
    var isEmpty: Bool { text.isEmpty && country.isEmpty && kind == nil && crimeArea == nil && function == nil && speaks.isEmpty && !only24x7 }

    var hasFilters: Bool { !country.isEmpty || kind != nil || crimeArea != nil || function != nil || !speaks.isEmpty || only24x7 }

    /// What a search found, with the names of the hits' countries.
    struct Found: Sendable {
        var hits: [SearchHit] = []
        var countries: [Country] = []
        var countryNames: [String: String] = [:]
    }

    /// Runs the search, unless nothing was asked.
    func run(in directory: Directory) throws(LiaisonError) -> Found {
        guard !isEmpty else { return Found() }
        let (hits, countries) = try directory.searchNamingCountries(query)
        var names: [String: String] = [:]
        for code in Set(hits.map(\.country)) { names[code] = try? directory.country(code).name }
        return Found(hits: hits, countries: countries, countryNames: names)
    }

    var query: SearchQuery {
        SearchQuery(
            text, country: country.isEmpty ? nil : country, kind: kind, crimeArea: crimeArea, function: function,
            languages: speaks.isEmpty ? [] : [speaks], only24x7: only24x7, limit: 30)
    }
}

/// Turns what the library returns into what the templates show, in the officer's language: names
/// as written with their Latin spelling beside them, vocabulary terms translated, numbers to call
/// as `tel:` links.
struct WebViews: Sendable {
    let renderer: WebRenderer
    var catalog: WebCatalog { renderer.catalog }

    func search(_ search: WebSearch, _ language: String) -> [String: Any] {
        func options<Term: RawRepresentable & CaseIterable>(_ terms: Term.AllCases, _ prefix: String, selected: Term?) -> [[String: Any]]
        where Term.RawValue == String, Term: Equatable {
            terms.map { ["value": $0.rawValue, "label": renderer.term(prefix, $0.rawValue, language), "selected": $0 == selected] }
        }
        return [
            "query": search.text, "country": search.country, "speaks": search.speaks, "only24x7": search.only24x7, "filtersOpen": search.hasFilters,
            "kinds": options(AgencyKind.allCases, "kind", selected: search.kind),
            "crimes": options(CrimeArea.allCases, "crime", selected: search.crimeArea),
            "functions": options(FocalFunction.allCases, "function", selected: search.function),
        ]
    }

    func results(_ search: WebSearch, _ found: WebSearch.Found, _ language: String) -> [String: Any] {
        let (hits, countries) = (found.hits, found.countries)
        let shown: [[String: Any]] = hits.map { hit in
            var row = names(hit.name, native: hit.nativeName)
            row["href"] = hit.entity == .person ? "/contacts/\(hit.id.lowercasedString)" : "/agencies/\(hit.id.lowercasedString)"
            row["position"] = hit.position
            row["agency"] = hit.agency
            row["country"] = found.countryNames[hit.country] ?? hit.country
            row["is24x7"] = hit.is24x7
            if let phone = hit.phone {
                row["phone"] = phone
                // Isolated left to right, so that a right-to-left page does not turn "+373…" around.
                row["call"] = catalog.text("result.call", language, ["number": "\u{2066}\(phone)\u{2069}"])
            }
            row["email"] = hit.email
            row["secure"] = hit.secureChannel.map { catalog.text("result.secure", language, ["channel": $0]) }
            return row
        }
        return [
            "hits": shown, "nothing": !search.isEmpty && hits.isEmpty, "hasCountries": !countries.isEmpty,
            "countries": countries.map { ["code": $0.code, "name": $0.name] },
            "counted": search.isEmpty || hits.isEmpty
                ? false
                : hits.count == 1 ? catalog.text("search.result_one", language) : catalog.text("search.results", language, ["count": number(hits.count, language)]),
        ]
    }

    func country(_ page: CountryPage, _ language: String) -> [String: Any] {
        let grouped = Dictionary(grouping: page.focalPoints) { $0.crimeArea?.rawValue ?? "" }
        let groups: [[String: Any]] = grouped.keys.sorted().map { area in
            // A large country lists a few per crime area, then links to the search for the rest,
            // so that its page stays light on a slow link.
            let points = grouped[area] ?? []
            var group: [String: Any] = [
                "area": area.isEmpty ? catalog.text("country.focal_points", language) : renderer.term("crime", area, language),
                "points": points.prefix(Self.shownPerGroup).map { point -> [String: Any] in
                    var row: [String: Any] = [
                        "function": renderer.term("function", point.function.rawValue, language), "holder": point.holder,
                    ]
                    if !point.agency.isEmpty { row["agency"] = point.agency }
                    if let channel = point.channel { row["channel"] = reach(channel) }
                    return row
                },
            ]
            if points.count > Self.shownPerGroup {
                group["more"] = catalog.text("country.more", language, ["count": number(points.count, language)])
                group["moreHref"] = "/search?country=\(page.country.code)" + (area.isEmpty ? "" : "&crime=\(area)")
            }
            return group
        }
        let roundTheClock = roundTheClock(page.contacts24x7)
        let zones = page.timeZones.compactMap(TimeZone.init(identifier:))
        return [
            "name": page.country.name, "code": page.country.code,
            // A country that spans several zones shows the three its records use most.
            "localTimes": zones.prefix(3).map { zone in
                catalog.text("country.local_time", language, ["time": clock(Date(), in: zone, language), "zone": zone.identifier])
            },
            "empty": page.agencies.isEmpty && page.contacts24x7.isEmpty && page.focalPoints.isEmpty,
            "hasContacts24x7": !page.contacts24x7.isEmpty,
            "contacts24x7": Array(roundTheClock.prefix(Self.shownPerGroup * 2)),
            // False rather than empty: Mustache shows a section for an empty text.
            "more24x7": roundTheClock.count > Self.shownPerGroup * 2
                ? catalog.text("country.more", language, ["count": number(roundTheClock.count, language)]) as Any : false,
            "more24x7Href": "/search?country=\(page.country.code)&only24x7=1",
            "hasFocalPoints": !groups.isEmpty, "focalGroups": groups,
            "hasAgencies": !page.agencies.isEmpty,
            "agencies": page.agencies.map { entry -> [String: Any] in
                var row = names(entry.agency.name, native: entry.agency.nativeName)
                row["id"] = entry.agency.id.lowercasedString
                row["kind"] = renderer.term("kind", entry.agency.kind.rawValue, language)
                row["contacts"] = catalog.text("country.contact_count", language, ["count": number(entry.contactCount, language)])
                row["openNow"] = openNow(entry.hours, zone: zones.first, language)
                row["hasUnits"] = !entry.units.isEmpty
                row["units"] = entry.units.map { ["id": $0.id.lowercasedString, "name": $0.nativeName ?? $0.name] }
                return row
            },
            "hasNotes": !page.notes.isEmpty, "notes": page.notes.map(note),
        ]
    }

    /// The 24/7 contacts, one line per holder with all its channels, in the page's order.
    private func roundTheClock(_ entries: [CountryPage.Contact24x7]) -> [[String: Any]] {
        var order: [String] = [], channels: [String: [[String: Any]]] = [:], holders: [String: (String, String)] = [:]
        for entry in entries {
            let key = entry.holder + "\u{1F}" + entry.agency
            if channels[key] == nil {
                order.append(key)
                holders[key] = (entry.holder, entry.agency)
            }
            channels[key, default: []].append(reach(entry.channel))
        }
        return order.map { key in
            var channels = channels[key] ?? []
            if !channels.isEmpty { channels[channels.count - 1]["last"] = true }
            let (holder, agency) = holders[key] ?? ("", "")
            var row: [String: Any] = ["holder": holder, "channels": channels]
            if !agency.isEmpty { row["agency"] = agency }
            return row
        }
    }

    /// Focal points shown per crime area on a country's page (twice as many 24/7 contacts).
    static let shownPerGroup = 12

    func agency(_ card: AgencyCard, country: Country, _ language: String) -> [String: Any] {
        var view = names(card.agency.name, native: card.agency.nativeName)
        view["id"] = card.agency.id.lowercasedString
        view["kind"] = renderer.term("kind", card.agency.kind.rawValue, language)
        view["countryCode"] = country.code
        view["country"] = country.name
        view["parent"] = card.parent.map { $0.nativeName ?? $0.name }
        view["parentID"] = card.parent?.id.lowercasedString
        view["website"] = card.agency.website.flatMap { $0.hasPrefix("https://") || $0.hasPrefix("http://") ? $0 : nil }
        view["address"] = card.agency.address
        view["hasChannels"] = !card.channels.isEmpty
        // Hours that name no zone are read in the zone of the agency's contacts.
        let zone = card.contacts.lazy.compactMap { $0.timeZone.flatMap(TimeZone.init(identifier:)) }.first
        view["channels"] = card.channels.map { channel(language, $0, zone: zone) }
        view["hasUnits"] = !card.units.isEmpty
        view["units"] = card.units.map { ["id": $0.id.lowercasedString, "name": $0.nativeName ?? $0.name] }
        view["hasContacts"] = !card.contacts.isEmpty
        view["contacts"] = card.contacts.map { person -> [String: Any] in
            var row = names(person.displayName, native: person.nativeName)
            row["id"] = person.id.lowercasedString
            row["position"] = person.position
            return row
        }
        view["hasNotes"] = !card.notes.isEmpty
        view["notes"] = card.notes.map(note)
        return view
    }

    func contact(_ card: ContactCard, country: Country, _ language: String) -> [String: Any] {
        var view = names(card.person.displayName, native: card.person.nativeName)
        view["id"] = card.person.id.lowercasedString
        view["position"] = card.person.position
        view["agency"] = card.agency.nativeName ?? card.agency.name
        view["agencyID"] = card.agency.id.lowercasedString
        view["countryCode"] = country.code
        view["country"] = country.name
        view["languages"] = card.person.languages.isEmpty ? nil : card.person.languages.map { languageName($0, in: language) }.joined(separator: ", ")
        view["verified"] = card.person.verifiedAt.map { catalog.text("contact.verified", language, ["date": day($0, language)]) }
            ?? catalog.text("contact.never_verified", language)
        view["channels"] = card.channels.map { channel(language, $0, zone: card.person.timeZone.flatMap(TimeZone.init(identifier:))) }
        view["hasDesignations"] = !card.designations.isEmpty
        view["designations"] = card.designations.map { designation -> [String: String] in
            let function = renderer.term("function", designation.function.rawValue, language)
            return ["text": designation.crimeArea.map { "\(function) · \(renderer.term("crime", $0.rawValue, language))" } ?? function]
        }
        view["hasNotes"] = !card.notes.isEmpty
        view["notes"] = card.notes.map(note)
        return view
    }

    /// A name as written, and its Latin spelling beside it when the record has both.
    private func names(_ latin: String, native: String?) -> [String: Any] {
        guard let native, !native.isEmpty, native != latin else { return ["name": latin] }
        return ["name": native, "latin": latin]
    }

    private func channel(_ language: String, _ channel: Channel, zone: TimeZone?) -> [String: Any] {
        var row = reach(channel)
        row["kind"] = renderer.term("channel", channel.kind.rawValue, language)
        row["is24x7"] = channel.is24x7
        row["label"] = channel.label
        row["hours"] = channel.hours.map { catalog.text("contact.hours", language, ["hours": $0]) }
        row["openNow"] = openNow(channel.hours.map { [$0] } ?? [], zone: zone, language)
        return row
    }

    /// "open now" or "closed now" by the first of `hours` that can be read, in its own zone or
    /// else `zone`; nil when none can.
    private func openNow(_ hours: [String], zone: TimeZone?, _ language: String) -> [String: Any]? {
        for text in hours {
            guard let open = OpeningHours(text)?.isOpen(at: Date(), zone: zone) else { continue }
            return ["open": open, "text": catalog.text(open ? "hours.open" : "hours.closed", language)]
        }
        return nil
    }

    /// The weekday and time at `date` in `zone`, as the officer's language writes them.
    func clock(_ date: Date, in zone: TimeZone, _ language: String) -> String {
        var style = Date.FormatStyle(locale: Locale(identifier: language)).weekday(.wide).hour().minute()
        style.timeZone = zone
        return date.formatted(style)
    }

    /// A channel's value, with the link that calls or writes to it.
    private func reach(_ channel: Channel) -> [String: Any] {
        var row: [String: Any] = ["value": channel.value]
        switch channel.kind {
        case .phone, .mobile: row["href"] = "tel:\(channel.value)"
        case .email: row["href"] = "mailto:\(channel.value)"
        default: break
        }
        return row
    }

    private func note(_ note: NoteSummary) -> [String: Any] {
        ["title": note.title, "marking": note.marking?.rawValue ?? "", "markingClass": note.marking.map(WebNoteViews.markingClass) ?? ""]
    }

    /// A count in the officer's language's digits and grouping.
    func number(_ value: Int, _ language: String) -> String {
        value.formatted(.number.locale(Locale(identifier: language)))
    }

    /// A day (`YYYY-MM-DD`, or a timestamp that starts with one) as the officer's language writes it.
    func day(_ text: String, _ language: String) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? .current
        let parts = text.prefix(10).split(separator: "-").compactMap { Int($0) }
        guard parts.count == 3, let date = calendar.date(from: DateComponents(year: parts[0], month: parts[1], day: parts[2])) else { return String(text.prefix(10)) }
        var style = Date.FormatStyle(date: .long, time: .omitted, locale: Locale(identifier: language), calendar: calendar)
        style.timeZone = calendar.timeZone
        return date.formatted(style)
    }

    private func languageName(_ code: String, in language: String) -> String {
        Locale(identifier: language).localizedString(forLanguageCode: code) ?? code
    }
}
