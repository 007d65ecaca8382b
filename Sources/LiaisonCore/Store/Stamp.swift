package import GRDB
/// The merge order of a write: its clock time, then its origin node id, then the epoch of the
/// commit, which tells apart two copies of one node that signed at the same clock time.
///
/// Stored as `<time as 16 hex digits>-<origin>-<epoch as 8 hex digits>`, a string that sorts in the
/// same order, so the store can compare stamps as text.
package struct Stamp: Sendable, Hashable, Comparable {
    package let time: HybridLogicalTime
    package let origin: NodeID
    package let epoch: UInt32
    /// `<time as 16 hex digits>-<origin>-<epoch as 8 hex digits>`.
    package let text: String
    /// The wall-clock part, as stored in `created_at` and `modified_at`.
    package let databaseTime: String
    /// The wall-clock part as ISO 8601, as records report it.
    package let iso8601Time: String

    package init(time: HybridLogicalTime, origin: NodeID, epoch: UInt32) {
        self.time = time
        self.origin = origin
        self.epoch = epoch
        func hex(_ value: some BinaryInteger, width: Int) -> String {
            let digits = String(value, radix: 16)
            return String(repeating: "0", count: width - digits.count) + digits
        }
        text = hex(time.rawValue, width: 16) + "-" + origin.hex + "-" + hex(epoch, width: 8)
        databaseTime = Timestamp.database(milliseconds: Int64(time.milliseconds))
        iso8601Time = Timestamp.iso8601(database: databaseTime)
    }

    /// The stamp of a stored commit, from a row with its `hlc`, `origin` and `epoch` columns.
    package init(commitRow row: Row) throws {
        self.init(time: HybridLogicalTime(rawValue: UInt64(bitPattern: row["hlc"])), origin: try NodeID(hex: row["origin"]), epoch: row["epoch"])
    }

    package static func < (lhs: Stamp, rhs: Stamp) -> Bool { (lhs.time, lhs.origin, lhs.epoch) < (rhs.time, rhs.origin, rhs.epoch) }
}
