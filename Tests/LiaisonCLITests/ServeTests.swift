import Foundation
import Testing

/// `liaison serve` as an officer runs it: it says where it listens, turns away a client without a
/// roster certificate, and stops cleanly on SIGTERM.
@Suite struct ServeTests {
    @Test func serveListensRefusesStrangersAndStopsOnSIGTERM() throws {
        let workspace = try Workspace()
        let node = try workspace.node("node", name: "Chisinau desk", agency: "Police")
        let process = Process()
        process.executableURL = try Workspace.executable()
        process.arguments = ["serve", "--listen", "127.0.0.1:0", "--data", node.data.path]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.terminate() } }

        // The first line on standard error names the port the system chose.
        var said = ""
        while !said.contains("\n"), process.isRunning {
            said += String(decoding: errors.fileHandleForReading.availableData, as: UTF8.self)
        }
        #expect(said.hasPrefix("Serving Chisinau desk on https://127.0.0.1:"), "\(said)")
        let port = try #require(said.split(separator: ":").last.flatMap { Int($0.prefix { $0.isNumber }) })

        let curl = Process()
        curl.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        curl.arguments = ["-sk", "-o", "/dev/null", "-w", "%{http_code}", "https://127.0.0.1:\(port)/v1/vector"]
        let answer = Pipe()
        curl.standardOutput = answer
        try curl.run()
        curl.waitUntilExit()
        #expect(String(decoding: answer.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self) == "401")

        process.terminate()
        process.waitUntilExit()
        #expect(process.terminationReason == .exit && process.terminationStatus == 0)

        let taken = try node.run("serve", "--listen", "127.0.0.1:99999", exit: 1)
        #expect(taken.stderr.contains("expected HOST:PORT"), "\(taken)")
    }
}
