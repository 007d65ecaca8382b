import Foundation
import Hummingbird
import LiaisonCore
import LiaisonSync
import Logging
import NIOCore

extension NodeServer {
    /// `/v1/...`: what peers ask of each other (docs/SYNC.md).
    static func addSyncRoutes(to router: Router<NodeRequestContext>, directory: Directory, maximumPushBytes: Int) {
        let sync = router.group("v1")
        sync.get("vector") { _, _ -> Response in
            Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: try directory.vector().json())))
        }
        sync.post("pull") { request, context -> Response in
            let peer = try await requestingPeer(context, directory)
            let body = try await collect(request, upTo: 1 << 20)
            let vector = try VersionVector(json: Data(body.readableBytesView), fileName: "the pull request of \(peer.name)")
            let bundle = try await offload { () throws(LiaisonError) in try directory.bundle(beyond: vector, for: try NodeID(hex: peer.nodeID)) }
            context.logger.info("served a pull", metadata: ["peer": "\(peer.nodeID.prefix(8))", "bytes": "\(bundle.count)"])
            return Response(status: .ok, headers: [.contentType: SyncMedia.bundle], body: ResponseBody(byteBuffer: ByteBuffer(bytes: bundle)))
        }
        sync.post("push") { request, context -> Response in
            let peer = try await requestingPeer(context, directory)
            let body = try await collect(request, upTo: maximumPushBytes)
            let report = try await offload { () throws(LiaisonError) in
                try directory.receivePushed(Data(body.readableBytesView), from: try NodeID(hex: peer.nodeID))
            }
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
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw LiaisonError(.tooLarge, "the request is larger than \(limit >> 20 > 0 ? "\(limit >> 20) MiB" : "\(limit >> 10) KiB"): send fewer commits at a time")
        }
    }
}
