package import GRDB
import Synchronization

/// The field tables of docs/PROTOCOL.md ("Field groups of each record kind" and "Checks on a
/// received change"): each record kind's field groups, each field's value type, and the rules a
/// change keeps whatever the merge does with it.
///
/// Local writes and received changes are checked by the same function, before the merge, on every
/// group a change carries. So whether a change is invalid depends only on its bytes and the
/// reference data: every node refuses the same changes, and a local write gets the same error.
package enum FieldTable {
    /// The value a field holds.
    package enum Kind: Sendable, Hashable {
        /// Text, never null.
        case text
        /// Text or null.
        case optionalText
        case integer
        case bool
        /// A list of text items.
        case list
    }

    /// Per record kind, per group, per field: its kind.
    package static let groups: [Entity: [String: [String: Kind]]] = [
        .agency: [
            "name": ["name": .text, "native_name": .optionalText, "acronym": .optionalText],
            "placement": ["kind": .text, "country": .text, "parent_id": .optionalText, "subdivision": .optionalText],
            "address": ["address": .optionalText, "website": .optionalText],
        ],
        .person: [
            "name": ["given_name": .optionalText, "family_name": .optionalText, "native_name": .optionalText],
            "role": ["agency_id": .text, "position": .optionalText, "rank": .optionalText],
            "languages": ["languages": .list, "time_zone": .optionalText],
            "verified": ["verified_at": .optionalText, "verified_by": .optionalText],
        ],
        .channel: [
            "channel": [
                "agency_id": .optionalText, "person_id": .optionalText, "kind": .text, "value": .text, "label": .optionalText,
                "preference": .integer, "is_24x7": .bool, "hours": .optionalText, "marking": .text,
            ]
        ],
        .designation: [
            "designation": [
                "agency_id": .optionalText, "person_id": .optionalText, "crime_area": .optionalText, "function": .text,
                "valid_from": .optionalText, "valid_to": .optionalText, "legal_basis": .optionalText,
            ]
        ],
        .duplicateDecision: [
            "decision": ["kind": .text, "record_id": .text, "other_id": .text, "verdict": .text, "note": .optionalText]
        ],
        .note: [
            "note": [
                "title": .text, "language": .text, "body": .text, "countries": .list, "agency_ids": .list, "person_ids": .list,
                "crime_areas": .list, "refers_to": .optionalText, "subjects": .list, "nature": .text, "review_on": .optionalText,
                "retain_until": .optionalText, "status": .text, "reliability": .optionalText, "credibility": .optionalText,
                "marking": .optionalText, "distribution": .text, "derived_from": .optionalText,
            ]
        ],
        .noteEvaluation: [
            "evaluation": ["note_id": .text, "reliability": .text, "credibility": .text, "comment": .optionalText]
        ],
        .noteLink: [
            "link": ["note_id": .text, "relation": .text, "other_id": .text, "comment": .optionalText]
        ],
        .sharingGroup: [
            "group": ["name": .text, "purpose": .optionalText, "members": .list]
        ],
        .notePurge: [
            "purge": ["note_id": .text, "reason": .text, "changes": .list]
        ],
        .proposal: [
            "proposal": ["entity": .text, "record_id": .text, "change": .text, "comment": .optionalText]
        ],
        .proposalDecision: [
            "decision": ["proposal_id": .text, "verdict": .text, "reason": .optionalText]
        ],
    ]

    /// What checking a change against the tables found, when it was checked before its writing.
    package enum Check: Sendable {
        case unchecked
        case passed
        /// The reason, as a ``LiaisonError/Code/verification`` error of ``check(_:reference:)`` says it.
        case failed(String)
    }

    /// Throws a ``LiaisonError/Code/verification`` error naming the first rule the change breaks.
    /// A delete carries no fields and passes.
    package static func check(_ change: Change, in db: Database) throws {
        try check(change, reference: reference(in: db))
    }

    /// Checks a change with no database, before a write transaction.
    package static func checked(_ change: Change, reference: ReferenceData) -> Check {
        do {
            try check(change, reference: reference)
            return .passed
        } catch {
            return .failed(error.message)
        }
    }

    private static func check(_ change: Change, reference: ReferenceData) throws(LiaisonError) {
        // The directory is alike on every node: a change to it that only some nodes may hold would
        // leave them apart (docs/PROTOCOL.md, "Checks on a received change", rule 18).
        if change.entity.isDirectory, change.distribution != .federation {
            throw invalid(change, "a change to the directory reaches every node (scope 0), not \(change.distribution.text)")
        }
        guard case .upsert(let carried) = change.operation else { return }
        guard !carried.isEmpty else { throw invalid(change, "an upsert of \(change.entity.table) carries no field group") }
        let known = canonicalFields[change.entity] ?? []
        for fields in carried.groups {
            let group = fields.name
            guard let expected = known.first(where: { $0.group == group }) else {
                throw invalid(change, "\(change.entity.table) has no field group \"\(group)\"")
            }
            // Every node checks every change it receives. A group with every field in canonical
            // order, the usual case, is checked by position.
            if fields.fieldNames == expected.names {
                for (index, value) in fields.values.enumerated() {
                    if let reason = mismatch(value, expected.kinds[index]) {
                        throw invalid(change, "field \(expected.names[index]) of \(change.entity.table) \(reason)")
                    }
                }
            } else {
                for (name, value) in fields.fields {
                    guard let index = expected.names.firstIndex(of: name) else {
                        throw invalid(change, "field group \"\(group)\" of \(change.entity.table) has no field \(name)")
                    }
                    if let reason = mismatch(value, expected.kinds[index]) { throw invalid(change, "field \(name) of \(change.entity.table) \(reason)") }
                }
                if let missing = expected.names.first(where: { fields[$0] == nil }) {
                    throw invalid(change, "field group \"\(group)\" of \(change.entity.table) lacks \(missing)")
                }
            }
            if let reason = groupRule(change.entity, group, fields, reference: reference) ?? IntelligenceRules.broken(by: change, fields) {
                throw invalid(change, reason)
            }
        }
    }

    /// Per record kind, its groups, each with its fields' names and their kinds, all in canonical
    /// order (``Swift/String/canonicallyPrecedes(_:)``): the one order that change bytes, the
    /// compact form and the columns of an insert share.
    package static let canonicalFields: [Entity: [(group: String, names: [String], kinds: [Kind])]] = groups.mapValues { groups in
        groups.keys.sorted { $0.canonicallyPrecedes($1) }.map { group in
            let fields = groups[group] ?? [:]
            let names = fields.keys.sorted { $0.canonicallyPrecedes($1) }
            return (group, names, names.map { fields[$0]! })
        }
    }

    private static func invalid(_ change: Change, _ reason: String) -> LiaisonError {
        LiaisonError(.verification, reason, record: "\(change.entity.table) \(change.recordID.lowercasedString)")
    }

    /// What is wrong with a value for a field of this kind, or nil.
    private static func mismatch(_ value: FieldValue, _ kind: Kind) -> String? {
        switch (kind, value) {
        case (.text, .text(let text)), (.optionalText, .text(let text)):
            // SQLite would keep the whole text and GRDB read it back cut at the NUL.
            text.utf8.contains(0) ? "contains a NUL character" : nil
        case (.optionalText, .null), (.integer, .integer), (.bool, .bool):
            nil
        case (.list, .list(let items)):
            items.contains(where: { $0.utf8.contains(0) }) ? "has an item that contains a NUL character" : nil
        default:
            "holds \(describe(value)), not \(describe(kind))"
        }
    }

    /// The rules that join fields of one group, and the reference data: what is broken, or nil.
    private static func groupRule(_ entity: Entity, _ group: String, _ fields: FieldGroup, reference: ReferenceData) -> String? {
        switch (entity, group) {
        case (.proposal, "proposal"):
            // The proposed edit must pass every check its record's own change would.
            if case .text(let text) = fields["change"], let nested = Proposal.decodeChange(text), (try? check(nested, reference: reference)) == nil {
                return "change is not a valid edit of its record"
            }
        case (.agency, "name"):
            if fields["name"] == .text("") { return "the name of an agency is empty" }
        case (.agency, "placement"):
            if case .text(let code) = fields["country"], reference.countries[code] == nil {
                return "unknown country \"\(code)\": not an ISO 3166-1 alpha-2 code of the reference data"
            }
            if case .text(let code) = fields["subdivision"], reference.subdivisions[code] == nil {
                return "unknown subdivision \"\(code)\": not an ISO 3166-2 code of the reference data"
            }
        case (.note, "note"):
            if case .list(let codes) = fields["countries"], codes.contains(where: { reference.countries[$0] == nil }) {
                return "countries holds a code that is not an ISO 3166-1 alpha-2 code of the reference data"
            }
        case (.person, "name"):
            if fields.values.allSatisfy({ $0 == .null }) { return "a person needs a given, family or native-script name" }
        case (.channel, _), (.designation, _):
            if (fields["agency_id"] == .null) == (fields["person_id"] == .null) {
                return "a \(entity.rawValue) belongs to exactly one agency or person"
            }
            if entity == .channel, fields["value"] == .text("") { return "the value of a channel is empty" }
        default:
            break
        }
        return nil
    }

    private static func describe(_ value: FieldValue) -> String {
        switch value {
        case .null: "null"
        case .text: "text"
        case .integer: "an integer"
        case .bool: "a boolean"
        case .list: "a list"
        }
    }

    private static func describe(_ kind: Kind) -> String {
        switch kind {
        case .text: "text"
        case .optionalText: "text or null"
        case .integer: "an integer"
        case .bool: "a boolean"
        case .list: "a list of text"
        }
    }

    /// The schema's reference data, which no write changes: read once per process.
    private static let referenceData = Mutex<ReferenceData?>(nil)

    package static func reference(in db: Database) throws -> ReferenceData {
        if let data = referenceData.withLock({ $0 }) { return data }
        let data = try ReferenceData(db)
        referenceData.withLock { $0 = data }
        return data
    }
}
