import LiaisonCore
import LiaisonTestSupport
import Testing

/// The merge rules, case by case, as the pure functions every node applies.
@Suite struct MergeTests {
    // Stamps sort as (clock, origin): "…01-a" < "…01-b" < "…02-a".
    let a = String(repeating: "a", count: 32), b = String(repeating: "b", count: 32)
    func stamp(_ time: Int, _ origin: String) -> String {
        let hex = String(time, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex + "-" + origin
    }
    func record(steward: String, claim: Int, _ stamps: [String: Int]) -> Merge.Record {
        Merge.Record(steward: steward, claim: stamp(claim, steward), stamps: stamps.mapValues { stamp($0, steward) })
    }
    func decide(_ record: Merge.Record?, origin: String, at time: Int, groups: [String]?) -> Merge.Decision {
        Merge.decide(record: record, origin: origin, stamp: stamp(time, origin), groups: groups, groupCount: 3, kind: "agency")
    }
    let all = ["address", "name", "placement"]

    @Test func aCreationOfAnUnknownRecordCreatesIt() {
        #expect(decide(nil, origin: a, at: 1, groups: all) == .create)
    }

    @Test func anEditOrDeleteOfAnUnknownRecordIsRefused() {
        #expect(decide(nil, origin: a, at: 2, groups: ["name"]) == .refuse("changes a agency this node has no creation of"))
        #expect(decide(nil, origin: a, at: 2, groups: nil) == .refuse("deletes a agency this node has no creation of"))
    }

    @Test func lastWriterWinsPerFieldGroup() {
        let held = record(steward: a, claim: 1, ["address": 1, "name": 5, "placement": 1])
        #expect(decide(held, origin: a, at: 3, groups: ["name", "address"]) == .write(["address"]), "name holds a later write")
        #expect(decide(held, origin: a, at: 6, groups: ["name", "address"]) == .write(["name", "address"]))
        #expect(decide(held, origin: a, at: 4, groups: ["name"]) == .superseded)
    }

    @Test func anEqualStampComesFromTheSameCommitAndWins() {
        let held = record(steward: a, claim: 1, ["address": 1, "name": 5, "placement": 1])
        #expect(decide(held, origin: a, at: 5, groups: ["name"]) == .write(["name"]))
        #expect(decide(record(steward: a, claim: 1, ["name": 1, "~deleted": 5]), origin: a, at: 5, groups: nil) == .delete)
    }

    @Test func aDeleteWinsOverTheWritesItSawAndAnOlderDeleteIsSuperseded() {
        #expect(decide(record(steward: a, claim: 1, ["name": 2]), origin: a, at: 3, groups: nil) == .delete)
        #expect(decide(record(steward: a, claim: 1, ["name": 2, "~deleted": 4]), origin: a, at: 3, groups: nil) == .superseded)
    }

    @Test func aRecordIsDeletedWhileItsTombstoneIsNoEarlierThanEveryWrite() {
        let tombstone = stamp(4, a)
        #expect(Merge.isDeleted(["name": stamp(2, a), Merge.deletionGroup: tombstone]))
        #expect(Merge.isDeleted(["name": tombstone, Merge.deletionGroup: tombstone]), "a delete in the edit's commit wins")
        #expect(!Merge.isDeleted(["name": stamp(5, a), Merge.deletionGroup: tombstone]), "an edit after the delete revives it")
        #expect(!Merge.isDeleted(["name": stamp(2, a)]))
    }

    @Test func anotherNodesChangesToAStewardedRecordAreRefused() {
        let held = record(steward: a, claim: 1, ["address": 1, "name": 1, "placement": 1])
        let refusal = Merge.Decision.refuse("node \(b) is not the steward of this agency (\(a) is)")
        #expect(decide(held, origin: b, at: 9, groups: ["name"]) == refusal)
        #expect(decide(held, origin: b, at: 9, groups: nil) == refusal)
        #expect(decide(held, origin: b, at: 9, groups: all) == refusal, "a later creation does not take a record over")
    }

    @Test func anEarlierCreationByAnotherNodeTakesTheRecordOver() {
        let held = record(steward: b, claim: 3, ["address": 3, "name": 7, "placement": 3])
        #expect(decide(held, origin: a, at: 2, groups: all) == .replace(previousSteward: b))
        // At the same clock time the origin decides: "…-a" sorts before "…-b".
        #expect(decide(held, origin: a, at: 3, groups: all) == .replace(previousSteward: b))
        #expect(decide(held, origin: a, at: 2, groups: ["name"]) == .refuse("node \(a) is not the steward of this agency (\(b) is)"))
    }
}
