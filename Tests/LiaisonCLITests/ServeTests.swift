import Foundation
import LiaisonTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `liaison serve` as an officer runs it: it says where it listens, turns away a client without a
/// roster certificate, and stops cleanly on SIGTERM.
@Suite struct ServeTests {
    /// Starts `liaison serve` for `node` on a port the system chooses, with more `arguments` and
    /// `environment` variables: the process, its first line on standard error, which names the
    /// port, and the port.
    static func serve(
        _ node: CLINode, arguments: [String] = [], environment: [String: String] = [:]
    ) async throws -> (process: Process, said: String, port: Int) {
        let process = Process()
        process.executableURL = try Workspace.executable()
        process.arguments = ["serve", "--data", node.data.path] + (arguments.contains("--listen") ? [] : ["--listen", "127.0.0.1:0"]) + arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let reading = errors.fileHandleForReading
        let said = try await onOwnThread {
            var said = ""
            while !said.contains("\n") {
                let read = reading.availableData
                if read.isEmpty { break }
                said += String(decoding: read, as: UTF8.self)
            }
            return said
        }
        let port = try #require(said.split(separator: ":").last.flatMap { Int($0.prefix { $0.isNumber }) })
        return (process, said, port)
    }

    @Test func serveListensRefusesStrangersAndStopsOnSIGTERM() async throws {
        let workspace = try Workspace()
        let node = try await workspace.node("node", name: "Chisinau desk", agency: "Police")
        let (process, said, port) = try await Self.serve(node)
        defer { if process.isRunning { process.terminate() } }
        #expect(said.hasPrefix("Serving Chisinau desk on https://127.0.0.1:"), "\(said)")

        let curl = Process()
        curl.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        curl.arguments = ["-sk", "-o", "/dev/null", "-w", "%{http_code}", "https://127.0.0.1:\(port)/v1/vector"]
        let answer = Pipe()
        curl.standardOutput = answer
        try curl.run()
        await curl.exited()
        #expect(String(decoding: answer.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self) == "401")

        process.terminate()
        await process.exited()
        #expect(process.terminationReason == .exit && process.terminationStatus == 0)

        let taken = try await node.run("serve", "--listen", "127.0.0.1:99999", exit: 1)
        #expect(taken.stderr.contains("expected HOST:PORT"), "\(taken)")

        // One server a node; a port that another program holds is named as such.
        let (again, _, againPort) = try await Self.serve(node)
        defer { if again.isRunning { again.terminate() } }
        let second = try await node.run("serve", "--listen", "127.0.0.1:0", exit: 1)
        #expect(second.stderr.contains("another `liaison serve` already serves this node (process \(again.processIdentifier))"), "\(second)")
        let other = try await workspace.node("other", name: "Athens hub", agency: "Police")
        let busy = try await other.run("serve", "--listen", "127.0.0.1:\(againPort)", exit: 1)
        #expect(busy.stderr.contains("cannot serve on 127.0.0.1:\(againPort): the address is in use"), "\(busy)")
        #expect(!busy.stderr.contains("errno") && !busy.stderr.contains("bind("), "\(busy)")
    }

    @Test func syncReachesAServingPeerAndExchangesBothWays() async throws {
        let workspace = try Workspace()
        let chisinau = try await workspace.node("chisinau", name: "Chisinau desk", agency: "Police")
        let bucharest = try await workspace.node("bucharest", name: "Bucharest desk", agency: "DIICOT")
        try await chisinau.run("agency", "add", "--country", "MD", "--kind", "police", "--name", "Centre for Combating Trafficking in Persons", "--acronym", "CCTP")
        try await bucharest.run("agency", "add", "--country", "RO", "--kind", "police", "--name", "Romanian Police")
        let (process, _, port) = try await Self.serve(chisinau)
        defer { if process.isRunning { process.terminate() } }

        try await chisinau.run("node", "card", "--out", "chisinau.card", "--url", "https://127.0.0.1:\(port)")
        try await bucharest.run("node", "card", "--out", "bucharest.card")
        try await chisinau.run("peer", "add", "bucharest.card", "--yes")
        try await bucharest.run("peer", "add", "chisinau.card", "--yes")
        #expect(try await bucharest.run("sync", exit: 64).stderr.contains("name one peer, or give --all"))

        let synced = try await bucharest.run("sync", "chisinau desk")
        #expect(synced.stdout.contains("Read 1 commit from Chisinau desk at https://127.0.0.1:\(port)"), "\(synced)")
        #expect(synced.stdout.contains("applied:          1 commit, 1 change"))
        #expect(synced.stdout.contains("sent:             1 commit, 1 change; Chisinau desk applied 1 commit, refused 0"))
        #expect(try await bucharest.run("digest").stdout == chisinau.run("digest").stdout)

        let again = try #require(try await bucharest.json("sync", "--all") as? [[String: Any]])
        #expect(again.count == 1)
        #expect(again.first?["commits_sent"] as? Int == 0)
        #expect((again.first?["received"] as? [String: Any])?["applied"] as? Int == 0)

        process.terminate()
        await process.exited()
        // With the server gone, the peer is out of reach: exit 1, with what to check.
        let unreachable = try await bucharest.run("sync", "--all", exit: 1)
        #expect(unreachable.stderr.contains("error: Chisinau desk: cannot reach Chisinau desk at 127.0.0.1:\(port)"), "\(unreachable)")
    }
}

