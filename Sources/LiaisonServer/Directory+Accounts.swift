import Crypto
import Foundation
import GRDB
import HummingbirdBcrypt
public import LiaisonCore

/// What an officer may do on the node's web page.
public enum AccountRole: String, Sendable, Hashable, Codable, CaseIterable {
    /// Reads the directory and the notes this node may read.
    case viewer
    /// Also edits records, writes notes and decides proposals.
    case editor
    /// Also sees the audit log and starts a sync.
    case admin

    public var mayEdit: Bool { self != .viewer }
}

/// An officer's account on the node's web page. Local to the node: never synced.
public struct Account: Sendable, Hashable, Codable {
    public var name: String
    public var role: AccountRole
    /// Whether a password is set; until then the account waits for its enrolment link.
    public var enrolled: Bool
    public var createdAt: String
    public var lastLoginAt: String?
    /// Until when the account is locked from at least one network, after failed sign-ins there.
    public var lockedUntil: String?
    public var disabledAt: String?
    public var enrolmentExpiresAt: String?
}

/// A signed-in officer, as the page's session cookie names them.
public struct WebSession: Sendable, Hashable {
    public var account: String
    public var role: AccountRole
    /// Sent in every form and compared on every POST, so that another site cannot post for the
    /// officer (CSRF).
    public var formToken: String
    public var expiresAt: String
}

/// How a login ended.
public enum LoginOutcome: Sendable, Hashable {
    /// A session opened; `cookie` is its secret, shown to the browser only.
    case opened(cookie: String, session: WebSession)
    /// The name or the password is wrong, or the account is disabled or not enrolled: the page
    /// says no more than that.
    case refused
    /// Too many failures from the caller's network: no password from there is checked until then.
    case locked(until: String)
}

/// The rules for accounts: bcrypt's cost, the lock after failures, how long sessions and
/// enrolment links last.
public enum AccountRules {
    /// bcrypt's cost: about 120 ms a hash on a 2-core server in a release build.
    public static let bcryptCost: UInt8 = 11
    /// Failed attempts at one name from one network before that name is locked from there.
    public static let failuresBeforeLock = 5
    static let lockDuration: TimeInterval = 15 * 60
    /// While failed attempts at one name come from this many networks at once (within
    /// ``lockDuration``), only the networks it signed in from lately may try it: guesses spread
    /// over many networks are stopped too, and the officer still signs in from her office.
    public static let failingNetworksBeforeClosing = 10
    /// How long a network a name signed in from counts as one it signs in from.
    static let knownNetworkDuration: TimeInterval = 90 * 24 * 60 * 60
    static let sessionDuration: TimeInterval = 12 * 60 * 60
    static let enrolmentDuration: TimeInterval = 7 * 24 * 60 * 60
    /// bcrypt reads 72 bytes at most: a longer password would be cut without a word.
    public static let passwordLength = 12...72

    /// Whether `name` could be an account's: 1 to 64 characters, no whitespace but spaces.
    public static func isPossibleName(_ name: String) -> Bool {
        // Counted as the schema counts it, in code points: a character may carry many.
        !name.isEmpty && name.unicodeScalars.count <= 64 && !name.contains { $0.isWhitespace && $0 != " " }
    }

    /// Why `password` cannot serve for `name`, or nil.
    public static func problem(password: String, name: String) -> String? {
        if password.count < passwordLength.lowerBound { return "needs at least \(passwordLength.lowerBound) characters" }
        if password.utf8.count > passwordLength.upperBound { return "may have at most \(passwordLength.upperBound) bytes" }
        if password.lowercased().contains(name.lowercased()) { return "may not contain the account's name" }
        return nil
    }
}

