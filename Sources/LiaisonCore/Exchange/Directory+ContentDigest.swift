import Crypto
import Foundation

extension Directory {
    /// A SHA-256 over the directory's content: the live records' fields, without ids, stewards,
    /// times or stamps (docs/PROTOCOL.md, "Content digest").
    ///
    /// Two nodes that hold the same directory have the same content digest however the records got
    /// there: imported separately from one file, received from each other, or exported and imported
    /// again. ``digest()`` differs between such nodes, as it covers who wrote each record and when.
    ///
    /// ```swift
    /// let before = try node.contentDigest()
    /// _ = try other.importCSV(String(decoding: try node.export(.csv), as: UTF8.self), fileName: "directory.csv")
    /// try other.contentDigest() == before   // nothing was lost on the way
    /// ```
    public func contentDigest() throws(LiaisonError) -> String {
        var hasher = SHA256()
        hasher.update(data: Array("liaison/content/v1".utf8) + [0])
        hasher.update(data: Array(try contentText().utf8))
        return hasher.finalize().hexString
    }

    /// The text that ``contentDigest()`` hashes after its domain prefix: one line per agency, unit
    /// and contact, each ending in a line feed, in byte order.
    public func contentText() throws(LiaisonError) -> String {
        let snapshot = try read { db in try ExportSnapshot(db, country: nil) }
        return ContentText.lines(snapshot).map { $0 + "\n" }.joined()
    }
}

/// The content lines: JSON arrays in which a record names the records it refers to by content (a
/// contact's agency by its country and name), never by id.
enum ContentText {
    static func lines(_ snapshot: ExportSnapshot) -> [String] {
        let byID = snapshot.agenciesByID
        var lines: [String] = []
        for agency in snapshot.agencies {
            let parent = agency.parentID.flatMap { byID[$0] }
            lines.append(array([
                text("agency"), text(agency.country), text(parent?.name), text(agency.name), text(agency.nativeName),
                text(agency.acronym), text(agency.kind.rawValue), text(agency.subdivision), text(agency.address), text(agency.website),
                channels(snapshot.channels[agency.id]), designations(snapshot.designations[agency.id]),
            ]))
        }
        for person in snapshot.persons {
            let agency = byID[person.agencyID]
            let parent = agency?.parentID.flatMap { byID[$0] }
            lines.append(array([
                text("person"), text(agency?.country), text(parent?.name ?? agency?.name), text(parent == nil ? nil : agency?.name),
                text(person.givenName), text(person.familyName), text(person.nativeName), text(person.position), text(person.rank),
                array(person.languages.map(text)), text(person.timeZone), text(person.verifiedAt), text(person.verifiedBy),
                channels(snapshot.channels[person.id]), designations(snapshot.designations[person.id]),
            ]))
        }
        return sortedByBytes(lines)
    }

    static func channels(_ channels: [Channel]?) -> String {
        array(sortedByBytes((channels ?? []).map { channel in
            array([
                text(channel.kind.rawValue), text(channel.value), text(channel.label), String(channel.preference),
                channel.is24x7 ? "true" : "false", text(channel.hours), text(channel.marking.rawValue),
            ])
        }))
    }

    static func designations(_ designations: [Designation]?) -> String {
        array(sortedByBytes((designations ?? []).map { designation in
            array([
                text(designation.crimeArea?.rawValue), text(designation.function.rawValue), text(designation.validFrom),
                text(designation.validTo), text(designation.legalBasis),
            ])
        }))
    }

    static func text(_ value: String?) -> String {
        guard let value else { return "null" }
        var text = ""
        JSONStringArray.append(value, to: &text)
        return text
    }

    static func array(_ items: [String]) -> String { "[" + items.joined(separator: ",") + "]" }

    /// Swift orders strings by their characters; the digest orders them by their UTF-8 bytes, which
    /// anyone can reproduce.
    static func sortedByBytes(_ items: [String]) -> [String] {
        items.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }
}
