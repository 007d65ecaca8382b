import Foundation
import LiaisonCore

/// A record's phones, mobiles, e-mail addresses and secure mailboxes on a form: one per line, in
/// preference order. A kind whose lines are as the record holds them is left alone, so that its
/// channels keep their labels, hours and 24/7 flag; a kind that changed replaces the record's
/// channels of that kind, as `--phone` does on the command line.
struct WebChannelLists: Sendable {
    static let kinds: [ChannelKind] = [.phone, .mobile, .email, .secureMailbox]

    var lines: [ChannelKind: String] = [:]
    /// The lines as the record held them when the form was made.
    var held: [ChannelKind: String] = [:]

    init(_ channels: [Channel]) {
        for kind in Self.kinds {
            lines[kind] = channels.filter { $0.kind == kind }.sorted { $0.preference < $1.preference }.map(\.writtenForm).joined(separator: "\n")
        }
        held = lines
    }

    init(_ form: WebForm, holding channels: [Channel]) {
        held = WebChannelLists(channels).lines
        for kind in Self.kinds { lines[kind] = form[kind.rawValue] }
    }

    static func values(_ text: String) -> [String] {
        text.split(whereSeparator: \.isNewline).map(\.trimmed).filter { !$0.isEmpty }
    }

    /// Writes the kinds that changed.
    func save(in tx: DirectoryTransaction, agencyID: UUID?, personID: UUID?) throws {
        for kind in Self.kinds {
            let wanted = Self.values(lines[kind] ?? "")
            guard wanted != Self.values(held[kind] ?? "") else { continue }
            let channels = try Channel.written(wanted, kind: kind, agencyID: agencyID, personID: personID)
            try tx.replaceChannels(channels, kind: kind, is24x7: nil, agencyID: agencyID, personID: personID)
        }
    }

    /// The form's view of the lists, with each kind's label and problem.
    func view(_ renderer: WebRenderer, _ language: String, problems: [String: String]) -> [[String: Any]] {
        Self.kinds.map { kind in
            [
                "field": kind.rawValue, "label": renderer.term("channel", kind.rawValue, language), "lines": lines[kind] ?? "",
                "problem": WebRenderer.shown(problems[kind.rawValue]),
            ]
        }
    }
}

/// A form that edits a directory record and its channels, for ``NodeServer``'s edit routes.
protocol WebRecordForm: Sendable {
    associatedtype Record: ReplicatedRecord
    static var template: String { get }
    /// The key of the form's title, which names the record as `{name}`.
    static var editTitle: String { get }
    /// The record an id or name picks, with its channels and its name to show.
    static func held(_ reference: String, in directory: Directory) throws(LiaisonError) -> (record: Record, channels: [Channel], name: String)
    static func save(_ record: Record, in tx: DirectoryTransaction) throws
    static func channelOwner(_ record: Record) -> (agencyID: UUID?, personID: UUID?)

    init(_ record: Record?, channels: [Channel])
    init(_ form: WebForm, holding channels: [Channel])
    var comment: String { get }
    var channels: WebChannelLists { get }
    /// The record with the form's fields; the store's validation says what is wrong, field by field.
    func edited(_ record: Record, officer: String, today: String) throws(LiaisonError) -> Record
    func view(_ renderer: WebRenderer, _ language: String, problems: [String: String]) -> [String: Any]
}

extension WebRecordForm {
    /// A record form's view: its text fields (name, label key, value), its channels, each with
    /// the problem found in it, and a problem of any other field at the top. `alsoShown` names
    /// the fields the form shows problems for on its own.
    static func formView(
        fields: [(String, String, String)], channels: WebChannelLists, _ renderer: WebRenderer, _ language: String, problems: [String: String],
        alsoShown: Set<String> = []
    ) -> [String: Any] {
        var view: [String: Any] = [
            "fields": fields.map { field, label, value in
                ["field": field, "label": renderer.catalog.text(label, language), "value": value, "problem": WebRenderer.shown(problems[field])]
            },
            "channels": channels.view(renderer, language, problems: problems),
        ]
        let known = Set(fields.map(\.0) + WebChannelLists.kinds.map(\.rawValue)).union(alsoShown)
        if let other = problems.first(where: { !known.contains($0.key) }) { view["problem"] = other.value }
        return view
    }
}

/// The fields of the contact form, as the record holds them or as sent.
struct WebContactForm: WebRecordForm {
    static let template = "contact-form"
    static let editTitle = "contact_form.edit"

    static func held(_ reference: String, in directory: Directory) throws(LiaisonError) -> (record: Person, channels: [Channel], name: String) {
        let card = try directory.contactCard(try directory.person(matching: reference).id)
        return (card.person, card.channels, card.person.displayName)
    }

    static func save(_ record: Person, in tx: DirectoryTransaction) throws { try tx.save(record) }
    static func channelOwner(_ record: Person) -> (agencyID: UUID?, personID: UUID?) { (nil, record.id) }
    var givenName = ""
    var familyName = ""
    var nativeName = ""
    var position = ""
    var rank = ""
    var languages = ""
    var timeZone = ""
    /// The officer says they checked the details today.
    var verified = false
    var channels: WebChannelLists
    /// Why, for the steward when the edit becomes a proposal.
    var comment = ""

