public import Crypto
public import Foundation
public import GRDB
public import Logging
import Synchronization

/// A node's directory: the database, the node's signing key, and every read and write on them.
///
/// All writes go through ``write(_:)``, which applies the changes and appends one signed commit to
/// the node's log in the same transaction: no table change without its commit.
///
/// ```swift
/// let directory = try Directory.inMemory(name: "Chisinau desk", agency: "National Police")
/// let summary = try directory.write { tx in
///     try tx.save(Agency(name: "Anti-Trafficking Centre", kind: .police, country: "MD"))
/// }
/// ```
public final class Directory: Sendable {
    /// The database; read it freely, write it only through ``write(_:)``.
    public let database: any DatabaseWriter
    public let node: NodeIdentity
    /// Nil when the node was opened for reading only (``NodeFolder/openForReading(logger:)``).
    package let signingKey: Curve25519.Signing.PrivateKey?
    /// The key that opens bodies sealed to this node, derived once from the signing key; nil when
    /// the node was opened for reading only.
    package let encryptionKey: Curve25519.KeyAgreement.PrivateKey?
    /// Writes the audit log, chained with a key derived from the signing key; nil when the node
    /// was opened for reading only.
    package let auditRecorder: AuditRecorder?
    package let logger: Logger
    /// Where this node reads the time for its commits, stamps and bundles, and for what it
    /// receives: the wall clock, or a clock that a test moves so that a run replays from its seed.
    package let clock: @Sendable () -> Date
    /// Where this node draws its random choices (the step of a new epoch): the system's generator,
    /// or a seeded one that a test gives so that a run replays from its seed.
    package let random: @Sendable () -> UInt64
    private let referenceCache = Mutex<ReferenceData?>(nil)

    /// Opens an existing node's database.
    ///
    /// `clock` and `random` are for tests that replay a run: a node in use keeps the defaults.
    ///
    /// The audit log is kept in the file `auditLog`, else in memory.
    public init(
        database: any DatabaseWriter, signingKey: Curve25519.Signing.PrivateKey, auditLog: URL? = nil,
        logger: Logger = Logger(label: "liaison"), clock: @escaping @Sendable () -> Date = Date.init,
        random: @escaping @Sendable () -> UInt64 = { .random(in: .min ... .max) }
    ) throws(LiaisonError) {
        self.database = database
        self.signingKey = signingKey
        encryptionKey = Sealing.encryptionKey(for: signingKey)
        auditRecorder = try AuditRecorder(file: auditLog, key: AuditLog.key(for: signingKey))
        self.logger = logger
        self.clock = clock
        self.random = random
        let node: NodeIdentity = try Self.storage {
            try Migrations.migrator.migrate(database)
            return try database.read { db in
                guard let row = try Row.fetchOne(db, sql: "SELECT id, name, agency, epoch FROM node") else {
                    throw LiaisonError(.nodeFolder, "this database has no node identity", hint: "run `liaison init`")
                }
                return NodeIdentity(
                    id: try NodeID(hex: row["id"]), name: row["name"], agency: row["agency"], epoch: row["epoch"],
                    publicKey: signingKey.publicKey)
            }
        }
        guard node.id == NodeID(publicKey: signingKey.publicKey) else {
            throw LiaisonError(.nodeFolder, "the signing key does not belong to node \(node.id)", hint: "restore the node's own signing.key")
        }
        self.node = node
    }

    /// Opens an existing node's database for reading only, without its signing key: ``write(_:)``
    /// and everything else that signs refuse. `file` names the database in errors.
    package init(reading database: any DatabaseWriter, file: String, logger: Logger = Logger(label: "liaison")) throws(LiaisonError) {
        self.database = database
        self.signingKey = nil
        encryptionKey = nil
        auditRecorder = nil
        self.logger = logger
        self.clock = Date.init
        self.random = { .random(in: .min ... .max) }
        node = try Self.storage {
            try database.read { db in
                guard try Migrations.migrator.hasCompletedMigrations(db) else {
                    throw LiaisonError(
                        .nodeFolder,
                        "the database \(file) was made by an earlier release of Liaison and must be upgraded, which needs write access: run any liaison command once as the folder's owner")
                }
                guard let row = try Row.fetchOne(
                    db, sql: "SELECT node.id, name, agency, epoch, public_key FROM node JOIN node_key ON key_id = node.id")
                else {
                    throw LiaisonError(.nodeFolder, "the database \(file) has no node identity", hint: "run `liaison init`")
                }
                do {
                    return NodeIdentity(
                        id: try NodeID(hex: row["id"]), name: row["name"], agency: row["agency"], epoch: row["epoch"],
                        publicKey: try Curve25519.Signing.PublicKey(rawRepresentation: row["public_key"] as Data))
                } catch {
                    throw LiaisonError(.nodeFolder, "the database \(file) holds a damaged node identity: \(error)")
                }
            }
        }
    }

    /// The node's signing key, for everything that signs.
    package func requireSigningKey() throws(LiaisonError) -> Curve25519.Signing.PrivateKey {
        guard let signingKey else {
            throw LiaisonError(.nodeFolder, "this node was opened for reading only, and this step signs", hint: "open it with NodeFolder.open")
        }
        return signingKey
    }

