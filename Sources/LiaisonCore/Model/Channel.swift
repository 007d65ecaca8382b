public import Foundation

/// A way to reach an agency or a person: a phone, an e-mail address, a secure mailbox.
public struct Channel: ReplicatedRecord, Hashable, Codable {
    public static let entity = Entity.channel

    public var id: UUID
    /// The agency the channel belongs to, when it is an agency's.
    public var agencyID: UUID?
    /// The person the channel belongs to, when it is a person's.
    public var personID: UUID?
    public var kind: ChannelKind
    /// E.164 for phones, the address for e-mail, the mailbox for secure channels.
    public var value: String
    /// For a secure mailbox, the system (`SIENA`, `I-24/7`).
    public var label: String?
    /// 1 is the first choice.
    public var preference: Int
    public var is24x7: Bool
    /// Opening hours with a time zone, e.g. `Mo-Fr 08:00-17:00 Europe/Chisinau`.
    public var hours: String?
    /// The highest marking that may be sent over this channel.
    public var marking: Marking
    public var metadata: RecordMetadata?

    enum CodingKeys: String, CodingKey {
        case id, agencyID, personID, kind, value, label, preference, hours, marking, metadata
        case is24x7 = "is_24x7"
    }

    public init(
        id: UUID = .timeOrdered(), agencyID: UUID? = nil, personID: UUID? = nil, kind: ChannelKind, value: String,
        label: String? = nil, preference: Int = 1, is24x7: Bool = false, hours: String? = nil,
        marking: Marking? = nil
    ) {
        self.id = id
        self.agencyID = agencyID
        self.personID = personID
        self.kind = kind
        self.value = value
        self.label = label
        self.preference = preference
        self.is24x7 = is24x7
        self.hours = hours
        self.marking = marking ?? Self.defaultMarking(kind)
    }

    /// The marking a channel of this kind gets when none is given.
    public static func defaultMarking(_ kind: ChannelKind) -> Marking { kind == .secureMailbox ? .amber : .green }

    public var fieldGroups: [String: [String: FieldValue]] {
        [
            "channel": [
                "agency_id": .uuid(agencyID), "person_id": .uuid(personID), "kind": .text(kind.rawValue),
                "value": .text(value), "label": .optional(label), "preference": .integer(Int64(preference)),
                "is_24x7": .bool(is24x7), "hours": .optional(hours), "marking": .text(marking.rawValue),
            ]
        ]
    }
}
