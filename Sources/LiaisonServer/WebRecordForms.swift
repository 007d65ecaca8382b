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

/// A field of a record form: its name in the form, its label's key, how it reads from the record
/// and writes to it, and whether the form's list of text fields shows it (or the template does,
/// in a control of its own).
struct WebFormField<Record>: Sendable {
    let name: String
    let label: String
    var listed = true
    let read: @Sendable (Record) -> String
    let write: @Sendable (inout Record, String) throws(LiaisonError) -> Void

    init(
        _ name: String, _ label: String, listed: Bool = true, read: @escaping @Sendable (Record) -> String,
        write: @escaping @Sendable (inout Record, String) throws(LiaisonError) -> Void
    ) {
        self.name = name
        self.label = label
        self.listed = listed
        self.read = read
        self.write = write
    }

    /// A text the record keeps as optional: an empty one is none.
    init(_ name: String, _ label: String, listed: Bool = true, _ path: any WritableKeyPath<Record, String?> & Sendable) {
        self.init(name, label, listed: listed, read: { $0[keyPath: path] ?? "" }, write: { record, text in record[keyPath: path] = text.trimmed.nilIfEmpty })
    }
}

/// A form that edits a directory record and its channels, for ``NodeServer``'s edit routes.
protocol WebRecordForm: Sendable {
    associatedtype Record: ReplicatedRecord
    static var template: String { get }
    /// The key of the form's title, which names the record as `{name}`.
    static var editTitle: String { get }
    /// The record's fields that the form edits, in the order it shows them.
    static var fields: [WebFormField<Record>] { get }
    /// The record an id or name picks, with its channels and its name to show.
    static func held(_ reference: String, in directory: Directory) throws(LiaisonError) -> (record: Record, channels: [Channel], name: String)
    static func save(_ record: Record, in tx: DirectoryTransaction) throws
    static func channelOwner(_ record: Record) -> (agencyID: UUID?, personID: UUID?)

    init(_ record: Record?, channels: [Channel])
    init(_ form: WebForm, holding channels: [Channel])
    /// The fields' texts, as the record holds them or as sent, by field name.
    var values: [String: String] { get }
    var comment: String { get }
    var channels: WebChannelLists { get }
    /// The record with the form's fields; the store's validation says what is wrong, field by field.
    func edited(_ record: Record, officer: String, today: String) throws(LiaisonError) -> Record
    func view(_ renderer: WebRenderer, _ language: String, problems: [String: String]) -> [String: Any]
}

extension WebRecordForm {
    /// The fields' texts as `record` holds them; empty for a new record.
    static func values(of record: Record?) -> [String: String] {
        Dictionary(uniqueKeysWithValues: fields.map { ($0.name, record.map($0.read) ?? "") })
    }

    /// The fields' texts as the form sent them.
    static func values(of form: WebForm) -> [String: String] {
        Dictionary(uniqueKeysWithValues: fields.map { ($0.name, form[$0.name]) })
    }

    /// `record` with every field the form edits written from its texts.
    func written(_ record: Record) throws(LiaisonError) -> Record {
        var record = record
        for field in Self.fields { try field.write(&record, values[field.name] ?? "") }
        return record
    }

    /// A record form's view: its listed fields and its channels, each with the problem found in
    /// it, and a problem of any other field at the top. `alsoShown` names the fields the form
    /// shows problems for on its own.
    func formView(_ renderer: WebRenderer, _ language: String, problems: [String: String], alsoShown: Set<String> = []) -> [String: Any] {
        var view: [String: Any] = [
            "fields": Self.fields.filter(\.listed).map { field in
                [
                    "field": field.name, "label": renderer.catalog.text(field.label, language), "value": values[field.name] ?? "",
                    "problem": WebRenderer.shown(problems[field.name]),
                ]
            },
            "channels": channels.view(renderer, language, problems: problems),
            "comment": comment,
        ]
        let known = Set(Self.fields.filter(\.listed).map(\.name) + WebChannelLists.kinds.map(\.rawValue)).union(alsoShown)
        if let other = problems.first(where: { !known.contains($0.key) }) { view["problem"] = other.value }
        return view
    }
}