extension Directory {
    /// Adds an account. With a password, it can sign in at once; without one, the returned
    /// one-time secret enrols it (`/enrol/SECRET` on the page), within ``AccountRules/enrolmentDuration``.
    public func addAccount(name: String, role: AccountRole, password: String? = nil) throws(LiaisonError) -> String? {
        let name = name.trimmed
        guard AccountRules.isPossibleName(name) else {
            throw LiaisonError.invalid("name", name, "give a name of 1 to 64 characters")
        }
        let hash = try password.map { password throws(LiaisonError) in try passwordHash(password, for: name) }
        let enrolment = password == nil ? Self.secret() : nil
        let now = clock()
        try Self.storage {
            try database.write { db in
                guard try !Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM account WHERE name = ?)", arguments: [name])! else {
                    throw LiaisonError(.conflict, "an account named \"\(name)\" exists", hint: "`liaison user list` shows the accounts")
                }
                try db.execute(
                    sql: """
                        INSERT INTO account (name, role, password_hash, enrolment_hash, enrolment_expires_at, created_at)
                        VALUES (?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        name, role.rawValue, hash, enrolment.map(Self.digest), enrolment.map { _ in Timestamp.database(now + AccountRules.enrolmentDuration) },
                        Timestamp.database(now),
                    ])
            }
        }
        return enrolment
    }

    /// The accounts, by name; `lockedUntil` is a lock that holds now.
    public func accounts() throws(LiaisonError) -> [Account] {
        let now = Timestamp.database(clock())
        return try read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT account.*, (SELECT max(locked_until) FROM sign_in_lock WHERE sign_in_lock.name = account.name AND locked_until > ?) AS locked_until
                    FROM account ORDER BY name
                    """, arguments: [now]
            ).map(Self.account)
        }
    }

    /// Disables an account and ends its sessions at once.
    public func disableAccount(_ name: String) throws(LiaisonError) {
        try changeAccount(name) { db in
            try db.execute(sql: "UPDATE account SET disabled_at = coalesce(disabled_at, ?) WHERE name = ?", arguments: [Timestamp.database(self.clock()), name])
            try db.execute(sql: "DELETE FROM web_session WHERE account = ?", arguments: [name])
            // A disabled or reset account may have been someone else's: where it signed in from is no longer hers.
            try db.execute(sql: "DELETE FROM sign_in_network WHERE name = ?", arguments: [name])
        }
    }

    /// Enables a disabled account again, and lifts the locks of failed sign-ins on its name.
    public func enableAccount(_ name: String) throws(LiaisonError) {
        try changeAccount(name) { db in
            try db.execute(sql: "UPDATE account SET disabled_at = NULL WHERE name = ?", arguments: [name])
            try db.execute(sql: "DELETE FROM sign_in_lock WHERE name = ?", arguments: [name])
        }
    }

    /// Resets an account's password, ending its sessions and lifting a lock: to `password`, or
    /// to nothing with a new one-time enrolment secret, which is returned.
    public func resetAccount(_ name: String, password: String? = nil) throws(LiaisonError) -> String? {
        let hash = try password.map { password throws(LiaisonError) in try passwordHash(password, for: name) }
        let enrolment = password == nil ? Self.secret() : nil
        let expires = Timestamp.database(clock() + AccountRules.enrolmentDuration)
        try changeAccount(name) { db in
            try db.execute(
                sql: """
                    UPDATE account SET password_hash = ?, enrolment_hash = ?, enrolment_expires_at = ? WHERE name = ?
                    """,
                arguments: [hash, enrolment.map(Self.digest), enrolment.map { _ in expires }, name])
            try db.execute(sql: "DELETE FROM sign_in_lock WHERE name = ?", arguments: [name])
            try db.execute(sql: "DELETE FROM sign_in_network WHERE name = ?", arguments: [name])
            try db.execute(sql: "DELETE FROM web_session WHERE account = ?", arguments: [name])
        }
        return enrolment
    }

    /// The account an enrolment secret is for, while it works.
    public func enrollingAccount(_ secret: String) throws(LiaisonError) -> Account? {
        let now = Timestamp.database(clock())
        return try read { db in
            try Row.fetchOne(
                db, sql: "SELECT * FROM account WHERE enrolment_hash = ? AND enrolment_expires_at > ? AND disabled_at IS NULL",
                arguments: [Self.digest(secret), now]
            ).map(Self.account)
        }
    }

    /// Sets the password of the account `secret` enrols, which then stops working. The network
    /// it was enrolled from counts as one it signs in from (``AccountRules/failingNetworksBeforeClosing``).
    public func enrol(_ secret: String, password: String, from network: String? = nil) throws(LiaisonError) -> Account {
        guard let account = try enrollingAccount(secret) else {
            throw LiaisonError(.notFound, "this enrolment link does not work: it was used, or it expired", hint: "ask an administrator for a new one")
        }
        let hash = try passwordHash(password, for: account.name)
        try changeAccount(account.name) { db in
            try db.execute(
                sql: "UPDATE account SET password_hash = ?, enrolment_hash = NULL, enrolment_expires_at = NULL WHERE name = ? AND enrolment_hash = ?",
                arguments: [hash, account.name, Self.digest(secret)])
            if let network { try Self.remember(network, of: account.name, at: self.clock(), in: db) }
        }
        return account
    }

    /// Checks a name and password typed on the page from `network` (``SignInNetwork``) and opens a
    /// session. After ``AccountRules/failuresBeforeLock`` failed attempts from one network, that
    /// name is locked from that network for ``AccountRules/lockDuration``; from other networks it
    /// still signs in, unless failures at it come from many networks at once
    /// (``AccountRules/failingNetworksBeforeClosing``), when only the networks it signed in or
    /// enrolled from lately may sign in: elsewhere every password is refused as a wrong one is. A
    /// name without an account is counted and locked the same way, and costs as long as a wrong
    /// password, so that neither the answer nor its time tells which names exist.
    public func logIn(name: String, password: String, from network: String) throws(LiaisonError) -> LoginOutcome {
        let now = clock()
        // A name that no account can have is refused as a wrong password is, and not kept.
        guard AccountRules.isPossibleName(name) else {
            _ = Bcrypt.verify(password, hash: Self.decoyHash)
            return .refused
        }
        switch try reserveAttempt(name: name, network: network, at: now) {
        case .locked(let until):
            return .locked(until: Timestamp.iso8601(database: until))
        case .granted(let stored, let lockedIfWrong, let closed):
            let matches = Bcrypt.verify(password, hash: stored?.hash ?? Self.decoyHash)
            guard let stored, matches, stored.hash != nil, !stored.disabled, !closed else {
                return lockedIfWrong.map { .locked(until: Timestamp.iso8601(database: $0)) } ?? .refused
            }
            return try openSession(for: name, network: network, at: now, lockedIfWrong: lockedIfWrong)
        }
    }

    private enum Attempt {
        /// The password may be checked; a wrong one leaves the name locked until the time given.
        /// While the name is `closed` to this network, a right one is refused as a wrong one is:
        /// the answer and its time are those of a wrong password, whether the name exists or not.
        /// `stored` is the account's password hash and whether it is disabled, if the name has one.
        case granted(stored: (hash: String?, disabled: Bool)?, lockedIfWrong: String?, closed: Bool)
        case locked(until: String)
    }

    /// Counts an attempt before its password is checked, in one transaction with the check of the
    /// locks: attempts that arrive together are counted one after another, and none passes the limit.
    private func reserveAttempt(name: String, network: String, at now: Date) throws(LiaisonError) -> Attempt {
        let nowText = Timestamp.database(now)
        let lockEnd = Timestamp.database(now + AccountRules.lockDuration)
        return try Self.storage {
            try database.write { db in
                // Attempts 15 minutes old, and locks that ended, are forgotten as others arrive.
                try db.execute(
                    sql: "DELETE FROM sign_in_lock WHERE last_attempt_at < ? AND (locked_until IS NULL OR locked_until <= ?)",
                    arguments: [Timestamp.database(now - AccountRules.lockDuration), nowText])
                let row = try Row.fetchOne(db, sql: "SELECT attempts, locked_until FROM sign_in_lock WHERE name = ? AND network = ?", arguments: [name, network])
                if let lockedUntil: String = row?["locked_until"], lockedUntil > nowText { return .locked(until: lockedUntil) }
                let failingElsewhere = try Int.fetchOne(db, sql: "SELECT count(*) FROM sign_in_lock WHERE name = ? AND network <> ?", arguments: [name, network]) ?? 0
                var closed = false
                if failingElsewhere >= AccountRules.failingNetworksBeforeClosing {
                    let known = try Bool.fetchOne(
                        db, sql: "SELECT EXISTS (SELECT 1 FROM sign_in_network WHERE name = ? AND network = ? AND signed_in_at > ?)",
                        arguments: [name, network, Timestamp.database(now - AccountRules.knownNetworkDuration)])
                    closed = known != true
                }
                // A lock, once set, starts the count again: its row holds no attempts.
                let attempts = (row?["attempts"] as Int? ?? 0) + 1
                let lockedIfWrong = attempts >= AccountRules.failuresBeforeLock ? lockEnd : nil
                try db.execute(
                    sql: """
                        INSERT INTO sign_in_lock (name, network, attempts, locked_until, last_attempt_at) VALUES (?, ?, ?, ?, ?)
                        ON CONFLICT (name, network) DO UPDATE SET attempts = excluded.attempts, locked_until = excluded.locked_until,
                          last_attempt_at = excluded.last_attempt_at
                        """,
                    arguments: [name, network, lockedIfWrong == nil ? attempts : 0, lockedIfWrong, nowText])
                let stored = try Row.fetchOne(db, sql: "SELECT password_hash, disabled_at FROM account WHERE name = ?", arguments: [name]).map {
                    (hash: $0["password_hash"] as String?, disabled: $0["disabled_at"] as String? != nil)
                }
                return .granted(stored: stored, lockedIfWrong: lockedIfWrong, closed: closed)
            }
        }
    }

    /// Opens a session after a right password. `lockedIfWrong` is the lock this attempt set as it
    /// was counted, which its success lifts; a lock that other attempts set meanwhile stays.
    private func openSession(for name: String, network: String, at now: Date, lockedIfWrong: String?) throws(LiaisonError) -> LoginOutcome {
        let cookie = Self.secret()
        let formToken = Self.secret()
        let nowText = Timestamp.database(now)
        let expires = Timestamp.database(now + AccountRules.sessionDuration)
        let role: AccountRole = try Self.storage {
            try database.write { db in
                try db.execute(sql: "UPDATE account SET last_login_at = ? WHERE name = ?", arguments: [nowText, name])
                // A success clears the failures from its own network only: guesses from elsewhere stay counted.
                try db.execute(
                    sql: "DELETE FROM sign_in_lock WHERE name = ? AND network = ? AND (locked_until IS NULL OR locked_until IS ?)",
                    arguments: [name, network, lockedIfWrong])
                try Self.remember(network, of: name, at: now, in: db)
                // Sessions that ended are cleared as others open.
                try db.execute(sql: "DELETE FROM web_session WHERE expires_at <= ?", arguments: [nowText])
                try db.execute(
                    sql: "INSERT INTO web_session (hash, account, form_token, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
                    arguments: [Self.digest(cookie), name, formToken, nowText, expires])
                return AccountRole(rawValue: try String.fetchOne(db, sql: "SELECT role FROM account WHERE name = ?", arguments: [name]) ?? "") ?? .viewer
            }
        }
        return .opened(cookie: cookie, session: WebSession(account: name, role: role, formToken: formToken, expiresAt: Timestamp.iso8601(database: expires)))
    }

    /// The session a cookie opens, while it lasts and its account is enabled.
    public func webSession(cookie: String) throws(LiaisonError) -> WebSession? {
        guard !cookie.isEmpty, cookie.count < 100 else { return nil }
        let now = Timestamp.database(clock())
        return try read { db in
            try Row.fetchOne(
                db,
                sql: """
                    SELECT account, role, form_token, expires_at FROM web_session JOIN account ON account.name = web_session.account
                    WHERE hash = ? AND expires_at > ? AND disabled_at IS NULL
                    """,
                arguments: [Self.digest(cookie), now]
            ).map { row in
                WebSession(
                    account: row["account"], role: AccountRole(rawValue: row["role"]) ?? .viewer, formToken: row["form_token"],
                    expiresAt: Timestamp.iso8601(database: row["expires_at"]))
            }
        }
    }

    /// Ends the session a cookie opened.
    public func logOut(cookie: String) throws(LiaisonError) {
        try Self.storage { try database.write { db in try db.execute(sql: "DELETE FROM web_session WHERE hash = ?", arguments: [Self.digest(cookie)]) } }
    }

    /// Notes a network the account signed in or enrolled from, and forgets those it has not used
    /// for ``AccountRules/knownNetworkDuration``.
    private static func remember(_ network: String, of name: String, at now: Date, in db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO sign_in_network (name, network, signed_in_at) VALUES (?, ?, ?)
                ON CONFLICT (name, network) DO UPDATE SET signed_in_at = excluded.signed_in_at
                """,
            arguments: [name, network, Timestamp.database(now)])
        try db.execute(sql: "DELETE FROM sign_in_network WHERE signed_in_at <= ?", arguments: [Timestamp.database(now - AccountRules.knownNetworkDuration)])
    }

    private func changeAccount(_ name: String, _ change: @escaping (Database) throws -> Void) throws(LiaisonError) {
        try Self.storage {
            try database.write { db in
                guard try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM account WHERE name = ?)", arguments: [name])! else {
                    throw LiaisonError(.notFound, "no account named \"\(name)\"", hint: "`liaison user list` shows the accounts")
                }
                try change(db)
            }
        }
    }

    private func passwordHash(_ password: String, for name: String) throws(LiaisonError) -> String {
        if let problem = AccountRules.problem(password: password, name: name) { throw LiaisonError(.invalidValue, problem, field: "password") }
        return Bcrypt.hash(password, cost: AccountRules.bcryptCost)
    }

    /// An account as the CLI and the page show it, its times in ISO 8601 (UTC).
    private static func account(_ row: Row) -> Account {
        func time(_ column: String) -> String? { (row[column] as String?).map(Timestamp.iso8601(database:)) }
        return Account(
            name: row["name"], role: AccountRole(rawValue: row["role"]) ?? .viewer, enrolled: row["password_hash"] as String? != nil,
            createdAt: time("created_at") ?? "", lastLoginAt: time("last_login_at"), lockedUntil: time("locked_until"), disabledAt: time("disabled_at"),
            enrolmentExpiresAt: time("enrolment_expires_at"))
    }

    /// 256 random bits, base64url without padding.
    static func secret() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func digest(_ secret: String) -> Data { Data(SHA256.hash(data: Array(secret.utf8))) }

    /// A hash no password is known for, checked for unknown names.
    private static let decoyHash = Bcrypt.hash(secret(), cost: AccountRules.bcryptCost)
}
