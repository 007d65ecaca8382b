package import GRDB

/// Nodes as the roster knows them, for messages an officer reads: "Chisinau desk (CCTP)" rather
/// than a hex id.
package struct RosterName {
    package var name: String
    package var agency: String

    /// "Name (Agency)".
    package var shown: String { "\(name) (\(agency))" }

    /// The peer with this node id, if the roster holds it.
    package static func of(_ nodeID: String, in db: Database) throws -> RosterName? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT name, agency FROM peer WHERE node_id = ?"), arguments: [nodeID])
            .map { RosterName(name: $0["name"], agency: $0["agency"]) }
    }

    /// Every peer on the roster, by node id.
    package static func all(in db: Database) throws -> [String: RosterName] {
        var names: [String: RosterName] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT node_id, name, agency FROM peer") {
            names[row["node_id"]] = RosterName(name: row["name"], agency: row["agency"])
        }
        return names
    }
}
