import Foundation
import Testing

/// `liaison token`: a token is shown once, listed by name only, and revoked by name.
@Suite struct TokenCLITests {
    @Test func aTokenIsShownOnceListedByNameAndRevoked() async throws {
        let workspace = try Workspace()
        let node = try await workspace.node("node", name: "Chisinau desk", agency: "Police")
        let created = try #require(try await node.json("token", "create", "--name", "desk laptop", "--expires", "2999-12-31") as? [String: Any])
        let token = try #require(created["token"] as? String)
        #expect(token.hasPrefix("liaison_") && token.count > 40)
        #expect(created["expires_at"] as? String == "2999-12-31")
        let listed = try await node.run("token", "list")
        #expect(listed.stdout.contains("desk laptop") && listed.stdout.contains("2999-12-31"))
        #expect(!listed.stdout.contains(token), "the token itself is never shown again")
        #expect(try await node.run("token", "create", "--name", "desk laptop", exit: 1).stderr.contains("a token named \"desk laptop\" exists"))
        #expect(try await node.run("token", "create", "--name", "old", "--expires", "2020-01-01", exit: 1).stderr.contains("that day is past"))
        #expect(try await node.run("token", "revoke", "desk laptop").stdout.contains("Revoked the token desk laptop."))
        let revoked = try #require(try await node.json("token", "list") as? [[String: Any]])
        #expect(revoked.first?["revoked_at"] as? String != nil)
        #expect(try await node.run("token", "revoke", "nobody", exit: 1).stderr.contains("no token named \"nobody\""))
        // A revoked token's name serves a new token; the old one stays revoked.
        let renewed = try #require(try await node.json("token", "create", "--name", "desk laptop") as? [String: Any])
        #expect(renewed["token"] as? String != token)
        let again = try #require(try await node.json("token", "list") as? [[String: Any]])
        #expect(again.count == 1 && again.first?["revoked_at"] == nil)
    }
}
