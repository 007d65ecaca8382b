public import Foundation

/// A secure mailbox as officers write it: the system, a colon and a space, then the address.
///
/// The command line's `--secure` and the CSV column `secure_channel` both read it here, so that the
/// same text gives the same channel whichever way it comes in.
///
/// ```swift
/// let mailbox = try SecureMailbox(parsing: "SIENA: md.tip@siena.example")
/// mailbox.system   // "SIENA"
/// mailbox.address  // "md.tip@siena.example"
/// ```
public struct SecureMailbox: Sendable, Hashable {
    /// The system, e.g. `SIENA` or `I-24/7`; nil when the text names none.
    public var system: String?
    /// The mailbox address within the system.
    public var address: String

    /// The longest system name taken as one: anything longer is part of the address.
    static let maximumSystemLength = 24

    /// Splits `SYSTEM: address` into its parts.
    ///
    /// The system name ends with a colon and a space, so an address such as `xmpp:desk@example` stays
    /// whole, and so does a value with an `@` before the `: `, which is an address, not a system.
    /// A system alone (`SIENA:`) has no address and is refused.
    public init(parsing text: String, field: String = ChannelKind.secureMailbox.rawValue) throws(LiaisonError) {
        let text = text.trimmed
        guard !text.isEmpty else { throw LiaisonError(.invalidValue, "is required", field: field) }
        if text.hasSuffix(":"), !text.contains(" "), !text.contains("@") {
            throw LiaisonError(.invalidValue, "no address after \"\(text)\"", field: field, value: text)
        }
        if let separator = text.range(of: ": ") {
            let system = text[..<separator.lowerBound].trimmed
            if !system.isEmpty, system.count <= Self.maximumSystemLength, !system.contains("@") {
                self.system = system
                address = text[separator.upperBound...].trimmed
                return
            }
        }
        system = nil
        address = text
    }

    /// The mailbox as a channel of its owner.
    public func channel(agencyID: UUID? = nil, personID: UUID? = nil, preference: Int = 1) -> Channel {
        Channel(agencyID: agencyID, personID: personID, kind: .secureMailbox, value: address, label: system, preference: preference)
    }
}

extension Channel {
    /// The channels of one kind as an officer writes them, first choice first: numbers and
    /// addresses as they are, a secure mailbox as `SYSTEM: ADDRESS`. Blank values are passed over.
    public static func written(
        _ values: [String], kind: ChannelKind, agencyID: UUID?, personID: UUID?
    ) throws(LiaisonError) -> [Channel] {
        var channels: [Channel] = []
        for (index, value) in values.map(\.trimmed).filter({ !$0.isEmpty }).enumerated() {
            channels.append(
                kind == .secureMailbox
                    ? try SecureMailbox(parsing: value).channel(agencyID: agencyID, personID: personID, preference: index + 1)
                    : Channel(agencyID: agencyID, personID: personID, kind: kind, value: value, preference: index + 1))
        }
        return channels
    }

    /// The channel as an officer writes it: a secure mailbox as `SYSTEM: ADDRESS`.
    public var writtenForm: String {
        guard kind == .secureMailbox, let system = label, !system.isEmpty else { return value }
        return "\(system): \(value)"
    }
}
