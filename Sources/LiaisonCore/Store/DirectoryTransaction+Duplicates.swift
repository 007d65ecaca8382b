public import Foundation
import GRDB

/// What deciding on a likely duplicate did.
public enum DuplicateDecisionOutcome: Sendable, Hashable {
    /// The record is retired into the survivor. `moved` of its channels, roles and (for an agency)
    /// contacts kept by this node now belong to the survivor, with every detail they had; pages show
    /// a channel or role that both have once. `keptByOthers` stay where they are: their stewards move
    /// them, and pages show them with the survivor meanwhile. An agency's units stay under it and
    /// are shown under the survivor.
    case retired(moved: Int, keptByOthers: Int)
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
        // Into the record that stands for `other` now, never into one that stands for `record`.
        let survivor = try RetiredRecords.survivor(of: other.lowercasedString, in: db)
        if verdict == .same {
            guard survivor != record.lowercasedString else {
                throw LiaisonError(.conflict, "\(other.shortID) is already decided to be the same as \(record.shortID): nothing to retire")
            }
            if kind == .agency { try checkAgencyCanTakeOver(record, survivor: survivor) }
        }
        let other = UUID(uuidString: survivor) ?? other
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

    /// An agency retires only into one of its country that is not one of its own units.
    private func checkAgencyCanTakeOver(_ retired: UUID, survivor: String) throws {
        let rows = try Row.fetchAll(db, sql: "SELECT id, country, parent_id FROM agency WHERE id IN (?, ?)", arguments: [retired.lowercasedString, survivor])
        let countries = Set(rows.map { $0["country"] as String })
        guard countries.count == 1 else {
            throw LiaisonError(.conflict, "the two agencies are in different countries, \(countries.sorted().joined(separator: " and ")): they are not one agency")
        }
        var ancestor: String? = survivor
        for _ in 0..<16 {
            guard let current = ancestor else { return }
            if current == retired.lowercasedString {
                throw LiaisonError(.conflict, "the agency that would stay is a unit of the one to retire: retire the unit into its agency, not the reverse")
            }
            ancestor = try String.fetchOne(db, sql: "SELECT parent_id FROM agency WHERE id = ?", arguments: [current])
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
        try RosterName.of(steward, in: db)?.shown ?? "node \(steward.prefix(8))"
    }

    /// Moves what this node keeps of `retired` to `survivor`, every detail with it: a channel or role
    /// that both have is shown once, and neither copy is lost.
    private func moveAttachments(_ kind: Entity, from retired: UUID, to survivor: UUID) throws -> DuplicateDecisionOutcome {
        let column = kind == .person ? "person_id" : "agency_id"
        let mine = node.id.hex
        var moved = 0
        var keptByOthers = 0
        for var channel in try Directory.channels(owner: column, retired, db) {
            guard channel.metadata?.steward == mine else {
                keptByOthers += 1
                continue
            }
            if kind == .person { channel.personID = survivor } else { channel.agencyID = survivor }
            try save(channel)
            moved += 1
        }
        for var role in try Directory.designations(owner: column, retired, db) {
            guard role.metadata?.steward == mine else {
                keptByOthers += 1
                continue
            }
            if kind == .person { role.personID = survivor } else { role.agencyID = survivor }
            // A role the survivor holds already stays where it is: the rule against holding one role
            // twice would refuse the move, and pages show it with the survivor.
            do {
                try save(role)
                moved += 1
            } catch let error as LiaisonError where error.code == .conflict || error.code == .invalidValue {
                keptByOthers += 1
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
        }
        return .retired(moved: moved, keptByOthers: keptByOthers)
    }
}
