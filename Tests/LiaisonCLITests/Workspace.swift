import Foundation
import LiaisonTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A temporary folder for one test: the data folders of its nodes, and the files they pass around.
///
/// Each node is the `liaison` executable run as a process with `--data` pointing into this folder,
/// as an officer or a script would run it; the folder is removed when the test ends.
final class Workspace {
    let folder: URL
    /// The command that runs `liaison` as another user, empty to run it as this one.
    private let runAs: [String]

    /// With `unprivileged`, every command runs as a user that file permissions apply to: root
    /// ignores them, so when the tests run as root, `liaison` runs as `nobody` through `setpriv`
    /// and the workspace belongs to `nobody`.
    init(unprivileged: Bool = false) throws {
        folder = FileManager.default.temporaryDirectory.appending(path: "liaison-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        guard unprivileged, geteuid() == 0 else {
            runAs = []
            return
        }
        guard FileManager.default.isExecutableFile(atPath: Self.setpriv) else {
            throw CLITestError("running as root, the permission tests need \(Self.setpriv) (util-linux) to run liaison as nobody")
        }
        runAs = [Self.setpriv, "--reuid=\(Self.nobody)", "--regid=\(Self.nobody)", "--clear-groups"]
        try FileManager.default.setAttributes([.ownerAccountID: Self.nobody, .groupOwnerAccountID: Self.nobody], ofItemAtPath: folder.path)
    }

    static let setpriv = "/usr/bin/setpriv"
    static let nobody = 65534

    deinit { try? FileManager.default.removeItem(at: folder) }

    /// Creates a node with `liaison init`.
    func node(_ folderName: String, name: String, agency: String, sourceLocation: SourceLocation = #_sourceLocation) async throws -> CLINode {
        let node = CLINode(workspace: self, data: folder.appending(path: folderName))
        let created = try await node.run("init", "--name", name, "--agency", agency, sourceLocation: sourceLocation)
        #expect(created.stdout.hasPrefix("Created node "), sourceLocation: sourceLocation)
        return node
    }

    func write(_ text: String, to name: String) throws {
        try Data(text.utf8).write(to: folder.appending(path: name))
    }

    /// Writes a file with the mode given, owned by the user that runs the commands.
    func place(_ data: Data, at url: URL, mode: Int) throws {
        try data.write(to: url)
        var attributes: [FileAttributeKey: Any] = [.posixPermissions: mode]
        if !runAs.isEmpty { attributes[.ownerAccountID] = Self.nobody; attributes[.groupOwnerAccountID] = Self.nobody }
        try FileManager.default.setAttributes(attributes, ofItemAtPath: url.path)
    }

    func read(_ name: String) throws -> Data { try Data(contentsOf: folder.appending(path: name)) }

    /// Runs `liaison` with the workspace as its working folder, so that file names are relative to it;
    /// `environment` adds to or overrides the test's own.
    ///
    /// `whileRunning` is called once the process has started, e.g. to send it a signal; the process
    /// then starts with the default action for SIGINT and SIGTERM, as from a terminal, since
    /// `swift test` hands the signals it ignores down to the processes it starts.
    func run(
        _ arguments: [String], environment extra: [String: String] = [:], input: String? = nil, waitsForSlot: Bool = true,
        whileRunning: ((Process) async throws -> Void)? = nil
    ) async throws -> CLIRun {
        let process = try start(arguments)
        process.environment?.merge(extra) { _, new in new }
        if whileRunning != nil, let executable = process.executableURL {
            process.arguments = ["--default-signal=INT,TERM", executable.path] + (process.arguments ?? [])
            process.executableURL = URL(filePath: "/usr/bin/env")
        }
        // Files rather than pipes: a command that fills one pipe while the test drains the other
        // would never finish.
        let output = folder.appending(path: ".stdout-\(UUID().uuidString)")
        let errors = folder.appending(path: ".stderr-\(UUID().uuidString)")
        try Data().write(to: output)
        try Data().write(to: errors)
        defer {
            try? FileManager.default.removeItem(at: output)
            try? FileManager.default.removeItem(at: errors)
        }
        let outputHandle = try FileHandle(forWritingTo: output)
        let errorHandle = try FileHandle(forWritingTo: errors)
        if let input {
            let inputFile = folder.appending(path: ".stdin-\(UUID().uuidString)")
            try Data(input.utf8).write(to: inputFile)
            defer { try? FileManager.default.removeItem(at: inputFile) }
            process.standardInput = try FileHandle(forReadingFrom: inputFile)
        } else {
            process.standardInput = FileHandle.nullDevice
        }
        process.standardOutput = outputHandle
        process.standardError = errorHandle
        // A command waits for a place: tests that start them all at once would have the machine
        // run dozens, and every timed test would starve. One watched while it runs takes none,
        // since what watches it runs commands too, and those must not wait either.
        guard let whileRunning else {
            guard waitsForSlot else {
                try process.run()
                await process.exited()
                return try finished(process, arguments: arguments, output: output, errors: errors, handles: (outputHandle, errorHandle))
            }
            await ProcessSlots.shared.acquire()
            do {
                try process.run()
                await process.exited()
            } catch {
                await ProcessSlots.shared.release()
                throw error
            }
            await ProcessSlots.shared.release()
            return try finished(process, arguments: arguments, output: output, errors: errors, handles: (outputHandle, errorHandle))
        }
        try process.run()
        try await whileRunning(process)
        await process.exited()
        return try finished(process, arguments: arguments, output: output, errors: errors, handles: (outputHandle, errorHandle))
    }

