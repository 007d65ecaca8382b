import LiaisonCore
import Synchronization

/// API tokens found good in the last second: a tool that sends many requests costs one database
/// read a second, not one a request. A revoked or expired token stops working within a second.
final class RecentTokens: Sendable {
    private let checked = Mutex<[String: ContinuousClock.Instant]>([:])
    private let lifetime: Duration
    /// Tokens kept at most: more are forgotten all at once, so that many tokens cannot grow it.
    private let capacity = 1_000

    init(lifetime: Duration = .seconds(1)) {
        self.lifetime = lifetime
    }

    /// Whether `token` works: a token of `directory` that is neither revoked nor expired.
    func isGood(_ token: String, in directory: Directory) throws(LiaisonError) -> Bool {
        let now = ContinuousClock.now
        if let checkedAt = checked.withLock({ $0[token] }), now - checkedAt < lifetime { return true }
        let good = try directory.tokenHolder(token) != nil
        checked.withLock { checked in
            if !good {
                checked[token] = nil
            } else {
                if checked.count >= capacity { checked.removeAll() }
                checked[token] = now
            }
        }
        return good
    }
}
