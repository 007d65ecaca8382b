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
    func channels(agencyID: UUID?, personID: UUID?) throws(LiaisonError) -> [ChannelKind: [Channel]] {
        var result: [ChannelKind: [Channel]] = [:]
        func add(_ kind: ChannelKind, _ values: [String]) throws(LiaisonError) {
            guard !values.isEmpty else { return }
            result[kind] = try Channel.written(values, kind: kind, agencyID: agencyID, personID: personID)
        }
        try add(.phone, phone)
        try add(.mobile, mobile)
        try add(.email, email)
        try add(.secureMailbox, secure)
        return result
    }

    /// Saves the channels given, replacing the owner's channels of each kind given.
    func save(in tx: DirectoryTransaction, agencyID: UUID?, personID: UUID?) throws {
        if isEmpty, let is24x7 {
            try tx.setChannels24x7(is24x7, agencyID: agencyID, personID: personID)
            return
        }
        for (kind, channels) in try channels(agencyID: agencyID, personID: personID) {
            try tx.replaceChannels(channels, kind: kind, is24x7: is24x7, agencyID: agencyID, personID: personID)
        }
    }
}
