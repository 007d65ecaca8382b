import Foundation
import LiaisonTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Ctrl-C during an import: the command says what was kept and exits 130, as a shell expects.
@Suite struct InterruptTests {
    /// Enough contacts that an import is still running when the signal comes, even in a release build.
    static let contacts = 30_000

    static func csv(contacts: Int) -> String {
        var text = "country,agency,agency_kind,given_name,family_name,phone\n"
        for index in 0..<contacts {
            text += "MD,Agency \(index % 40),police,Given\(index),Family\(index),+37322\(String(format: "%06d", index))\n"
        }
        return text
    }

    /// The sequence this node holds of `origin`'s commits, from `log vector --json`, at once: it
    /// watches a command that runs.
    static func held(of origin: String, by node: CLINode) async throws -> Int {
        let run = try await node.workspace.run(["log", "vector", "--json", "--data", node.data.path], waitsForSlot: false)
        let vector = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let entries = vector["entries"] as? [[String: Any]] ?? []
        return entries.first { $0["origin"] as? String == origin }?["sequence"] as? Int ?? 0
    }

    @Test func ctrlCDuringAnImportSaysWhatWasKept() async throws {
        let workspace = try Workspace()
        let chisinau = try await workspace.node("chisinau", name: "Chisinau liaison desk", agency: "National Police of Moldova")
        try workspace.write(Self.csv(contacts: Self.contacts), to: "contacts.csv")

        // A file import is one transaction: nothing of it stays.
        let stopped = try await workspace.run(["import", "contacts.csv", "--data", chisinau.data.path]) { process in
            try await Task.sleep(for: .seconds(1))
            #expect(process.isRunning, "the import ended before the signal: give it a larger file")
            kill(process.processIdentifier, SIGINT)
        }
        #expect(stopped.status == 130, "\(stopped)")
        #expect(stopped.stderr == "Interrupted: nothing was imported from contacts.csv; run the import again.\n")
        let stats = try #require(try await chisinau.json("stats") as? [String: Any])
        #expect(stats["contacts"] as? Int == 0 && stats["commits"] as? Int == 0, "\(stats)")

        // A bundle is applied batch by batch, and the batches applied stay.
        try await chisinau.run("import", "contacts.csv")
        try await chisinau.run("node", "card", "--out", "chisinau.card")
        try await chisinau.run("bundle", "export", "--out", "all.bundle")
        let origin = try await chisinau.id()
        let bucharest = try await workspace.node("bucharest", name: "Bucharest desk", agency: "Romanian Police")
        try await bucharest.run("peer", "add", "chisinau.card", "--yes")
        let interrupted = try await workspace.run(["bundle", "import", "all.bundle", "--data", bucharest.data.path]) { process in
            // Signal once the first batch is in, so that some commits are kept.
            let deadline = Date().addingTimeInterval(120)
            while process.isRunning, Date() < deadline, try await Self.held(of: origin, by: bucharest) == 0 {
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(process.isRunning, "the bundle import ended before the signal: give it a larger bundle")
            kill(process.processIdentifier, SIGINT)
        }
        #expect(interrupted.status == 130, "\(interrupted)")
        let kept = try await Self.held(of: origin, by: bucharest)
        #expect(kept > 0)
        #expect(interrupted.stderr == """
            Interrupted: the \(kept) commits applied before the interruption are kept and the rest of all.bundle was not imported; \
            run the same import again to finish, which skips what is already here.\n
            """)
        try await bucharest.run("bundle", "import", "all.bundle")
        #expect(try await bucharest.run("digest").stdout == chisinau.run("digest").stdout)
    }

    @Test func sigtermStopsAnImportWithItsOwnStatus() async throws {
        let workspace = try Workspace()
        let node = try await workspace.node("desk", name: "Chisinau liaison desk", agency: "National Police of Moldova")
        try workspace.write(Self.csv(contacts: Self.contacts), to: "contacts.csv")
        let stopped = try await workspace.run(["import", "contacts.csv", "--json", "--data", node.data.path]) { process in
            try await Task.sleep(for: .seconds(1))
            kill(process.processIdentifier, SIGTERM)
        }
        #expect(stopped.status == 143, "\(stopped)")
        #expect(stopped.stdout.isEmpty && stopped.stderr == "Interrupted: nothing was imported from contacts.csv; run the import again.\n")
    }
}