    init(_ person: Person?, channels: [Channel]) {
        givenName = person?.givenName ?? ""
        familyName = person?.familyName ?? ""
        nativeName = person?.nativeName ?? ""
        position = person?.position ?? ""
        rank = person?.rank ?? ""
        languages = person?.languages.joined(separator: ", ") ?? ""
        timeZone = person?.timeZone ?? ""
        self.channels = WebChannelLists(channels)
    }

    init(_ form: WebForm, holding channels: [Channel]) {
        givenName = form["given_name"]
        familyName = form["family_name"]
        nativeName = form["native_name"]
        position = form["position"]
        rank = form["rank"]
        languages = form["languages"]
        timeZone = form["timezone"]
        verified = !form["verified"].isEmpty
        comment = form["comment"].trimmed
        self.channels = WebChannelLists(form, holding: channels)
    }

    func edited(_ record: Person, officer: String, today: String) -> Person {
        var person = record
        person.givenName = givenName.trimmed.nilIfEmpty
        person.familyName = familyName.trimmed.nilIfEmpty
        person.nativeName = nativeName.trimmed.nilIfEmpty
        person.position = position.trimmed.nilIfEmpty
        person.rank = rank.trimmed.nilIfEmpty
        person.languages = languages.split(whereSeparator: { $0 == "," || $0 == ";" || $0 == " " }).map(String.init)
        person.timeZone = timeZone.trimmed.nilIfEmpty
        if verified {
            person.verifiedBy = officer
            person.verifiedAt = today
        }
        return person
    }

    func view(_ renderer: WebRenderer, _ language: String, problems: [String: String]) -> [String: Any] {
        var view = Self.formView(
            fields: [
                ("given_name", "contact_form.given_name", givenName), ("family_name", "contact_form.family_name", familyName),
                ("native_name", "contact_form.native_name", nativeName), ("position", "contact_form.position", position),
                ("rank", "contact_form.rank", rank), ("languages", "contact_form.languages", languages),
                ("timezone", "contact_form.timezone", timeZone),
            ], channels: channels, renderer, language, problems: problems)
        view["verified"] = verified
        view["comment"] = comment
        return view
    }
}

/// The fields of the agency form, as the record holds them or as sent.
struct WebAgencyForm: WebRecordForm {
    static let template = "agency-form"
    static let editTitle = "agency_form.edit"

    static func held(_ reference: String, in directory: Directory) throws(LiaisonError) -> (record: Agency, channels: [Channel], name: String) {
        let card = try directory.agencyCard(try directory.agency(matching: reference).id)
        return (card.agency, card.channels, card.agency.name)
    }

    static func save(_ record: Agency, in tx: DirectoryTransaction) throws { try tx.save(record) }
    static func channelOwner(_ record: Agency) -> (agencyID: UUID?, personID: UUID?) { (record.id, nil) }

    var name = ""
    var nativeName = ""
    var acronym = ""
    var kind = ""
    var subdivision = ""
    var address = ""
    var website = ""
    var channels: WebChannelLists
    var comment = ""

    init(_ agency: Agency?, channels: [Channel]) {
        name = agency?.name ?? ""
        nativeName = agency?.nativeName ?? ""
        acronym = agency?.acronym ?? ""
        kind = agency?.kind.rawValue ?? ""
        subdivision = agency?.subdivision ?? ""
        address = agency?.address ?? ""
        website = agency?.website ?? ""
        self.channels = WebChannelLists(channels)
    }

    init(_ form: WebForm, holding channels: [Channel]) {
        name = form["name"]
        nativeName = form["native_name"]
        acronym = form["acronym"]
        kind = form["kind"]
        subdivision = form["subdivision"]
        address = form["address"]
        website = form["website"]
        comment = form["comment"].trimmed
        self.channels = WebChannelLists(form, holding: channels)
    }

    func edited(_ record: Agency, officer: String, today: String) throws(LiaisonError) -> Agency {
        var agency = record
        agency.name = name.trimmed
        agency.nativeName = nativeName.trimmed.nilIfEmpty
        agency.acronym = acronym.trimmed.nilIfEmpty
        agency.kind = try AgencyKind.parse(kind, field: "kind")
        agency.subdivision = subdivision.trimmed.nilIfEmpty
        agency.address = address.trimmed.nilIfEmpty
        agency.website = website.trimmed.nilIfEmpty
        return agency
    }

    func view(_ renderer: WebRenderer, _ language: String, problems: [String: String]) -> [String: Any] {
        var view = Self.formView(
            fields: [
                ("name", "agency_form.name", name), ("native_name", "agency_form.native_name", nativeName), ("acronym", "agency_form.acronym", acronym),
                ("subdivision", "agency_form.subdivision", subdivision), ("website", "agency_form.website", website),
            ], channels: channels, renderer, language, problems: problems, alsoShown: ["kind", "address"])
        view["kinds"] = AgencyKind.allCases.map { ["value": $0.rawValue, "label": renderer.term("kind", $0.rawValue, language), "selected": $0.rawValue == kind] }
        view["kindProblem"] = problems["kind"]
        view["address"] = address
        view["addressProblem"] = problems["address"]
        view["comment"] = comment
        return view
    }
}

extension String {
    var nilIfEmpty: String? { isEmpty ? nil : self }
}
