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
        var reader = ByteReader(body)
        do {
            _ = try reader.u8()
            _ = try reader.text()
            _ = try reader.take(16)
            return mayReach(try Distribution(reading: &reader), receiver: receiver)
        } catch {
            return false
        }
    }
}

extension Commit {
    /// The commit as `receiver` may see it: changes it may not see travel as their hash only.
    package func reaching(_ receiver: NodeID?) -> Commit {
        var commit = self
        commit.changeBodies = changeBodies.map { body in body.flatMap { NeedToKnow.mayReach($0, receiver: receiver) ? $0 : nil } }
        return commit
    }
}
