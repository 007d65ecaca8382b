import Foundation
import GRDB
import LiaisonCore

/// What receiving learns for the search index as it applies changes: the entries of contacts it
/// creates are made from their changes, not read back from the tables.
extension Receiver {
    /// The index source of a contact just created by `change`, unless channels or roles created
    /// before it in this transaction name it: those arrived first, and the index reads them back.
    func createdPerson(_ change: Change, prepared: PreparedChange?) -> SearchIndex.CreatedPerson? {
        guard case .upsert(let groups) = change.operation, !namedBeforeCreation.contains(change.recordID),
            var person = prepared?.createdPerson ?? SearchIndex.CreatedPerson(creation: groups)
        else { return nil }
        person.localID = db.lastInsertedRowID
        return person
    }

    /// Leaves to the index's reading the contacts created here that channels or roles stored
    /// before this transaction name: they arrived before the contact. One query a kind.
    func forgetCreatedPersonsNamedBefore() throws {
        guard !createdPersons.isEmpty else { return }
        let ids = "[" + createdPersons.keys.map { "\"" + $0.lowercasedString + "\"" }.joined(separator: ",") + "]"
        for (table, last) in [("channel", lastStoredAttachments.channel), ("designation", lastStoredAttachments.designation)] where last > 0 {
            let named = try String.fetchAll(
                db, sql: "SELECT person_id FROM \(table) WHERE person_id IN (SELECT value FROM json_each(?)) AND +local_id <= ?",
                arguments: [ids, last])
            for id in named { if let id = UUID(uuidString: id) { createdPersons[id] = nil } }
        }
    }

    /// What a channel or role created with a contact adds to the contact's index entry.
    enum EntryAddition: Sendable {
        case nothing
        case reach24x7
        case role(SearchIndex.Role)
        /// A role that the index reads back instead.
        case unreadable
    }

    static func entryAddition(of change: Change) -> EntryAddition {
        guard case .upsert(let groups) = change.operation, let fields = groups[change.entity.rawValue] else { return .nothing }
        switch change.entity {
        case .channel:
            return fields["is_24x7"] == .bool(true) ? .reach24x7 : .nothing
        case .designation:
            // The index reads roles back as "area function" pairs separated by commas: a value
            // that would not read back the same is left to that reading.
            let areaText: String? = if case .text(let name) = fields["crime_area"] { name } else { nil }
            guard case .text(let name) = fields["function"], let function = FocalFunction(rawValue: name),
                !(areaText ?? "").contains(where: { $0 == " " || $0 == "," })
            else { return .unreadable }
            return .role((areaText.flatMap(CrimeArea.init(rawValue:)), function))
        case .person, .agency, .duplicateDecision, .note, .noteEvaluation, .noteLink, .sharingGroup, .notePurge, .proposal, .proposalDecision:
            return .nothing
        }
    }

    func add(_ addition: EntryAddition, toEntryOf person: UUID) {
        switch addition {
        case .nothing: break
        case .reach24x7: createdPersons[person]?.has24x7Channel = true
        case .role(let role): createdPersons[person]?.roles.append(role)
        case .unreadable: createdPersons[person] = nil
        }
    }

    typealias Owner = (id: UUID, isPerson: Bool)

    /// The agency or person a channel's or designation's change names.
    static func owners(in change: Change) -> [Owner]? {
        guard case .upsert(let groups) = change.operation, let fields = groups[change.entity.rawValue] else { return nil }
        var owners: [(UUID, Bool)] = []
        // Only the canonical text joins the tables: an id in upper case names no stored record.
        if case .text(let text) = fields["agency_id"], let agency = UUID(canonicalText: text) { owners.append((agency, false)) }
        if case .text(let text) = fields["person_id"], let person = UUID(canonicalText: text) { owners.append((person, true)) }
        return owners
    }
}
