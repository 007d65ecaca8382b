public import Foundation

/// The JSON exchange format: the whole directory, or one country of it, with every field and id.
///
/// Importing a document that this node exported recreates the same records with the same ids.
public struct DirectoryDocument: Sendable, Hashable, Codable {
    public static let formatName = "liaison-directory"

    public struct ChannelEntry: Sendable, Hashable, Codable {
        public var id: UUID?
        public var kind: String
        public var value: String
        public var label: String?
        public var preference: Int?
        public var is24x7: Bool?
        public var hours: String?
        public var marking: String?

        enum CodingKeys: String, CodingKey {
            case id, kind, value, label, preference, hours, marking
            case is24x7 = "is_24x7"
        }
    }

    public struct DesignationEntry: Sendable, Hashable, Codable {
        public var id: UUID?
        public var crimeArea: String?
        public var function: String
        public var validFrom: String?
        public var validTo: String?
        public var legalBasis: String?

        enum CodingKeys: String, CodingKey {
            case id, function
            case crimeArea = "crime_area"
            case validFrom = "valid_from"
            case validTo = "valid_to"
            case legalBasis = "legal_basis"
        }
    }

    public struct AgencyEntry: Sendable, Hashable, Codable {
        public var id: UUID?
        public var name: String
        public var nativeName: String?
        public var acronym: String?
        public var kind: String
        public var country: String
        public var parentID: UUID?
        public var subdivision: String?
        public var address: String?
        public var website: String?
        public var channels: [ChannelEntry]?
        public var designations: [DesignationEntry]?

        enum CodingKeys: String, CodingKey {
            case id, name, acronym, kind, country, subdivision, address, website, channels, designations
            case nativeName = "native_name"
            case parentID = "parent_id"
        }
    }

    public struct ContactEntry: Sendable, Hashable, Codable {
        public var id: UUID?
        public var agencyID: UUID
        public var givenName: String?
        public var familyName: String?
        public var nativeName: String?
        public var position: String?
        public var rank: String?
        public var languages: [String]?
        public var timeZone: String?
        public var verifiedAt: String?
        public var verifiedBy: String?
        public var channels: [ChannelEntry]?
        public var designations: [DesignationEntry]?

        enum CodingKeys: String, CodingKey {
            case id, position, rank, languages, channels, designations
            case agencyID = "agency_id"
            case givenName = "given_name"
            case familyName = "family_name"
            case nativeName = "native_name"
            case timeZone = "time_zone"
            case verifiedAt = "verified_at"
            case verifiedBy = "verified_by"
        }
    }

    public var format: String
    public var version: Int
    public var agencies: [AgencyEntry]
    public var contacts: [ContactEntry]

    public init(agencies: [AgencyEntry], contacts: [ContactEntry]) {
        format = Self.formatName
        version = 1
        self.agencies = agencies
        self.contacts = contacts
    }
}

extension DirectoryDocument.ChannelEntry {
    init(_ channel: Channel) {
        self.init(
            id: channel.id, kind: channel.kind.rawValue, value: channel.value, label: channel.label, preference: channel.preference,
            is24x7: channel.is24x7, hours: channel.hours, marking: channel.marking.rawValue)
    }
}

extension DirectoryDocument.DesignationEntry {
    init(_ designation: Designation) {
        self.init(
            id: designation.id, crimeArea: designation.crimeArea?.rawValue, function: designation.function.rawValue,
            validFrom: designation.validFrom, validTo: designation.validTo, legalBasis: designation.legalBasis)
    }
}
