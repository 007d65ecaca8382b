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
        return HybridLogicalTime(rawValue: latest.rawValue == .max ? .max : latest.rawValue + 1)
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

    /// `2026-11-29T10:00:00.123Z+3`: the wall time, then the counter when it is not zero.
    public var description: String {
        let text = Timestamp.iso8601(date)
        return counter == 0 ? text : "\(text)+\(counter)"
    }
}

/// Formats of times stored and shown by Liaison.
package enum Timestamp {
    /// `2026-11-29 10:00:00.123` as stored becomes `2026-11-29T10:00:00.123Z`.
    package static func iso8601(database text: String) -> String {
        // By bytes: lists and searches convert one for every row they show.
        var bytes = Array(text.utf8)
        for index in bytes.indices where bytes[index] == UInt8(ascii: " ") { bytes[index] = UInt8(ascii: "T") }
        bytes.append(UInt8(ascii: "Z"))
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `2026-11-29T10:00:00.123Z`.
    package static func iso8601(_ date: Date) -> String {
        iso8601(database: database(date))
    }

    /// `2026-11-29 10:00`: an ISO 8601 time to the minute, as lists and messages show it.
    package static func minute(iso8601 text: String) -> String {
        text.prefix(16).replacingOccurrences(of: "T", with: " ")
    }

    /// `2026-11-29`: the day in UTC, as day fields are written.
    package static func day(_ date: Date) -> String {
        String(database(date).prefix(10))
    }

    /// `2026-11-29 10:00:00.123`, the UTC form GRDB reads back as a `Date`.
    package static func database(_ date: Date) -> String {
        database(milliseconds: Int64((date.timeIntervalSince1970 * 1000).rounded(.down)))
    }

    /// The civil date by integer arithmetic (H. Hinnant's `civil_from_days`), without a calendar
    /// object, because every write formats a time.
    package static func database(milliseconds: Int64) -> String {
        let millis = milliseconds >= 0 ? milliseconds : 0
        let days = millis / 86_400_000
        let dayMillis = millis % 86_400_000
        let z = days + 719_468
        let era = z / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        func pad(_ n: Int64, _ width: Int = 2) -> String {
            let s = String(n)
            return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
        }
        let seconds = dayMillis / 1000
        return "\(pad(year, 4))-\(pad(month))-\(pad(day)) \(pad(seconds / 3600)):\(pad(seconds / 60 % 60)):\(pad(seconds % 60)).\(pad(dayMillis % 1000, 3))"
    }
}
