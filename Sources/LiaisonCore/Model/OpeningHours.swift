public import Foundation

/// A channel's opening hours as directories write them, e.g. `Mo-Fr 08:00-17:00 Europe/Chisinau`:
/// rules separated by `;`, each with days (`Mo-Fr`, `Mo,We`, `Sa`; every day when left out) and
/// times (`08:00-12:00,13:00-17:00`, `off`, or `24/7`), then an optional IANA time zone. It is the
/// everyday part of OpenStreetMap's `opening_hours`; a later rule for a day replaces an earlier one,
/// as there.
///
/// Hours in any other form stay a text to read: ``init(_:)`` returns nil and nothing says whether
/// the office is open.
public struct OpeningHours: Sendable, Hashable {
    /// Minutes since midnight, start inclusive, end exclusive; an end before the start runs past midnight.
    public struct Span: Sendable, Hashable {
        public var start: Int
        public var end: Int
    }

    /// For each weekday, Monday first, the spans it is open; nil when no rule names the day.
    public private(set) var days: [[Span]?] = Array(repeating: nil, count: 7)
    /// The time zone the hours are in, when the text names one.
    public private(set) var timeZone: TimeZone?

    static let dayNames = ["mo", "tu", "we", "th", "fr", "sa", "su"]

    public init?(_ text: String) {
        var words = text.split(whereSeparator: \.isWhitespace).map(String.init)
        if let last = words.last, last.contains("/") || last == "UTC", last != "24/7" {
            guard let zone = TimeZone(identifier: last) else { return nil }
            timeZone = zone
            words.removeLast()
        }
        let rules = words.joined(separator: " ").split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !rules.isEmpty else { return nil }
        for rule in rules {
            let parts = rule.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            guard parts.count == 1 || parts.count == 2 else { return nil }
            let times = parts[parts.count - 1].lowercased()
            let chosen: [Int]
            if parts.count == 2 {
                guard let named = Self.days(parts[0]) else { return nil }
                chosen = named
            } else {
                chosen = Array(0..<7)
            }
            let spans: [Span]
            switch times {
            case "24/7": spans = [Span(start: 0, end: 24 * 60)]
            case "off", "closed": spans = []
            default:
                guard let read = Self.spans(times) else { return nil }
                spans = read
            }
            for day in chosen { days[day] = spans }
        }
    }

    /// Whether the office is open at `date`, in the hours' own zone or else in `zone`; nil when
    /// neither names a zone.
    public func isOpen(at date: Date, zone: TimeZone?) -> Bool? {
        guard let zone = timeZone ?? zone else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let parts = calendar.dateComponents([.weekday, .hour, .minute], from: date)
        // Calendar counts Sunday as 1; the hours count Monday as 0.
        let today = ((parts.weekday ?? 1) + 5) % 7, yesterday = (today + 6) % 7
        let minute = (parts.hour ?? 0) * 60 + (parts.minute ?? 0)
        let openToday = (days[today] ?? []).contains { span in
            span.end > span.start ? (span.start..<span.end).contains(minute) : minute >= span.start
        }
        // A span of yesterday's that runs past midnight, such as 22:00-06:00.
        let openSinceYesterday = (days[yesterday] ?? []).contains { span in span.end <= span.start && minute < span.end }
        return openToday || openSinceYesterday
    }

    /// `Mo-Fr`, `Mo,We,Fr`, `Sa-Mo` (wrapping) as weekday numbers, Monday 0.
    private static func days(_ text: String) -> [Int]? {
        var chosen: [Int] = []
        for piece in text.lowercased().split(separator: ",") {
            let ends = piece.split(separator: "-").map(String.init)
            guard (1...2).contains(ends.count), let first = dayNames.firstIndex(of: ends[0]),
                let last = ends.count == 2 ? dayNames.firstIndex(of: ends[1]) : first
            else { return nil }
            var day = first
            while true {
                chosen.append(day)
                if day == last { break }
                day = (day + 1) % 7
            }
        }
        return chosen
    }

    /// `08:00-12:00,13:00-17:00` as spans; `24:00` may end one.
    private static func spans(_ text: String) -> [Span]? {
        var spans: [Span] = []
        for piece in text.split(separator: ",") {
            let ends = piece.split(separator: "-")
            guard ends.count == 2, let start = minutes(ends[0]), let end = minutes(ends[1]), start < 24 * 60, start != end else { return nil }
            spans.append(Span(start: start, end: end))
        }
        return spans
    }

    private static func minutes(_ text: Substring) -> Int? {
        let parts = text.split(separator: ":")
        guard parts.count == 2, parts[0].count <= 2, parts[1].count == 2, let hour = Int(parts[0]), let minute = Int(parts[1]),
            (0...24).contains(hour), (0..<60).contains(minute), hour < 24 || minute == 0
        else { return nil }
        return hour * 60 + minute
    }
}
