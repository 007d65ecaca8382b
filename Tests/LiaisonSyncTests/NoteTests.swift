import Crypto
import Foundation
import GRDB
@testable import LiaisonCore
import LiaisonSync
import LiaisonTestSupport
import Testing

/// Intelligence notes between nodes: drafts stay home, published notes reach exactly the nodes
/// their distribution names, sealed through nodes that may not read them.
@Suite struct NoteTests {
    /// Writes a published note whose body holds `marker`.
    @discardableResult
    static func publish(
        _ node: Directory, _ marker: String, to distribution: Distribution, marking: Marking = .amber, derivedFrom: UUID? = nil
    ) throws -> Note {
        let note = Note(
            title: "Note \(marker)", language: "en", body: "Seen at the border: \(marker)", countries: ["MD"], crimeAreas: [.traffickingInPersons],
            status: .published, reliability: .b, credibility: .two, marking: marking, distribution: distribution, derivedFrom: derivedFrom)
        return try node.write { tx in try tx.save(note) }.value
    }

    @discardableResult
    static func save(_ note: Note, on node: Directory) throws -> Note { try node.write { tx in try tx.save(note) }.value }

    @discardableResult
    static func save(_ group: SharingGroup, on node: Directory) throws -> SharingGroup { try node.write { tx in try tx.save(group) }.value }

    static func holds(_ node: Directory, _ note: Note) throws -> Bool {
        try node.read { db in try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM note WHERE id = ?)", arguments: [note.id.lowercasedString]) ?? false }
    }

    /// Whether the marker's bytes are anywhere in the node's log or tables, in clear.
    static func anyTrace(of marker: String, in node: Directory) throws -> Bool {
        try node.read { db in
            let logs = try Data.fetchAll(db, sql: "SELECT changes FROM commit_log")
            let notes = try String.fetchAll(db, sql: "SELECT body FROM note")
            return logs.contains { $0.range(of: Data(marker.utf8)) != nil } || notes.contains { $0.contains(marker) }
        }
    }

    @Test func aDraftNeverLeavesItsNode() throws {
        let nodes = try Federation.nodes(2)
        let draft = try nodes[0].write { tx in try tx.save(Note(title: "Draft", language: "en", body: "DRAFT-MARKER")) }.value
        #expect(draft.status == .draft && draft.distribution == .nodeOnly)
        // Even a draft given another distribution is written for this node only.
        var wide = Note(title: "Wide draft", language: "en", body: "WIDE-DRAFT")
        wide.distribution = .federation
        #expect(try Self.save(wide, on: nodes[0]).distribution == .nodeOnly)
        try Federation.syncAll(nodes)
        #expect(try !Self.holds(nodes[1], draft))
        #expect(try !Self.anyTrace(of: "DRAFT-MARKER", in: nodes[1]) && !Self.anyTrace(of: "WIDE-DRAFT", in: nodes[1]))
        #expect(try Self.anyTrace(of: "DRAFT-MARKER", in: nodes[0]))
        // Its commit reached the other node, as hashes: the chain still verifies there.
        #expect(try nodes[1].vector() == nodes[0].vector())
        // Published, it travels whole; a published note cannot be a draft again.
        var published = draft
        (published.status, published.reliability, published.credibility, published.marking, published.distribution) = (.published, .c, .three, .green, .federation)
        try Self.save(published, on: nodes[0])
        try Federation.syncAll(nodes)
        #expect(try nodes[1].note(matching: draft.id.lowercasedString).body == "DRAFT-MARKER")
        published.status = .draft
        let back = #expect(throws: LiaisonError.self) { try Self.save(published, on: nodes[0]) }
        #expect(back?.code == .conflict)
    }

