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
    let server = Process()
    server.executableURL = URL(fileURLWithPath: cliPath)
    server.arguments = ["serve", "--listen", "127.0.0.1:\(port)", "--sync-every", "0", "--data", source.url.path]
    let said = Pipe()
    server.standardError = said
    server.standardOutput = FileHandle.nullDevice
    try server.run()
    defer { server.terminate(); server.waitUntilExit() }
    var heard = ""
    while !heard.contains("\n"), server.isRunning { heard += String(decoding: said.fileHandleForReading.availableData, as: UTF8.self) }

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
    print("""
        sync over mutual TLS on loopback, `liaison sync` as a process against `liaison serve`:
          initial sync:     \(String(format: "%.2f", initial.seconds)) s for \(changes) changes (exit \(initial.status)), peak \(initial.bytes / 1_048_576) MB, digests equal: \(digestsEqual)
          bundle import:    \(String(format: "%.2f", imported.seconds)) s for the same commits as a file (exit \(imported.status))
          ratio:            \(String(format: "%.2f", imported.seconds / initial.seconds))× the bundle import's rate (goal ≥ 0.9; initial sync goal ≤ 10 s)
          on the wire:      \(initialBytes / 1_000_000) MB, \(String(format: "%.1f", Double(initialBytes) / Double(max(changes, 1)))) bytes a change (TCP, TLS and HTTP included)
          nothing new:      median \(String(format: "%.1f", percentile(idleTimes, 0.5) * 1000)) ms for the whole process (goal ≤ 150 ms), \(idleBytes.sorted()[idleBytes.count / 2]) bytes both ways (goal ≤ 2 KB each way)
        """)
}