    /// Creates a node's identity in an empty database, then opens it.
    public static func create(
        database: any DatabaseWriter, name: String, agency: String, signingKey: Curve25519.Signing.PrivateKey,
        auditLog: URL? = nil, logger: Logger = Logger(label: "liaison"), clock: @escaping @Sendable () -> Date = Date.init,
        random: @escaping @Sendable () -> UInt64 = { .random(in: .min ... .max) }
    ) throws(LiaisonError) -> Directory {
        guard let name = clean(name) else { throw LiaisonError(.invalidValue, "is required", field: "name") }
        guard let agency = clean(agency) else { throw LiaisonError(.invalidValue, "is required", field: "agency") }
        let id = NodeID(publicKey: signingKey.publicKey)
        try storage {
            try Migrations.migrator.migrate(database)
            try database.write { db in
                guard try Int.fetchOne(db, sql: "SELECT count(*) FROM node") == 0 else {
                    throw LiaisonError(.nodeFolder, "this database already belongs to a node")
                }
                let now = Timestamp.database(clock())
                try db.execute(
                    sql: "INSERT INTO node (id, name, agency, epoch, created_at, free_space_erased) VALUES (?, ?, ?, 1, ?, 1)",
                    arguments: [id.hex, name, agency, now])
                try db.execute(
                    sql: "INSERT INTO node_key (key_id, node_id, public_key, valid_from) VALUES (?, ?, ?, ?)",
                    arguments: [id.hex, id.hex, signingKey.publicKey.rawRepresentation, now])
            }
        }
        return try Directory(database: database, signingKey: signingKey, auditLog: auditLog, logger: logger, clock: clock, random: random)
    }

    /// A node in memory, with a new key unless one is given, for tests and trials. Two nodes made
    /// with one key are two copies of one node.
    public static func inMemory(
        name: String = "Test node", agency: String = "Test agency", signingKey: Curve25519.Signing.PrivateKey = .init(),
        clock: @escaping @Sendable () -> Date = Date.init, random: @escaping @Sendable () -> UInt64 = { .random(in: .min ... .max) }
    ) throws(LiaisonError) -> Directory {
        // Copied from a database migrated once: the reference data takes a while to load.
        let queue: DatabaseQueue = try storage {
            let queue = try DatabaseQueue()
            try migratedTemplate().backup(to: queue)
            return queue
        }
        return try create(database: queue, name: name, agency: agency, signingKey: signingKey, clock: clock, random: random)
    }

    /// A node in a database file at `path` (WAL), its schema copied from a database migrated once:
    /// for tests that read the files a node writes.
    package static func onDisk(
        path: String, name: String, agency: String, signingKey: Curve25519.Signing.PrivateKey
    ) throws(LiaisonError) -> Directory {
        let pool: DatabasePool = try storage {
            // The template's page size: a backup cannot change it in WAL mode.
            var configuration = Configuration()
            configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA secure_delete = ON") }
            let pool = try DatabasePool(path: path, configuration: configuration)
            try migratedTemplate().backup(to: pool)
            return pool
        }
        return try create(database: pool, name: name, agency: agency, signingKey: signingKey)
    }

    private static let template = Mutex<DatabaseQueue?>(nil)

    /// An in-memory database with every migration applied, made once.
    private static func migratedTemplate() throws -> DatabaseQueue {
        if let queue = template.withLock({ $0 }) { return queue }
        let queue = try DatabaseQueue()
        try Migrations.migrator.migrate(queue)
        template.withLock { $0 = $0 ?? queue }
        return queue
    }

    /// Reads the database.
    public func read<T: Sendable>(_ body: @Sendable (Database) throws -> T) throws(LiaisonError) -> T {
        try Self.storage { try database.read(body) }
    }

    /// Runs `body` in one database transaction and appends the changes it made as one signed commit
    /// (or one commit per ``DirectoryTransaction/commitBatch()``). If `body` throws, nothing is written;
    /// with `commit: false` nothing is written either (a dry run).
    @discardableResult
    public func write<T: Sendable>(commit: Bool = true, _ body: @Sendable (DirectoryTransaction) throws -> T) throws(LiaisonError) -> (value: T, commits: [CommitSummary]) {
        let node = self.node
        let key = try requireSigningKey()
        let clock = self.clock
        let reference = try referenceData()
        let result: (value: T, commits: [CommitSummary]) = try Self.storage {
            try database.writeWithoutTransaction { db in
                var result: (T, [CommitSummary])?
                try db.inTransaction(.immediate) {
                    let transaction = try DirectoryTransaction(db: db, node: node, key: key, reference: reference, clock: clock)
                    let value = try body(transaction)
                    try transaction.commitBatch()
                    try RetiredRecords.refresh(in: db)
                    result = (value, transaction.commits)
                    return commit ? .commit : .rollback
                }
                guard let result else { throw LiaisonError(.storage, "the write transaction did not complete") }
                return result
            }
        }
        for summary in result.commits {
            logger.debug(
                commit ? "signed commit" : "signed commit, rolled back (dry run)",
                metadata: [
                    "node.id": "\(node.id)", "commit.epoch": "\(summary.epoch)", "commit.seq": "\(summary.sequence)",
                    "commit.changes": "\(summary.changeCount)",
                ])
        }
        return result
    }

    func referenceData() throws(LiaisonError) -> ReferenceData {
        if let cached = referenceCache.withLock({ $0 }) { return cached }
        let loaded = try read { db in try ReferenceData(db) }
        referenceCache.withLock { $0 = loaded }
        return loaded
    }

    /// Runs database work, turning GRDB errors into ``LiaisonError/Code/storage``.
    package static func storage<T>(_ body: () throws -> T) throws(LiaisonError) -> T {
        do {
            return try body()
        } catch let error as LiaisonError {
            throw error
        } catch let error as DatabaseError {
            throw LiaisonError(.storage, error.message ?? "\(error)", hint: error.sql.map { "while running \($0.prefix(80))" })
        } catch {
            throw LiaisonError(.storage, "\(error)")
        }
    }
}

/// A commit that a write appended to the log.
public struct CommitSummary: Sendable, Hashable {
    public var sequence: UInt64
    public var epoch: UInt32
    public var changeCount: Int
    public var time: HybridLogicalTime
}
