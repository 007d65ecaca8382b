import Foundation
import Testing

/// `liaison user`: the officers' accounts for the web page, made, listed, disabled and reset on the node.
@Suite struct UserCLITests {
    @Test func anAdministratorManagesAccounts() async throws {
        let workspace = try Workspace()
        let node = try await workspace.node("desk", name: "Chisinau liaison desk", agency: "National Police of Moldova")
        let added = try await node.run(["user", "add", "ana", "--role", "editor", "--password-stdin"], input: "correct horse battery\n")
        #expect(added.stdout == "Added ana, editor.\n")
        // Without a password: a one-time link, with the page's address when given.
        let enrolled = try await node.run("user", "add", "bogdan", "--role", "viewer", "--enrol", "--url", "https://desk.example:8443/").stdout
        let link = try #require(enrolled.firstMatch(of: #/https://desk\.example:8443/enrol/([A-Za-z0-9_-]{43})\n/#))
        #expect(enrolled.contains("valid 7 days") && !link.1.isEmpty)
        // What the account list says, and never a password or hash.
        let accounts = try #require(try await node.json("user", "list") as? [[String: Any]])
        #expect(accounts.map { $0["name"] as? String } == ["ana", "bogdan"])
        #expect(accounts.map { $0["enrolled"] as? Bool } == [true, false] && accounts.map { $0["role"] as? String } == ["editor", "viewer"])
        let table = try await node.run("user", "list").stdout
        #expect(table.contains("waiting to enrol until") && !table.contains("$2"))

        // A short password, none at all, a name taken, an unknown role or account: each says why.
        let short = try await node.run(["user", "add", "cy", "--role", "viewer", "--password-stdin"], input: "short\n", exit: 1)
        #expect(short.stderr == "error: password: needs at least 12 characters\n")
        #expect(try await node.run("user", "add", "dan", "--role", "viewer", exit: 1).stderr.contains("give --password-stdin, or --enrol for a one-time link"))
        #expect(try await node.run("user", "add", "ana", "--role", "viewer", "--enrol", exit: 1).stderr.contains("an account named \"ana\" exists"))
        #expect(try await node.run("user", "add", "eve", "--role", "chief", "--enrol", exit: 64).stderr.contains("chief"))
        #expect(try await node.run("user", "disable", "zed", exit: 1).stderr.contains("no account named \"zed\""))

        try await node.run("user", "disable", "ana")
        #expect(try await node.run("user", "list").stdout.contains("disabled"))
        try await node.run("user", "enable", "ana")
        let reset = try await node.run("user", "reset", "ana", "--enrol").stdout
        #expect(reset.contains("Reset ana; its sessions have ended.") && reset.contains("/enrol/"))
    }
}
