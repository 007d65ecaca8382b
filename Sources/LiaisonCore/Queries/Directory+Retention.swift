public import Foundation
import GRDB

/// A note whose review or retention is due.
public struct DueNote: Sendable, Codable, Hashable {
    public enum Reason: String, Sendable, Codable {
        /// Its review day has come.
        case review
        /// Its retain-until day comes within the window asked for.
        case retention
        /// Its retain-until day has passed and it is still here: another node wrote it and has not
        /// purged it, and this node cannot purge it everywhere.
        case overdue
    }

    public var note: NoteSummary
    public var reviewOn: String?
    public var retainUntil: String?
    public var reasons: [Reason]

    enum CodingKeys: String, CodingKey {
        case note, reviewOn = "review_on", retainUntil = "retain_until", reasons
    }
}

extension Directory {
    /// Notes held here whose review day is on or before `today` plus `days`, or whose retention
    /// ends by then, soonest first. Notes past their retention that another node wrote are
    /// `overdue`: this node's own are purged when it opens (``purgeExpiredNotes(now:)``).
    public func notesDue(within days: Int = 0, now: Date? = nil) throws(LiaisonError) -> [DueNote] {
        let date = now ?? clock()
        let today = Timestamp.day(date)
        let horizon = Timestamp.day(date.addingTimeInterval(Double(max(0, days)) * 86_400))
        return try read { db in
            try Row.fetchAll(
                db, sql: """
                    SELECT \(NoteSummary.columns), n.review_on, n.retain_until FROM note n
                    WHERE n.deleted = 0 AND (n.review_on <= ?1 OR n.retain_until <= ?1)
                    ORDER BY min(coalesce(n.review_on, '9999'), coalesce(n.retain_until, '9999')), n.id
                    """, arguments: [horizon]
            ).map { row in
                let reviewOn: String? = row["review_on"], retainUntil: String? = row["retain_until"]
                var reasons: [DueNote.Reason] = []
                if let reviewOn, reviewOn <= horizon { reasons.append(.review) }
                if let retainUntil, retainUntil <= horizon { reasons.append(retainUntil < today ? .overdue : .retention) }
                return DueNote(note: NoteSummary(row: row), reviewOn: reviewOn, retainUntil: retainUntil, reasons: reasons)
            }
        }
    }
}
