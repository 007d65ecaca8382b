import Crypto
import Foundation
import GRDB
@testable import LiaisonCore
@testable import LiaisonSync
import LiaisonTestSupport
import Testing

/// A commit that reaches every node whole is sent as the log stores it, without being decoded: the
/// bundle is byte for byte the one that decoding each commit and encoding it again makes.
@Suite struct StoredExportTests {
    @Test func commitsSentAsStoredAreTheCommitsDecodedAndEncodedAgain() throws {
        let time = Date(timeIntervalSince1970: 1_780_000_000)
        let nodes = try Federation.nodes(keys: [Curve25519.Signing.PrivateKey(), Curve25519.Signing.PrivateKey()], clock: { _ in { time } })
        let (node, receiver) = (nodes[0], nodes[1].node.id)
        _ = try node.write { tx in
            let police = try tx.save(Agency(name: "Centre for Combating Trafficking in Persons", acronym: "CCTP", kind: .police, country: "MD"))
            let person = try tx.save(Person(agencyID: police.id, givenName: "Ion", familyName: "Popescu", languages: ["ro", "ru"]))
            try tx.save(Channel(personID: person.id, kind: .phone, value: "+37322000101", is24x7: true))
        }
        _ = try node.write { tx in try tx.save(Agency(name: "Border Police", kind: .border, country: "MD")) }
        #expect(try node.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM commit_log WHERE travels_whole = 1") } == 2)

        func bundle() throws -> [UInt8] {
            var bytes: [UInt8] = []
            let disclosure = Directory.Disclosure(action: .disclosedByBundle, actor: "user:test", detail: [:])
            let summary = try node.writeBundle(assumes: VersionVector(), for: receiver, disclosure: disclosure) { bytes += $0 }
            #expect(summary.commits == 2 && summary.changes == 4 && summary.withheldChanges == 0)
            return bytes
        }
        let asStored = try bundle()
        try node.database.write { db in try db.execute(sql: "UPDATE commit_log SET travels_whole = 0") }
        let decoded = try bundle()
        #expect(asStored == decoded)

        // A commit that lacks a body is decoded for each receiver, never sent as stored.
        var partial = try #require(try node.commits(beyond: VersionVector()).first)
        #expect(LogStore.travelsWhole(partial))
        partial.changeBodies[0] = nil
        #expect(!LogStore.travelsWhole(partial))
    }
}
