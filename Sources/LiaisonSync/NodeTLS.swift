import Foundation
public import LiaisonCore
import NIOCore
public import NIOSSL

/// A node's TLS identity: its certificate and key from `init`, for both ends of a sync connection.
///
/// Nodes do not trust certificate authorities. Each end checks the other's certificate against the
/// roster: the SHA-256 of its public key must be the pin of a peer that is not revoked
/// (docs/PROTOCOL.md, "Node card").
public struct NodeTLS: Sendable {
    public let certificate: NIOSSLCertificate
    public let key: NIOSSLPrivateKey

    public init(folder: NodeFolder) throws(LiaisonError) {
        do {
            guard let first = try NIOSSLCertificate.fromPEMFile(folder.tlsCertificateURL.path).first else {
                throw LiaisonError(.nodeFolder, "\(folder.tlsCertificateURL.path) holds no certificate")
            }
            certificate = first
            key = try NIOSSLPrivateKey(file: folder.tlsKeyURL.path, format: .pem)
        } catch let error as LiaisonError {
            throw error
        } catch {
            throw LiaisonError(.nodeFolder, "cannot read the node's TLS certificate or key in \(folder.url.path): \(error)")
        }
    }

    /// TLS 1.3 with this node's certificate. A client certificate is asked for, not required: API
    /// clients may come with a token instead, and sync routes turn away a client without one.
    public func serverConfiguration() -> TLSConfiguration {
        var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: [.certificate(certificate)], privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv13
        configuration.certificateVerification = .optionalVerification
        // A closed connection waits this long for the client's close_notify before its socket
        // goes: a client that never sends one would hold its slot five seconds by default.
        configuration.shutdownTimeout = .seconds(1)
        return configuration
    }

    /// TLS 1.3 with this node's certificate as the client's. The server is checked by its pin in
    /// the handshake, not by a certificate authority.
    public func clientConfiguration() -> TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv13
        configuration.certificateChain = [.certificate(certificate)]
        configuration.privateKey = .privateKey(key)
        configuration.certificateVerification = .noHostnameVerification
        return configuration
    }

    /// The pin of the certificate a handshake presented first: the SHA-256 of its public key.
    public static func pin(of certificates: [NIOSSLCertificate]) -> String? {
        guard let leaf = certificates.first, let der = try? leaf.toDERBytes() else { return nil }
        return try? TLSCertificate.pin(certificateDER: der)
    }
}
