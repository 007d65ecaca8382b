public import Foundation

/// A contact person in an agency or unit.
public struct Person: ReplicatedRecord, Hashable, Codable {
    public static let entity = Entity.person

    public var id: UUID
    public var agencyID: UUID
    public var givenName: String?
    public var familyName: String?
    /// The full name in the person's own script, e.g. `Иван Иванов`.
    public var nativeName: String?
    public var position: String?
    public var rank: String?
    /// BCP 47 tags in order of preference.
    public var languages: [String]
    /// IANA time zone, e.g. `Europe/Chisinau`.
    public var timeZone: String?
    public var verifiedAt: String?
    public var verifiedBy: String?
    public var metadata: RecordMetadata?

    public init(
        id: UUID = .timeOrdered(), agencyID: UUID, givenName: String? = nil, familyName: String? = nil,
        nativeName: String? = nil, position: String? = nil, rank: String? = nil, languages: [String] = [],
        timeZone: String? = nil, verifiedAt: String? = nil, verifiedBy: String? = nil
    ) {
        self.id = id
        self.agencyID = agencyID
        self.givenName = givenName
        self.familyName = familyName
        self.nativeName = nativeName
        self.position = position
        self.rank = rank
        self.languages = languages
        self.timeZone = timeZone
        self.verifiedAt = verifiedAt
        self.verifiedBy = verifiedBy
    }

    /// `Given Family`, else the native-script name.
    public var displayName: String {
        let latin = [givenName, familyName].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: " ")
        return latin.isEmpty ? (nativeName ?? "") : latin
    }

    public var fieldGroups: [String: [String: FieldValue]] {
        [
            "name": [
                "given_name": .optional(givenName), "family_name": .optional(familyName),
                "native_name": .optional(nativeName),
            ],
            "role": ["agency_id": .uuid(agencyID), "position": .optional(position), "rank": .optional(rank)],
            "languages": ["languages": .list(languages), "time_zone": .optional(timeZone)],
            "verified": ["verified_at": .optional(verifiedAt), "verified_by": .optional(verifiedBy)],
        ]
    }
}