    @Test func publishingNeedsAGradingAMarkingAndSendsRedToNamedNodesOnly() throws {
        let nodes = try Federation.nodes(3)
        let group = try nodes[0].write { tx in try tx.save(SharingGroup(name: "Desk", members: [nodes[0].node.id, nodes[1].node.id])) }.value
        var ungraded = Note(title: "Ungraded", language: "en", body: "", status: .published, marking: .green, distribution: .federation)
        let grading = #expect(throws: LiaisonError.self) { try Self.save(ungraded, on: nodes[0]) }
        #expect(grading?.message.contains("needs a grading") == true)
        (ungraded.reliability, ungraded.credibility, ungraded.marking) = (.a, .one, nil)
        let marking = #expect(throws: LiaisonError.self) { try Self.save(ungraded, on: nodes[0]) }
        #expect(marking?.message.contains("needs a TLP marking") == true)
        for wide in [Distribution.federation, .group(group.id.lowercasedString, recipients: [])] {
            let red = #expect(throws: LiaisonError.self) { try Self.publish(nodes[0], "RED-WIDE", to: wide, marking: .red) }
            #expect(red?.message == IntelligenceRules.redBeyondNamedNodes)
        }
        let red = try Self.publish(nodes[0], "RED-NAMED", to: .nodes([nodes[1].node.id]), marking: .red)
        try Federation.syncAll(nodes)
        #expect(try Self.holds(nodes[1], red) && !Self.holds(nodes[2], red))
        #expect(try !Self.anyTrace(of: "RED-NAMED", in: nodes[2]))
        // Naming only this node is not a distribution.
        let selfOnly = #expect(throws: LiaisonError.self) { try Self.publish(nodes[0], "SELF", to: .nodes([nodes[0].node.id])) }
        #expect(selfOnly?.message.contains("at least one node other than this one") == true)
    }

