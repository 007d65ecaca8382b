public import Foundation

/// An agency or, when it has a parent, a unit of one: a police directorate, a border service, a
/// prosecutor's office, a victim-referral NGO.
public struct Agency: ReplicatedRecord, Hashable, Codable {
    public static let entity = Entity.agency

    public var id: UUID
    public var name: String
    /// The name in the agency's own language and script.
    public var nativeName: String?
    public var acronym: String?
    public var kind: AgencyKind
    /// ISO 3166-1 alpha-2.
    public var country: String
    /// The agency this unit belongs to.
    public var parentID: UUID?
    /// ISO 3166-2, e.g. `MD-CU`.
    public var subdivision: String?
    public var address: String?
    public var website: String?
    /// Set by the store; ignored when saving.
    public var metadata: RecordMetadata?

    public init(
        id: UUID = .timeOrdered(), name: String, nativeName: String? = nil, acronym: String? = nil, kind: AgencyKind,
        country: String, parentID: UUID? = nil, subdivision: String? = nil, address: String? = nil,
        website: String? = nil
    ) {
        self.id = id
        self.name = name
        self.nativeName = nativeName
        self.acronym = acronym
        self.kind = kind
        self.country = country
        self.parentID = parentID
        self.subdivision = subdivision
        self.address = address
        self.website = website
    }

    public var fieldGroups: [String: [String: FieldValue]] {
        [
            "name": ["name": .text(name), "native_name": .optional(nativeName), "acronym": .optional(acronym)],
            "placement": [
                "kind": .text(kind.rawValue), "country": .text(country), "parent_id": .uuid(parentID),
                "subdivision": .optional(subdivision),
            ],
            "address": ["address": .optional(address), "website": .optional(website)],
        ]
    }
}
