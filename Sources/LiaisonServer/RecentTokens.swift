import LiaisonCore
import Synchronization

/// API tokens found good in the last second: a tool that sends many requests costs one database
/// read a second, not one a request. A revoked or expired token stops working within a second.
final class RecentTokens: Sendable {
    private let checked = Mutex<[String: (at: ContinuousClock.Instant, token: APIToken)]>([:])
    private let lifetime: Duration
    /// Tokens kept at most: more are forgotten all at once, so that many tokens cannot grow it.
    private let capacity = 1_000

    init(lifetime: Duration = .seconds(1)) {
        self.lifetime = lifetime
    }

    /// The token of `directory` that `token` is, if it works: neither revoked nor expired.
    func holder(_ token: String, in directory: Directory) throws(LiaisonError) -> APIToken? {
        let now = ContinuousClock.now
        if let recent = checked.withLock({ $0[token] }), now - recent.at < lifetime { return recent.token }
        let holder = try directory.tokenHolder(token)
        checked.withLock { checked in
            if let holder {
                if checked.count >= capacity { checked.removeAll() }
                checked[token] = (now, holder)
            } else {
                checked[token] = nil
            }
        }
        return holder
    }
}
