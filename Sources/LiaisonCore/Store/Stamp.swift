import GRDB
/// The merge order of a write: its clock time, then its origin node id, then the epoch of the
/// commit, which tells apart two copies of one node that signed at the same clock time.
///
/// Stored as `<time as 16 hex digits>-<origin>-<epoch as 8 hex digits>`, a string that sorts in the
/// same order, so the store can compare stamps as text.
struct Stamp: Sendable, Hashable, Comparable {
    let time: HybridLogicalTime
    let origin: NodeID
    let epoch: UInt32
    /// `<time as 16 hex digits>-<origin>-<epoch as 8 hex digits>`.
    let text: String
    /// The wall-clock part, as stored in `created_at` and `modified_at`.
    let databaseTime: String
    /// The wall-clock part as ISO 8601, as records report it.
    let iso8601Time: String

    init(time: HybridLogicalTime, origin: NodeID, epoch: UInt32) {
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
    init(commitRow row: Row) throws {
        self.init(time: HybridLogicalTime(rawValue: UInt64(bitPattern: row["hlc"])), origin: try NodeID(hex: row["origin"]), epoch: row["epoch"])
    }

    static func < (lhs: Stamp, rhs: Stamp) -> Bool { (lhs.time, lhs.origin, lhs.epoch) < (rhs.time, rhs.origin, rhs.epoch) }
}
