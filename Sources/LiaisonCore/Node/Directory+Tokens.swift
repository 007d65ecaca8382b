import Crypto
import Foundation
import GRDB

/// A token that a local tool presents to the node's JSON API, as `Authorization: Bearer TOKEN`.
public struct APIToken: Sendable, Hashable, Codable {
    public var name: String
    public var createdAt: String
    /// `YYYY-MM-DD`: the token works until the end of that day, UTC.
    public var expiresAt: String?
    public var revokedAt: String?
    /// Whether the token reads the directory only: no note, evaluation or link.
    public var directoryOnly: Bool = false
}

extension Directory {
    /// Makes a token for a tool or an officer's script: returns it, the one time it is shown. Only
    /// its SHA-256 is kept, and a token is 256 random bits, so the hash cannot be turned back.
    public func createToken(name: String, expires: String? = nil, directoryOnly: Bool = false) throws(LiaisonError) -> (token: String, record: APIToken) {
        let name = name.trimmed
        guard !name.isEmpty, name.count <= 100 else { throw LiaisonError.invalid("name", name, "give a name of 1 to 100 characters") }
        if let expires {
            guard Self.isDay(expires) else { throw LiaisonError.invalid("expires", expires, "expected a date, YYYY-MM-DD") }
            guard expires >= String(Timestamp.iso8601(clock()).prefix(10)) else {
                throw LiaisonError.invalid("expires", expires, "that day is past: the token would never work")
            }
        }
        var generator = SystemRandomNumberGenerator()
        let secret = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let token = "liaison_" + Data(secret).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        let now = Timestamp.database(clock())
        try Self.storage {
            try database.write { db in
                // A revoked token's name may serve again: the revoked one goes.
                try db.execute(sql: "DELETE FROM api_token WHERE name = ? AND revoked_at IS NOT NULL", arguments: [name])
                guard try !Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM api_token WHERE name = ?)", arguments: [name])! else {
                    throw LiaisonError(
                        .conflict, "a token named \"\(name)\" exists", hint: "revoke it with `liaison token revoke \"\(name)\"`, or choose another name")
                }
                try db.execute(
                    sql: "INSERT INTO api_token (name, hash, created_at, expires_at, directory_only) VALUES (?, ?, ?, ?, ?)",
                    arguments: [name, Data(SHA256.hash(data: Array(token.utf8))), now, expires, directoryOnly])
            }
        }
        return (token, APIToken(name: name, createdAt: now, expiresAt: expires, directoryOnly: directoryOnly))
    }

    /// The tokens, by name; never the tokens themselves.
    public func tokens() throws(LiaisonError) -> [APIToken] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM api_token ORDER BY name").map { row in
                APIToken(
                    name: row["name"], createdAt: row["created_at"], expiresAt: row["expires_at"], revokedAt: row["revoked_at"],
                    directoryOnly: row["directory_only"])
            }
        }
    }

    /// Revokes a token: it stops working at once.
    public func revokeToken(name: String) throws(LiaisonError) {
        let now = Timestamp.database(clock())
        try Self.storage {
            try database.write { db in
                try db.execute(sql: "UPDATE api_token SET revoked_at = coalesce(revoked_at, ?) WHERE name = ?", arguments: [now, name])
                guard db.changesCount > 0 else {
                    throw LiaisonError(.notFound, "no token named \"\(name)\"", hint: "`liaison token list` shows the tokens")
                }
            }
        }
    }

    /// The token when `token` is one that works now: not revoked, not expired.
    public func tokenHolder(_ token: String) throws(LiaisonError) -> APIToken? {
        guard token.hasPrefix("liaison_"), token.count < 100 else { return nil }
        let hash = Data(SHA256.hash(data: Array(token.utf8)))
        let today = String(Timestamp.iso8601(clock()).prefix(10))
        return try read { db in
            try Row.fetchOne(db, sql: """
                SELECT name, created_at, expires_at, directory_only FROM api_token
                WHERE hash = ? AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at >= ?)
                """, arguments: [hash, today]
            ).map { APIToken(name: $0["name"], createdAt: $0["created_at"], expiresAt: $0["expires_at"], directoryOnly: $0["directory_only"]) }
        }
    }

    private static func isDay(_ text: String) -> Bool {
        let parts = text.split(separator: "-")
        return text.count == 10 && parts.count == 3 && parts.allSatisfy { $0.allSatisfy(\.isNumber) }
            && (1...12).contains(Int(parts[1]) ?? 0) && (1...31).contains(Int(parts[2]) ?? 0)
    }
}
