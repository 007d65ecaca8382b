public import Foundation

/// A focal-point role: an agency or person named for a function, optionally in one crime area.
public struct Designation: ReplicatedRecord, Hashable, Codable {
    public static let entity = Entity.designation

    public var id: UUID
    public var agencyID: UUID?
    public var personID: UUID?
    /// nil for a role across crime areas, such as an INTERPOL National Central Bureau.
    public var crimeArea: CrimeArea?
    public var function: FocalFunction
    /// `YYYY-MM-DD`.
    public var validFrom: String?
    public var validTo: String?
    public var legalBasis: String?
    public var metadata: RecordMetadata?

    public init(
        id: UUID = .timeOrdered(), agencyID: UUID? = nil, personID: UUID? = nil, crimeArea: CrimeArea?,
        function: FocalFunction, validFrom: String? = nil, validTo: String? = nil, legalBasis: String? = nil
    ) {
        self.id = id
        self.agencyID = agencyID
        self.personID = personID
        self.crimeArea = crimeArea
        self.function = function
        self.validFrom = validFrom
        self.validTo = validTo
        self.legalBasis = legalBasis
    }

    /// Whether the role holds on a day (`YYYY-MM-DD`): on or after its first day, on or before its last.
    public func isCurrent(on day: String) -> Bool {
        (validFrom.map { $0 <= day } ?? true) && (validTo.map { day <= $0 } ?? true)
    }

    public var fieldGroups: [String: [String: FieldValue]] {
        [
            "designation": [
                "agency_id": .uuid(agencyID), "person_id": .uuid(personID),
                "crime_area": .optional(crimeArea?.rawValue), "function": .text(function.rawValue),
                "valid_from": .optional(validFrom), "valid_to": .optional(validTo),
                "legal_basis": .optional(legalBasis),
            ]
        ]
    }
}
