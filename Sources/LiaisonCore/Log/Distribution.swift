import Foundation

/// Which nodes may receive a change.
public enum Distribution: Sendable, Hashable {
    /// Every node of the federation.
    case federation
    /// This node only: never leaves it.
    case nodeOnly
    /// The named nodes only.
    case nodes([NodeID])
    /// The members of a sharing group, as the writer knew them when it wrote: the group's id in
    /// canonical text and the nodes the change is addressed to.
    case group(String, recipients: [NodeID])

    /// The nodes the change is addressed to, the writer aside; nil for the whole federation.
    public var recipients: Set<NodeID>? {
        switch self {
        case .federation: nil
        case .nodeOnly: []
        case .nodes(let nodes), .group(_, let nodes): Set(nodes)
        }
    }
}

extension Distribution {
    /// The scope byte, then for named nodes a u32 count and the node ids in increasing order, for
    /// a sharing group its id as text and its recipients as for named nodes (docs/PROTOCOL.md,
    /// "Distribution scope").
    package func encode(into writer: inout ByteWriter) {
        switch self {
        case .federation:
            writer.u8(0)
        case .nodeOnly:
            writer.u8(1)
        case .nodes(let nodes):
            writer.u8(2)
            Self.encode(nodes, into: &writer)
        case .group(let name, let recipients):
            writer.u8(3)
            writer.text(name)
            Self.encode(recipients, into: &writer)
        }
    }

    /// A u32 count, then the node ids de-duplicated in increasing order.
    private static func encode(_ nodes: [NodeID], into writer: inout ByteWriter) {
        let sorted = Set(nodes).sorted()
        writer.u32(UInt32(sorted.count))
        for node in sorted { writer.raw(node.bytes) }
    }

    /// Reads what ``encode(into:)`` writes, refusing node ids out of order or repeated.
    package init(reading reader: inout ByteReader) throws(LiaisonError) {
        switch try reader.u8() {
        case 0: self = .federation
        case 1: self = .nodeOnly
        case 2: self = .nodes(try Self.readNodes(&reader))
        case 3:
            let name = try reader.text()
            self = .group(name, recipients: try Self.readNodes(&reader))
        case let scope: throw LiaisonError(.verification, "unknown distribution scope \(scope) in change")
        }
    }

    private static func readNodes(_ reader: inout ByteReader) throws(LiaisonError) -> [NodeID] {
        var nodes: [NodeID] = []
        let count = try reader.u32()
        guard count <= UInt32(reader.remaining / 16) else { throw LiaisonError(.verification, "a distribution of \(count) nodes exceeds the bytes left") }
        for _ in 0..<count {
            let node = try NodeID(bytes: Array(try reader.take(16)))
            guard nodes.last.map({ $0 < node }) ?? true else { throw LiaisonError(.verification, "change bytes are not in canonical form") }
            nodes.append(node)
        }
        return nodes
    }
}


extension Distribution {
    /// The distribution as a note's `distribution` field spells it (docs/PROTOCOL.md, "note"):
    /// `federation`, `this-node`, `nodes:` and the node ids, or `group:`, the group's id, `:` and
    /// the node ids; ids in increasing order, separated by commas.
    public var text: String {
        switch self {
        case .federation: "federation"
        case .nodeOnly: "this-node"
        case .nodes(let nodes): "nodes:" + Set(nodes).sorted().map(\.hex).joined(separator: ",")
        case .group(let id, let nodes): "group:\(id):" + Set(nodes).sorted().map(\.hex).joined(separator: ",")
        }
    }

    /// Reads what ``text`` writes; nil for anything else.
    public init?(text: String) {
        func nodes(_ list: Substring) -> [NodeID]? {
            guard !list.isEmpty else { return [] }
            let ids = list.split(separator: ",", omittingEmptySubsequences: false).map { try? NodeID(hex: String($0)) }
            return ids.contains(where: { $0 == nil }) ? nil : ids.compactMap { $0 }
        }
        switch text {
        case "federation": self = .federation
        case "this-node": self = .nodeOnly
        default:
            if text.hasPrefix("nodes:"), let list = nodes(text.dropFirst(6)) {
                self = .nodes(list)
            } else if text.hasPrefix("group:") {
                let rest = text.dropFirst(6)
                guard let colon = rest.firstIndex(of: ":"), let list = nodes(rest[rest.index(after: colon)...]) else { return nil }
                self = .group(String(rest[..<colon]), recipients: list)
            } else {
                return nil
            }
        }
    }

    /// The nodes that may hold what is written under this distribution by `author`; nil for the
    /// whole federation.
    public func reach(author: NodeID) -> Set<NodeID>? {
        recipients.map { $0.union([author]) }
    }

    /// Whether everything this distribution lets `author` share, `other` lets `otherAuthor` share too.
    public func isWithin(_ other: Distribution, author: NodeID, otherAuthor: NodeID) -> Bool {
        guard let outer = other.reach(author: otherAuthor) else { return true }
        guard let inner = reach(author: author) else { return false }
        return inner.isSubset(of: outer)
    }
}
