/// The need-to-know policy: which nodes may hold a change's body. Every path that lets a body leave
/// this node (bundles, sync) or keeps one that arrived asks it here, and nowhere else.
///
/// A node that may not see a change gets its hash only, so the commit still verifies
/// (docs/PROTOCOL.md, "Distribution scope").
package enum NeedToKnow {
    /// Whether a change with this distribution may reach `receiver`; nil stands for any node of
    /// the federation, as a bundle without a named receiver does.
    package static func mayReach(_ distribution: Distribution, receiver: NodeID?) -> Bool {
        switch distribution {
        case .federation:
            true
        case .nodes(let nodes), .group(_, let nodes):
            receiver.map(nodes.contains) ?? false
        case .nodeOnly:
            false
        }
    }

    /// Whether a change's bytes may reach `receiver`. Reads only the distribution, which follows
    /// the format version, the kind and the record id; bytes that do not parse stay here.
    package static func mayReach(_ body: [UInt8], receiver: NodeID?) -> Bool {
        distribution(of: body).map { mayReach($0, receiver: receiver) } ?? false
    }

    /// The nodes a body of named nodes or a sharing group is addressed to, which it travels
    /// sealed to; nil for any other body.
    package static func sealedRecipients(_ body: [UInt8]) -> Set<NodeID>? {
        switch distribution(of: body) {
        case .nodes(let nodes), .group(_, let nodes): Set(nodes)
        case .federation, .nodeOnly, nil: nil
        }
    }

    /// Whether a change's bytes are of a note, an evaluation or a link: read from the kind, which
    /// follows the format version.
    package static func isIntelligence(_ body: [UInt8]) -> Bool {
        var reader = ByteReader(body)
        guard (try? reader.u8()) != nil, let name = try? reader.text() else { return false }
        return name == Entity.note.rawValue || name == Entity.noteEvaluation.rawValue || name == Entity.noteLink.rawValue
    }

    private static func distribution(of body: [UInt8]) -> Distribution? {
        var reader = ByteReader(body)
        do {
            _ = try reader.u8()
            _ = try reader.text()
            _ = try reader.take(16)
            return try Distribution(reading: &reader)
        } catch {
            return nil
        }
    }
}

extension Commit {
    /// The commit as it is sent to `receiver` (nil: any node): changes it may not see travel as
    /// their hash only, and a body sealed to it travels sealed only. Sealed copies travel to every
    /// node, which may carry them on.
    package func reaching(_ receiver: NodeID?) -> Commit {
        var commit = self
        commit.changeBodies = changeBodies.enumerated().map { index, body in
            guard let body, NeedToKnow.mayReach(body, receiver: receiver) else { return nil }
            if let receiver, sealedBodies[index]?.contains(where: { $0.recipient == receiver }) == true { return nil }
            return body
        }
        return commit
    }

    /// The commit as `node` keeps it: bodies it may not see are dropped, whoever sent them. The
    /// origin keeps every body of its own commits, as when it wrote them.
    package func kept(by node: NodeID) -> Commit {
        guard header.origin != node else { return self }
        var commit = self
        commit.changeBodies = changeBodies.map { body in body.flatMap { NeedToKnow.mayReach($0, receiver: node) ? $0 : nil } }
        return commit
    }
}
