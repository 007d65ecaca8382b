public import Foundation
import GRDB

/// What deciding on a likely duplicate did.
public enum DuplicateDecisionOutcome: Sendable, Hashable {
    /// The record is retired into the survivor. `moved` of its channels, roles, contacts and units
    /// kept by this node now belong to the survivor, `removed` were removed because the survivor had
    /// them already, and `keptByOthers` stay where they are: their stewards move them, and pages show
    /// them with the survivor meanwhile.
    case retired(moved: Int, removed: Int, keptByOthers: Int)
    /// The record is kept by another node: the decision reaches it as a proposal, and takes effect
    /// when that node decides the same.
    case proposed(steward: String, stewardName: String)
    /// The pair will not be listed again.
    case distinct
}

extension DirectoryTransaction {
    /// Decides on two contacts or two agencies listed as likely duplicates.
    ///
    /// `.same` retires `record` into `other` when this node is the steward of `record`, and moves
    /// this node's channels and roles (and, for an agency, contacts and units) to `other`; when
    /// another node keeps `record`, the decision is a proposal to it. `.distinct` is for anyone.
    @discardableResult
    public func decideDuplicate(
        _ kind: Entity, record: UUID, other: UUID, verdict: DuplicateDecision.Verdict, note: String? = nil
    ) throws -> DuplicateDecisionOutcome {
        guard kind == .person || kind == .agency else {
            throw LiaisonError(.invalidValue, "only contacts and agencies can be duplicates")
        }
        guard record != other else { throw LiaisonError(.invalidValue, "a record cannot be a duplicate of itself") }
        let steward = try liveSteward(kind, record)
        _ = try liveSteward(kind, other)
        let note = note.map(\.trimmed).flatMap { $0.isEmpty ? nil : $0 }
        try save(DuplicateDecision(kind: kind, recordID: record, otherID: other, verdict: verdict, note: note))
        switch verdict {
        case .distinct:
            return .distinct
        case .same where steward != node.id.hex:
            return .proposed(steward: steward, stewardName: try stewardName(steward))
        case .same:
            return try moveAttachments(kind, from: record, to: other)
        }
    }

    private func liveSteward(_ kind: Entity, _ id: UUID) throws -> String {
        guard let steward = try String.fetchOne(
            db.cachedStatement(sql: "SELECT steward FROM \(kind.table) WHERE id = ? AND deleted = 0"), arguments: [id.lowercasedString])
        else {
            throw LiaisonError(.notFound, "no \(kind == .person ? "contact" : "agency") with this id", record: id.lowercasedString)
        }
        return steward
    }

    private func stewardName(_ steward: String) throws -> String {
        guard let row = try Row.fetchOne(db, sql: "SELECT name, agency FROM peer WHERE node_id = ?", arguments: [steward]) else {
            return "node \(steward.prefix(8))"
        }
        return "\(row["name"] as String) (\(row["agency"] as String))"
    }

    /// Moves what this node keeps of `retired` to `survivor`; what the survivor already has is removed.
    private func moveAttachments(_ kind: Entity, from retired: UUID, to survivor: UUID) throws -> DuplicateDecisionOutcome {
        let column = kind == .person ? "person_id" : "agency_id"
        let mine = node.id.hex
        var moved = 0
        var removed = 0
        var keptByOthers = 0
        let survivorChannels = try Directory.channels(owner: column, survivor, db)
        for var channel in try Directory.channels(owner: column, retired, db) {
            guard channel.metadata?.steward == mine else {
                keptByOthers += 1
                continue
            }
            if survivorChannels.contains(where: { $0.kind == channel.kind && $0.value == channel.value }) {
                try removeChannel(channel.id)
                removed += 1
            } else {
                if kind == .person { channel.personID = survivor } else { channel.agencyID = survivor }
                try save(channel)
                moved += 1
            }
        }
        let survivorRoles = try Directory.designations(owner: column, survivor, db)
        for var role in try Directory.designations(owner: column, retired, db) {
            guard role.metadata?.steward == mine else {
                keptByOthers += 1
                continue
            }
            if survivorRoles.contains(where: { $0.crimeArea == role.crimeArea && $0.function == role.function }) {
                try removeDesignation(role.id)
                removed += 1
            } else {
                if kind == .person { role.personID = survivor } else { role.agencyID = survivor }
                try save(role)
                moved += 1
            }
        }
        if kind == .agency {
            for var person in try Person.fetchAll(db, sql: "SELECT * FROM person WHERE agency_id = ? AND deleted = 0", arguments: [retired.lowercasedString]) {
                guard person.metadata?.steward == mine else {
                    keptByOthers += 1
                    continue
                }
                person.agencyID = survivor
                try save(person)
                moved += 1
            }
            for var unit in try Agency.fetchAll(db, sql: "SELECT * FROM agency WHERE parent_id = ? AND deleted = 0", arguments: [retired.lowercasedString]) {
                guard unit.metadata?.steward == mine else {
                    keptByOthers += 1
                    continue
                }
                unit.parentID = survivor
                try save(unit)
                moved += 1
            }
        }
        return .retired(moved: moved, removed: removed, keptByOthers: keptByOthers)
    }
}
