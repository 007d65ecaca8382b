public import Foundation

/// A hybrid logical clock time: milliseconds since 1970 in the high 48 bits, a counter in the low 16.
///
/// It orders the commits of all nodes: a node's next time is later than both its wall clock and every
/// time it has seen, so causally later writes always carry later times even across clock skew.
public struct HybridLogicalTime: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let rawValue: UInt64

    public init(rawValue: UInt64) { self.rawValue = rawValue }

    public init(milliseconds: UInt64, counter: UInt16 = 0) {
        rawValue = milliseconds << 16 | UInt64(counter)
    }

    public var milliseconds: UInt64 { rawValue >> 16 }
    public var counter: UInt16 { UInt16(truncatingIfNeeded: rawValue) }
    public var date: Date { Date(timeIntervalSince1970: Double(milliseconds) / 1000) }

    /// The next time after `latest`, no earlier than `now`.
    public static func next(after latest: HybridLogicalTime?, now: Date) -> HybridLogicalTime {
        let wall = HybridLogicalTime(milliseconds: UInt64(max(0, now.timeIntervalSince1970 * 1000)))
        guard let latest, latest >= wall else { return wall }
        return HybridLogicalTime(rawValue: latest.rawValue + 1)
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

    /// `2026-11-29T10:00:00.123Z+3`: the wall time, then the counter when it is not zero.
    public var description: String {
        let text = Timestamp.iso8601(date)
        return counter == 0 ? text : "\(text)+\(counter)"
    }
}

/// Formats of times stored and shown by Liaison.
enum Timestamp {
    /// `2026-11-29T10:00:00.123Z`.
    static func iso8601(_ date: Date) -> String {
        database(date).replacingOccurrences(of: " ", with: "T") + "Z"
    }

    /// `2026-11-29 10:00:00.123`, the UTC form GRDB reads back as a `Date`.
    static func database(_ date: Date) -> String {
        let millis = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        let seconds = Double(millis / 1000)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? .gmt
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: Date(timeIntervalSince1970: seconds))
        func pad(_ n: Int?, _ width: Int = 2) -> String {
            let s = String(n ?? 0)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        let ms = millis % 1000
        return "\(pad(c.year, 4))-\(pad(c.month))-\(pad(c.day)) \(pad(c.hour)):\(pad(c.minute)):\(pad(c.second)).\(pad(Int(ms), 3))"
    }
}