/// SIGTERM to a server in the middle of a transfer: it finishes or drops the batch in flight, exits
/// 0, and leaves a node whose log verifies; restarted, it takes the rest.
@Suite struct ServeShutdownTests {
    @Test func sigtermDuringAPushLeavesTheNodeWholeAndTheNextSyncFinishes() async throws {
        let workspace = try Workspace()
        let chisinau = try await workspace.node("chisinau", name: "Chisinau desk", agency: "Police")
        let bucharest = try await workspace.node("bucharest", name: "Bucharest desk", agency: "DIICOT")
        try workspace.write(InterruptTests.csv(contacts: 20_000), to: "contacts.csv")
        try await bucharest.run("import", "contacts.csv")
        let origin = try await bucharest.id()
        var (server, _, port) = try await ServeTests.serve(chisinau, arguments: ["--sync-every", "0"])
        defer { if server.isRunning { server.terminate() } }
        try await chisinau.run("node", "card", "--out", "chisinau.card", "--url", "https://127.0.0.1:\(port)")
        try await bucharest.run("node", "card", "--out", "bucharest.card")
        try await chisinau.run("peer", "add", "bucharest.card", "--yes")
        try await bucharest.run("peer", "add", "chisinau.card", "--yes")

        let cut = try await workspace.run(["sync", "chisinau desk", "--data", bucharest.data.path]) { sync in
            // The signal comes once the first batch of the push is in.
            let deadline = Date().addingTimeInterval(120)
            while server.isRunning, Date() < deadline, try await InterruptTests.held(of: origin, by: chisinau) == 0 { try await Task.sleep(for: .milliseconds(50)) }
            #expect(sync.isRunning, "the push ended before the signal: give it more contacts")
            kill(server.processIdentifier, SIGTERM)
        }
        await server.exited()
        #expect(server.terminationReason == .exit && server.terminationStatus == 0)
        #expect([0, 1, 2].contains(cut.status), "\(cut)")
        let kept = try await InterruptTests.held(of: origin, by: chisinau)
        #expect(kept > 0)
        // What the server applied, it applied whole: its log and tables verify.
        #expect(try await chisinau.run("log", "verify").stdout.contains("verified"))

        (server, _, port) = try await ServeTests.serve(chisinau, arguments: ["--listen", "127.0.0.1:\(port)", "--sync-every", "0"])
        try await bucharest.run("sync", "chisinau desk")
        #expect(try await bucharest.run("digest").stdout == chisinau.run("digest").stdout)
        server.terminate()
        await server.exited()
        #expect(server.terminationStatus == 0)
    }
}

