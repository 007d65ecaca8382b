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
    ]

    /// Throws a ``LiaisonError/Code/verification`` error naming the first rule the change breaks.
    /// A delete carries no fields and passes.
    package static func check(_ change: Change, in db: Database) throws {
        guard case .upsert(let carried) = change.operation else { return }
        let kind = change.entity.table
        func invalid(_ reason: String) -> LiaisonError {
            LiaisonError(.verification, reason, record: "\(kind) \(change.recordID.lowercasedString)")
        }
        guard !carried.isEmpty else { throw invalid("an upsert of \(kind) carries no field group") }
        let known = groups[change.entity] ?? [:]
        for (group, fields) in carried {
            guard let expected = known[group] else { throw invalid("\(kind) has no field group \"\(group)\"") }
            for name in fields.keys where expected[name] == nil {
                throw invalid("field group \"\(group)\" of \(kind) has no field \(name)")
            }
            for (name, fieldKind) in expected {
                guard let value = fields[name] else { throw invalid("field group \"\(group)\" of \(kind) lacks \(name)") }
                try checkValue(value, as: fieldKind, field: name, of: kind, invalid: invalid)
            }
            try checkGroup(change.entity, group, fields, in: db, invalid: invalid)
        }
    }

    private static func checkValue(
        _ value: FieldValue, as kind: Kind, field: String, of table: String, invalid: (String) -> LiaisonError
    ) throws {
        switch (kind, value) {
        case (.text, .text(let text)), (.optionalText, .text(let text)):
            // SQLite would keep the whole text and GRDB read it back cut at the NUL.
            if text.utf8.contains(0) { throw invalid("field \(field) of \(table) contains a NUL character") }
        case (.optionalText, .null), (.integer, .integer), (.bool, .bool):
            break
        case (.list, .list(let items)):
            if items.contains(where: { $0.utf8.contains(0) }) { throw invalid("an item of field \(field) of \(table) contains a NUL character") }
        default:
            throw invalid("field \(field) of \(table) holds \(describe(value)), not \(describe(kind))")
        }
    }

    /// The rules that join fields of one group, and the reference data.
    private static func checkGroup(
        _ entity: Entity, _ group: String, _ fields: [String: FieldValue], in db: Database, invalid: (String) -> LiaisonError
    ) throws {
        switch (entity, group) {
        case (.agency, "name"):
            if fields["name"] == .text("") { throw invalid("the name of an agency is empty") }
        case (.agency, "placement"):
            if case .text(let code) = fields["country"], try !reference(in: db).countries.contains(code) {
                throw invalid("unknown country \"\(code)\": not an ISO 3166-1 alpha-2 code of the reference data")
            }
            if case .text(let code) = fields["subdivision"], try !reference(in: db).subdivisions.contains(code) {
                throw invalid("unknown subdivision \"\(code)\": not an ISO 3166-2 code of the reference data")
            }
        case (.person, "name"):
            if fields.values.allSatisfy({ $0 == .null }) { throw invalid("a person needs a given, family or native-script name") }
        case (.channel, _), (.designation, _):
            if (fields["agency_id"] == .null) == (fields["person_id"] == .null) {
                throw invalid("a \(entity.rawValue) belongs to exactly one agency or person")
            }
            if entity == .channel, fields["value"] == .text("") { throw invalid("the value of a channel is empty") }
        default:
            break
        }
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

    /// The country and subdivision codes of the schema's reference data, which no write changes.
    private struct ReferenceCodes: Sendable {
        var countries: Set<String>
        var subdivisions: Set<String>
    }

    private static let referenceCodes = Mutex<ReferenceCodes?>(nil)

    private static func reference(in db: Database) throws -> ReferenceCodes {
        if let codes = referenceCodes.withLock({ $0 }) { return codes }
        let codes = ReferenceCodes(
            countries: Set(try String.fetchAll(db, sql: "SELECT code FROM country")),
            subdivisions: Set(try String.fetchAll(db, sql: "SELECT code FROM subdivision")))
        referenceCodes.withLock { $0 = codes }
        return codes
    }
}
