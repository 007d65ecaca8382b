import Foundation
import LiaisonTestSupport
import Testing

/// `liaison demo`: the sample directory, then a federation of three nodes on loopback that ends
/// with equal digests; without --once it serves with a token and a curl line that works.
@Suite struct DemoTests {
    @Test func theFederationConvergesAndKeepsServingUntilCtrlC() async throws {
        let workspace = try Workspace()
        let folder = workspace.folder.appending(path: "demo").path
        let process = Process()
        process.executableURL = try Workspace.executable()
        process.arguments = ["demo", "--data", folder]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        let reading = output.fileHandleForReading
        let said = try await onOwnThread {
            var said = ""
            while !said.contains("/api/v1/search?q=ceban\"") {
                let read = reading.availableData
                if read.isEmpty { break }
                said += String(decoding: read, as: UTF8.self)
            }
            return said
        }
        #expect(said.contains("3. Cut off, the field office adds Ana Ceban to CCTP (Moldova)."), "\(said)")
        #expect(said.contains("5. The hub syncs with headquarters: received 0 commits (0 changes), sent 1 commit"))
        #expect(said.contains("Equal: the three nodes hold the same directory"))

        // The curl line it prints works: headquarters holds what the field office added.
        let line = try #require(said.split(separator: "\n").first { $0.contains("curl -k") })
        let token = try #require(line.split(separator: " ").first { $0.hasPrefix("liaison_") }.map { String($0.dropLast()) })
        let url = try #require(line.split(separator: "\"").last { $0.hasPrefix("https://") }.map(String.init))
        let curl = Process()
        curl.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        curl.arguments = ["-sk", "--max-time", "60", "-H", "Authorization: Bearer \(token)", url]
        let answer = Pipe()
        curl.standardOutput = answer
        try curl.run()
        await curl.exited()
        let body = answer.fileHandleForReading.readDataToEndOfFile()
        let hits = (try JSONSerialization.jsonObject(with: body) as? [String: Any])?["hits"] as? [[String: Any]]
        #expect(hits?.map { $0["name"] as? String } == ["Ana Ceban"], "\(String(decoding: body, as: UTF8.self))")

        process.interrupt()
        await process.exited()
        #expect(process.terminationReason == .exit && process.terminationStatus == 0)
    }
}
