/// The merge order of a write: its clock time, then its origin node id.
///
/// Stored as `<time as 16 hex digits>-<origin>`, a string that sorts in the same order, so the store
/// can compare stamps as text.
struct Stamp: Sendable, Hashable, Comparable {
    var time: HybridLogicalTime
    var origin: NodeID

    var text: String {
        let hex = String(time.rawValue, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex + "-" + origin.hex
    }

    static func < (lhs: Stamp, rhs: Stamp) -> Bool { (lhs.time, lhs.origin) < (rhs.time, rhs.origin) }
}
