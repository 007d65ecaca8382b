import Foundation

extension ImportSession {
    /// The `agency_` cells of a CSV row besides `agency_kind`: fields of the row's agency, or of
    /// its unit when the row has one. An empty cell leaves the field as it is.
    struct AgencyDetails: Sendable {
        var nativeName: String?
        var acronym: String?
        var subdivision: String?
        var address: String?
        var website: String?

        init() {}

        init(cells: [String: String]) {
            nativeName = clean(cells["agency_native_name"])
            acronym = clean(cells["agency_acronym"])
            subdivision = clean(cells["agency_subdivision"])
            address = clean(cells["agency_address"])
            website = clean(cells["agency_website"])
        }

        /// The cells given, by column.
        var given: [(column: String, value: String)] {
            [("agency_native_name", nativeName), ("agency_acronym", acronym), ("agency_subdivision", subdivision),
             ("agency_address", address), ("agency_website", website)].compactMap { column, value in value.map { (column, $0) } }
        }

        /// Writes the cells given into an agency.
        func apply(to agency: inout Agency) {
            agency.nativeName = nativeName ?? agency.nativeName
            agency.acronym = acronym ?? agency.acronym
            agency.subdivision = subdivision ?? agency.subdivision
            agency.address = address ?? agency.address
            agency.website = website ?? agency.website
        }
    }

    /// Refuses a row that gives an agency's kind or details differently from an earlier row of
    /// the same file: one of them would be lost without a word.
    func checkSameAsEarlierRows(key: String, name: String, kind: AgencyKind?, details: AgencyDetails, row: String) throws {
        let given = (kind.map { [("agency_kind", $0.rawValue)] } ?? []) + details.given
        for (column, value) in given {
            let fieldKey = key + "|" + column
            if let earlier = agencyFieldsInFile[fieldKey], earlier.value != value {
                throw LiaisonError.invalid(column, value, "\(name) has \"\(earlier.value)\" on row \(earlier.row)")
            }
            agencyFieldsInFile[fieldKey] = agencyFieldsInFile[fieldKey] ?? (value, row)
        }
    }
}
