/// The merge order of a write: its clock time, then its origin node id.
///
/// Stored as `<time as 16 hex digits>-<origin>`, a string that sorts in the same order, so the store
/// can compare stamps as text.
struct Stamp: Sendable, Hashable, Comparable {
    let time: HybridLogicalTime
    let origin: NodeID
    /// `<time as 16 hex digits>-<origin>`.
    let text: String
    /// The wall-clock part, as stored in `created_at` and `modified_at`.
    let databaseTime: String
    /// The wall-clock part as ISO 8601, as records report it.
    let iso8601Time: String

    init(time: HybridLogicalTime, origin: NodeID) {
        self.time = time
        self.origin = origin
        let hex = String(time.rawValue, radix: 16)
        text = String(repeating: "0", count: 16 - hex.count) + hex + "-" + origin.hex
        databaseTime = Timestamp.database(milliseconds: Int64(time.milliseconds))
        iso8601Time = Timestamp.iso8601(database: databaseTime)
    }

    static func < (lhs: Stamp, rhs: Stamp) -> Bool { (lhs.time, lhs.origin) < (rhs.time, rhs.origin) }
}