    /// What a command that ended printed, and its status.
    private func finished(_ process: Process, arguments: [String], output: URL, errors: URL, handles: (FileHandle, FileHandle)) throws -> CLIRun {
        try handles.0.close()
        try handles.1.close()
        return CLIRun(
            arguments: arguments, status: process.terminationStatus,
            stdout: String(decoding: try Data(contentsOf: output), as: UTF8.self),
            stderr: String(decoding: try Data(contentsOf: errors), as: UTF8.self))
    }

    /// A process that runs `liaison` in the workspace, as the workspace's user.
    private func start(_ arguments: [String]) throws -> Process {
        let process = Process()
        let executable = try Self.executable()
        if runAs.isEmpty {
            process.executableURL = executable
            process.arguments = arguments
        } else {
            process.executableURL = URL(filePath: runAs[0])
            process.arguments = Array(runAs.dropFirst()) + [try reachable(executable).path] + arguments
        }
        process.currentDirectoryURL = folder
        // Nothing may reach the user's own node: no LIAISON_HOME, and a home inside the workspace.
        var environment = ProcessInfo.processInfo.environment
        environment["LIAISON_HOME"] = nil
        environment["LIAISON_LOG_LEVEL"] = nil
        environment["HOME"] = folder.path
        process.environment = environment
        return process
    }

    /// The executable where the other user can run it: in place if they can reach it, else a copy
    /// in the workspace.
    private func reachable(_ executable: URL) throws -> URL {
        let probe = Process()
        probe.executableURL = URL(filePath: runAs[0])
        probe.arguments = Array(runAs.dropFirst()) + ["/usr/bin/test", "-x", executable.path]
        try probe.run()
        probe.waitUntilExit()
        guard probe.terminationStatus != 0 else { return executable }
        let copy = folder.appending(path: ".bin/liaison")
        if !FileManager.default.fileExists(atPath: copy.path) {
            try FileManager.default.createDirectory(at: copy.deletingLastPathComponent(), withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: executable, to: copy)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: copy.path)
        }
        return copy
    }

    /// The `liaison` executable built with the tests: `LIAISON_EXECUTABLE` if set, else the one in
    /// the build folder that holds the test bundle, else the package's `.build/debug`.
    static func executable() throws -> URL {
        if let path = ProcessInfo.processInfo.environment["LIAISON_EXECUTABLE"] { return URL(filePath: path) }
        var candidates: [URL] = []
        // The test runner is the bundle itself on Linux; on macOS a helper loads the .xctest bundle.
        for bundle in [Bundle.main] + Bundle.allBundles {
            var folder = bundle.bundleURL
            for _ in 0..<4 {
                candidates.append(folder.appending(path: "liaison"))
                folder.deleteLastPathComponent()
            }
        }
        let packageRoot = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        candidates.append(packageRoot.appending(path: ".build/debug/liaison"))
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) && !isFolder($0) }) else {
            throw CLITestError("no liaison executable next to the tests; build with `swift build --build-tests`, or set LIAISON_EXECUTABLE")
        }
        return found
    }

    private static func isFolder(_ url: URL) -> Bool {
        var isFolder: ObjCBool = false
        return FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder) && isFolder.boolValue
    }
}

/// One node's data folder, and the commands run on it.
struct CLINode {
    let workspace: Workspace
    let data: URL

    /// Runs `liaison ARGUMENTS --data FOLDER` and expects the exit status given (0 by default).
    @discardableResult
    func run(_ arguments: String..., exit expected: Int32 = 0, sourceLocation: SourceLocation = #_sourceLocation) async throws -> CLIRun {
        try await run(arguments, exit: expected, sourceLocation: sourceLocation)
    }

    @discardableResult
    func run(
        _ arguments: [String], environment: [String: String] = [:], input: String? = nil, exit expected: Int32 = 0,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> CLIRun {
        let result = try await workspace.run(arguments + ["--data", data.path], environment: environment, input: input)
        #expect(result.status == expected, "\(result)", sourceLocation: sourceLocation)
        return result
    }

    /// The JSON a `--json` command prints, as dictionaries and arrays.
    func json(_ arguments: String..., exit expected: Int32 = 0, sourceLocation: SourceLocation = #_sourceLocation) async throws -> Any {
        let result = try await workspace.run(arguments + ["--json", "--data", data.path])
        #expect(result.status == expected, "\(result)", sourceLocation: sourceLocation)
        return try JSONSerialization.jsonObject(with: Data(result.stdout.utf8))
    }

    /// This node's id, from `node show --json`.
    func id(sourceLocation: SourceLocation = #_sourceLocation) async throws -> String {
        let identity = try #require(try await json("node", "show", sourceLocation: sourceLocation) as? [String: Any], sourceLocation: sourceLocation)
        return try #require(identity["id"] as? String, sourceLocation: sourceLocation)
    }
}

/// What one run of `liaison` did.
struct CLIRun: CustomStringConvertible {
    var arguments: [String]
    var status: Int32
    var stdout: String
    var stderr: String

    var description: String {
        "liaison \(arguments.joined(separator: " ")) exited \(status)\n--- stdout\n\(stdout)--- stderr\n\(stderr)"
    }

    /// The record id a command such as `contact add` prints last: "Added Ion Popescu <id>".
    var printedID: String { String(stdout.trimmed.split(separator: " ").last ?? "") }
}

struct CLITestError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

extension String {
    var trimmed: String { trimmingCharacters(in: .whitespacesAndNewlines) }
}
