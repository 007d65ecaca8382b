import Foundation
import GRDB
@testable import LiaisonCore
import LiaisonSync
import LiaisonTestSupport
import Testing

/// An edit of a record another node keeps goes to that node alone as a proposal; accepted, it
/// becomes the steward's change on every node; rejected, its reason goes back to the proposer.
@Suite struct ProposalTests {
    /// Three nodes: the first keeps an agency with a contact; all hold them.
    static func federation() throws -> (nodes: [Directory], agency: Agency, person: Person) {
        let nodes = try Federation.nodes(3)
        let (agency, person) = try nodes[0].write { tx in
            let agency = try tx.save(Agency(name: "Border Police", kind: .border, country: "MD", website: "https://border.example"))
            let person = try tx.save(Person(agencyID: agency.id, givenName: "Ion", familyName: "Rusu", position: "Inspector"))
            return (agency, person)
        }.value
        try Federation.syncAll(nodes)
        return (nodes, agency, person)
    }

    @Test func anAcceptedProposalBecomesTheStewardsChangeEverywhere() throws {
        let (nodes, agency, _) = try Self.federation()
        var edited = try nodes[1].agency(matching: agency.id.lowercasedString)
        edited.website = "https://border.gov.example"
        edited.acronym = "PB"
        let (saved, proposals) = try nodes[1].write { [edited] tx in
            tx.proposalComment = "Their site moved in November"
            return (try tx.save(edited), tx.proposals)
        }.value
        // Nothing changes until the steward accepts.
        #expect(saved.website == "https://border.example" && proposals.count == 1)
        #expect(try nodes[1].agency(matching: agency.id.lowercasedString).website == "https://border.example")
        let mine = try #require(try nodes[1].proposals().first)
        #expect(!mine.incoming && mine.status == .open && mine.steward == nodes[0].node.id.hex)
        try Federation.syncAll(nodes)

        let incoming = try #require(try nodes[0].proposals(openOnly: true).first)
        #expect(incoming.incoming && incoming.comment == "Their site moved in November" && incoming.recordName == "Border Police")
        #expect(Set(incoming.changes.map(\.field)) == ["acronym", "website"])
        #expect(incoming.changes.first { $0.field == "website" }?.current == "https://border.example")
        // Only the steward and the proposer hold it: the third node has its hash only.
        #expect(try nodes[2].proposals().isEmpty)
        let notMine = #expect(throws: LiaisonError.self) { try nodes[1].write { tx in try tx.accept(mine.id) } }
        #expect(notMine?.code == .conflict)

        try nodes[0].write { tx in try tx.accept(incoming.id, comment: "Thanks") }
        try Federation.syncAll(nodes)
        for node in nodes {
            let now = try node.agency(matching: agency.id.lowercasedString)
            #expect(now.website == "https://border.gov.example" && now.acronym == "PB" && now.metadata?.steward == nodes[0].node.id.hex)
        }
        let answered = try #require(try nodes[1].proposals().first)
        #expect(answered.status == .accepted && answered.reason == "Thanks" && answered.changes.isEmpty)
        let twice = #expect(throws: LiaisonError.self) { try nodes[0].write { tx in try tx.accept(incoming.id) } }
        #expect(twice?.message == "this proposal was decided already")
    }

    @Test func aRejectedProposalTellsItsAuthorWhy() throws {
        let (nodes, _, person) = try Self.federation()
        var edited = try nodes[2].person(matching: person.id.lowercasedString)
        edited.position = "Head of unit"
        _ = try nodes[2].write { [edited] tx in try tx.save(edited) }
        try Federation.syncAll(nodes)
        let incoming = try #require(try nodes[0].proposals().first)
        let noReason = #expect(throws: LiaisonError.self) { try nodes[0].write { tx in try tx.reject(incoming.id, reason: " ") } }
        #expect(noReason?.code == .invalidValue)
        try nodes[0].write { tx in try tx.reject(incoming.id, reason: "He moved to the airport unit") }
        try Federation.syncAll(nodes)
        let answered = try #require(try nodes[2].proposals().first)
        #expect(answered.status == .rejected && answered.reason == "He moved to the airport unit")
        for node in nodes { #expect(try node.person(matching: person.id.lowercasedString).position == "Inspector") }
    }

    @Test func onlyTheStewardDecidesAndRemovalsAreStillRefused() throws {
        let (nodes, agency, _) = try Self.federation()
        var edited = try nodes[1].agency(matching: agency.id.lowercasedString)
        edited.address = "Str. Vamei 1"
        _ = try nodes[1].write { [edited] tx in try tx.save(edited) }
        try Federation.syncAll(nodes)
        let proposal = try #require(try nodes[1].proposals().first)
        // A decision from a node that does not keep the record is refused by the proposer.
        try nodes[2].write { tx in
            _ = try tx.record(ProposalDecision(proposalID: proposal.id, verdict: .accepted), existing: nil, distribution: .nodes([nodes[1].node.id]))
        }
        let report = try Federation.sync(nodes[2], to: nodes[1])
        #expect(report.refusedChanges.contains { $0.reason.hasSuffix("only the steward of a record decides a proposal to it") })
        #expect(try nodes[1].proposals().first?.status == .open)
        let removal = #expect(throws: LiaisonError.self) { try nodes[1].write { tx in try tx.removeAgency(agency.id, cascade: true) } }
        #expect(removal?.code == .conflict)
        // A proposal whose edit names a field its record does not have is refused, and reading
        // the proposals still works.
        let unknownField = Change(
            entity: .agency, recordID: agency.id, operation: .upsert(FieldGroups(["address": ["address": .text("x"), "zzz": .text("y")]])))
        let crafted = Proposal(change: unknownField)
        let refused = #expect(throws: LiaisonError.self) {
            try nodes[1].write { tx in _ = try tx.record(crafted, existing: nil, distribution: .nodes([nodes[0].node.id])) }
        }
        #expect(refused?.message == "change is not a valid edit of its record")
        // A proposal cannot change once written: its steward decides on what it read.
        let stored = try #require(try nodes[1].read { db in try Proposal.fetchOne(db, key: ["id": proposal.id.lowercasedString]) })
        var changed = stored
        changed.comment = "changed after it was read"
        try nodes[1].write { [changed] tx in _ = try tx.record(changed, existing: stored, distribution: .nodes([nodes[0].node.id])) }
        let changedReport = try Federation.sync(nodes[1], to: nodes[0])
        #expect(changedReport.refusedChanges.contains { $0.reason.hasSuffix("a proposal is written once and never changed") })
        #expect(try nodes[0].proposals().first?.comment == nil)
    }
}