/// `serve`'s settings: a file, then LIAISON_* variables, then flags; a bad value names its key.
@Suite struct ServeSettingsTests {
    @Test func aBadValueNamesItsKeyAndStrongerSourcesWin() async throws {
        let workspace = try Workspace()
        let node = try await workspace.node("node", name: "Chisinau desk", agency: "Police")
        try workspace.write(#"{"sync": {"every_seconds": "often"}}"#, to: "bad.json")
        let badFile = try await node.run("serve", "--config", "bad.json", exit: 1)
        #expect(badFile.stderr.contains("sync.every_seconds") && badFile.stderr.contains("often"), "\(badFile)")
        let badVariable = try await node.run(["serve"], environment: ["LIAISON_LIMITS_CONNECTIONS": "many"], exit: 1)
        #expect(badVariable.stderr.contains("limits.connections") && badVariable.stderr.contains("many"), "\(badVariable)")
        // A value that would retitle the terminal is shown with its control characters as "?".
        let escaping = try await node.run(["serve"], environment: ["LIAISON_LIMITS_CONNECTIONS": "many\u{1B}]0;owned\u{07}"], exit: 1)
        #expect(escaping.stderr.contains("many?]0;owned?") && !escaping.stderr.contains("\u{1B}"), "\(escaping)")
        let outOfRange = try await node.run(["serve", "--sync-every", "100000"], exit: 1)
        #expect(outOfRange.stderr.contains("sync.every_seconds") && outOfRange.stderr.contains("0 to 86400"), "\(outOfRange)")

        // Each of these files is refused before serve starts, with the file and the key or the place named.
        let badFiles: [(json: String, says: [String])] = [
            (#"{"sync": {"every_seconds": true}}"#, ["sync.every_seconds", "expected a whole number", "true"]),
            (#"{"sync": {"every_seconds": 3.5}}"#, ["sync.every_seconds", "expected a whole number", "3.5"]),
            (#"{"sync": {"every_seconds": 1e3}}"#, ["sync.every_seconds", "1e3"]),
            (#"{"sync": {"evry_seconds": 30}}"#, ["sync.evry_seconds", "no setting has this key", "sync.every_seconds"]),
            (#"{"limits": {"connections": 10,}}"#, ["not JSON", "line 1, column 31"]),
            (#"{"limits": {"connections": 10, "connections": 20}}"#, ["appears twice"]),
            (#"{"server": {"listen": 8443}}"#, ["server.listen", "expected text"]),
            (#"{"log": {"level": "loud"}}"#, ["log.level", "loud", "expected one of"]),
            (#"{"sync": 60}"#, ["sync", "expected an object"]),
            (#"{"sync": {"every_seconds": 1}, "sync.every_seconds": 2}"#, ["sync.every_seconds", "must not contain a dot"]),
            (#"{"server": {"listen": ""}}"#, ["server.listen", "expected HOST:PORT"]),
            (#"{"server": {"listen": "127.0.0.1:"}}"#, ["server.listen", "expected HOST:PORT"]),
            // Notes may hold anything; the error is the listen address's.
            (#"{"//": [{"a": [1, {"b": null}]}], "server": {"listen": "127.0.0.1:99999"}}"#, ["server.listen", "127.0.0.1:99999"]),
            // A byte-order mark is read past: the error is the value's.
            ("\u{FEFF}" + #"{"sync": {"every_seconds": "often"}}"#, ["sync.every_seconds", "often"]),
            (#"[]"#, ["expected an object"]),
        ]
        for (json, says) in badFiles {
            try workspace.write(json, to: "bad.json")
            // A listen address that cannot be used ends serve even if the file were taken.
            let refused = try await node.run(["serve", "--config", "bad.json"], environment: ["LIAISON_SERVER_LISTEN": "127.0.0.1:99999"], exit: 1)
            #expect(refused.stderr.contains("bad.json"), "\(json): \(refused)")
            for text in says { #expect(refused.stderr.contains(text), "\(json) should say \(text): \(refused)") }
        }
        let fromWhere = try await node.run(["serve"], environment: ["LIAISON_SYNC_EVERY_SECONDS": "2.5"], exit: 1)
        #expect(fromWhere.stderr.contains("set by LIAISON_SYNC_EVERY_SECONDS") && fromWhere.stderr.contains("2.5"), "\(fromWhere)")
        let blank = try await node.run(["serve"], environment: ["LIAISON_SERVER_LISTEN": ""], exit: 1)
        #expect(blank.stderr.contains("server.listen") && blank.stderr.contains("set by LIAISON_SERVER_LISTEN"), "\(blank)")
        // A bad value in the file is an error even where a flag overrides it.
        try workspace.write(#"{"server": {"listen": "garbage:::"}}"#, to: "bad.json")
        let overridden = try await node.run(["serve", "--config", "bad.json", "--listen", "127.0.0.1:99999"], exit: 1)
        #expect(overridden.stderr.contains("bad.json") && overridden.stderr.contains("garbage:::"), "\(overridden)")
        let folder = try await node.run(["serve", "--config", "."], environment: ["LIAISON_SERVER_LISTEN": "127.0.0.1:99999"], exit: 1)
        #expect(folder.stderr.contains("not a regular file"), "\(folder)")
        let misspelt = try await node.run(["serve", "--listen", "127.0.0.1:99999"], environment: ["LIAISON_SYNC_EVRY_SECONDS": "5"], exit: 1)
        #expect(misspelt.stderr.contains("warning: LIAISON_SYNC_EVRY_SECONDS is not a setting"), "\(misspelt)")

        // The file says port 1, the variable another address, the flag a free port: the flag wins.
        try workspace.write(#"{"server": {"listen": "127.0.0.1:1"}, "sync": {"every_seconds": 0}}"#, to: "settings.json")
        let (process, said, _) = try await ServeTests.serve(
            node, arguments: ["--config", workspace.folder.appending(path: "settings.json").path], environment: ["LIAISON_SERVER_LISTEN": "127.0.0.2:1"])
        defer { if process.isRunning { process.terminate() } }
        #expect(said.hasPrefix("Serving Chisinau desk on https://127.0.0.1:"), "\(said)")
        process.terminate()
        await process.exited()

        // The example file in the repository is a valid settings file.
        let example = URL(filePath: #filePath).deletingLastPathComponent().appending(path: "../../Config/liaison.example.json").standardizedFileURL.path
        let checked = try await node.run(["serve", "--config", example], environment: ["LIAISON_SERVER_LISTEN": "127.0.0.1:99999"], exit: 1)
        #expect(checked.stderr.contains("127.0.0.1:99999") && checked.stderr.contains("expected HOST:PORT"), "\(checked)")

        // Without the flag, the variable wins over the file.
        let fromVariable = try await node.run(["serve", "--config", "settings.json"], environment: ["LIAISON_SERVER_LISTEN": "nowhere:99999"], exit: 1)
        #expect(fromVariable.stderr.contains("nowhere:99999"), "\(fromVariable)")
    }
}