    @Test func aDerivedNoteCarriesNoLowerMarkingAndReachesNoNodeItsSourceDoesNot() throws {
        let nodes = try Federation.nodes(3)
        let source = try Self.publish(nodes[0], "SOURCE", to: .nodes([nodes[1].node.id]), marking: .amberStrict)
        try Federation.syncAll(nodes)
        let lower = #expect(throws: LiaisonError.self) {
            try Self.publish(nodes[1], "LOWER", to: .nodes([nodes[0].node.id]), marking: .amber, derivedFrom: source.id)
        }
        #expect(lower?.message.contains("cannot carry the lower marking TLP:AMBER") == true)
        let wider = #expect(throws: LiaisonError.self) {
            try Self.publish(nodes[1], "WIDER", to: .nodes([nodes[2].node.id]), marking: .red, derivedFrom: source.id)
        }
        #expect(wider?.message.contains("cannot be shared wider than it") == true)
        let federation = #expect(throws: LiaisonError.self) {
            try Self.publish(nodes[1], "FEDERATION", to: .federation, marking: .amberStrict, derivedFrom: source.id)
        }
        #expect(federation?.field == "distribution")
        // Back to its author, as high or higher: allowed.
        let derived = try Self.publish(nodes[1], "DERIVED", to: .nodes([nodes[0].node.id]), marking: .red, derivedFrom: source.id)
        try Federation.syncAll(nodes)
        #expect(try Self.holds(nodes[0], derived) && !Self.holds(nodes[2], derived))
        #expect(try nodes[0].notePage(source.id).derived.map(\.id) == [derived.id])
    }

    @Test func aSealedNoteCrossesAHubThatCannotReadIt() throws {
        // Headquarters and the field office never meet: everything goes through the hub.
        let nodes = try Federation.nodes(3)
        let (headquarters, hub, field) = (nodes[0], nodes[1], nodes[2])
        let note = try Self.publish(headquarters, "FOR-THE-FIELD", to: .nodes([field.node.id]))
        let group = try headquarters.write { tx in try tx.save(SharingGroup(name: "Field desks", members: [field.node.id])) }.value
        let grouped = try Self.publish(headquarters, "GROUP-FIELD", to: .group(group.id.lowercasedString, recipients: []))
        #expect(grouped.distribution == .group(group.id.lowercasedString, recipients: [field.node.id]))
        try Federation.sync(headquarters, to: hub)
        let atHub = try Federation.sync(hub, to: field)
        #expect(atHub.refused.isEmpty && atHub.refusedChanges.isEmpty)
        #expect(try Self.holds(field, note) && Self.holds(field, grouped))
        #expect(try field.note(matching: note.id.lowercasedString).body.contains("FOR-THE-FIELD"))
        #expect(try !Self.holds(hub, note) && !Self.holds(hub, grouped))
        #expect(try !Self.anyTrace(of: "FOR-THE-FIELD", in: hub) && !Self.anyTrace(of: "GROUP-FIELD", in: hub))
        // The field office evaluates it; the evaluation goes back through the hub, sealed too.
        try field.write { tx in try tx.evaluate(note.id, reliability: .a, credibility: .one, comment: "FIELD-COMMENT") }
        try Federation.sync(field, to: hub)
        try Federation.sync(hub, to: headquarters)
        #expect(try !Self.anyTrace(of: "FIELD-COMMENT", in: hub))
        let page = try headquarters.notePage(note.id)
        #expect(page.evaluations.map(\.evaluation.comment) == ["FIELD-COMMENT"])
        #expect(page.combined?.grading == "B2" && page.combined?.nodes == 2)
    }

    @Test func aSealedCopyThatDoesNotMatchItsHashIsIgnored() throws {
        let nodes = try Federation.nodes(3)
        let (author, relay, receiver) = (nodes[0], nodes[1], nodes[2])
        let note = try Self.publish(author, "GENUINE", to: .nodes([receiver.node.id]))
        var commit = try #require(author.commits(beyond: VersionVector(), for: relay.node.id).last)
        let index = try #require(commit.sealedBodies.keys.first)
        #expect(commit.changeBodies[index] == nil, "the relay gets the body sealed only")
        // The relay seals other bytes to the receiver's real key: they do not match the signed hash.
        let receiverKey = try #require(receiver.encryptionKey).publicKey
        var forged = Note(id: note.id, title: "Forged", language: "en", body: "FORGED", status: .published, reliability: .a, credibility: .one, marking: .amber)
        forged.distribution = .nodes([receiver.node.id])
        let forgedBody = Change(entity: .note, recordID: note.id, operation: .upsert(FieldGroups(forged.fieldGroups)), distribution: forged.distribution).encoded
        commit.sealedBodies[index] = [try Sealing.seal(forgedBody, hash: Change.hash(of: forgedBody), to: receiver.node.id, key: receiverKey)]
        try Federation.sync(author, to: relay)
        let report = try receiver.receive([commit])
        #expect(report.applied == 1 && report.refused.isEmpty)
        #expect(try !Self.holds(receiver, note) && !Self.anyTrace(of: "FORGED", in: receiver))
        // The genuine copy, arriving later with the same commit, fills the body in.
        try Federation.sync(relay, to: receiver)
        #expect(try !Self.holds(receiver, note), "a commit already held is not sent again by vector")
        _ = try receiver.receive(try author.commits(beyond: VersionVector(), for: receiver.node.id))
        #expect(try receiver.note(matching: note.id.lowercasedString).title == "Note GENUINE")
    }

    @Test func aRemovedMemberGetsNoLaterNotesAndKeepsWhatItHolds() throws {
        let nodes = try Federation.nodes(3)
        var group = try nodes[0].write { tx in try tx.save(SharingGroup(name: "Desk", members: [nodes[1].node.id, nodes[2].node.id])) }.value
        let before = try Self.publish(nodes[0], "BEFORE", to: .group(group.id.lowercasedString, recipients: []))
        try Federation.syncAll(nodes)
        #expect(try Self.holds(nodes[2], before))
        group.members = [nodes[1].node.id]
        try Self.save(group, on: nodes[0])
        let after = try Self.publish(nodes[0], "AFTER", to: .group(group.id.lowercasedString, recipients: []))
        try Federation.syncAll(nodes)
        #expect(try Self.holds(nodes[1], after) && !Self.holds(nodes[2], after))
        #expect(try !Self.anyTrace(of: "AFTER", in: nodes[2]))
        #expect(try Self.holds(nodes[2], before), "what it held stays")
        // Only the group's steward changes it.
        var taken = try #require(try nodes[1].sharingGroups().first)
        taken.members.append(nodes[1].node.id)
        let steward = #expect(throws: LiaisonError.self) { try Self.save(taken, on: nodes[1]) }
        #expect(steward?.message.contains("only they can change it") == true)
    }

    @Test func evaluationsAreHistoryAndALinkReachesOnlyNodesThatMayReadBothNotes() throws {
        let nodes = try Federation.nodes(3)
        let open = try Self.publish(nodes[0], "OPEN", to: .federation)
        let narrow = try Self.publish(nodes[0], "NARROW", to: .nodes([nodes[1].node.id]))
        try Federation.syncAll(nodes)
        try nodes[1].write { tx in try tx.evaluate(open.id, reliability: .c, credibility: .three) }
        try nodes[2].write { tx in try tx.evaluate(open.id, reliability: .d, credibility: .four) }
        try nodes[2].write { tx in try tx.evaluate(open.id, reliability: .a, credibility: .two, comment: "confirmed since") }
        let link = try nodes[1].write { tx in try tx.link(narrow.id, .corroborates, open.id, comment: "LINK-COMMENT") }.value
        try Federation.syncAll(nodes)
        let page = try nodes[0].notePage(open.id)
        #expect(page.evaluations.count == 3)
        // The author's B2, node 1's C3 and node 2's latest, A2: B and 2.
        #expect(page.combined?.grading == "B2" && page.combined?.nodes == 3 && page.combined?.corroborations == 1)
        #expect(try nodes[0].notePage(open.id).links.map(\.link.id) == [link.id])
        #expect(try !Self.anyTrace(of: "LINK-COMMENT", in: nodes[2]))
        #expect(try nodes[2].notePage(open.id).links.isEmpty)
    }

    @Test func theAuthorsLogVerifiesWithEveryBodyItWrote() throws {
        let keys = [Curve25519.Signing.PrivateKey(), Curve25519.Signing.PrivateKey(), Curve25519.Signing.PrivateKey()]
        let nodes = try Federation.nodes(keys: keys)
        let group = try Self.save(SharingGroup(name: "Desk", members: [nodes[1].node.id]), on: nodes[0])
        try Self.save(Note(title: "Draft", language: "en", body: "OWN-DRAFT"), on: nodes[0])
        let named = try Self.publish(nodes[0], "OWN-NAMED", to: .nodes([nodes[1].node.id]))
        try Self.publish(nodes[0], "OWN-GROUP", to: .group(group.id.lowercasedString, recipients: []))
        try Federation.syncAll(nodes)
        try nodes[1].write { tx in try tx.evaluate(named.id, reliability: .a, credibility: .one) }
        try nodes[0].write { tx in try tx.evaluate(named.id, reliability: .c, credibility: .three, comment: "OWN-EVALUATION") }
        try Federation.syncAll(nodes)
        // The log replays to the same tables: the author keeps every body it wrote.
        for node in nodes {
            try node.read { db in
                _ = try LogStore.verify(in: db)
                _ = try LogStore.verifyState(in: db)
            }
        }
    }

    @Test func aMemberAddedLaterGetsNeitherEarlierNotesNorWhatFollowsThem() throws {
        let nodes = try Federation.nodes(3)
        var group = try Self.save(SharingGroup(name: "Desk", members: [nodes[1].node.id]), on: nodes[0])
        var note = try Self.publish(nodes[0], "EARLIER", to: .group(group.id.lowercasedString, recipients: []))
        try Federation.syncAll(nodes)
        group.members.append(nodes[2].node.id)
        try Self.save(group, on: nodes[0])
        try Federation.syncAll(nodes)
        let noteID = note.id
        try nodes[1].write { tx in try tx.evaluate(noteID, reliability: .a, credibility: .one, comment: "FOLLOW-UP") }
        note.body += " EDITED"
        note = try Self.save(note, on: nodes[0])
        #expect(note.distribution == .group(group.id.lowercasedString, recipients: [nodes[1].node.id]))
        try Federation.syncAll(nodes)
        #expect(try !Self.anyTrace(of: "EARLIER", in: nodes[2]) && !Self.anyTrace(of: "FOLLOW-UP", in: nodes[2]))
        #expect(try nodes[1].note(matching: note.id.lowercasedString).body.hasSuffix("EDITED"))
        // Shared again with the group, it reaches the members it has now.
        let shared = note
        try nodes[0].write { tx in try tx.save(shared, reshare: true) }
        try Federation.syncAll(nodes)
        #expect(try nodes[2].note(matching: note.id.lowercasedString).body.hasSuffix("EDITED"))
    }

    @Test func sealedCopiesThatARelayLeftOutArriveWithTheWholeLog() throws {
        let nodes = try Federation.nodes(3)
        let (author, relay, field) = (nodes[0], nodes[1], nodes[2])
        let note = try Self.publish(author, "STRIPPED", to: .nodes([field.node.id]))
        var stripped = try author.commits(beyond: VersionVector(), for: relay.node.id)
        for index in stripped.indices { stripped[index].sealedBodies = [:] }
        _ = try relay.receive(stripped)
        try Federation.sync(relay, to: field)
        #expect(try !Self.holds(field, note))
        // The relay keeps the copies that a later copy of the commit carries, and a bundle of its
        // whole log brings them to the field office.
        _ = try relay.receive(try author.commits(beyond: VersionVector(), for: relay.node.id))
        let folder = Fixtures.temporaryFolder()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let bundle = folder.appending(path: "whole.bundle")
        _ = try relay.exportBundle(to: bundle, assumes: VersionVector())
        let summary = try field.importBundle(from: bundle)
        #expect(summary.report.changesFilledIn == 1)
        #expect(try field.note(matching: note.id.lowercasedString).body.contains("STRIPPED"))
    }

    @Test func notesAreFoundByFoldedWordsAndFiltersAndShownOnTheirPages() throws {
        let nodes = try Federation.nodes(2)
        let police = try nodes[0].write { tx in try tx.save(Agency(name: "Poliția de Frontieră", acronym: "IGPF", kind: .border, country: "MD")) }.value
        let officer = try nodes[0].write { tx in try tx.save(Person(agencyID: police.id, givenName: "Ion", familyName: "Popescu")) }.value
        let route = Note(
            title: "Вербовка через объявления", language: "ru", body: "Автобусы из Кишинёва в Бари", countries: ["MD", "IT"], agencyIDs: [police.id],
            personIDs: [officer.id], crimeAreas: [.forcedLabour], refersTo: "2026-11-20", status: .published, reliability: .b, credibility: .two,
            marking: .amber, distribution: .federation)
        let other = Note(
            title: "Document fraud at Otopeni", language: "en", body: "Forged visas", countries: ["RO"], crimeAreas: [.documentFraud],
            refersTo: "2026-10-01", status: .published, reliability: .d, credibility: .four, marking: .green, distribution: .federation)
        for note in [route, other] { try Self.save(note, on: nodes[0]) }
        try Federation.syncAll(nodes)
        for node in nodes {
            func found(_ query: NoteQuery) throws -> [UUID] { try node.searchNotes(query).map(\.id) }
            #expect(try found(NoteQuery("verbovka")) == [route.id], "a Latin query finds Cyrillic")
            #expect(try found(NoteQuery("kishin bari")) == [route.id], "words of the body, a word's start")
            #expect(try found(NoteQuery("frontiera popescu")) == [route.id], "the names of the agencies and contacts it concerns")
            #expect(try found(NoteQuery("forced labour")) == [route.id], "its crime areas")
            #expect(try found(NoteQuery("", country: "it")) == [route.id])
            #expect(try found(NoteQuery("", reliability: .c)) == [route.id], "C or better")
            #expect(try found(NoteQuery("", reliability: .d)).count == 2)
            #expect(try found(NoteQuery("", credibility: .three, marking: .amber)) == [route.id])
            #expect(try found(NoteQuery("", from: "2026-11-01")) == [route.id])
            #expect(try found(NoteQuery("visas", to: "2026-10-31")) == [other.id])
            #expect(try found(NoteQuery("visas", crimeArea: .forcedLabour)).isEmpty)
            #expect(try node.countryPage("MD").notes.map(\.id) == [route.id])
            #expect(try node.agencyCard(police.id).notes.map(\.id) == [route.id])
            #expect(try node.contactCard(officer.id).notes.map(\.id) == [route.id])
        }
        let day = #expect(throws: LiaisonError.self) { try nodes[0].searchNotes(NoteQuery("", from: "20 Nov")) }
        #expect(day?.field == "from")
    }

    @Test(arguments: [
        ("a distribution field that is not the change's", "distribution", FieldValue.text("this-node"), "the note's distribution field does not say"),
        ("a draft for the federation", "status", .text("draft"), "a draft note is distributed beyond its node"),
        ("an unknown marking", "marking", .text("SECRET"), "marking holds a term that is not one of"),
        ("a published note without a grading", "reliability", .null, "lacks its grading or marking"),
        ("a day not written YYYY-MM-DD", "refers_to", .text("20/11/2026"), "refers_to is not a day"),
        ("an unknown country", "countries", .list(["XX"]), "countries holds a code that is not"),
    ])
    func aReceiverRefusesANoteThatBreaksTheRules(_ rule: String, _ field: String, _ value: FieldValue, _ reason: String) throws {
        let nodes = try Federation.nodes(2)
        let note = Note(title: "Crafted", language: "en", body: "", status: .published, reliability: .a, credibility: .one, marking: .green, distribution: .federation)
        var groups = note.fieldGroups
        groups["note"]?[field] = value
        let change = Change(entity: .note, recordID: note.id, operation: .upsert(FieldGroups(groups)), distribution: .federation)
        let key = try #require(nodes[0].signingKey)
        let commit = try Commit.sign(
            changes: [change], origin: nodes[0].node.id, epoch: 1, sequence: 1, previousHash: CommitHeader.genesisHash,
            time: HybridLogicalTime(rawValue: UInt64(Date().timeIntervalSince1970 * 1000) << 16), key: key)
        let report = try nodes[1].receive([commit])
        #expect(report.applied == 1, "\(rule)")
        #expect(report.refusedChanges.first?.reason.contains(reason) == true, "\(rule): \(report.refusedChanges)")
        #expect(try !Self.holds(nodes[1], note), "\(rule)")
    }
}
