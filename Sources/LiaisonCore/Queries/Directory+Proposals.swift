public import Foundation
import GRDB

/// A proposal as an officer reads it: what it edits, who proposed it, and what became of it.
public struct ProposalSummary: Sendable, Codable, Hashable {
    public enum Status: String, Sendable, Codable {
        case open, accepted, rejected
    }

    /// One field the proposal changes: its value now, and the one proposed.
    public struct FieldChange: Sendable, Codable, Hashable {
        public var field: String
        public var current: String?
        public var proposed: String?
    }

    public var id: UUID
    public var entity: Entity
    public var recordID: UUID
    /// The record's name as held here, or nil when it is not held.
    public var recordName: String?
    /// The node that proposed it, and the node asked to decide (the record's steward).
    public var proposer: String
    public var steward: String?
    /// True when another node proposed it to this one.
    public var incoming: Bool
    public var status: Status
    public var comment: String?
    /// The steward's reason or comment with its decision.
    public var reason: String?
    public var proposedAt: String
    public var decidedAt: String?
    public var changes: [FieldChange]

    enum CodingKeys: String, CodingKey {
        case id, entity, recordID = "record_id", recordName = "record_name", proposer, steward, incoming, status, comment, reason
        case proposedAt = "proposed_at", decidedAt = "decided_at", changes
    }
}

extension Directory {
    /// The proposals held here: those made to this node and those it made, open ones first, then
    /// the latest.
    public func proposals(openOnly: Bool = false) throws(LiaisonError) -> [ProposalSummary] {
        let node = self.node.id.hex
        return try read { db in
            try Proposal.fetchAll(db, sql: "SELECT * FROM proposal WHERE deleted = 0 ORDER BY created_at DESC, id")
                .map { try Self.summary(of: $0, node: node, in: db) }
                .filter { !openOnly || $0.status == .open }
                .sorted { ($0.status == .open ? 0 : 1, $1.proposedAt) < ($1.status == .open ? 0 : 1, $0.proposedAt) }
        }
    }

    /// The proposal named by a full id or its last digits.
    public func proposal(matching reference: String) throws(LiaisonError) -> ProposalSummary {
        let key = reference.trimmed.lowercased()
        let found = try proposals().filter { $0.id.lowercasedString == key || (key.count >= 4 && $0.id.lowercasedString.hasSuffix(key)) }
        guard let first = found.first else {
            throw LiaisonError(.notFound, "no proposal matches \"\(reference)\"", hint: "`liaison proposal list` shows proposals with their ids")
        }
        guard found.count == 1 else { throw LiaisonError(.ambiguous, "\"\(reference)\" matches \(found.count) proposals", hint: "give more of the id") }
        return first
    }

    private static func summary(of proposal: Proposal, node: String, in db: Database) throws -> ProposalSummary {
        let table = proposal.recordEntity.table
        let row = try Row.fetchOne(db, sql: "SELECT * FROM \(table) WHERE id = ? AND deleted = 0", arguments: [proposal.recordID.lowercasedString])
        let decision = try ProposalDecision.fetchOne(
            db, sql: "SELECT * FROM proposal_decision WHERE proposal_id = ? AND deleted = 0 ORDER BY created_at LIMIT 1",
            arguments: [proposal.id.lowercasedString])
        var changes: [ProposalSummary.FieldChange] = []
        if case .upsert(let groups) = proposal.change.operation {
            for group in groups.groups {
                for (name, value) in group.fields {
                    let current = row.flatMap { $0.hasColumn(name) ? shown($0[name] as DatabaseValue) : nil }
                    let proposed = shown(value)
                    if current != proposed { changes.append(.init(field: name, current: current, proposed: proposed)) }
                }
            }
        }
        let proposer = proposal.metadata?.steward ?? node
        return ProposalSummary(
            id: proposal.id, entity: proposal.recordEntity, recordID: proposal.recordID, recordName: row.map { name(of: $0, proposal.recordEntity) },
            proposer: proposer, steward: row?["steward"], incoming: proposer != node,
            status: decision.map { $0.verdict == .accepted ? .accepted : .rejected } ?? .open, comment: proposal.comment, reason: decision?.reason,
            proposedAt: proposal.metadata?.createdAt ?? "", decidedAt: decision?.metadata?.createdAt, changes: changes)
    }

    private static func name(of row: Row, _ entity: Entity) -> String {
        switch entity {
        case .person:
            [row["given_name"], row["family_name"]].compactMap { $0 as String? }.joined(separator: " ").trimmed.isEmpty
                ? row["native_name"] ?? "" : [row["given_name"], row["family_name"]].compactMap { $0 as String? }.joined(separator: " ")
        case .channel: row["value"] ?? ""
        case .designation: [row["function"], row["crime_area"]].compactMap { $0 as String? }.joined(separator: ", ")
        default: row["name"] ?? ""
        }
    }

    private static func shown(_ value: DatabaseValue) -> String? {
        switch value.storage {
        case .null: nil
        case .int64(let number): String(number)
        case .double(let number): String(number)
        case .string(let text): text
        case .blob: "(binary)"
        }
    }

    private static func shown(_ value: FieldValue) -> String? {
        switch value {
        case .null: nil
        case .text(let text): text
        case .integer(let number): String(number)
        case .bool(let flag): flag ? "1" : "0"
        case .list(let items): JSONStringArray.encode(items)
        }
    }
}
