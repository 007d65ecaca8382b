import Foundation
import GRDB

/// Which live contact an import matches, by holder and name, without holding the contacts.
///
/// An import matches a row's contact by its agency (or unit) and its folded name, which no column
/// of the person table holds, so it cannot be looked up by an index. Instead of every contact, this
/// keeps a hash of each contact's key with the contact's id (24 bytes, some 6 MB in all for 100,000
/// contacts), and the contact itself is read from the database when a row's key is found. A hash
/// names a candidate only: the caller checks the contact's name, so two keys that share a hash
/// cannot be confused.
struct ContactKeys {
    /// The contact last saved under each key hash.
    private var ids: [Int: UUID] = [:]

    /// The keys of the live contacts stored. When two contacts share a key, the later one (by
    /// local id) is kept, as it would be matched.
    ///
    /// `expected` is how many contacts the import may bring. There is room for that many or for the
    /// contacts stored, whichever is more, so that the table need not grow near the end of a large
    /// import, when the import holds the most; a file imported again adds none.
    init(_ db: Database, expected: Int) throws {
        let rows = try Row.fetchCursor(
            db, sql: "SELECT id, agency_id, given_name, family_name, native_name FROM person WHERE deleted = 0 ORDER BY local_id")
        while let row = try rows.next() {
            guard let id = row.uuid("id"), let holder = row.uuid("agency_id") else { continue }
            let key = ImportSession.personMatchKey(row["given_name"], row["family_name"], row["native_name"])
            ids[Self.hash(holder, key)] = id
        }
        ids.reserveCapacity(max(ids.count, expected))
    }

    /// Records that `id` is now the contact to match for this holder and key.
    mutating func insert(holder: UUID, key: String, id: UUID) {
        ids[Self.hash(holder, key)] = id
    }

    /// The contact this holder and key most likely name, or nil when no live contact has them.
    func candidate(holder: UUID, key: String) -> UUID? {
        ids[Self.hash(holder, key)]
    }

    private static func hash(_ holder: UUID, _ key: String) -> Int {
        var hasher = Hasher()
        hasher.combine(holder)
        hasher.combine(key)
        return hasher.finalize()
    }
}
