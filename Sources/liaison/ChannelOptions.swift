import ArgumentParser
import Foundation
import LiaisonCore

/// Channel options shared by `agency add|edit` and `contact add|edit`.
struct ChannelOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Desk phone in international form, e.g. \"+373 22 123 456\"; repeat for more.", valueName: "number"))
    var phone: [String] = []

    @Option(name: .long, help: ArgumentHelp("Mobile phone; repeat for more.", valueName: "number"))
    var mobile: [String] = []

    @Option(name: .long, help: ArgumentHelp("E-mail address; repeat for more.", valueName: "address"))
    var email: [String] = []

    @Option(name: .long, help: ArgumentHelp("Secure mailbox as SYSTEM: ADDRESS, e.g. \"SIENA: md.tip@siena.example\"; repeat for more.", valueName: "mailbox"))
    var secure: [String] = []

    @Flag(
        name: .customLong("24x7"), inversion: .prefixedNo,
        help: "The channels given (or, with none given, all the record's channels) are, or are not, staffed around the clock.")
    var is24x7: Bool?

    var isEmpty: Bool { phone.isEmpty && mobile.isEmpty && email.isEmpty && secure.isEmpty }

    /// The channels given, by kind, in preference order. An empty value ("--email \"\"") gives an
    /// empty list: no channels of that kind.
    func channels(agencyID: UUID?, personID: UUID?) -> [ChannelKind: [Channel]] {
        var result: [ChannelKind: [Channel]] = [:]
        func add(_ kind: ChannelKind, _ values: [String]) {
            guard !values.isEmpty else { return }
            result[kind] = values.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.enumerated().map { index, value in
                var label: String?
                var value = value
                if kind == .secureMailbox, let separator = value.range(of: ": "), !value[..<separator.lowerBound].contains("@") {
                    label = value[..<separator.lowerBound].trimmingCharacters(in: .whitespaces)
                    value = value[separator.upperBound...].trimmingCharacters(in: .whitespaces)
                }
                return Channel(agencyID: agencyID, personID: personID, kind: kind, value: value, label: label, preference: index + 1)
            }
        }
        add(.phone, phone)
        add(.mobile, mobile)
        add(.email, email)
        add(.secureMailbox, secure)
        return result
    }

    /// Saves the channels given, replacing the owner's channels of each kind given.
    func save(in tx: DirectoryTransaction, agencyID: UUID?, personID: UUID?) throws {
        if isEmpty, let is24x7 {
            try tx.setChannels24x7(is24x7, agencyID: agencyID, personID: personID)
            return
        }
        for (kind, channels) in channels(agencyID: agencyID, personID: personID) {
            try tx.replaceChannels(channels, kind: kind, is24x7: is24x7, agencyID: agencyID, personID: personID)
        }
    }
}
