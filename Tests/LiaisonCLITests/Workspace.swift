import Foundation
import Testing

/// A temporary folder for one test: the data folders of its nodes, and the files they pass around.
///
/// Each node is the `liaison` executable run as a process with `--data` pointing into this folder,
/// as an officer or a script would run it; the folder is removed when the test ends.
final class Workspace {
    let folder: URL

    init() throws {
        folder = FileManager.default.temporaryDirectory.appending(path: "liaison-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: folder) }

    /// Creates a node with `liaison init`.
    func node(_ folderName: String, name: String, agency: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> CLINode {
        let node = CLINode(workspace: self, data: folder.appending(path: folderName))
        let created = try node.run("init", "--name", name, "--agency", agency, sourceLocation: sourceLocation)
        #expect(created.stdout.hasPrefix("Created node "), sourceLocation: sourceLocation)
        return node
    }

    func write(_ text: String, to name: String) throws {
        try Data(text.utf8).write(to: folder.appending(path: name))
    }

    func read(_ name: String) throws -> Data { try Data(contentsOf: folder.appending(path: name)) }

    /// Runs `liaison` with the workspace as its working folder, so that file names are relative to it;
    /// `environment` adds to or overrides the test's own.
    func run(_ arguments: [String], environment extra: [String: String] = [:]) throws -> CLIRun {
        let process = Process()
        process.executableURL = try Self.executable()
        process.arguments = arguments
        process.currentDirectoryURL = folder
        // Nothing may reach the user's own node: no LIAISON_HOME, and a home inside the workspace.
        var environment = ProcessInfo.processInfo.environment
        environment["LIAISON_HOME"] = nil
        environment["LIAISON_LOG_LEVEL"] = nil
        environment["HOME"] = folder.path
        environment.merge(extra) { _, new in new }
        process.environment = environment
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
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = outputHandle
        process.standardError = errorHandle
        try process.run()
        process.waitUntilExit()
        try outputHandle.close()
        try errorHandle.close()
        return CLIRun(
            arguments: arguments, status: process.terminationStatus,
            stdout: String(decoding: try Data(contentsOf: output), as: UTF8.self),
            stderr: String(decoding: try Data(contentsOf: errors), as: UTF8.self))
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
    func run(_ arguments: String..., exit expected: Int32 = 0, sourceLocation: SourceLocation = #_sourceLocation) throws -> CLIRun {
        try run(arguments, exit: expected, sourceLocation: sourceLocation)
    }

    @discardableResult
    func run(_ arguments: [String], exit expected: Int32 = 0, sourceLocation: SourceLocation = #_sourceLocation) throws -> CLIRun {
        let result = try workspace.run(arguments + ["--data", data.path])
        #expect(result.status == expected, "\(result)", sourceLocation: sourceLocation)
        return result
    }

    /// The JSON a `--json` command prints, as dictionaries and arrays.
    func json(_ arguments: String..., exit expected: Int32 = 0, sourceLocation: SourceLocation = #_sourceLocation) throws -> Any {
        let result = try workspace.run(arguments + ["--json", "--data", data.path])
        #expect(result.status == expected, "\(result)", sourceLocation: sourceLocation)
        return try JSONSerialization.jsonObject(with: Data(result.stdout.utf8))
    }

    /// This node's id, from `node show --json`.
    func id(sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let identity = try #require(try json("node", "show", sourceLocation: sourceLocation) as? [String: Any], sourceLocation: sourceLocation)
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
