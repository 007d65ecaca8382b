import Foundation

extension ExportSnapshot {
    /// One row per contact, or per agency or unit with channels, roles or no contacts, with every
    /// field in the columns of ``CSVFormat``.
    ///
    /// A row's `is_24x7`, `hours` and `marking` hold for all its channels, and `valid_from`,
    /// `valid_to` and `legal_basis` for all its roles, whose crime areas × functions make one grid;
    /// a record whose channels or roles differ in these takes more rows, and import joins them again.
    /// Each kind's channels come in order of preference across the rows, so that import, which
    /// numbers a new channel after those its owner has, gives them the same preferences.
    func csv() -> Data {
        let byID = agenciesByID
        var rows: [[String]] = []
        func base(_ holder: Agency) -> [String: String] {
            let top = holder.parentID.flatMap { byID[$0] }
            return [
                "country": holder.country, "agency": top?.name ?? holder.name, "agency_kind": holder.kind.rawValue,
                "unit": top == nil ? "" : holder.name, "agency_native_name": holder.nativeName ?? "",
                "agency_acronym": holder.acronym ?? "", "agency_subdivision": holder.subdivision ?? "",
                "agency_address": holder.address ?? "", "agency_website": holder.website ?? "",
            ]
        }
        func emit(_ fields: [String: String], channels: [Channel], designations: [Designation]) {
            let channelRows = Self.channelRows(channels)
            let roleRows = Self.roleRows(designations)
            for index in 0..<max(channelRows.count, roleRows.count, 1) {
                var row = fields
                if index < channelRows.count {
                    let group = channelRows[index]
                    for (kind, column) in CSVFormat.channelColumns {
                        row[column] = group.channels.filter { $0.kind == kind }.map(CSVFormat.item).joined(separator: ";")
                    }
                    row["is_24x7"] = group.key.is24x7 ? "true" : "false"
                    row["hours"] = group.key.hours ?? ""
                    row["marking"] = group.key.marking?.rawValue ?? ""
                } else {
                    row["is_24x7"] = "false"
                }
                if index < roleRows.count {
                    let roles = roleRows[index]
                    row["crime_areas"] = roles.areas.map(\.rawValue).joined(separator: ";")
                    row["functions"] = roles.functions.map(\.rawValue).joined(separator: ";")
                    row["valid_from"] = roles.terms.validFrom ?? ""
                    row["valid_to"] = roles.terms.validTo ?? ""
                    row["legal_basis"] = roles.terms.legalBasis ?? ""
                }
                rows.append(CSVFormat.columns.map { row[$0] ?? "" })
            }
        }
        let personsByAgency = Dictionary(grouping: persons, by: \.agencyID)
        for agency in agencies.sorted(by: { ($0.country, $0.parentID == nil ? 0 : 1, $0.name) < ($1.country, $1.parentID == nil ? 0 : 1, $1.name) }) {
            let ownChannels = channels[agency.id] ?? []
            let ownDesignations = designations[agency.id] ?? []
            if !ownChannels.isEmpty || !ownDesignations.isEmpty || personsByAgency[agency.id] == nil {
                emit(base(agency), channels: ownChannels, designations: ownDesignations)
            }
            for person in personsByAgency[agency.id] ?? [] {
                var fields = base(agency)
                fields["given_name"] = person.givenName ?? ""
                fields["family_name"] = person.familyName ?? ""
                fields["native_name"] = person.nativeName ?? ""
                fields["position"] = person.position ?? ""
                fields["rank"] = person.rank ?? ""
                fields["languages"] = person.languages.joined(separator: ";")
                fields["timezone"] = person.timeZone ?? ""
                fields["verified_at"] = person.verifiedAt ?? ""
                fields["verified_by"] = person.verifiedBy ?? ""
                emit(fields, channels: channels[person.id] ?? [], designations: designations[person.id] ?? [])
            }
        }
        let lines = [CSVText.line(CSVFormat.columns)] + rows.map { CSVText.line($0.map(CSVFormat.escapeFormula)) }
        return Data(lines.map { $0 + "\r\n" }.joined().utf8)
    }

    /// What a row says about all its channels. A marking is left out (nil) when it is the kind's
    /// default, which import gives a channel without one, so that phones and secure mailboxes of
    /// their usual markings share a row.
    struct ChannelRowKey: Hashable {
        var is24x7: Bool
        var hours: String?
        var marking: Marking?

        init(_ channel: Channel) {
            is24x7 = channel.is24x7
            hours = channel.hours
            marking = channel.marking == Channel.defaultMarking(channel.kind) ? nil : channel.marking
        }
    }

    /// Channels shared out into rows of one ``ChannelRowKey`` each, as few as it can: each kind's
    /// channels in order of preference, never in a row before that of the kind's previous one, and
    /// at most one postal address a row (a `post` cell holds one, as an address may contain `;`).
    static func channelRows(_ channels: [Channel]) -> [(key: ChannelRowKey, channels: [Channel])] {
        var rows: [(key: ChannelRowKey, channels: [Channel])] = []
        for kind in ChannelKind.allCases {
            var earliest = 0
            for channel in channels.filter({ $0.kind == kind }).sorted(by: { ($0.preference, $0.value) < ($1.preference, $1.value) }) {
                let key = ChannelRowKey(channel)
                let fits = rows.indices.first { index in
                    index >= earliest && rows[index].key == key && !(kind == .post && rows[index].channels.contains { $0.kind == .post })
                }
                let index = fits ?? rows.count
                if fits == nil { rows.append((key, [])) }
                rows[index].channels.append(channel)
                earliest = index
            }
        }
        return rows
    }

    /// Designations shared out into rows: those of the same dates and legal basis, split into
    /// crime-area × function grids.
    static func roleRows(_ designations: [Designation]) -> [(areas: [CrimeArea], functions: [FocalFunction], terms: ImportSession.RoleTerms)] {
        let byTerms = Dictionary(grouping: designations) { [$0.validFrom ?? "", $0.validTo ?? "", $0.legalBasis ?? ""] }
        return byTerms.keys.sorted { $0.joined(separator: "\u{0}") < $1.joined(separator: "\u{0}") }.flatMap { key in
            let first = byTerms[key]?.first
            let terms = ImportSession.RoleTerms(validFrom: first?.validFrom, validTo: first?.validTo, legalBasis: first?.legalBasis)
            return grids(byTerms[key] ?? []).map { ($0.areas, $0.functions, terms) }
        }
    }

    /// Splits designations into crime-area × function grids: areas that share the same functions.
    static func grids(_ designations: [Designation]) -> [(areas: [CrimeArea], functions: [FocalFunction])] {
        var functionsByArea: [CrimeArea?: [FocalFunction]] = [:]
        for designation in designations { functionsByArea[designation.crimeArea, default: []].append(designation.function) }
        var grids: [(areas: [CrimeArea], functions: [FocalFunction])] = []
        if let general = functionsByArea.removeValue(forKey: nil) {
            grids.append(([], general.sorted { $0.rawValue < $1.rawValue }))
        }
        var byFunctions: [[FocalFunction]: [CrimeArea]] = [:]
        for (area, functions) in functionsByArea {
            if let area { byFunctions[functions.sorted { $0.rawValue < $1.rawValue }, default: []].append(area) }
        }
        for (functions, areas) in byFunctions.sorted(by: { $0.key.map(\.rawValue).joined() < $1.key.map(\.rawValue).joined() }) {
            grids.append((areas.sorted { $0.rawValue < $1.rawValue }, functions))
        }
        return grids
    }
}
