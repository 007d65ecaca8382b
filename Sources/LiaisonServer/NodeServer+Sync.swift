import Foundation
import HTTPTypes
import Hummingbird
import LiaisonCore
import LiaisonSync
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

extension NodeServer {
    /// `/v1/...`: what peers ask of each other (docs/SYNC.md). Bundles stream both ways: a pull is
    /// written to the answer as it is read from the database, and a push is applied batch by batch
    /// as it arrives.
    static func addSyncRoutes(to router: Router<NodeRequestContext>, directory: Directory, configuration: NodeServerConfiguration, stopping: Stopping) {
        let sync = router.group("v1")
        let transfers = TransfersInFlight(perPeer: configuration.maximumTransfersPerPeer)
        // A peer needs one long poll; a few more cover a restart that left one open.
        let waits = TransfersInFlight(perPeer: 4)
        let vectors = RecentVector(directory: directory)
        sync.get("vector") { request, _ -> Response in
            // A peer that knows this vector already gets 304 and no body: a sync with nothing new
            // costs a few hundred bytes, however many origins the vector has.
            let vector = try directory.vector()
            let tag = "\"\(vector.fingerprint)\""
            let headers: HTTPFields = [.eTag: tag, HTTPField.Name(SyncMedia.pushLimitHeader)!: String(configuration.maximumPushBytes)]
            if request.headers[.ifNoneMatch] == tag { return Response(status: .notModified, headers: headers) }
            var withType = headers
            withType[.contentType] = "application/json"
            return Response(status: .ok, headers: withType, body: ResponseBody(byteBuffer: ByteBuffer(bytes: vector.json())))
        }
        sync.get("wait") { request, context -> Response in
            // A long poll: the answer comes when this node's vector differs from the one the peer
            // knows, or after `seconds` (at most 25) with 204, or at once when the server stops.
            let waiting = try waits.begin(try await requestingPeer(context, directory))
            defer { waiting.end() }
            let after = request.uri.queryParameters.get("after")
            let seconds = min(max(request.uri.queryParameters.get("seconds").flatMap { Int($0) } ?? 20, 0), 25)
            let deadline = ContinuousClock.now + .seconds(seconds)
            while true {
                let vector = try vectors.current()
                if vector.fingerprint != after {
                    return Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: vector.json())))
                }
                if ContinuousClock.now >= deadline || stopping.isStopping || Task.isShuttingDownGracefully || Task.isCancelled {
                    return Response(status: .noContent)
                }
                try? await Task.sleep(for: .milliseconds(250))
            }
        }
        sync.post("pull") { request, context -> Response in
            let peer = try await requestingPeer(context, directory)
            let body = try await collect(request, upTo: 1 << 20)
            let vector = try VersionVector(json: Data(body.readableBytesView), fileName: "the pull request of \(peer.name)")
            let peerID = try NodeID(hex: peer.nodeID)
            let transfer = try transfers.begin(peer)
            let stream = BundleStream(name: "the pull of \(peer.name)")
            let logger = context.logger
            // The export reads the database on a thread of its own, as fast as the answer is sent.
            Thread.detachNewThread {
                defer { transfer.end() }
                do throws(LiaisonError) {
                    let summary = try directory.streamBundle(beyond: vector, for: peerID, into: stream)
                    logger.info("served a pull", metadata: ["peer": "\(peer.nodeID.prefix(8))", "commits": "\(summary.commits)", "bytes": "\(summary.bytes)"])
                } catch {
                    logger.warning("a pull stopped", metadata: ["peer": "\(peer.nodeID.prefix(8))", "error": "\(error.message)"])
                }
            }
            return Response(status: .ok, headers: [.contentType: SyncMedia.bundle], body: ResponseBody { writer in
                // A client that goes away stops the export; an export that fails cuts the answer
                // short, without its end marker, so the client knows it is incomplete.
                defer { stream.stopReading() }
                while let chunk = try await stream.next() { try await writer.write(ByteBuffer(bytes: chunk)) }
                try await writer.finish(nil)
            })
        }
        sync.post("push") { request, context -> Response in
            let peer = try await requestingPeer(context, directory)
            let peerID = try NodeID(hex: peer.nodeID)
            let transfer = try transfers.begin(peer)
            defer { transfer.end() }
            let stream = BundleStream(name: "the push of \(peer.name)")
            let receiving = startOffloaded { () throws(LiaisonError) in try directory.receivePushed(from: stream, by: peerID) }
            let limit = configuration.maximumPushBytes
            var received = 0
            var tooLarge = false
            var cutOff = false
            do {
                for try await buffer in request.body {
                    received += buffer.readableBytes
                    guard received <= limit else {
                        tooLarge = true
                        stream.fail("more than the push limit of \(limit) bytes")
                        break
                    }
                    try await stream.send(Array(buffer.readableBytesView))
                }
                stream.finish()
            } catch let error as LiaisonError where stream.stoppedByReader {
                _ = error  // the importer stopped reading: its own error says why
            } catch {
                cutOff = true
                stream.fail("the request was cut off")
            }
            let outcome = await receiving.value
            if cutOff, case .failure = outcome {
                throw LiaisonError(.invalidFile, "the push ended before its bundle did: what came whole before was applied")
            }
            if tooLarge {
                throw LiaisonError(
                    .tooLarge, "the push is larger than this node's limit of \(limit) bytes: send fewer commits at a time",
                    hint: "what came before the limit was applied")
            }
            let report = try outcome.get()
            context.logger.info(
                "received a push", metadata: ["peer": "\(peer.nodeID.prefix(8))", "commits": "\(report.applied)", "refused": "\(report.refused.count)"])
            return try json(report)
        }
    }

    /// The peer that asks; the middleware already turned away anyone else.
    private static func requestingPeer(_ context: NodeRequestContext, _ directory: Directory) async throws -> Peer {
        guard let peer = try await context.presentedPeer(in: directory) else {
            throw LiaisonError(.unauthorized, "sync routes serve only peers: present this node's roster certificate")
        }
        return peer
    }

    /// The request's body, refused with a clear error beyond `limit` bytes.
    private static func collect(_ request: Request, upTo limit: Int) async throws -> ByteBuffer {
        do {
            return try await request.body.collect(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw LiaisonError(.tooLarge, "the request is larger than \(limit >> 20 > 0 ? "\(limit >> 20) MiB" : "\(limit >> 10) KiB")")
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw LiaisonError(.tooLarge, "the request is larger than \(limit >> 20 > 0 ? "\(limit >> 20) MiB" : "\(limit >> 10) KiB")")
        } catch {
            throw LiaisonError(.invalidFile, "the request's body could not be read: it was cut off or malformed")
        }
    }
}

