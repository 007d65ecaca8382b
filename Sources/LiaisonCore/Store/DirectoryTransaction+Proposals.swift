public import Foundation
import GRDB

extension DirectoryTransaction {
    /// Why this node may not change a record another node keeps, naming that node as the roster
    /// knows it and whom to ask.
    static func keptElsewhere(_ entity: Entity, steward: String, in db: Database) throws -> String {
        let noun = switch entity {
        case .person: "contact"
        case .sharingGroup: "sharing group"
        case .noteEvaluation: "evaluation"
        case .noteLink: "link"
        default: entity.rawValue
        }
        if let peer = try RosterName.of(steward, in: db) {
            return "this \(noun) is kept by \(peer.shown), and only they can change it: ask \(peer.name) to make the change"
        }
        return "this \(noun) is kept by node \(steward), which is not on this node's roster, and only that node can change it: ask the agency that runs it to make the change"
    }

    /// The stored record with this id and the node that keeps it, when that is another node: an
    /// edit of it becomes a proposal.
    func keptElsewhere<Record: ReplicatedRecord & FetchableRecord & TableRecord>(_ type: Record.Type, _ id: UUID) throws -> (Record, NodeID)? {
        guard let existing = try validator.fetch(type, id), existing.isLive, let steward = existing.metadata?.steward, steward != node.id.hex else {
            return nil
        }
        return (existing, try NodeID(hex: steward))
    }

    /// Sends the field groups of `record` that differ from the stored one to its steward, sealed
    /// to it alone, as a proposal; the stored record does not change.
    func propose<Record: ReplicatedRecord>(_ record: Record, existing: Record, steward: NodeID) throws -> Record {
        let stored = existing.fieldGroups
        let changed = record.fieldGroups.filter { stored[$0.key] != $0.value }
        guard !changed.isEmpty else { return existing }
        // A proposal is sealed to the steward: one this node cannot reach is only named.
        let reachable = try Bool.fetchOne(
            db, sql: "SELECT EXISTS (SELECT 1 FROM peer WHERE node_id = ? AND revoked_at IS NULL AND encryption_key IS NOT NULL)", arguments: [steward.hex])
        guard reachable == true else {
            throw LiaisonError(.conflict, try Self.keptElsewhere(Record.entity, steward: steward.hex, in: db), record: record.id.lowercasedString)
        }
        let change = Change(entity: Record.entity, recordID: record.id, operation: .upsert(FieldGroups(changed)), distribution: .federation)
        let proposal = Proposal(change: change, comment: try validator.text(proposalComment, field: "comment", lineBreaks: true))
        _ = try self.record(proposal, existing: nil, distribution: .nodes([steward]))
        proposals.append(proposal)
        return existing
    }

    /// Makes a proposal to a record this node keeps its own change, which reaches every node, and
    /// tells the proposer. The record is validated as any edit of it is; `comment` goes to the
    /// proposer.
    @discardableResult
    public func accept(_ proposalID: UUID, comment: String? = nil) throws -> ProposalDecision {
        let (proposal, proposer) = try undecided(proposalID)
        let change = proposal.change
        switch change.entity {
        case .agency: try save(try proposed(Agency.self, change))
        case .person: try save(try proposed(Person.self, change))
        case .channel: try save(try proposed(Channel.self, change))
        case .designation: try save(try proposed(Designation.self, change))
        default: throw LiaisonError(.conflict, "this proposal does not edit a directory record", record: proposalID.lowercasedString)
        }
        return try decide(proposalID, .accepted, reason: try validator.text(comment, field: "comment", lineBreaks: true), proposer: proposer)
    }

    /// Turns a proposal down; the reason goes to the proposer.
    @discardableResult
    public func reject(_ proposalID: UUID, reason: String) throws -> ProposalDecision {
        let reason = try validator.required(reason, field: "reason")
        let (_, proposer) = try undecided(proposalID)
        return try decide(proposalID, .rejected, reason: reason, proposer: proposer)
    }

    /// A proposal to a record this node keeps, not decided yet, and the node that made it.
    private func undecided(_ proposalID: UUID) throws -> (Proposal, NodeID) {
        guard let proposal = try validator.fetch(Proposal.self, proposalID), let proposer = proposal.metadata?.steward else {
            throw LiaisonError(.notFound, "no proposal with this id is held here", record: proposalID.lowercasedString)
        }
        guard proposer != node.id.hex else {
            throw LiaisonError(.conflict, "this node made this proposal: the node that keeps the record decides it", record: proposalID.lowercasedString)
        }
        let decided = try Bool.fetchOne(
            db, sql: "SELECT EXISTS (SELECT 1 FROM proposal_decision WHERE proposal_id = ? AND deleted = 0)", arguments: [proposalID.lowercasedString])
        guard decided != true else { throw LiaisonError(.conflict, "this proposal was decided already", record: proposalID.lowercasedString) }
        let steward = try String.fetchOne(
            db, sql: "SELECT steward FROM \(proposal.recordEntity.table) WHERE id = ? AND deleted = 0", arguments: [proposal.recordID.lowercasedString])
        guard let steward else {
            throw LiaisonError(.conflict, "the record this proposal edits was removed: reject it", record: proposal.recordID.lowercasedString)
        }
        guard steward == node.id.hex else {
            throw LiaisonError(.conflict, "another node keeps the record this proposal edits now: reject it", record: proposal.recordID.lowercasedString)
        }
        return (proposal, try NodeID(hex: proposer))
    }

    private func decide(_ proposalID: UUID, _ verdict: ProposalVerdict, reason: String?, proposer: NodeID) throws -> ProposalDecision {
        var decision = ProposalDecision(proposalID: proposalID, verdict: verdict, reason: reason)
        _ = try record(decision, existing: nil, distribution: .nodes([proposer]))
        decision.metadata = metadata(after: nil)
        return decision
    }

    /// The stored record with the proposed field groups in place of its own.
    private func proposed<Record: ReplicatedRecord & FetchableRecord & TableRecord>(_ type: Record.Type, _ change: Change) throws -> Record {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM \(Record.databaseTableName) WHERE id = ?", arguments: [change.recordID.lowercasedString])
        else {
            throw LiaisonError(.conflict, "the record this proposal edits is not held here", record: change.recordID.lowercasedString)
        }
        guard let prepared = ChangeApplier.prepare(change) else {
            throw LiaisonError(.conflict, "this proposal's change does not fit the record's fields", record: change.recordID.lowercasedString)
        }
        var values = Dictionary(row.map { ($0.0, $0.1) }, uniquingKeysWith: { first, _ in first })
        for group in prepared.values {
            for (column, value) in zip(group.columns, group.values) { values[column] = value }
        }
        return try Record(row: Row(values))
    }
}