/// The fields of the contact form, as the record holds them or as sent.
struct WebContactForm: WebRecordForm {
    static let template = "contact-form"
    static let editTitle = "contact_form.edit"
    static let fields: [WebFormField<Person>] = [
        WebFormField("given_name", "contact_form.given_name", \.givenName),
        WebFormField("family_name", "contact_form.family_name", \.familyName),
        WebFormField("native_name", "contact_form.native_name", \.nativeName),
        WebFormField("position", "contact_form.position", \.position),
        WebFormField("rank", "contact_form.rank", \.rank),
        WebFormField(
            "languages", "contact_form.languages", read: { $0.languages.joined(separator: ", ") },
            write: { person, text in person.languages = text.split(whereSeparator: { $0 == "," || $0 == ";" || $0 == " " }).map(String.init) }),
        WebFormField("timezone", "contact_form.timezone", \.timeZone),
    ]

    static func held(_ reference: String, in directory: Directory) throws(LiaisonError) -> (record: Person, channels: [Channel], name: String) {
        let card = try directory.contactCard(try directory.person(matching: reference).id)
        return (card.person, card.channels, card.person.displayName)
    }

    static func save(_ record: Person, in tx: DirectoryTransaction) throws { try tx.save(record) }
    static func channelOwner(_ record: Person) -> (agencyID: UUID?, personID: UUID?) { (nil, record.id) }

    var values: [String: String]
    /// The officer says they checked the details today.
    var verified = false
    var channels: WebChannelLists
    /// Why, for the steward when the edit becomes a proposal.
    var comment = ""

    init(_ person: Person?, channels: [Channel]) {
        values = Self.values(of: person)
        self.channels = WebChannelLists(channels)
    }

    init(_ form: WebForm, holding channels: [Channel]) {
        values = Self.values(of: form)
        verified = !form["verified"].isEmpty
        comment = form["comment"].trimmed
        self.channels = WebChannelLists(form, holding: channels)
    }

    func edited(_ record: Person, officer: String, today: String) throws(LiaisonError) -> Person {
        var person = try written(record)
        if verified {
            person.verifiedBy = officer
            person.verifiedAt = today
        }
        return person
    }

    func view(_ renderer: WebRenderer, _ language: String, problems: [String: String]) -> [String: Any] {
        var view = formView(renderer, language, problems: problems)
        view["verified"] = verified
        return view
    }
}

/// The fields of the agency form, as the record holds them or as sent.
struct WebAgencyForm: WebRecordForm {
    static let template = "agency-form"
    static let editTitle = "agency_form.edit"
    static let fields: [WebFormField<Agency>] = [
        WebFormField("name", "agency_form.name", read: \.name, write: { agency, text in agency.name = text.trimmed }),
        WebFormField("native_name", "agency_form.native_name", \.nativeName),
        WebFormField("acronym", "agency_form.acronym", \.acronym),
        WebFormField("kind", "agency_form.kind", listed: false, read: \.kind.rawValue, write: { (agency, text) throws(LiaisonError) in agency.kind = try AgencyKind.parse(text, field: "kind") }),
        WebFormField("subdivision", "agency_form.subdivision", \.subdivision),
        WebFormField("address", "agency_form.address", listed: false, \.address),
        WebFormField("website", "agency_form.website", \.website),
    ]

    static func held(_ reference: String, in directory: Directory) throws(LiaisonError) -> (record: Agency, channels: [Channel], name: String) {
        let card = try directory.agencyCard(try directory.agency(matching: reference).id)
        return (card.agency, card.channels, card.agency.name)
    }

    static func save(_ record: Agency, in tx: DirectoryTransaction) throws { try tx.save(record) }
    static func channelOwner(_ record: Agency) -> (agencyID: UUID?, personID: UUID?) { (record.id, nil) }

    var values: [String: String]
    var channels: WebChannelLists
    var comment = ""

    init(_ agency: Agency?, channels: [Channel]) {
        values = Self.values(of: agency)
        self.channels = WebChannelLists(channels)
    }

    init(_ form: WebForm, holding channels: [Channel]) {
        values = Self.values(of: form)
        comment = form["comment"].trimmed
        self.channels = WebChannelLists(form, holding: channels)
    }

    func edited(_ record: Agency, officer: String, today: String) throws(LiaisonError) -> Agency { try written(record) }

    func view(_ renderer: WebRenderer, _ language: String, problems: [String: String]) -> [String: Any] {
        var view = formView(renderer, language, problems: problems, alsoShown: ["kind", "address"])
        let kind = values["kind"] ?? ""
        view["kinds"] = AgencyKind.allCases.map { ["value": $0.rawValue, "label": renderer.term("kind", $0.rawValue, language), "selected": $0.rawValue == kind] }
        view["kindProblem"] = problems["kind"]
        view["address"] = values["address"] ?? ""
        view["addressProblem"] = problems["address"]
        return view
    }
}

extension String {
    var nilIfEmpty: String? { isEmpty ? nil : self }
}
