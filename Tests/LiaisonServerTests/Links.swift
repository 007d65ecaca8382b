import Foundation
import LiaisonCore
import LiaisonSync
import LiaisonTestSupport
import NIOConcurrencyHelpers

/// A peer reached in the same process: its directory answers at once, through the same calls the
/// server makes.
struct DirectLink: SyncTransport {
    let peer: Peer
    let other: Directory
    /// The caller's node, as the other one knows it.
    let caller: NodeID
    var maximumPush: Int64?

    func state(known: VersionVector?) async throws(LiaisonError) -> PeerState { PeerState(vector: try other.vector(), maximumPush: maximumPush) }

    func pull(beyond vector: VersionVector, into stream: BundleStream) async throws(LiaisonError) {
        let (other, caller) = (other, caller)
        _ = try await startOffloaded { () throws(LiaisonError) in try other.streamBundle(beyond: vector, for: caller, into: stream) }.value.get()
    }

    /// Relays the bundle to the other node as it comes, as the server does, and refuses it
    /// past `maximumPush` bytes.
    func push(from stream: BundleStream) async throws(LiaisonError) -> ReceiveReport {
        let (other, caller) = (other, caller)
        let inbound = BundleStream(name: "the push of \(caller.hex.prefix(8))")
        let receiving = startOffloaded { () throws(LiaisonError) in try other.receivePushed(from: inbound, by: caller) }
        var carried: Int64 = 0
        var tooLarge = false
        do throws(LiaisonError) {
            while let chunk = try await stream.next() {
                carried += Int64(chunk.count)
                if let maximumPush, carried > maximumPush {
                    tooLarge = true
                    inbound.fail("more than the push limit")
                    break
                }
                try await inbound.send(chunk)
            }
            inbound.finish()
        } catch {
            inbound.fail(error.message)
        }
        let outcome = await receiving.value
        if tooLarge { throw LiaisonError(.tooLarge, "the push is larger than the limit of \(maximumPush ?? 0) bytes") }
        return try outcome.get()
    }
}

/// A peer reached by bundle files: each pull is a file the peer exports for the caller, and each
/// push a file the caller exports that the peer imports.
struct FileLink: SyncTransport {
    let peer: Peer
    let other: Directory
    let caller: NodeID
    let folder: URL

    func state(known: VersionVector?) async throws(LiaisonError) -> PeerState { PeerState(vector: try other.vector()) }

    func pull(beyond vector: VersionVector, into stream: BundleStream) async throws(LiaisonError) {
        let file = folder.appending(path: "pull-\(UUID().uuidString).liaison-bundle")
        defer { try? FileManager.default.removeItem(at: file) }
        do throws(LiaisonError) {
            _ = try other.exportBundle(to: file, assumes: vector, for: caller)
            for chunk in try chunks(of: file) { try await stream.send(chunk) }
            stream.finish()
        } catch {
            stream.fail(error.message)
            throw error
        }
    }

    func push(from stream: BundleStream) async throws(LiaisonError) -> ReceiveReport {
        var bytes: [UInt8] = []
        while let chunk = try await stream.next() { bytes += chunk }
        let file = folder.appending(path: "push-\(UUID().uuidString).liaison-bundle")
        defer { try? FileManager.default.removeItem(at: file) }
        do {
            try Data(bytes).write(to: file)
        } catch {
            throw LiaisonError(.storage, "cannot write \(file.path)")
        }
        return try other.importBundle(from: file).report
    }

    private func chunks(of file: URL) throws(LiaisonError) -> [[UInt8]] {
        guard let data = try? Data(contentsOf: file) else { throw LiaisonError(.storage, "cannot read \(file.path)") }
        return stride(from: 0, to: data.count, by: 64 << 10).map { [UInt8](data[$0..<min($0 + (64 << 10), data.count)]) }
    }
}

/// A link that goes down after a pull's answer carried `keeping` bytes.
struct CutLink: SyncTransport {
    let inner: any SyncTransport
    let keeping: Int
    var peer: Peer { inner.peer }

    func state(known: VersionVector?) async throws(LiaisonError) -> PeerState { try await inner.state(known: known) }

    func pull(beyond vector: VersionVector, into stream: BundleStream) async throws(LiaisonError) {
        let relay = BundleStream(name: stream.name)
        let inner = inner
        let pulling = Task { () async -> LiaisonError? in
            do throws(LiaisonError) {
                try await inner.pull(beyond: vector, into: relay)
                return nil
            } catch {
                return error
            }
        }
        var carried = 0
        do throws(LiaisonError) {
            while let chunk = try await relay.next() {
                guard carried + chunk.count < keeping else {
                    try await stream.send(Array(chunk.prefix(keeping - carried)))
                    relay.stopReading()
                    _ = await pulling.value
                    throw LiaisonError(.network, "the link went down")
                }
                try await stream.send(chunk)
                carried += chunk.count
            }
            if let error = await pulling.value { throw error }
            stream.finish()
        } catch {
            stream.fail(error.message)
            throw error
        }
    }

    func push(from stream: BundleStream) async throws(LiaisonError) -> ReceiveReport { try await inner.push(from: stream) }
}

/// A link that counts the pulls and pushes it carries.
final class CountingLink: SyncTransport {
    let inner: any SyncTransport
    private let counts = NIOLockedValueBox((pulls: 0, pushes: 0))

    init(_ inner: any SyncTransport) { self.inner = inner }

    var peer: Peer { inner.peer }
    var pulls: Int { counts.withLockedValue { $0.pulls } }
    var pushes: Int { counts.withLockedValue { $0.pushes } }

    func state(known: VersionVector?) async throws(LiaisonError) -> PeerState { try await inner.state(known: known) }

    func pull(beyond vector: VersionVector, into stream: BundleStream) async throws(LiaisonError) {
        counts.withLockedValue { $0.pulls += 1 }
        try await inner.pull(beyond: vector, into: stream)
    }

    func push(from stream: BundleStream) async throws(LiaisonError) -> ReceiveReport {
        counts.withLockedValue { $0.pushes += 1 }
        return try await inner.push(from: stream)
    }
}

/// The whole bundle that a pull through `link` answers.
func pulledBundle(through link: some SyncTransport, beyond vector: VersionVector) async throws -> [UInt8] {
    let stream = BundleStream(name: "a pull", capacity: .max)
    try await link.pull(beyond: vector, into: stream)
    var bytes: [UInt8] = []
    while let chunk = try stream.read() { bytes += chunk }
    return bytes
}