/// Pulls and pushes under way, per peer: a peer that opens more at once than the limit is told to
/// wait (429), so that one peer cannot hold every database reader.
final class TransfersInFlight: Sendable {
    private let perPeer: Int
    private let counts = Mutex<[String: Int]>([:])

    init(perPeer: Int) { self.perPeer = perPeer }

    /// A place for one more transfer of `peer`, to end when the transfer ends.
    func begin(_ peer: Peer) throws(LiaisonError) -> Transfer {
        let admitted = counts.withLock { counts in
            guard counts[peer.nodeID, default: 0] < perPeer else { return false }
            counts[peer.nodeID, default: 0] += 1
            return true
        }
        guard admitted else {
            throw LiaisonError(.busy, "\(perPeer == 1 ? "a transfer" : "\(perPeer) transfers") with this node already run: try again when \(perPeer == 1 ? "it ends" : "one ends")")
        }
        return Transfer(peer: peer.nodeID, owner: self)
    }

    fileprivate func end(_ peer: String) {
        counts.withLock { counts in
            counts[peer, default: 1] -= 1
            if counts[peer] == 0 { counts[peer] = nil }
        }
    }

    struct Transfer: Sendable {
        let peer: String
        let owner: TransfersInFlight

        func end() { owner.end(peer) }
    }
}

/// The node's vector, read at most four times a second however many long polls ask for it.
final class RecentVector: Sendable {
    private let directory: Directory
    private let cached = Mutex<(read: ContinuousClock.Instant, vector: VersionVector)?>(nil)

    init(directory: Directory) { self.directory = directory }

    func current() throws(LiaisonError) -> VersionVector {
        if let recent = cached.withLock({ $0 }), ContinuousClock.now - recent.read < .milliseconds(250) { return recent.vector }
        let vector = try directory.vector()
        cached.withLock { $0 = (.now, vector) }
        return vector
    }
}
