import Foundation
import LiaisonCore
import LiaisonServer
import LiaisonTestSupport
import Testing

/// The web page in a real browser: headless Chromium, driven by Selenium from Tests/Browser/page_test.py,
/// against a live node holding the demo directory. `.ci/run` installs Chromium, its driver and
/// Selenium; the README lists them.
@Suite struct WebBrowserTests {
    typealias Node = MutualTLSTests.Node

    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appending(path: "Browser/page_test.py")
    /// Where the screenshots of the main pages are kept, as the run's artefacts.
    static let screenshots = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appending(path: "artifacts/screenshots")

    @Test func theOfficersPageWorksInABrowser() async throws {
        let node = try Node("Chisinau")
        defer { node.remove() }
        _ = try node.directory.importCSV(DemoDirectory.csv, fileName: "demo-directory.csv")
        _ = try node.directory.addAccount(name: "ana", role: .editor, password: "correct horse battery")
        _ = try node.directory.addAccount(name: "victor", role: .viewer, password: "a viewer's long password")
        let contact = try #require(try node.directory.search(SearchQuery("ciobanu")).first { $0.entity == .person })
        try FileManager.default.createDirectory(at: Self.screenshots, withIntermediateDirectories: true)
        let (status, output) = try await MutualTLSTests().withServer(node, idleTimeout: .seconds(120)) { port in
            try await Self.run([
                Self.script.path, "--url", "https://127.0.0.1:\(port)", "--editor", "ana:correct horse battery", "--viewer", "victor:a viewer's long password",
                "--contact", contact.id.lowercasedString, "--query", "ciobanu", "--screenshots", Self.screenshots.path,
            ])
        }
        print(output)
        #expect(status == 0, "\(output)")
        #expect(output.contains("{\"passed\": true}"))
    }

    /// Runs python3 with `arguments` on a thread of its own, so that the server's threads stay free.
    static func run(_ arguments: [String]) async throws -> (Int32, String) {
        // A thread, not a dispatch work item: a blocked work item holds one of the few workers
        // that the task threads are drawn from too.
        try await onOwnThread {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3"] + arguments
            let output = Pipe()
            process.standardOutput = output
            process.standardError = output
            try process.run()
            let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            return (process.terminationStatus, text)
        }
    }
}
