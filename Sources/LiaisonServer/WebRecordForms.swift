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
            lines[kind] = channels.filter { $0.kind == kind }.sorted { $0.preference < $1.preference }.map(Self.line).joined(separator: "\n")
        }
        held = lines
    }

    init(_ form: WebForm, holding channels: [Channel]) {
        held = WebChannelLists(channels).lines
        for kind in Self.kinds { lines[kind] = form[kind.rawValue] }
    }

    /// How a channel is written on the form: a secure mailbox as `SYSTEM: ADDRESS`.
    static func line(_ channel: Channel) -> String {
        guard channel.kind == .secureMailbox, let system = channel.label, !system.isEmpty else { return channel.value }
        return "\(system): \(channel.value)"
    }

    static func values(_ text: String) -> [String] {
        text.split(whereSeparator: \.isNewline).map(\.trimmed).filter { !$0.isEmpty }
    }

    /// Writes the kinds that changed.
    func save(in tx: DirectoryTransaction, agencyID: UUID?, personID: UUID?) throws {
        for kind in Self.kinds {
            let wanted = Self.values(lines[kind] ?? "")
            guard wanted != Self.values(held[kind] ?? "") else { continue }
            var channels: [Channel] = []
            for (index, value) in wanted.enumerated() {
                channels.append(
                    kind == .secureMailbox
                        ? try SecureMailbox(parsing: value).channel(agencyID: agencyID, personID: personID, preference: index + 1)
                        : Channel(agencyID: agencyID, personID: personID, kind: kind, value: value, preference: index + 1))
            }
            try tx.replaceChannels(channels, kind: kind, is24x7: nil, agencyID: agencyID, personID: personID)
        }
    }

    /// The form's view of the lists, with each kind's label and problem.
    func view(_ renderer: WebRenderer, _ language: String, problems: [String: String]) -> [[String: Any]] {
        Self.kinds.map { kind in
            [
                "field": kind.rawValue, "label": renderer.term("channel", kind.rawValue, language), "lines": lines[kind] ?? "",
                "held": held[kind] ?? "", "problem": problems[kind.rawValue] as Any,
            ]
        }
    }
}

/// The fields of the contact form, as the record holds them or as sent.
struct WebContactForm: Sendable {
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

    /// The person with the form's fields; the store's validation says what is wrong, field by field.
    func apply(to person: inout Person, officer: String, today: String) {
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
    }

    func view(_ renderer: WebRenderer, _ language: String, problems: [String: String]) -> [String: Any] {
        var view: [String: Any] = [
            "fields": [
                ("given_name", "contact_form.given_name", givenName), ("family_name", "contact_form.family_name", familyName),
                ("native_name", "contact_form.native_name", nativeName), ("position", "contact_form.position", position),
                ("rank", "contact_form.rank", rank), ("languages", "contact_form.languages", languages),
                ("timezone", "contact_form.timezone", timeZone),
            ].map { field, label, value in
                ["field": field, "label": renderer.catalog.text(label, language), "value": value, "problem": problems[field] as Any]
            },
            "channels": channels.view(renderer, language, problems: problems),
            "verified": verified, "comment": comment,
        ]
        let known = Set(["given_name", "family_name", "native_name", "position", "rank", "languages", "timezone"] + WebChannelLists.kinds.map(\.rawValue))
        if let other = problems.first(where: { !known.contains($0.key) }) { view["problem"] = other.value }
        return view
    }
}

/// The fields of the agency form, as the record holds them or as sent.
struct WebAgencyForm: Sendable {
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

    func apply(to agency: inout Agency) throws(LiaisonError) {
        agency.name = name.trimmed
        agency.nativeName = nativeName.trimmed.nilIfEmpty
        agency.acronym = acronym.trimmed.nilIfEmpty
        agency.kind = try AgencyKind.parse(kind, field: "kind")
        agency.subdivision = subdivision.trimmed.nilIfEmpty
        agency.address = address.trimmed.nilIfEmpty
        agency.website = website.trimmed.nilIfEmpty
    }

    func view(_ renderer: WebRenderer, _ language: String, problems: [String: String]) -> [String: Any] {
        var view: [String: Any] = [
            "fields": [
                ("name", "agency_form.name", name), ("native_name", "agency_form.native_name", nativeName), ("acronym", "agency_form.acronym", acronym),
                ("subdivision", "agency_form.subdivision", subdivision), ("website", "agency_form.website", website),
            ].map { field, label, value in
                ["field": field, "label": renderer.catalog.text(label, language), "value": value, "problem": problems[field] as Any]
            },
            "kinds": AgencyKind.allCases.map { ["value": $0.rawValue, "label": renderer.term("kind", $0.rawValue, language), "selected": $0.rawValue == kind] },
            "kindProblem": problems["kind"] as Any,
            "address": address, "addressProblem": problems["address"] as Any,
            "channels": channels.view(renderer, language, problems: problems),
            "comment": comment,
        ]
        let known = Set(["name", "native_name", "acronym", "kind", "subdivision", "address", "website"] + WebChannelLists.kinds.map(\.rawValue))
        if let other = problems.first(where: { !known.contains($0.key) }) { view["problem"] = other.value }
        return view
    }
}

extension String {
    var nilIfEmpty: String? { isEmpty ? nil : self }
}
