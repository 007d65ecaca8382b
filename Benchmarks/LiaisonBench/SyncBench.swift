import Foundation
import LiaisonCore
import LiaisonSync

/// Bytes through the loopback interface so far: what syncs over 127.0.0.1 put on the wire, TCP,
/// TLS and HTTP included, each packet once.
func loopbackBytes() -> Int {
    let text = (try? String(contentsOfFile: "/proc/net/dev", encoding: .utf8)) ?? ""
    guard let line = text.split(separator: "\n").first(where: { $0.trimmingCharacters(in: .whitespaces).hasPrefix("lo:") }) else { return 0 }
    let fields = line.split(separator: ":", maxSplits: 1).last?.split(separator: " ") ?? []
    return fields.count > 8 ? Int(fields[8]) ?? 0 : 0
}

/// `liaison sync` as a process against `liaison serve` of the bench node on loopback, beside a
/// `liaison bundle import` of the same commits in the same run: an initial sync into an empty node,
/// then syncs with nothing new.
func benchmarkSync(from source: NodeFolder) throws {
    guard FileManager.default.isExecutableFile(atPath: cliPath) else {
        print("sync: skipped, no \(cliPath) (build it with `swift build -c release --product liaison`)")
        return
    }
    let port = 18_000 + Int.random(in: 0..<2_000)
    let server = try serving(source, port: port)
    defer { server.terminate(); server.waitUntilExit() }

    let sourceNode = try source.open()
    func receiver(_ name: String) throws -> NodeFolder {
        let folder = NodeFolder(url: workFolder.appending(path: name))
        let node = try folder.initialize(name: name, agency: "Bench")
        _ = try node.addPeer(try sourceNode.card(tlsPin: try source.tlsPin(), url: "https://127.0.0.1:\(port)"))
        _ = try sourceNode.addPeer(try node.card(tlsPin: try folder.tlsPin(), url: nil))
        return folder
    }
    let peer = String(sourceNode.node.id.hex.prefix(8))

    let syncing = try receiver("sync-receiver")
    sync()
    let before = loopbackBytes()
    let initial = peakMemory(["sync", peer, "--data", syncing.url.path])
    let initialBytes = loopbackBytes() - before
    let changes = try syncing.open().stats().changes

    // The same commits as a bundle file, imported in the same run.
    let bundle = workFolder.appending(path: "sync-same.liaison-bundle")
    _ = try sourceNode.exportBundle(to: bundle, assumes: VersionVector())
    let importing = try receiver("bundle-receiver")
    sync()
    let imported = peakMemory(["bundle", "import", bundle.path, "--data", importing.url.path])

    var idleTimes: [Double] = []
    var idleBytes: [Int] = []
    for _ in 0..<10 {
        let start = loopbackBytes()
        idleTimes.append(peakMemory(["sync", peer, "--data", syncing.url.path]).seconds)
        idleBytes.append(loopbackBytes() - start)
    }
    let digestsEqual = try syncing.open().digest() == sourceNode.digest()

    // Each way, through a relay that counts: the peer's card is added again at the relay's address.
    let relay = try ByteCountingRelay(to: port)
    _ = try syncing.open().addPeer(try sourceNode.card(tlsPin: try source.tlsPin(), url: "https://127.0.0.1:\(relay.port)"))
    var ups: [Int] = [], downs: [Int] = []
    for _ in 0..<10 {
        relay.reset()
        _ = peakMemory(["sync", peer, "--data", syncing.url.path])
        ups.append(relay.counts.up)
        downs.append(relay.counts.down)
    }

    // In this process: the sync call alone, a new TLS connection each time.
    let syncingNode = try syncing.open()
    let transport = try HTTPSSyncTransport(peer: try syncingNode.peer(peer), tls: try NodeTLS(folder: syncing))
    let times = TimesBox(), askTimes = TimesBox()
    let waiting = DispatchSemaphore(value: 0)
    let known = try syncingNode.vector()
    Task {
        for _ in 0..<20 {
            var start = DispatchTime.now().uptimeNanoseconds
            _ = try? await syncingNode.sync(with: transport)
            times.values.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            start = DispatchTime.now().uptimeNanoseconds
            _ = try? await transport.state(known: known)
            askTimes.values.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        waiting.signal()
    }
    waiting.wait()
    let inProcess = times.values, asking = askTimes.values

    // On a warm connection: long polls that find nothing new, one after another on one connection.
    // One poll with its connection, then twenty-one: the difference is twenty polls.
    let fingerprint = try sourceNode.vector().fingerprint
    let warm = TimesBox()
    var warmBytes: [(up: Int, down: Int)] = []
    for rounds in [1, 21] {
        relay.reset()
        let start = DispatchTime.now().uptimeNanoseconds
        Task {
            _ = try? await transport.watch(after: fingerprint, seconds: 0, rounds: rounds) { _ in }
            warm.values.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            waiting.signal()
        }
        waiting.wait()
        warmBytes.append(relay.counts)
    }
    let warmPoll = (warm.values[1] - warm.values[0]) / 20
    let warmUp = (warmBytes[1].up - warmBytes[0].up) / 20, warmDown = (warmBytes[1].down - warmBytes[0].down) / 20
    print("""
        sync over mutual TLS on loopback, `liaison sync` as a process against `liaison serve`:
          initial sync:     \(String(format: "%.2f", initial.seconds)) s for \(changes) changes (exit \(initial.status)), peak \(initial.bytes / 1_048_576) MB, digests equal: \(digestsEqual)
          bundle import:    \(String(format: "%.2f", imported.seconds)) s for the same commits as a file (exit \(imported.status))
          ratio:            \(String(format: "%.2f", imported.seconds / initial.seconds))× the bundle import's rate (goal ≥ 0.9; initial sync goal ≤ 10 s)
          on the wire:      \(initialBytes / 1_000_000) MB, \(String(format: "%.1f", Double(initialBytes) / Double(max(changes, 1)))) bytes a change (TCP, TLS and HTTP included)
          nothing new:      median \(String(format: "%.1f", percentile(idleTimes, 0.5) * 1000)) ms for the whole process (goal ≤ 150 ms), \(idleBytes.sorted()[idleBytes.count / 2]) bytes both ways on loopback (TCP included)
          each way:         median \(ups.sorted()[ups.count / 2]) bytes to the peer, \(downs.sorted()[downs.count / 2]) bytes back (TLS and HTTP; goal ≤ 2 KB each way)
          in-process:       median \(String(format: "%.1f", percentile(inProcess, 0.5) * 1000)) ms, p99 \(String(format: "%.1f", percentile(inProcess, 0.99) * 1000)) ms for a sync with nothing new, a new TLS connection each, its outcome written to the database (goal ≤ 20 ms on a warm connection)
          warm connection:  \(String(format: "%.2f", warmPoll * 1000)) ms, \(warmUp) bytes to the peer and \(warmDown) back for a poll that finds nothing new (goals ≤ 20 ms, ≤ 2 KB each way)
          the question:     median \(String(format: "%.1f", percentile(asking, 0.5) * 1000)) ms, p99 \(String(format: "%.1f", percentile(asking, 0.99) * 1000)) ms for the vector exchange alone (304), a new TLS connection each
        """)
    try benchmarkAPI(source: source, sourceNode: sourceNode, port: port)
}

/// Searches through the JSON API with wrk and a token: with the server idle, then on a node that
/// applies a sync of the whole directory meanwhile.
func benchmarkAPI(source: NodeFolder, sourceNode: Directory, port: Int) throws {
    guard FileManager.default.isExecutableFile(atPath: "/usr/bin/wrk") else {
        print("api: skipped, no /usr/bin/wrk (apt-get install wrk)")
        return
    }
    let query = "/api/v1/search?q=popescu&limit=10"
    let idle = try wrk("https://127.0.0.1:\(port)\(query)", token: try sourceNode.createToken(name: "bench").token, seconds: 10)

    // A second node serves its API while it receives the whole directory from the first.
    let folder = NodeFolder(url: workFolder.appending(path: "api-receiver"))
    let receiving = try folder.initialize(name: "api-receiver", agency: "Bench")
    _ = try receiving.addPeer(try sourceNode.card(tlsPin: try source.tlsPin(), url: "https://127.0.0.1:\(port)"))
    _ = try sourceNode.addPeer(try receiving.card(tlsPin: try folder.tlsPin(), url: nil))
    let token = try receiving.createToken(name: "bench").token
    let apiPort = 20_000 + Int.random(in: 0..<2_000)
    let server = try serving(folder, port: apiPort)
    defer { server.terminate(); server.waitUntilExit() }
    let syncing = Process()
    syncing.executableURL = URL(fileURLWithPath: cliPath)
    syncing.arguments = ["sync", String(sourceNode.node.id.hex.prefix(8)), "--data", folder.url.path]
    syncing.standardOutput = FileHandle.nullDevice
    syncing.standardError = FileHandle.nullDevice
    let started = Date()
    try syncing.run()
    let during = try wrk("https://127.0.0.1:\(apiPort)\(query)", token: token, seconds: 8)
    let stillSyncing = syncing.isRunning
    syncing.waitUntilExit()
    print("""
        API under load, wrk -t2 -c16 with a token, \(query):
          idle:             \(idle.text) (goals ≥ 2,000 searches/s, p99 ≤ 20 ms)
          during a sync:    \(during.text) while a sync of the whole directory was applied (\(stillSyncing ? "still running at the end" : "it took \(String(format: "%.1f", Date().timeIntervalSince(started))) s")) (goal p99 ≤ 50 ms)
        """)
}

/// `liaison serve` of `folder` on loopback at `port`, without background sync, once it listens.
func serving(_ folder: NodeFolder, port: Int) throws -> Process {
    let server = Process()
    server.executableURL = URL(fileURLWithPath: cliPath)
    server.arguments = ["serve", "--listen", "127.0.0.1:\(port)", "--sync-every", "0", "--data", folder.url.path]
    let said = Pipe()
    server.standardError = said
    server.standardOutput = FileHandle.nullDevice
    try server.run()
    var heard = ""
    while !heard.contains("\n"), server.isRunning { heard += String(decoding: said.fileHandleForReading.availableData, as: UTF8.self) }
    return server
}

/// Times written by a task and read once it signalled that it ended.
final class TimesBox: @unchecked Sendable {
    var values: [Double] = []
}

struct WrkResult {
    var requestsPerSecond: Double
    var p99: String
    var errors: String

    var text: String { "\(Int(requestsPerSecond)) searches/s, p99 \(p99)\(errors.isEmpty ? "" : ", \(errors)")" }
}

func wrk(_ url: String, token: String, seconds: Int) throws -> WrkResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/wrk")
    process.arguments = ["-t2", "-c16", "-d\(seconds)s", "--latency", "-H", "Authorization: Bearer \(token)", url]
    let output = Pipe()
    process.standardOutput = output
    try process.run()
    let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    let lines = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
    let rps = lines.first { $0.hasPrefix("Requests/sec:") }.flatMap { Double($0.split(separator: " ").last ?? "") } ?? 0
    let p99 = lines.first { $0.hasPrefix("99%") }.map { String($0.split(separator: " ").last ?? "") } ?? "?"
    let errors = lines.filter { $0.hasPrefix("Non-2xx") || $0.hasPrefix("Socket errors") }.joined(separator: "; ")
    return WrkResult(requestsPerSecond: rps, p99: p99, errors: errors)
}
