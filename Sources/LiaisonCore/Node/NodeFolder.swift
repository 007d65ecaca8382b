import Crypto
public import Foundation
import GRDB
public import Logging
import SwiftASN1
import X509

/// A node's data folder: the database and the node's keys.
///
/// ```
/// DIR/                 mode 0700
///   liaison.sqlite     the directory and its signed log (WAL)
///   audit.log          the audit log: consultations and disclosures, never synced, mode 0600
///   signing.key        Ed25519 private key, PKCS#8 PEM, mode 0600
///   tls.key            P-256 private key for mutual TLS, PEM, mode 0600
///   tls.crt            self-signed X.509 certificate for that key
/// ```
public struct NodeFolder: Sendable {
    public let url: URL

    public init(url: URL) { self.url = url }

    public var databaseURL: URL { url.appending(path: "liaison.sqlite") }
    public var auditLogURL: URL { url.appending(path: "audit.log") }
    /// Where releases before the audit log file kept the log; moved to ``auditLogURL`` on opening.
    var auditDatabaseURL: URL { url.appending(path: "audit.sqlite") }
    public var signingKeyURL: URL { url.appending(path: "signing.key") }
    public var tlsKeyURL: URL { url.appending(path: "tls.key") }
    public var tlsCertificateURL: URL { url.appending(path: "tls.crt") }

