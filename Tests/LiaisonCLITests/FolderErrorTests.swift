import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// What an officer reads when the data folder is not as Liaison left it: read-only, unreadable,
/// a file, copied. Each message is one sentence that names the file and says what to do.
///
/// The permission tests run `liaison` as a user that permissions apply to (``Workspace/init(unprivileged:)``).
@Suite struct FolderErrorTests {
    /// Every command that only reads, as an officer would run them; none may need to write.
    static let readCommands: [[String]] = [
        ["search", "border"], ["search", "--country", "MD"], ["contact", "list"], ["agency", "list"], ["agency", "show", "BP"],
        ["country", "show", "MD"], ["country", "list"], ["stats"], ["digest"], ["log", "show"], ["log", "verify"], ["log", "vector"],
        ["log", "forks"], ["node", "show"], ["peer", "list"], ["export", "--format", "json", "--out", "directory.json"],
    ]

    static func node(_ workspace: Workspace) async throws -> CLINode {
        let node = try await workspace.node("desk", name: "Chisinau liaison desk", agency: "National Police of Moldova")
        try await node.run("agency", "add", "--country", "MD", "--kind", "border", "--name", "Border Police", "--acronym", "BP")
        return node
    }

    static func chmod(_ url: URL, _ mode: Int) throws {
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: url.path)
    }

    @discardableResult
    static func addCustoms(_ node: CLINode, exit: Int32 = 0, sourceLocation: SourceLocation = #_sourceLocation) async throws -> CLIRun {
        try await node.run("agency", "add", "--country", "MD", "--kind", "customs", "--name", "Customs Service", exit: exit, sourceLocation: sourceLocation)
    }

    static func expectReadCommandsWork(_ node: CLINode, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        for command in readCommands { try await node.run(command, sourceLocation: sourceLocation) }
        #expect(try await node.run("search", "border").stdout.contains("Border Police"), sourceLocation: sourceLocation)
    }

    @Test func aReadOnlyDatabaseIsNamedAndStillSearched() async throws {
        let workspace = try Workspace(unprivileged: true)
        let node = try await Self.node(workspace)
        let database = node.data.appending(path: "liaison.sqlite")
        try Self.chmod(database, 0o400)
        let refused = try await Self.addCustoms(node, exit: 1)
        #expect(refused.stderr == """
            error: the database \(database.path) is read-only: fix its permissions with `chmod 600 \(database.path)`; \
            read commands such as `liaison search` still work\n
            """)
        try await Self.expectReadCommandsWork(node)
        // Reading left nothing behind that would keep writes failing once the database is fixed.
        try Self.chmod(database, 0o600)
        try await Self.addCustoms(node)
    }

    @Test func aLeftoverReadOnlySharedMemoryFileIsNamed() async throws {
        let workspace = try Workspace(unprivileged: true)
        let node = try await Self.node(workspace)
        let sharedMemory = node.data.appending(path: "liaison.sqlite-shm")
        try workspace.place(Data(count: 32768), at: sharedMemory, mode: 0o400)
        let refused = try await Self.addCustoms(node, exit: 1)
        #expect(refused.stderr == """
            error: \(sharedMemory.path), a file SQLite keeps beside the database, is read-only (left from a time the database \
            could not be written, or from another user): fix its permissions with `chmod 600 \(sharedMemory.path)`\n
            """)
        #expect(try await node.run("search", "border").stdout.contains("Border Police"))
        try Self.chmod(sharedMemory, 0o600)
        try await Self.addCustoms(node)
    }

    @Test func aReadOnlyAuditLogIsNamedAndNothingIsShownUnrecorded() async throws {
        let workspace = try Workspace(unprivileged: true)
        let node = try await Self.node(workspace)
        let log = node.data.appending(path: "audit.log")
        try Self.chmod(log, 0o400)
        let refused = try await node.run("note", "list", exit: 1)
        #expect(refused.stderr == """
            error: the audit log \(log.path) is read-only, and consultations and disclosures are recorded in it: fix its \
            permissions with `chmod 600 \(log.path)`; read commands such as `liaison search` still work\n
            """)
        try await Self.expectReadCommandsWork(node)
        try Self.chmod(log, 0o600)
        #expect(try await node.run("note", "list").stdout.contains("No notes."))
    }

    @Test func aReadOnlyFolderStillAnswersEveryReadCommandWithoutTheSigningKey() async throws {
        let workspace = try Workspace(unprivileged: true)
        let node = try await Self.node(workspace)
        try Self.chmod(node.data.appending(path: "signing.key"), 0o000)
        try Self.chmod(node.data.appending(path: "liaison.sqlite"), 0o400)
        try Self.chmod(node.data, 0o500)
        defer { try? Self.chmod(node.data, 0o700) }
        try await Self.expectReadCommandsWork(node)
        let refused = try await Self.addCustoms(node, exit: 1)
        #expect(refused.stderr == """
            error: cannot write in the data folder \(node.data.path), where the database keeps its -wal and -shm files: \
            fix its permissions with `chmod 700 \(node.data.path)`; read commands such as `liaison search` still work\n
            """)
    }

    @Test func anUnreadableFolderIsNotCalledMissing() async throws {
        let workspace = try Workspace(unprivileged: true)
        let node = try await Self.node(workspace)
        try Self.chmod(node.data, 0o000)
        defer { try? Self.chmod(node.data, 0o700) }
        for command in [["search", "border"], ["stats"], ["agency", "add", "--country", "MD", "--kind", "customs", "--name", "Customs"]] {
            let refused = try await node.run(command, exit: 1)
            #expect(refused.stderr == "error: cannot open the data folder \(node.data.path): fix its permissions with `chmod 700 \(node.data.path)`\n")
        }
    }

    /// Only root can give a file to another user, so this case runs when the tests run as root.
    @Test(.enabled(if: geteuid() == 0)) func anotherUsersFolderSaysWhomItBelongsTo() async throws {
        let workspace = try Workspace(unprivileged: true)
        let node = try await Self.node(workspace)
        let folder = node.data.path
        for file in try FileManager.default.contentsOfDirectory(atPath: folder) + [""] {
            try FileManager.default.setAttributes([.ownerAccountID: 0, .groupOwnerAccountID: 0], ofItemAtPath: node.data.appending(path: file).path)
        }
        try Self.chmod(node.data, 0o755)
        try Self.chmod(node.data.appending(path: "liaison.sqlite"), 0o644)
        #expect(try await node.run("search", "border").stdout.contains("Border Police"))
        #expect(try await Self.addCustoms(node, exit: 1).stderr == """
            error: cannot write in the data folder \(folder), where the database keeps its -wal and -shm files: it belongs to root, \
            so run liaison as root, or have it given to you with `sudo chown -R nobody \(folder)`; read commands such as \
            `liaison search` still work\n
            """)
        try Self.chmod(node.data, 0o700)
        #expect(try await node.run("search", "border", exit: 1).stderr == """
            error: cannot open the data folder \(folder): it belongs to root, so run liaison as root, or have it given to you with \
            `sudo chown -R nobody \(folder)`\n
            """)
    }

    @Test func anUnreadableSigningKeyIsNamedAndOnlyWritesNeedIt() async throws {
        let workspace = try Workspace(unprivileged: true)
        let node = try await Self.node(workspace)
        let key = node.data.appending(path: "signing.key")
        try Self.chmod(key, 0o000)
        let refused = try await Self.addCustoms(node, exit: 1)
        #expect(refused.stderr == """
            error: cannot read the signing key \(key.path), which this command needs to sign: \
            fix its permissions with `chmod 600 \(key.path)`\n
            """)
        try await Self.expectReadCommandsWork(node)
        try Self.chmod(key, 0o600)
        try await Self.addCustoms(node)
    }

    @Test func dataPointingAtAFileIsExplainedByEveryCommand() async throws {
        let workspace = try Workspace()
        let node = try await Self.node(workspace)
        try workspace.write("not a node", to: "notes.txt")
        let notes = CLINode(workspace: workspace, data: workspace.folder.appending(path: "notes.txt"))
        let database = CLINode(workspace: workspace, data: node.data.appending(path: "liaison.sqlite"))
        for command in [["stats"], ["search", "border"], ["log", "show"], ["agency", "add", "--country", "MD", "--kind", "customs", "--name", "Customs"]] {
            #expect(try await notes.run(command, exit: 1).stderr == """
                error: \(notes.data.path) is a file, not a node's data folder: give --data (or LIAISON_HOME) the folder that holds liaison.sqlite\n
                """)
            #expect(try await database.run(command, exit: 1).stderr == """
                error: \(database.data.path) is a file, not a node's data folder: give --data (or LIAISON_HOME) its folder, \(node.data.path)\n
                """)
        }
    }

    @Test func aCopiedFolderIsExplainedInASentence() async throws {
        let workspace = try Workspace()
        let node = try await Self.node(workspace)
        let copy = CLINode(workspace: workspace, data: workspace.folder.appending(path: "copy"))
        try FileManager.default.copyItem(at: node.data, to: copy.data)
        let written = try await Self.addCustoms(copy)
        let epoch = try #require(try await copy.json("node", "show") as? [String: Any])["epoch"] as? Int
        #expect(epoch.map { $0 > 1 } == true)
        #expect(written.stderr == """
            Note: \(copy.data.path)/liaison.sqlite is not where this node was last opened (the folder was copied, moved to \
            another machine or restored from a backup), so Liaison started a new epoch, \(epoch ?? 0), for this node's own \
            changes, which keeps them apart from any the original has signed; the directory itself is unchanged.\n
            """)
        // Once only, and never on the original.
        #expect(try await Self.addCustoms(copy, exit: 1).stderr.hasPrefix("error: "))
        #expect(try await node.run("agency", "add", "--country", "MD", "--kind", "police", "--name", "Police").stderr.isEmpty)
    }

    @Test func aFolderCopiedBeforeItsNodeSignedIsNoticed() async throws {
        let workspace = try Workspace()
        let fresh = try await workspace.node("fresh", name: "New desk", agency: "National Police of Moldova")
        let copy = CLINode(workspace: workspace, data: workspace.folder.appending(path: "fresh-copy"))
        try FileManager.default.copyItem(at: fresh.data, to: copy.data)
        let written = try await Self.addCustoms(copy)
        #expect(written.stderr == """
            Note: \(copy.data.path)/liaison.sqlite is not where this node was last opened (the folder was copied, moved to \
            another machine or restored from a backup) and the node has signed nothing yet, so nothing was changed; if the \
            original folder is also in use, give this copy a node of its own with `liaison init --data NEW-FOLDER`, or the \
            two will sign conflicting changes.\n
            """)
    }
}
