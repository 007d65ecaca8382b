import Crypto
import Foundation
import GRDB
public import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whether this user may read or write the node's files, said as one sentence that names the file
/// and what to do: an officer meets these after a copy, a restore, or a command run as another user.
extension NodeFolder {
    /// The files SQLite keeps beside the database in WAL mode.
    var walURL: URL { URL(fileURLWithPath: databaseURL.path + "-wal") }
    var sharedMemoryURL: URL { URL(fileURLWithPath: databaseURL.path + "-shm") }

    /// Checks that the folder is a node's data folder this user can read.
    func checkReadable() throws(LiaisonError) {
        let path = url.path
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw LiaisonError(
                .nodeFolder, "no node in \(path)",
                hint: "create one with `liaison init --name NAME --agency AGENCY`, or point --data / LIAISON_HOME at an existing node")
        }
        guard isFolder.boolValue else {
            let parent = url.deletingLastPathComponent().path
            let instead = url.lastPathComponent == databaseURL.lastPathComponent ? "its folder, \(parent)" : "the folder that holds liaison.sqlite"
            throw LiaisonError(.nodeFolder, "\(path) is a file, not a node's data folder: give --data (or LIAISON_HOME) \(instead)")
        }
        guard access(path, R_OK | X_OK) == 0 else {
            throw LiaisonError(.nodeFolder, "cannot open the data folder \(path): \(Self.remedy(for: url, mode: "700"))")
        }
        guard FileManager.default.fileExists(atPath: databaseURL.path) else {
            throw LiaisonError(
                .nodeFolder, "no node in \(path)",
                hint: "create one with `liaison init --name NAME --agency AGENCY`, or point --data / LIAISON_HOME at an existing node")
        }
        guard access(databaseURL.path, R_OK) == 0 else {
            throw LiaisonError(.nodeFolder, "cannot read the database \(databaseURL.path): \(Self.remedy(for: databaseURL, mode: "600"))")
        }
    }

    /// Checks that a command may change the directory: SQLite writes the database and keeps its
    /// `-wal` and `-shm` files beside it, so all of them and the folder must be writable.
    func checkWritable() throws(LiaisonError) {
        let readsStillWork = "; read commands such as `liaison search` still work"
        guard access(url.path, W_OK) == 0 else {
            throw LiaisonError(
                .nodeFolder,
                "cannot write in the data folder \(url.path), where the database keeps its -wal and -shm files: \(Self.remedy(for: url, mode: "700"))\(readsStillWork)")
        }
        guard access(databaseURL.path, W_OK) == 0 else {
            throw LiaisonError(
                .nodeFolder, "the database \(databaseURL.path) is read-only: \(Self.remedy(for: databaseURL, mode: "600"))\(readsStillWork)")
        }
        for file in [sharedMemoryURL, walURL] where FileManager.default.fileExists(atPath: file.path) && access(file.path, W_OK) != 0 {
            throw LiaisonError(
                .nodeFolder,
                "\(file.path), a file SQLite keeps beside the database, is read-only (left from a time the database could not be written, or from another user): \(Self.remedy(for: file, mode: "600"))")
        }
        if FileManager.default.fileExists(atPath: auditLogURL.path), access(auditLogURL.path, W_OK) != 0 {
            throw LiaisonError(
                .nodeFolder,
                "the audit log \(auditLogURL.path) is read-only, and consultations and disclosures are recorded in it: \(Self.remedy(for: auditLogURL, mode: "600"))\(readsStillWork)")
        }
    }

    /// The node's Ed25519 signing key, which only commands that sign need.
    func readSigningKey() throws(LiaisonError) -> Curve25519.Signing.PrivateKey {
        let path = signingKeyURL.path
        guard FileManager.default.fileExists(atPath: path) else {
            throw LiaisonError(
                .nodeFolder,
                "the signing key \(path) is missing: restore it from a backup of this node's folder; without it this node cannot sign changes, but read commands still work")
        }
        guard access(path, R_OK) == 0 else {
            throw LiaisonError(.nodeFolder, "cannot read the signing key \(path), which this command needs to sign: \(Self.remedy(for: signingKeyURL, mode: "600"))")
        }
        // Like ssh with its keys: a signing key that others can read may already be someone else's.
        let keyMode = (try? FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue ?? 0
        guard keyMode & 0o077 == 0 else {
            throw LiaisonError(
                .nodeFolder, "\(path) can be read by other users (mode \(String(keyMode, radix: 8))); refusing to sign with it",
                hint: "chmod 600 \(path), and consider whether the key has been copied")
        }
        do {
            return try KeyEncoding.ed25519(pkcs8PEM: String(contentsOf: signingKeyURL, encoding: .utf8))
        } catch {
            throw LiaisonError(
                .nodeFolder,
                "the signing key \(path) is damaged (not an Ed25519 PKCS#8 key): restore it from a backup of this node's folder")
        }
    }

    /// Opens the node for read commands: no signing key and no write, so that a read-only folder,
    /// a read-only database, or another user's copy can still be searched.
    ///
    /// SQLite opens the database read-only. A reader in WAL mode needs a `-shm` file it can write, or
    /// can create beside the database; where it cannot and the write-ahead log is empty, the database
    /// file is read alone, as immutable. A read never waits for a write lock, so a search runs while
    /// an import writes.
    public func openForReading(logger: Logger = Logger(label: "liaison")) throws(LiaisonError) -> Directory {
        try checkReadable()
        let writable = (try? checkWritable()) != nil
        let walSize = (try? FileManager.default.attributesOfItem(atPath: walURL.path)[.size] as? NSNumber)?.intValue ?? 0
        var configuration = Self.configuration
        configuration.readonly = true
        var path = databaseURL.path
        if !writable, walSize == 0 {
            // Reading the file alone also leaves no -wal or -shm file behind, with the database's
            // read-only mode, for a later write to trip over.
            path = "file:\(databaseURL.path.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? databaseURL.path)?immutable=1"
        } else if !writable, access(url.path, W_OK) != 0, !FileManager.default.fileExists(atPath: sharedMemoryURL.path) {
            throw LiaisonError(
                .nodeFolder,
                "\(walURL.path) holds changes not yet in the database, and reading them needs a -shm file that cannot be created in this read-only folder: \(Self.remedy(for: url, mode: "700"))")
        }
        let queue: DatabaseQueue = try Directory.storage { try DatabaseQueue(path: path, configuration: configuration) }
        let upgraded = try Directory.storage { try queue.read { db in try Migrations.migrator.hasCompletedMigrations(db) } }
        guard !upgraded, writable else { return try Directory(reading: queue, file: databaseURL.path, logger: logger) }
        // A database written by an earlier release is upgraded first, as a write command would.
        let pool: DatabasePool = try Directory.storage {
            let pool = try DatabasePool(path: databaseURL.path, configuration: Self.configuration)
            try Migrations.migrator.migrate(pool)
            return pool
        }
        return try Directory(reading: pool, file: databaseURL.path, logger: logger)
    }

    /// What to do about a file this user may not use: make it theirs again, or ask its owner.
    static func remedy(for file: URL, mode: String) -> String {
        let attributes = (try? FileManager.default.attributesOfItem(atPath: file.path)) ?? [:]
        let owner = (attributes[.ownerAccountID] as? NSNumber)?.uint32Value
        if owner == nil || owner == geteuid() {
            return "fix its permissions with `chmod \(mode) \(file.path)`"
        }
        let ownerName = attributes[.ownerAccountName] as? String ?? "user \(owner!)"
        let me = getpwuid(geteuid()).flatMap { String(validatingCString: $0.pointee.pw_name) } ?? "you"
        let recursive = (attributes[.type] as? FileAttributeType) == .typeDirectory ? "-R " : ""
        return "it belongs to \(ownerName), so run liaison as \(ownerName), or have it given to you with `sudo chown \(recursive)\(me) \(file.path)`"
    }
}