    /// The folder named by `--data`, else `$LIAISON_HOME`, else `~/.liaison`.
    public static func resolve(_ path: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> NodeFolder {
        if let path, !path.isEmpty { return NodeFolder(url: URL(fileURLWithPath: (path as NSString).expandingTildeInPath)) }
        if let home = environment["LIAISON_HOME"], !home.isEmpty { return NodeFolder(url: URL(fileURLWithPath: (home as NSString).expandingTildeInPath)) }
        return NodeFolder(url: FileManager.default.homeDirectoryForCurrentUser.appending(path: ".liaison"))
    }

    public var exists: Bool { FileManager.default.fileExists(atPath: databaseURL.path) }

    /// Creates the folder, the keys, the certificate and the database. Refuses, changing nothing, if
    /// the folder already holds a node; removes what it wrote if any step fails.
    public func initialize(name: String, agency: String, logger: Logger = Logger(label: "liaison")) throws(LiaisonError) -> Directory {
        let fileManager = FileManager.default
        let names = [databaseURL, signingKeyURL, tlsKeyURL, tlsCertificateURL, auditLogURL]
        if let found = names.first(where: { fileManager.fileExists(atPath: $0.path) }) {
            throw LiaisonError(
                .nodeFolder, "\(url.path) already holds a node (found \(found.lastPathComponent)); nothing was changed",
                hint: "use another --data folder, or remove this one if you really mean to start over")
        }
        var isFolder: ObjCBool = false
        let createdFolder = !fileManager.fileExists(atPath: url.path, isDirectory: &isFolder)
        if !createdFolder, !isFolder.boolValue {
            throw LiaisonError(.nodeFolder, "\(url.path) is a file, not a folder", hint: "give --data a folder path")
        }
        if !createdFolder {
            let mode = (try? fileManager.attributesOfItem(atPath: url.path)[.posixPermissions] as? NSNumber)?.intValue ?? 0
            guard mode & 0o077 == 0 else {
                throw LiaisonError(
                    .nodeFolder, "\(url.path) can be read by other users (mode \(String(mode, radix: 8))); nothing was changed",
                    hint: "give --data a new folder, or make this one private with `chmod 700 \(url.path)`")
            }
        }
        do {
            try fileManager.createDirectory(at: url, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            let signingKey = Curve25519.Signing.PrivateKey()
            let tlsKey = P256.Signing.PrivateKey()
            let nodeID = NodeID(publicKey: signingKey.publicKey)
            try writeSecret(KeyEncoding.pkcs8PEM(signingKey), to: signingKeyURL)
            try writeSecret(tlsKey.pemRepresentation, to: tlsKeyURL)
            let certificate = try TLSCertificate.selfSigned(key: tlsKey, nodeID: nodeID, name: name, agency: agency)
            try Data(certificate.utf8).write(to: tlsCertificateURL, options: .withoutOverwriting)
            // SQLite gives its -wal and -shm files the database file's mode.
            try writeSecret("", to: databaseURL)
            try writeSecret("", to: auditLogURL)
            let pool = try DatabasePool(path: databaseURL.path, configuration: Self.configuration)
            let directory = try Directory.create(
                database: pool, name: name, agency: agency, signingKey: signingKey, auditLog: auditLogURL, logger: logger)
            try directory.anchorAuditLog(existed: false)
            // Where the node lives from the start, so that even a copy made before it is first
            // opened is noticed.
            _ = try directory.checkInstance(instanceFingerprint())
            return directory
        } catch {
            for file in names { try? fileManager.removeItem(at: file) }
            for suffix in ["-wal", "-shm"] { try? fileManager.removeItem(atPath: databaseURL.path + suffix) }
            if createdFolder { try? fileManager.removeItem(at: url) }
            if let error = error as? LiaisonError { throw error }
            throw LiaisonError(.nodeFolder, "could not create the node in \(url.path): \(error)")
        }
    }

    /// Opens the node in this folder for commands that sign: each file it needs is checked first,
    /// so that a problem is named with what to do about it. `noticeCopy` hears, in a sentence for an
    /// officer, that the database was copied or restored; without it the logger does.
    public func open(
        logger: Logger = Logger(label: "liaison"), noticeCopy: ((String) -> Void)? = nil
    ) throws(LiaisonError) -> Directory {
        try checkReadable()
        try checkWritable()
        let key = try readSigningKey()
        let pool: DatabasePool = try Directory.storage { try DatabasePool(path: databaseURL.path, configuration: Self.configuration) }
        if FileManager.default.fileExists(atPath: auditDatabaseURL.path) {
            try AuditRecorder.moveEntries(fromDatabase: auditDatabaseURL, to: auditLogURL)
        }
        let auditExisted = FileManager.default.fileExists(atPath: auditLogURL.path)
        if !auditExisted {
            // Only a node that never had an audit log starts one here.
            try Directory.refuseMissingAuditLog(in: pool)
            try Directory.storage { try writeSecret("", to: auditLogURL) }
        }
        let directory = try Directory(database: pool, signingKey: key, auditLog: auditLogURL, logger: logger)
        try directory.anchorAuditLog(existed: auditExisted)
        guard let copy = try directory.checkInstance(instanceFingerprint()) else { return directory }
        if let noticeCopy {
            noticeCopy(copy.sentence(database: databaseURL.path))
        } else {
            logger.warning("\(copy.sentence(database: databaseURL.path))", metadata: ["node.id": "\(directory.node.id)"])
        }
        guard case .newEpoch = copy else { return directory }
        // A new epoch began: open again so that the node's identity shows it.
        return try Directory(database: pool, signingKey: key, auditLog: auditLogURL, logger: logger)
    }

    /// Where the database lives: this machine's id and the database file's device and inode. A copy
    /// to another machine, or a restore from a backup, which writes a new file, changes it.
    func instanceFingerprint() -> String {
        let machine = (try? String(contentsOfFile: "/etc/machine-id", encoding: .utf8))?.trimmed ?? ProcessInfo.processInfo.hostName
        let attributes = (try? FileManager.default.attributesOfItem(atPath: databaseURL.path)) ?? [:]
        let file = "\(attributes[.deviceIdentifier] ?? "?"):\(attributes[.systemFileNumber] ?? "?")"
        return "\(machine):\(file)"
    }

    /// The SHA-256 of the TLS certificate's SubjectPublicKeyInfo: the pin peers use for this node.
    public func tlsPin() throws(LiaisonError) -> String {
        do {
            let pem = try String(contentsOf: tlsCertificateURL, encoding: .utf8)
            return try TLSCertificate.pin(certificatePEM: pem)
        } catch {
            throw LiaisonError(.nodeFolder, "cannot read the TLS certificate \(tlsCertificateURL.path): \(error)")
        }
    }

    static var configuration: Configuration {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            // Pages of 8 KiB instead of 4 for a database created now (a database keeps the size it
            // was made with): a receive into a new node writes and syncs fewer, fuller pages.
            try db.execute(sql: "PRAGMA page_size = 8192")
            // 48 MiB of page cache instead of 2: bulk imports update several indexes per record, and
            // a bundle import of any size stays within 150 MB.
            try db.execute(sql: "PRAGMA cache_size = -49152")
            // Deleted content is overwritten with zeros, so that a purged note leaves nothing in
            // free pages or free space within pages.
            try db.execute(sql: "PRAGMA secure_delete = ON")
        }
        return configuration
    }

    private func writeSecret(_ text: String, to file: URL) throws {
        guard FileManager.default.createFile(atPath: file.path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw LiaisonError(.nodeFolder, "cannot write \(file.path)")
        }
    }
}

/// PEM encodings of the node's keys.
enum KeyEncoding {
    /// The fixed DER prefix of an Ed25519 PKCS#8 private key (RFC 8410), before the 32-byte seed.
    private static let ed25519Prefix: [UInt8] = [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20]

