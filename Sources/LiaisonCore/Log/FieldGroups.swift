/// The field groups an upsert sets, each with its fields' values, in canonical order: groups, and
/// each group's fields, in increasing byte order of their names, as the change's bytes list them.
///
/// Held as arrays, not dictionaries: a received directory is hundreds of thousands of changes, each
/// decoded, checked, hashed and written once, and the field tables give the names in this order
/// already, so that the values of a decoded change are read straight into place.
public struct FieldGroups: Sendable, Hashable, ExpressibleByDictionaryLiteral {
    public private(set) var groups: [FieldGroup]

    /// Groups already in canonical order, each with its fields in canonical order.
    package init(canonical groups: [FieldGroup]) {
        self.groups = groups
    }

    public init(_ dictionary: [String: [String: FieldValue]]) {
        groups = dictionary.sorted { $0.key.canonicallyPrecedes($1.key) }.map { name, fields in
            let sorted = fields.sorted { $0.key.canonicallyPrecedes($1.key) }
            return FieldGroup(name: name, fieldNames: sorted.map(\.key), values: sorted.map(\.value))
        }
    }

    public init(dictionaryLiteral elements: (String, [String: FieldValue])...) {
        self.init(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }

    public var count: Int { groups.count }
    public var isEmpty: Bool { groups.isEmpty }
    public var names: [String] { groups.map(\.name) }

    /// The group of this name; a change has a handful, so a look along them is quickest.
    public subscript(name: String) -> FieldGroup? {
        groups.first { $0.name == name }
    }

    /// The groups as a dictionary, for code that is not on a hot path.
    public var dictionary: [String: [String: FieldValue]] {
        Dictionary(uniqueKeysWithValues: groups.map { ($0.name, $0.dictionary) })
    }
}

/// One field group of an upsert: its fields' names and values, in canonical order.
public struct FieldGroup: Sendable, Hashable {
    public var name: String
    /// The names, in increasing byte order; decoded changes share the field table's array.
    public var fieldNames: [String]
    public var values: [FieldValue]

    public init(name: String, fieldNames: [String], values: [FieldValue]) {
        self.name = name
        self.fieldNames = fieldNames
        self.values = values
    }

    public var count: Int { values.count }

    public subscript(field: String) -> FieldValue? {
        fieldNames.firstIndex(of: field).map { values[$0] }
    }

    /// Each field's name with its value.
    public var fields: Zip2Sequence<[String], [FieldValue]> { zip(fieldNames, values) }

    public var dictionary: [String: FieldValue] {
        Dictionary(uniqueKeysWithValues: fields.map { ($0, $1) })
    }
}

extension String {
    /// The order of names in a change's bytes: increasing UTF-8 byte order.
    package func canonicallyPrecedes(_ other: String) -> Bool {
        utf8.lexicographicallyPrecedes(other.utf8)
    }
}