    static func pkcs8PEM(_ key: Curve25519.Signing.PrivateKey) -> String {
        pem(label: "PRIVATE KEY", der: ed25519Prefix + key.rawRepresentation)
    }

    static func ed25519(pkcs8PEM text: String) throws -> Curve25519.Signing.PrivateKey {
        let body = text.split(whereSeparator: \.isNewline).filter { !$0.hasPrefix("-----") }.joined()
        guard let der = Data(base64Encoded: body), der.count == ed25519Prefix.count + 32, Array(der.prefix(ed25519Prefix.count)) == ed25519Prefix else {
            throw LiaisonError(.nodeFolder, "not an Ed25519 PKCS#8 private key")
        }
        return try Curve25519.Signing.PrivateKey(rawRepresentation: der.suffix(32))
    }

    static func pem(label: String, der: some DataProtocol) -> String {
        let base64 = Data(der).base64EncodedString(options: [.lineLength64Characters, .endLineWithLineFeed])
        return "-----BEGIN \(label)-----\n\(base64)\n-----END \(label)-----\n"
    }
}

/// The node's self-signed TLS certificate.
package enum TLSCertificate {
    static func selfSigned(key: P256.Signing.PrivateKey, nodeID: NodeID, name: String, agency: String) throws -> String {
        let subject = try DistinguishedName {
            CommonName("liaison-\(nodeID.hex)")
            OrganizationName(agency)
            OrganizationalUnitName(name)
        }
        let now = Date()
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: .init(key.publicKey),
            notValidBefore: now.addingTimeInterval(-3600), notValidAfter: now.addingTimeInterval(10 * 365 * 86400),
            issuer: subject, subject: subject, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([.serverAuth, .clientAuth])
                SubjectAlternativeNames([.dnsName("localhost"), .dnsName("liaison-\(nodeID.hex)")])
            },
            issuerPrivateKey: .init(key))
        return try certificate.serializeAsPEM().pemString + "\n"
    }

    static func pin(certificatePEM: String) throws -> String {
        try pin(of: Certificate(pemEncoded: certificatePEM))
    }

    /// The pin of a certificate as it came in a TLS handshake.
    package static func pin(certificateDER: [UInt8]) throws -> String {
        try pin(of: Certificate(derEncoded: certificateDER))
    }

    private static func pin(of certificate: Certificate) throws -> String {
        guard let key = P256.Signing.PublicKey(certificate.publicKey) else {
            throw LiaisonError(.nodeFolder, "the TLS certificate does not hold a P-256 key")
        }
        return SHA256.hash(data: key.derRepresentation).hexString
    }
}
